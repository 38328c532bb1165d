#pragma once
// MarbleTlsIdentity: the certificate and key the Marble API presents, looked up per handshake
// (spec 2.2: the Marble root certificate with the intermediate private key).
//
//   MarbleIdentitySource source = core_marble_identity(*core);
//   std::optional<MarbleTlsIdentity> now = source();  // nullopt while the Core has no CA

#include <functional>
#include <optional>

#include "core/core.h"
#include "crypto/keys.h"
#include "crypto/x509.h"

namespace mr::api::grpc {

struct MarbleTlsIdentity {
  crypto::Certificate certificate;  // served alone (chain length 1)
  crypto::PrivateKey key;           // must match certificate
};

// MarbleIdentitySource returns the identity for a new handshake, or nullopt when there is none
// (no CA yet). Called concurrently from gRPC threads; must be cheap (it runs per handshake).
using MarbleIdentitySource = std::function<std::optional<MarbleTlsIdentity>()>;

// core_marble_identity returns a source reading |core|'s snapshot per handshake: the Marble root
// certificate and the intermediate key, which change when the intermediate rotates (package and
// manifest updates) or recovery switches the CA. nullopt in state 0 (no CA). |core| is borrowed
// and must outlive the source.
[[nodiscard]] MarbleIdentitySource core_marble_identity(const core::Core& core);

}  // namespace mr::api::grpc
