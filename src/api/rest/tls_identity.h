#pragma once
// TlsIdentity: the certificate and key the HTTPS server presents, looked up per handshake
// (defined with the server, api/http/tls_identity.h).
//
//   TlsIdentitySource source = [&] { return std::optional<TlsIdentity>(TlsIdentity{cert, key}); };

#include "api/http/tls_identity.h"

namespace mr::api::rest {

using http::TlsIdentity;
using http::TlsIdentitySource;

}  // namespace mr::api::rest
