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
#include <string_view>
#include <vector>

#include "attestation/quote_issuer.h"
#include "base/clock.h"
#include "base/result.h"
#include "marble/parameters.h"
#include "marble/transport.h"

namespace mr::marble {

// kCoordinatorRootCaEnv is the variable marblerun-premain reads for
// ActivationOptions::coordinator_root_ca (an app activating in-process passes it on itself).
inline constexpr std::string_view kCoordinatorRootCaEnv = "EDG_MARBLE_COORDINATOR_ROOT_CA";

struct ActivationOptions {
  std::string coordinator_addr = "localhost:2001";  // EDG_MARBLE_COORDINATOR_ADDR
  std::string marble_type;                          // EDG_MARBLE_TYPE; required
  std::vector<std::string> dns_names{"localhost"};  // EDG_MARBLE_DNS_NAMES, split at ','
  std::filesystem::path uuid_file;                  // EDG_MARBLE_UUID_FILE; required
  std::chrono::milliseconds timeout{30000};         // deadline of the Activate call
  TtlsPolicy ttls = TtlsPolicy::kValidate;
  // coordinator_root_ca (EDG_MARBLE_COORDINATOR_ROOT_CA): a PEM file holding the Coordinator root
  // certificate, as `marblerun certificate root` writes it. Empty: the Coordinator is not
  // verified (upstream's behaviour). Set: the Coordinator must prove, in the TLS handshake, a key
  // that this root certified directly (its intermediate), and the certificates it hands out
  // (MARBLE_PREDEFINED_*) must chain to the root; see marble/coordinator_pin.h.
  std::filesystem::path coordinator_root_ca;
  // clock: NotBefore of the self-signed cert and the time certificates are checked at;
  // null = system clock.
  const Clock* clock = nullptr;
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
// kInvalidArgument for options (empty marble_type or uuid_file, empty DNS name entry) and for a
// coordinator_root_ca file that check_coordinator_root_ca refuses (checked first: nothing else
// happens then); load_or_create_uuid's errors; the transport's errors (see make_grpc_transport),
// among them kUnauthenticated "refusing the Coordinator at <address>: its TLS key is not
// certified by the pinned Coordinator root ..." when it cannot prove the pinned root's key;
// check_parameters' errors; with a pinned root, kUnauthenticated "the Coordinator's answer does
// not match the pinned Coordinator root ..." naming the MARBLE_PREDEFINED_* variable at fault.
[[nodiscard]] Result<Parameters> activate(const ActivationOptions& options,
                                          attestation::QuoteIssuer& issuer,
                                          ActivationReport* report = nullptr);

// activate_with is activate over an explicit |transport| (tests, other transports); the
// options' coordinator_addr and timeout are not used, and with a coordinator_root_ca only the
// answer is checked against the root (verifying the server is the transport's business).
[[nodiscard]] Result<Parameters> activate_with(const ActivationOptions& options,
                                               attestation::QuoteIssuer& issuer,
                                               ActivationTransport& transport,
                                               ActivationReport* report = nullptr);

// check_coordinator_root_ca reads and checks |path| as activate() does with
// ActivationOptions::coordinator_root_ca, for callers that want to refuse a bad file before
// anything else: exactly one PEM block, a self-signed CA certificate. kInvalidArgument
// "EDG_MARBLE_COORDINATOR_ROOT_CA: <path>: <reason>" otherwise.
[[nodiscard]] Status check_coordinator_root_ca(const std::filesystem::path& path);

}  // namespace mr::marble
