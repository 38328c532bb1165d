#include "api/http/tls.h"

#include "base/log.h"
#include "crypto/openssl/tls_policy.h"

namespace mr::api::http {
namespace {

const log::Logger kLog("http");

// accept_any is the verify callback of RequestClientCert: whatever the chain, the handshake
// goes on. Authentication happens later, against the leaf's bytes (router.h).
int accept_any(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) {
  return 1;
}

}  // namespace

bool CertificateSelector::configure(SSL_CTX& ctx) {
  if (auto s = ossl::apply_server_tls_policy(ctx); !s) {
    kLog.error("cannot apply the TLS policy", {{"error", s.error().message}});
    return false;
  }
  SSL_CTX_set_options(&ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(&ctx, SSL_SESS_CACHE_OFF);
  if (SSL_CTX_set_num_tickets(&ctx, 0) != 1) return false;
  SSL_CTX_set_mode(&ctx, SSL_MODE_NO_AUTO_CHAIN);
  SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER, accept_any);
  SSL_CTX_set_cert_cb(&ctx, &CertificateSelector::cert_callback, this);
  return true;
}

int CertificateSelector::cert_callback(SSL* ssl, void* arg) {
  return static_cast<CertificateSelector*>(arg)->select(ssl);
}

std::shared_ptr<const CertificateSelector::Converted> CertificateSelector::converted(
    const TlsIdentity& id) {
  const Bytes& der = id.certificate.der();
  {
    std::scoped_lock lock(mu_);
    if (cache_ && cache_->der == der) return cache_;
  }
  auto c = std::make_shared<Converted>();
  c->der = der;
  const unsigned char* p = der.data();
  c->x509.reset(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  const SecretBytes pkcs8 = id.key.to_pkcs8_der();
  const unsigned char* k = pkcs8.data();
  c->pkey.reset(d2i_AutoPrivateKey(nullptr, &k, static_cast<long>(pkcs8.size())));
  if (!c->x509 || !c->pkey) {
    kLog.error("cannot convert the TLS identity", {{"error", ossl::drain_errors()}});
    return nullptr;
  }
  std::scoped_lock lock(mu_);
  cache_ = c;
  return c;
}

int CertificateSelector::select(SSL* ssl) {
  std::optional<TlsIdentity> id;
  try {
    id = source_();
  } catch (...) {
    id.reset();
  }
  if (!id) return 0;  // no CA yet (state 0): the handshake fails
  const auto c = converted(*id);
  if (!c) return 0;
  if (SSL_use_certificate(ssl, c->x509.get()) != 1 || SSL_use_PrivateKey(ssl, c->pkey.get()) != 1) {
    kLog.error("cannot set the TLS certificate", {{"error", ossl::drain_errors()}});
    return 0;
  }
  return 1;
}

std::optional<Bytes> peer_certificate_der(const SSL* ssl) {
  if (ssl == nullptr) return std::nullopt;
  X509* leaf = SSL_get0_peer_certificate(ssl);
  if (leaf == nullptr) return std::nullopt;
  Bytes der = ossl::to_der(i2d_X509, static_cast<const X509*>(leaf));
  if (der.empty()) return std::nullopt;
  return der;
}

}  // namespace mr::api::http
