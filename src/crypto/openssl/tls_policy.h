#pragma once
// The one TLS policy of the Coordinator's OpenSSL server listeners (crypto/tls_policy.h has the
// suite lists), applicable to any SSL_CTX (the HTTPS server of api/http applies it). For adapter
// code only (OpenSSL types).
//
//   SSL_CTX* ctx = ...;                          // TLS_server_method()
//   MR_RETURN_IF_ERROR(ossl::apply_server_tls_policy(*ctx));
//   // then the listener's own settings: certificate, client-certificate mode, session cache

#include <openssl/ssl.h>

#include "base/result.h"

namespace mr::ossl {

// apply_server_tls_policy restricts |ctx| to TLS 1.2 and 1.3; TLS 1.2 to the ECDHE + AEAD
// suites of crypto::kTls12CipherSuites, TLS 1.3 to crypto::kTls13CipherSuites, with the
// server's preference; no compression, no renegotiation (neither client-initiated nor the
// legacy unsafe kind), no legacy server connect, security level at least 2 (no SHA-1 handshake
// signatures, no keys under 112 bits of strength). kInternal if OpenSSL refuses a setting.
[[nodiscard]] Status apply_server_tls_policy(SSL_CTX& ctx);

}  // namespace mr::ossl
