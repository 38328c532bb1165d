// AES-GCM and RSA-OAEP on OpenSSL 3.

#include "crypto/cipher.h"

#include <openssl/rsa.h>

#include <climits>

#include "crypto/openssl/impl.h"

namespace mr::crypto {
namespace {

const unsigned char* ptr(ByteSpan b) {
  static const unsigned char kEmpty = 0;
  return b.empty() ? &kEmpty : b.data();
}

const EVP_CIPHER* gcm_for(std::size_t key_size) {
  switch (key_size) {
    case 16:
      return EVP_aes_128_gcm();
    case 24:
      return EVP_aes_192_gcm();
    case 32:
      return EVP_aes_256_gcm();
    default:
      return nullptr;
  }
}

tl::unexpected<Error> auth_failed() {
  ossl::clear_errors();
  return fail(ErrorCode::kDataLoss, "message authentication failed");
}

Status check_sizes(ByteSpan key, ByteSpan nonce, std::size_t length) {
  if (gcm_for(key.size()) == nullptr) {
    return fail(ErrorCode::kInvalidArgument, "aes-gcm: key must be 16, 24 or 32 bytes");
  }
  if (nonce.size() != kGcmNonceSize) {
    return fail(ErrorCode::kInvalidArgument, "aes-gcm: nonce must be 12 bytes");
  }
  if (length > INT_MAX / 2) return fail(ErrorCode::kInvalidArgument, "aes-gcm: input too long");
  return ok();
}

// Initializes |ctx| for GCM and feeds |aad|.
Status gcm_init(EVP_CIPHER_CTX* ctx, bool encrypt, ByteSpan key, ByteSpan nonce, ByteSpan aad) {
  const EVP_CIPHER* cipher = gcm_for(key.size());
  if (EVP_CipherInit_ex(ctx, cipher, nullptr, key.data(), nonce.data(), encrypt ? 1 : 0) != 1) {
    return ossl::fail("aes-gcm: init");
  }
  int len = 0;
  if (!aad.empty() &&
      EVP_CipherUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) {
    return ossl::fail("aes-gcm: aad");
  }
  return ok();
}

}  // namespace

Result<Bytes> aes_gcm_seal(ByteSpan key, ByteSpan nonce, ByteSpan aad, ByteSpan plaintext) {
  MR_RETURN_IF_ERROR(check_sizes(key, nonce, plaintext.size() + aad.size()));
  ossl::Ptr<EVP_CIPHER_CTX> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return ossl::fail("aes-gcm: context");
  MR_RETURN_IF_ERROR(gcm_init(ctx.get(), true, key, nonce, aad));
  Bytes out(plaintext.size() + kGcmTagSize);
  int len = 0;
  if (EVP_EncryptUpdate(ctx.get(), out.data(), &len, ptr(plaintext),
                        static_cast<int>(plaintext.size())) != 1) {
    return ossl::fail("aes-gcm: encrypt");
  }
  int fin = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &fin) != 1) {
    return ossl::fail("aes-gcm: final");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kGcmTagSize,
                          out.data() + plaintext.size()) != 1) {
    return ossl::fail("aes-gcm: tag");
  }
  return out;
}

Result<SecretBytes> aes_gcm_open(ByteSpan key, ByteSpan nonce, ByteSpan aad,
                                 ByteSpan ciphertext_and_tag) {
  MR_RETURN_IF_ERROR(check_sizes(key, nonce, ciphertext_and_tag.size() + aad.size()));
  if (ciphertext_and_tag.size() < kGcmTagSize) return auth_failed();
  const std::size_t ct_len = ciphertext_and_tag.size() - kGcmTagSize;
  ossl::Ptr<EVP_CIPHER_CTX> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return ossl::fail("aes-gcm: context");
  MR_RETURN_IF_ERROR(gcm_init(ctx.get(), false, key, nonce, aad));
  SecretBytes out(ct_len);
  int len = 0;
  // A null output buffer would mean "more AAD" to GCM, so an empty ciphertext skips the update.
  if (ct_len > 0 && EVP_DecryptUpdate(ctx.get(), out.data(), &len, ciphertext_and_tag.data(),
                                      static_cast<int>(ct_len)) != 1) {
    return auth_failed();
  }
  Bytes tag(ciphertext_and_tag.begin() + static_cast<std::ptrdiff_t>(ct_len),
            ciphertext_and_tag.end());
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGcmTagSize, tag.data()) != 1) {
    return ossl::fail("aes-gcm: tag");
  }
  unsigned char scratch[16];
  int fin = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), scratch, &fin) != 1) {
    secure_wipe(out.data(), out.size());
    return auth_failed();
  }
  return out;
}

