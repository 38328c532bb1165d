// verify_chain: Go's x509.Certificate.Verify (Roots, Intermediates, CurrentTime, KeyUsages) on
// X509_STORE_CTX.
//
// Differences from Go that remain, all on inputs MarbleRun does not produce:
//  * OpenSSL builds one chain; Go tries every candidate chain and accepts if any satisfies the
//    EKU check, so with several roots/intermediates for one issuer OpenSSL may pick a chain Go
//    would reject for EKU while another would pass.
//  * OpenSSL requires trust anchors to be CAs (basicConstraints cA, or v1 self-signed) and
//    enforces keyCertSign on issuers that carry a KeyUsage extension; Go ignores KeyUsage and
//    the root's CA flag.
//  * Go falls back to the system roots when |roots| is empty; here an empty set trusts nothing.
// Matching Go: NotBefore and NotAfter are inclusive (see inclusive_not_after), every root is a
// trust anchor even if not self-signed (X509_V_FLAG_PARTIAL_CHAIN),
// no purpose check is done by OpenSSL (the EKU check below is Go's checkChainForKeyUsage),
// unknown critical extensions fail, and SHA-1/MD5 signatures inside the chain are refused.

#include <algorithm>

#include "crypto/openssl/impl.h"

namespace mr::crypto {
namespace {

tl::unexpected<Error> denied(std::string message) {
  ossl::clear_errors();
  return fail(ErrorCode::kPermissionDenied, std::move(message));
}

// Go treats NotAfter as inclusive (now.After(NotAfter) means expired); OpenSSL reports "expired"
// when the verification time equals NotAfter. Accept exactly that case.
int inclusive_not_after(int ok, X509_STORE_CTX* ctx) {
  if (ok == 0 && X509_STORE_CTX_get_error(ctx) == X509_V_ERR_CERT_HAS_EXPIRED) {
    const X509* cert = X509_STORE_CTX_get_current_cert(ctx);
    const time_t at = X509_VERIFY_PARAM_get_time(X509_STORE_CTX_get0_param(ctx));
    if (cert != nullptr && ASN1_TIME_cmp_time_t(X509_get0_notAfter(cert), at) == 0) return 1;
  }
  return ok;
}

// Go's checkChainForKeyUsage for one requested usage, walking from the root to the leaf.
bool chain_allows(const std::vector<const CertTemplate*>& chain, ExtKeyUsage usage) {
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    const CertTemplate& c = **it;
    const std::vector<ExtKeyUsage> none;
    const auto& known = c.ext_key_usage ? *c.ext_key_usage : none;
    if (known.empty() && c.unknown_ext_key_usage.empty()) continue;  // no EKU: any usage
    if (std::find(known.begin(), known.end(), ExtKeyUsage::kAny) != known.end()) continue;
    if (std::find(known.begin(), known.end(), usage) == known.end()) return false;
  }
  return true;
}

}  // namespace

Status verify_chain(const Certificate& leaf, const std::vector<Certificate>& intermediates,
                    const std::vector<Certificate>& roots, UnixTime at, ExtKeyUsage usage) {
  ossl::Ptr<X509_STORE> store(X509_STORE_new());
  ossl::Ptr<STACK_OF(X509)> untrusted(sk_X509_new_null());  // non-owning
  ossl::Ptr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  if (!store || !untrusted || !ctx) return ossl::fail("x509: allocating verifier");
  // Maps the X509 objects OpenSSL hands back to our parsed fields.
  std::vector<std::pair<const X509*, const Certificate::Impl*>> known;
  known.emplace_back(leaf.impl().x509(), &leaf.impl());
  for (const Certificate& root : roots) {
    if (X509_STORE_add_cert(store.get(), root.impl().x509()) != 1) {
      return ossl::fail("x509: adding root");
    }
    known.emplace_back(root.impl().x509(), &root.impl());
  }
  for (const Certificate& inter : intermediates) {
    if (sk_X509_push(untrusted.get(), inter.impl().x509()) <= 0) {
      return ossl::fail("x509: adding intermediate");
    }
    known.emplace_back(inter.impl().x509(), &inter.impl());
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf.impl().x509(), untrusted.get()) != 1) {
    return ossl::fail("x509: initializing verifier");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(at.time_since_epoch().count()));
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_USE_CHECK_TIME | X509_V_FLAG_PARTIAL_CHAIN);
  X509_STORE_CTX_set_verify_cb(ctx.get(), inclusive_not_after);

  if (X509_verify_cert(ctx.get()) != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    return denied(fmt::format("x509: certificate verification failed: {}",
                              X509_verify_cert_error_string(err)));
  }

  std::vector<const CertTemplate*> chain;
  STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(ctx.get());
  for (int i = 0; i < sk_X509_num(built); ++i) {
    const X509* x = sk_X509_value(built, i);
    auto it = std::find_if(known.begin(), known.end(), [&](const auto& k) { return k.first == x; });
    if (it == known.end())
      return fail(ErrorCode::kInternal, "x509: chain holds an unknown certificate");
    const CertTemplate& fields = it->second->fields;
    // Go refuses SHA-1/MD5 signatures on every certificate but the trust anchor.
    const int alg = fields.signature_algorithm;
    if (i + 1 < sk_X509_num(built) && (alg == 1 || alg == 2 || alg == 3 || alg == 9)) {
      return denied("x509: certificate verification failed: insecure signature algorithm");
    }
    chain.push_back(&fields);
  }
  if (usage != ExtKeyUsage::kAny && !chain_allows(chain, usage)) {
    return denied("x509: certificate specifies an incompatible key usage");
  }
  return ok();
}

}  // namespace mr::crypto
