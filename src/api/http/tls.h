#pragma once
// TLS plumbing of the HTTPS server (internal to api/http; OpenSSL types allowed here only).
//
//   CertificateSelector selector(source);
//   if (!selector.configure(*ctx)) return fail(...);   // once, for the server's SSL_CTX
//   std::optional<Bytes> leaf = peer_certificate_der(ssl);   // after each handshake

#include <memory>
#include <mutex>
#include <optional>

#include "api/http/tls_identity.h"
#include "base/bytes.h"
#include "crypto/openssl/ossl.h"

namespace mr::api::http {

// CertificateSelector picks the server certificate per handshake from a TlsIdentitySource and
// caches the OpenSSL objects converted for the last identity seen.
class CertificateSelector {
 public:
  explicit CertificateSelector(TlsIdentitySource source) : source_(std::move(source)) {}
  CertificateSelector(const CertificateSelector&) = delete;
  CertificateSelector& operator=(const CertificateSelector&) = delete;

  // configure prepares |ctx| for an HTTPS listener (Go's tls.Config of upstream's client API):
  // the server TLS policy (crypto/openssl/tls_policy.h: TLS 1.3, TLS 1.2 only with ECDHE +
  // AEAD suites, no compression or renegotiation); no session resumption (every handshake
  // selects the current identity);
  // client certificates requested but optional and never verified (Go's RequestClientCert);
  // the certificate chosen per handshake by this selector, which must outlive |ctx|.
  // Returns false if OpenSSL refuses a setting.
  [[nodiscard]] bool configure(SSL_CTX& ctx);

 private:
  struct Converted {
    Bytes der;  // the certificate these objects were made from
    ossl::Ptr<X509> x509;
    ossl::Ptr<EVP_PKEY> pkey;
  };
  static int cert_callback(SSL* ssl, void* arg);
  int select(SSL* ssl);
  std::shared_ptr<const Converted> converted(const TlsIdentity& id);

  TlsIdentitySource source_;
  std::mutex mu_;                           // guards cache_
  std::shared_ptr<const Converted> cache_;  // for the last identity served
};

// peer_certificate_der returns the DER of the client's leaf certificate (the one whose key the
// client proved in the handshake) on |ssl|, or nullopt if the client sent none.
[[nodiscard]] std::optional<Bytes> peer_certificate_der(const SSL* ssl);

}  // namespace mr::api::http
