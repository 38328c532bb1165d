// demo-simulated-pki <file>: writes a fresh simulated DCAP PKI (SimulatedDcapPki JSON, TEST keys)
// for `DEMO_ATTESTATION=simulated-dcap scripts/demo.sh`: the Coordinator verifies Marble quotes
// against it (EDG_COORDINATOR_SIMULATED_DCAP_PKI) and marblerun-premain signs quotes with it
// (EDG_MARBLE_SIMULATED_DCAP_PKI). Development only; it proves nothing about real hardware.

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "attestation/simulated/simulated_dcap.h"
#include "base/clock.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: demo-simulated-pki <output.json>\n");
    return 2;
  }
  auto pki =
      mr::attestation::simulated::SimulatedDcapPki::create({mr::SystemClock().now(), {}, {}});
  if (!pki) {
    std::fprintf(stderr, "demo-simulated-pki: %s\n", pki.error().message.c_str());
    return 1;
  }
  const std::string json = (*pki)->to_json();  // holds private keys: 0600
  const int fd = ::open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ::write(fd, json.data(), json.size()) != static_cast<ssize_t>(json.size()) ||
      ::close(fd) != 0) {
    std::fprintf(stderr, "demo-simulated-pki: cannot write %s\n", argv[1]);
    return 1;
  }
  return 0;
}