Result<Bytes> aes_gcm_seal_random_nonce(ByteSpan key, ByteSpan aad, ByteSpan plaintext) {
  const Bytes nonce = random_bytes(kGcmNonceSize);
  MR_ASSIGN_OR_RETURN(Bytes sealed, aes_gcm_seal(key, nonce, aad, plaintext));
  Bytes out;
  out.reserve(nonce.size() + sealed.size());
  out.insert(out.end(), nonce.begin(), nonce.end());
  out.insert(out.end(), sealed.begin(), sealed.end());
  return out;
}

Result<SecretBytes> aes_gcm_open_with_nonce(ByteSpan key, ByteSpan aad, ByteSpan sealed) {
  if (gcm_for(key.size()) == nullptr) {
    return fail(ErrorCode::kInvalidArgument, "aes-gcm: key must be 16, 24 or 32 bytes");
  }
  if (sealed.size() < kGcmNonceSize + kGcmTagSize) return auth_failed();
  return aes_gcm_open(key, sealed.first(kGcmNonceSize), aad, sealed.subspan(kGcmNonceSize));
}

namespace {

// Configures |ctx| for OAEP with SHA-256 (OAEP and MGF1) and an empty label.
bool set_oaep(EVP_PKEY_CTX* ctx) {
  return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) == 1;
}

}  // namespace

Result<Bytes> rsa_oaep_encrypt(const PublicKey& key, ByteSpan plaintext) {
  if (key.type() != KeyType::kRsa) {
    return fail(ErrorCode::kInvalidArgument, "rsa-oaep: key is not an RSA key");
  }
  const std::size_t k = (key.bits() + 7) / 8;
  constexpr std::size_t kHashLen = 32;
  if (k < 2 * kHashLen + 2 || plaintext.size() > k - 2 * kHashLen - 2) {
    return fail(ErrorCode::kInvalidArgument, "rsa-oaep: message too long for RSA key size");
  }
  ossl::Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.impl().pkey.get(), nullptr));
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1 || !set_oaep(ctx.get())) {
    return ossl::fail("rsa-oaep: init");
  }
  std::size_t len = 0;
  if (EVP_PKEY_encrypt(ctx.get(), nullptr, &len, ptr(plaintext), plaintext.size()) != 1) {
    return ossl::fail("rsa-oaep: encrypt");
  }
  Bytes out(len);
  if (EVP_PKEY_encrypt(ctx.get(), out.data(), &len, ptr(plaintext), plaintext.size()) != 1) {
    return ossl::fail("rsa-oaep: encrypt");
  }
  out.resize(len);
  return out;
}

Result<SecretBytes> rsa_oaep_decrypt(const PrivateKey& key, ByteSpan ciphertext) {
  auto decryption_error = [] {
    ossl::clear_errors();
    return fail(ErrorCode::kInvalidArgument, "decryption error");
  };
  if (key.type() != KeyType::kRsa) return decryption_error();
  ossl::Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.impl().pkey.get(), nullptr));
  if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) != 1 || !set_oaep(ctx.get())) {
    return ossl::fail("rsa-oaep: init");
  }
  std::size_t len = 0;
  if (EVP_PKEY_decrypt(ctx.get(), nullptr, &len, ptr(ciphertext), ciphertext.size()) != 1) {
    return decryption_error();
  }
  SecretBytes out(len);
  if (EVP_PKEY_decrypt(ctx.get(), out.data(), &len, ptr(ciphertext), ciphertext.size()) != 1) {
    return decryption_error();
  }
  SecretBytes result(out.span().first(len));
  return result;
}

}  // namespace mr::crypto
