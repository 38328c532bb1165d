// Signatures: ECDSA (ASN.1 DER), RSA PKCS#1 v1.5 and Ed25519 on OpenSSL 3.

#include <openssl/rsa.h>

#include "crypto/cipher.h"
#include "crypto/openssl/impl.h"

namespace mr::crypto {
namespace {

const unsigned char* ptr(ByteSpan b) {
  static const unsigned char kEmpty = 0;
  return b.empty() ? &kEmpty : b.data();
}

using detail::invalid;

tl::unexpected<Error> bad_signature() {
  ossl::clear_errors();
  return fail(ErrorCode::kPermissionDenied, "signature verification failed");
}

// Refuses signatures that cannot be valid for |key| before asking OpenSSL (kInvalidArgument).
Status check_signature_shape(const PublicKey& key, ByteSpan sig) {
  switch (key.type()) {
    case KeyType::kEc: {
      // Strict DER, as OpenSSL itself and Go's encoding require.
      const unsigned char* p = sig.data();
      ossl::Ptr<ECDSA_SIG> parsed(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
      if (!parsed || p != sig.data() + sig.size() ||
          ossl::to_der<ECDSA_SIG>(i2d_ECDSA_SIG, parsed.get()) != Bytes(sig.begin(), sig.end())) {
        return invalid("malformed ECDSA signature");
      }
      return ok();
    }
    case KeyType::kRsa:
      if (sig.size() != (key.bits() + 7) / 8) return invalid("RSA signature has the wrong length");
      return ok();
    case KeyType::kEd25519:
      if (sig.size() != 64) return invalid("Ed25519 signature must be 64 bytes");
      return ok();
  }
  return ok();
}

Status check_digest_size(ByteSpan digest, HashAlg hash) {
  if (digest.size() != static_cast<std::size_t>(EVP_MD_get_size(detail::md_for(hash)))) {
    return invalid("digest length does not match the hash algorithm");
  }
  return ok();
}

}  // namespace

Result<Bytes> sign(const PrivateKey& key, ByteSpan data, HashAlg hash) {
  ossl::Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  if (!ctx) return ossl::fail("sign: context");
  const EVP_MD* md = key.type() == KeyType::kEd25519 ? nullptr : detail::md_for(hash);
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, key.impl().pkey.get()) != 1) {
    return ossl::fail("sign: init");
  }
  if (key.type() == KeyType::kRsa && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
    return ossl::fail("sign: padding");
  }
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, ptr(data), data.size()) != 1) {
    return ossl::fail("sign");
  }
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, ptr(data), data.size()) != 1) {
    return ossl::fail("sign");
  }
  sig.resize(len);
  return sig;
}

Result<Bytes> sign_digest(const PrivateKey& key, ByteSpan digest, HashAlg hash) {
  if (key.type() == KeyType::kEd25519) {
    return invalid("sign_digest: Ed25519 signs messages, not digests");
  }
  if (key.type() == KeyType::kRsa) MR_RETURN_IF_ERROR(check_digest_size(digest, hash));
  ossl::Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.impl().pkey.get(), nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1) return ossl::fail("sign_digest: init");
  // ECDSA without a message digest set accepts any digest length and truncates it to the
  // order's bit length, like Go's ecdsa.SignASN1.
  if (key.type() == KeyType::kRsa &&
      (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
       EVP_PKEY_CTX_set_signature_md(ctx.get(), detail::md_for(hash)) != 1)) {
    return ossl::fail("sign_digest: parameters");
  }
  std::size_t len = 0;
  if (EVP_PKEY_sign(ctx.get(), nullptr, &len, ptr(digest), digest.size()) != 1) {
    return ossl::fail("sign_digest");
  }
  Bytes sig(len);
  if (EVP_PKEY_sign(ctx.get(), sig.data(), &len, ptr(digest), digest.size()) != 1) {
    return ossl::fail("sign_digest");
  }
  sig.resize(len);
  return sig;
}

Status verify(const PublicKey& key, ByteSpan data, ByteSpan signature, HashAlg hash) {
  MR_RETURN_IF_ERROR(check_signature_shape(key, signature));
  ossl::Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  if (!ctx) return ossl::fail("verify: context");
  const EVP_MD* md = key.type() == KeyType::kEd25519 ? nullptr : detail::md_for(hash);
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, key.impl().pkey.get()) != 1) {
    return ossl::fail("verify: init");
  }
  if (key.type() == KeyType::kRsa && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
    return ossl::fail("verify: padding");
  }
  if (EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), ptr(data), data.size()) !=
      1) {
    return bad_signature();
  }
  return ok();
}

Status verify_digest(const PublicKey& key, ByteSpan digest, ByteSpan signature, HashAlg hash) {
  if (key.type() == KeyType::kEd25519) {
    return invalid("verify_digest: Ed25519 verifies messages, not digests");
  }
  if (key.type() == KeyType::kRsa) MR_RETURN_IF_ERROR(check_digest_size(digest, hash));
  MR_RETURN_IF_ERROR(check_signature_shape(key, signature));
  ossl::Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.impl().pkey.get(), nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1) return ossl::fail("verify_digest: init");
  if (key.type() == KeyType::kRsa &&
      (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
       EVP_PKEY_CTX_set_signature_md(ctx.get(), detail::md_for(hash)) != 1)) {
    return ossl::fail("verify_digest: parameters");
  }
  if (EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), ptr(digest), digest.size()) !=
      1) {
    return bad_signature();
  }
  return ok();
}

}  // namespace mr::crypto
