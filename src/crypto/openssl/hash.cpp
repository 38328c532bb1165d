// Hashes, HMAC, HKDF and randomness on OpenSSL 3.

#include "crypto/hash.h"

#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "base/assert.h"
#include "crypto/openssl/impl.h"

namespace mr::crypto {
namespace {

// OpenSSL takes a non-null pointer even for empty input.
const unsigned char* ptr(ByteSpan b) {
  static const unsigned char kEmpty = 0;
  return b.empty() ? &kEmpty : b.data();
}

template <std::size_t N>
std::array<std::uint8_t, N> fixed_digest(const EVP_MD* md, ByteSpan data) {
  std::array<std::uint8_t, N> out{};
  unsigned int len = 0;
  MR_ASSERT(EVP_Digest(ptr(data), data.size(), out.data(), &len, md, nullptr) == 1 && len == N);
  return out;
}

}  // namespace

namespace detail {

const EVP_MD* md_for(HashAlg alg) {
  // Fetched once and kept for the process: OpenSSL 3.0 looks EVP_sha256() & co. up in its
  // provider store (under a lock) on every use.
  static const EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  static const EVP_MD* const kSha384 = EVP_MD_fetch(nullptr, "SHA2-384", nullptr);
  static const EVP_MD* const kSha512 = EVP_MD_fetch(nullptr, "SHA2-512", nullptr);
  const EVP_MD* md = alg == HashAlg::kSha384   ? kSha384
                     : alg == HashAlg::kSha512 ? kSha512
                                               : kSha256;
  MR_ASSERT(md != nullptr);
  return md;
}

Bytes sha1(ByteSpan data) {
  auto d = fixed_digest<20>(EVP_sha1(), data);
  return Bytes(d.begin(), d.end());
}

}  // namespace detail

Sha256Digest sha256(ByteSpan data) {
  return fixed_digest<32>(detail::md_for(HashAlg::kSha256), data);
}

Sha384Digest sha384(ByteSpan data) {
  return fixed_digest<48>(detail::md_for(HashAlg::kSha384), data);
}

Bytes digest(HashAlg alg, ByteSpan data) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  MR_ASSERT(EVP_Digest(ptr(data), data.size(), out.data(), &len, detail::md_for(alg), nullptr) ==
            1);
  out.resize(len);
  return out;
}

struct Sha256::Impl {
  ossl::Ptr<EVP_MD_CTX> ctx;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx.reset(EVP_MD_CTX_new());
  MR_ASSERT(impl_->ctx &&
            EVP_DigestInit_ex(impl_->ctx.get(), detail::md_for(HashAlg::kSha256), nullptr) == 1);
}

Sha256::~Sha256() = default;

void Sha256::update(ByteSpan data) {
  MR_ASSERT(EVP_DigestUpdate(impl_->ctx.get(), ptr(data), data.size()) == 1);
}

Sha256Digest Sha256::finish() {
  Sha256Digest out{};
  unsigned int len = 0;
  MR_ASSERT(EVP_DigestFinal_ex(impl_->ctx.get(), out.data(), &len) == 1 && len == out.size());
  return out;
}

Sha256Digest hmac_sha256(ByteSpan key, ByteSpan data) {
  Sha256Digest out{};
  unsigned int len = 0;
  // HMAC() accepts an empty key (Go's hmac.New does too); EVP_Q_mac refuses a null key.
  MR_ASSERT(HMAC(EVP_sha256(), ptr(key), static_cast<int>(key.size()), ptr(data), data.size(),
                 out.data(), &len) != nullptr &&
            len == out.size());
  return out;
}

Result<SecretBytes> hkdf_sha256(ByteSpan ikm, ByteSpan salt, ByteSpan info, std::size_t length) {
  if (length > 255 * 32) {
    return fail(ErrorCode::kInvalidArgument, "hkdf: requested length exceeds 255*HashLen");
  }
  if (length == 0) return SecretBytes();
  static EVP_KDF* const kHkdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);  // fetched once
  if (kHkdf == nullptr) return ossl::fail("fetching HKDF");
  ossl::Ptr<EVP_KDF_CTX> ctx(EVP_KDF_CTX_new(kHkdf));
  if (!ctx) return ossl::fail("creating HKDF context");
  char digest_name[] = "SHA256";
  int mode = EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND;
  // An empty salt means HashLen zero bytes (RFC 5869 2.2); OpenSSL does that when it is unset.
  // An empty IKM is legal too; OpenSSL wants a key parameter, which may have length 0.
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<unsigned char*>(ptr(ikm)),
                                        ikm.size()),
      salt.empty() ? OSSL_PARAM_construct_end()
                   : OSSL_PARAM_construct_octet_string(
                         OSSL_KDF_PARAM_SALT, const_cast<unsigned char*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_KDF_CTX_set_params(ctx.get(), params) != 1) return ossl::fail("configuring HKDF");
  if (!info.empty()) {
    const OSSL_PARAM info_params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                          const_cast<unsigned char*>(info.data()), info.size()),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_KDF_CTX_set_params(ctx.get(), info_params) != 1) return ossl::fail("configuring HKDF");
  }
  SecretBytes out(length);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), nullptr) != 1) {
    return ossl::fail("deriving HKDF output");
  }
  return out;
}

namespace {

// Fills |n| bytes in chunks that fit RAND_bytes' int length; aborts if the CSPRNG fails.
void fill_random(std::uint8_t* p, std::size_t n) {
  constexpr std::size_t kChunk = std::size_t{1} << 30;
  while (n > 0) {
    const std::size_t len = n < kChunk ? n : kChunk;
    MR_ASSERT(RAND_bytes(p, static_cast<int>(len)) == 1);
    p += len;
    n -= len;
  }
}

}  // namespace

Bytes random_bytes(std::size_t n) {
  Bytes out(n);
  fill_random(out.data(), n);
  return out;
}

SecretBytes random_secret(std::size_t n) {
  SecretBytes out(n);
  fill_random(out.data(), n);
  return out;
}

}  // namespace mr::crypto
