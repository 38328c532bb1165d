#pragma once
// TlsIdentity: the certificate and key an HTTPS server presents, looked up per handshake.
//
//   TlsIdentitySource source = [&] { return std::optional<TlsIdentity>(TlsIdentity{cert, key}); };

#include <functional>
#include <optional>

#include "crypto/keys.h"
#include "crypto/x509.h"

namespace mr::api::http {

struct TlsIdentity {
  crypto::Certificate certificate;  // served alone (chain length 1)
  crypto::PrivateKey key;           // must match certificate
};

// TlsIdentitySource returns the identity for a new handshake, or nullopt to make the handshake
// fail (e.g. the Coordinator has no CA yet). Called concurrently from server threads.
using TlsIdentitySource = std::function<std::optional<TlsIdentity>()>;

}  // namespace mr::api::http
