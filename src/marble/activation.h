#pragma once
// libmarble: Marble activation for apps that activate in-process, and for marblerun-premain.
//
//   mr::attestation::simulated::NoTeeIssuer issuer;  // or a real provider, see quote_provider.h
//   mr::marble::ActivationOptions options;
//   options.coordinator_addr = "coordinator-mesh-api:2001";
//   options.marble_type = "backend";
//   options.uuid_file = "/data/uuid";
//   MR_ASSIGN_OR_RETURN(mr::marble::Parameters p, mr::marble::activate(options, issuer));
//   MR_RETURN_IF_ERROR(mr::marble::write_files(p.files));  // marble/apply.h
//
// activate performs spec 2.3 steps 1-5: key and self-signed certificate, UUID, CSR, quote over
// SHA-256(certificate DER), and rpc.Marble/Activate over TLS.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "attestation/quote_issuer.h"
#include "base/clock.h"
#include "base/result.h"
#include "marble/parameters.h"
#include "marble/transport.h"

namespace mr::marble {

struct ActivationOptions {
  std::string coordinator_addr = "localhost:2001";  // EDG_MARBLE_COORDINATOR_ADDR
  std::string marble_type;                          // EDG_MARBLE_TYPE; required
  std::vector<std::string> dns_names{"localhost"};  // EDG_MARBLE_DNS_NAMES, split at ','
  std::filesystem::path uuid_file;                  // EDG_MARBLE_UUID_FILE; required
  std::chrono::milliseconds timeout{30000};         // deadline of the Activate call
  TtlsPolicy ttls = TtlsPolicy::kValidate;
  const Clock* clock = nullptr;  // NotBefore of the self-signed cert; null = system clock
};

// ActivationReport says how an activation went, for the caller's log line.
struct ActivationReport {
  std::string uuid;           // canonical form, as sent
  bool uuid_created = false;  // the UUID file was created by this activation
  std::size_t quote_size = 0;
  std::string empty_quote_reason;  // why the quote was empty ("" if one was sent)
};

// activate activates this process as a Marble and returns its Parameters, checked with
// check_parameters (nothing is applied). |issuer| quotes SHA-256 of the self-signed certificate;
// if it fails for any reason the quote is sent empty (upstream's behaviour; only a
// simulation-mode Coordinator accepts that); the reason goes into the "activated" log line, and
// into a kPermissionDenied refusal as " [this Marble sent an empty quote: <reason>]" (a failing
// TEE, as opposed to no TEE, is also logged as a warning at once). Logs nothing above debug
// level otherwise: |report| (optional) receives what the caller may want to log. Errors:
// kInvalidArgument for options (empty marble_type or uuid_file, empty DNS name entry);
// load_or_create_uuid's errors; the transport's errors (see make_grpc_transport); check_parameters'
// errors.
[[nodiscard]] Result<Parameters> activate(const ActivationOptions& options,
                                          attestation::QuoteIssuer& issuer,
                                          ActivationReport* report = nullptr);

// activate_with is activate over an explicit |transport| (tests, other transports); the
// options' coordinator_addr and timeout are not used.
[[nodiscard]] Result<Parameters> activate_with(const ActivationOptions& options,
                                               attestation::QuoteIssuer& issuer,
                                               ActivationTransport& transport,
                                               ActivationReport* report = nullptr);

}  // namespace mr::marble
