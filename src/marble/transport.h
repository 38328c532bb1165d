#pragma once
// ActivationTransport: the one call a Marble makes to the Coordinator (rpc.Marble/Activate),
// behind an interface so activate() can be tested without a network. The gRPC implementation is
// in marble/grpc_transport.h.

#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "marble/parameters.h"

namespace mr::marble {

// ActivationRequest mirrors rpc.ActivationReq (spec 2.1).
struct ActivationRequest {
  Bytes quote;  // empty without a TEE
  Bytes csr_der;
  std::string marble_type;
  std::string uuid;  // canonical text form
};

// ClientIdentity is the TLS client certificate (and its key) presented to the Coordinator.
struct ClientIdentity {
  std::string cert_pem;
  SecretBytes key_pem;  // PKCS#8 "PRIVATE KEY"
};

class ActivationTransport {
 public:
  virtual ~ActivationTransport() = default;
  // activate sends |request| over TLS presenting |identity| and returns the Parameters.
  // Errors carry the Coordinator's status code (kPermissionDenied, kFailedPrecondition, ...)
  // and message, kUnavailable when the Coordinator cannot be reached or the TLS handshake
  // fails, kDeadlineExceeded when it does not answer in time.
  [[nodiscard]] virtual Result<Parameters> activate(const ActivationRequest& request,
                                                    const ClientIdentity& identity) = 0;
};

}  // namespace mr::marble
