#pragma once
// MarbleApi: Marble activation (spec 2.4), transport-free. The gRPC adapter (api/grpc) passes the
// request and the DER of the TLS peer's leaf certificate; errors carry upstream's messages and
// gRPC-equivalent codes (FailedPrecondition, Unauthenticated, PermissionDenied, InvalidArgument,
// Internal).
//
//   MarbleApi marbles(core, verifier);
//   MR_ASSIGN_OR_RETURN(Activation a, marbles.activate(request));
//
// Concurrency: activations read the published snapshot; quote verification, key generation and
// template rendering take no lock. Only Marbles with MaxActivations touch the store, in one short
// check-and-increment (Core::claim_activation), so MaxActivations is never exceeded.

#include <functional>
#include <string>
#include <vector>

#include "attestation/quote_verifier.h"
#include "base/bytes.h"
#include "base/result.h"
#include "core/core.h"
#include "manifest/manifest.h"

namespace mr::core {

struct ActivationRequest {
  Bytes quote;  // empty from simulation-mode Marbles
  Bytes csr_der;
  std::string marble_type;
  std::string uuid;     // as sent; parsed like Google's uuid package
  Bytes peer_cert_der;  // the TLS peer's leaf certificate; empty if none was presented
};

struct Activation {
  manifest::NameMap<std::string> files;  // path → content
  manifest::NameMap<std::string> env;    // name → value
  std::vector<std::string> argv;
};

// ActivationObserver sees every activation attempt (metrics, event log). Optional.
struct ActivationObserver {
  virtual ~ActivationObserver() = default;
  // on_activation is called once per attempt with its outcome (ok or the error) and duration.
  // |type_label| is the Marble type if the manifest defines it, else "unknown" (so that clients
  // cannot create arbitrary metric labels).
  virtual void on_activation(const ActivationRequest& request, std::string_view type_label,
                             const Status& outcome, double seconds) = 0;
};

class MarbleApi {
 public:
  // |verifier| checks Marble quotes unless the Coordinator runs in simulation mode (it may be
  // null only then). |observer| may be null.
  MarbleApi(Core& core, const attestation::QuoteVerifier* verifier,
            ActivationObserver* observer = nullptr)
      : core_(core), verifier_(verifier), observer_(observer) {}

  // activate admits a Marble and returns its parameters. Errors:
  //   kFailedPrecondition "cannot accept marbles in current state" (state is not 3);
  //   kUnauthenticated "couldn't get marble TLS certificate";
  //   kPermissionDenied "marble verification failed: <reason>" (unknown type, undefined package,
  //     invalid quote, max activations reached);
  //   kInvalidArgument "invalid UUID: <reason>";
  //   kAborted when the state changed during the activation (retry);
  //   kInternal "generating marble authentication secrets: ...", "generating marble secrets:
  //     ...", "customizing marble parameters: ..." (e.g. an unset user-defined secret).
  [[nodiscard]] Result<Activation> activate(const ActivationRequest& request);

 private:
  Result<Activation> activate_impl(const ActivationRequest& request);
  Core& core_;
  const attestation::QuoteVerifier* verifier_;
  ActivationObserver* observer_;
};

// ttls_config builds MARBLE_TTLS_CONFIG (spec 2.6) for |marble| from the manifest's TLS tags.
[[nodiscard]] Result<std::string> ttls_config(const manifest::Manifest& m,
                                              const manifest::Marble& marble,
                                              const SecretMap& secrets,
                                              const std::string& marble_root_pem,
                                              const std::string& leaf_pem,
                                              const std::string& leaf_key_pem);

}  // namespace mr::core
