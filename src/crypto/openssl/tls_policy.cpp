#include "crypto/openssl/tls_policy.h"

#include "crypto/openssl/ossl.h"
#include "crypto/tls_policy.h"

namespace mr::ossl {

Status apply_server_tls_policy(SSL_CTX& ctx) {
  if (SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(&ctx, 0) != 1) {  // 0: the highest the library has
    return fail("TLS policy: setting the protocol versions");
  }
  const std::string tls12 = crypto::tls_suite_list(crypto::kTls12CipherSuites);
  if (SSL_CTX_set_cipher_list(&ctx, tls12.c_str()) != 1) {
    return fail("TLS policy: setting the TLS 1.2 cipher suites");
  }
  const std::string tls13 = crypto::tls_suite_list(crypto::kTls13CipherSuites);
  if (SSL_CTX_set_ciphersuites(&ctx, tls13.c_str()) != 1) {
    return fail("TLS policy: setting the TLS 1.3 cipher suites");
  }
  SSL_CTX_clear_options(&ctx, SSL_OP_ALLOW_CLIENT_RENEGOTIATION |
                                  SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION |
                                  SSL_OP_LEGACY_SERVER_CONNECT);
  SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TLSv1 |
                                SSL_OP_NO_TLSv1_1);
  if (SSL_CTX_get_security_level(&ctx) < 2) SSL_CTX_set_security_level(&ctx, 2);
  return ok();
}

}  // namespace mr::ossl
