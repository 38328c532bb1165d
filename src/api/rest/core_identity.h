#pragma once
// core_tls_identity: the client API's TLS identity, the Coordinator root certificate and key of
// the current Core snapshot (spec 3.1). It changes after a recovery; while the Core has no CA
// (state 0) handshakes fail.
//
//   auto server = RestServer::create(config, router, core_tls_identity(*core));

#include "api/rest/tls_identity.h"
#include "core/core.h"

namespace mr::api::rest {

// core_tls_identity returns a source reading |core|'s snapshot per handshake (|core| is
// borrowed and must outlive the source).
[[nodiscard]] TlsIdentitySource core_tls_identity(const core::Core& core);

}  // namespace mr::api::rest
