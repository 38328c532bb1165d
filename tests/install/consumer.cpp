// Built against an installed MarbleRun C++ (headers + libmarble.so only): activating against an
// address where nothing listens must fail cleanly with kUnavailable.
#include <chrono>
#include <cstdio>

#include "attestation/simulated/no_tee_issuer.h"
#include "marble/activation.h"

int main(int argc, char** argv) {
  if (argc != 2) return 64;
  mr::marble::ActivationOptions options;
  options.coordinator_addr = "127.0.0.1:1";
  options.marble_type = "consumer";
  options.uuid_file = argv[1];
  options.timeout = std::chrono::milliseconds(3000);
  mr::attestation::simulated::NoTeeIssuer issuer;
  auto params = mr::marble::activate(options, issuer);
  if (params) return 1;
  std::printf("%s\n", params.error().message.c_str());
  return params.error().code == mr::ErrorCode::kUnavailable ? 0 : 2;
}
