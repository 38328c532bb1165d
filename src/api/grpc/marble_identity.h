#pragma once
// MarbleTlsIdentity: the certificate and key the Marble API presents, looked up per handshake
// (spec 2.2: the Marble root certificate with the intermediate private key), followed by the
// intermediate certificate: the Marble root is self-signed, so the intermediate (same subject
// and key, signed by the Coordinator root) is what lets a Marble that pins the Coordinator root
// (EDG_MARBLE_COORDINATOR_ROOT_CA) check the key it talks to. Marbles that do not verify ignore
// the extra certificate.
//
//   MarbleIdentitySource source = core_marble_identity(*core);
//   std::optional<MarbleTlsIdentity> now = source();  // nullopt while the Core has no CA

#include <functional>
#include <optional>
#include <vector>

#include "core/core.h"
#include "crypto/keys.h"
#include "crypto/x509.h"

namespace mr::api::grpc {

struct MarbleTlsIdentity {
  crypto::Certificate certificate;  // the leaf of the chain served
  crypto::PrivateKey key;           // must match certificate
  // chain: certificates sent after |certificate| (the intermediate); none = chain length 1.
  std::vector<crypto::Certificate> chain = {};
};

// MarbleIdentitySource returns the identity for a new handshake, or nullopt when there is none
// (no CA yet). Called concurrently from gRPC threads; must be cheap (it runs per handshake).
using MarbleIdentitySource = std::function<std::optional<MarbleTlsIdentity>()>;

// core_marble_identity returns a source reading |core|'s snapshot per handshake: the Marble root
// certificate and the intermediate key, with the intermediate certificate as chain, which change
// when the intermediate rotates (package and manifest updates) or recovery switches the CA. nullopt
// in state 0 (no CA). |core| is borrowed and must outlive the source.
[[nodiscard]] MarbleIdentitySource core_marble_identity(const core::Core& core);

}  // namespace mr::api::grpc
