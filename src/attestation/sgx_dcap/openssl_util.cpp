#include "attestation/sgx_dcap/openssl_util.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <ctime>

#include "base/assert.h"

namespace mr::attestation::dcap {

namespace {

// SHA-256 fetched once: EVP_sha256() makes OpenSSL 3.0 look it up in its provider store (under a
// lock) on every use.
const EVP_MD* sha256_md() {
  static const EVP_MD* const kMd = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  return kMd;
}

}  // namespace

std::array<std::uint8_t, 32> sha256_digest(ByteSpan data) {
  std::array<std::uint8_t, 32> out{};
  unsigned int len = 0;
  // Hashing memory we hold cannot fail (SHA256() asserted nothing either).
  MR_ASSERT(EVP_Digest(data.data(), data.size(), out.data(), &len, sha256_md(), nullptr) == 1 &&
            len == out.size());
  return out;
}

Result<ossl::Ptr<EVP_PKEY>> p256_public_key_from_raw(ByteSpan xy) {
  if (xy.size() != 64)
    return fail(ErrorCode::kInvalidArgument, "P-256 public key must be 64 bytes");
  std::uint8_t point[65];
  point[0] = 0x04;
  std::copy(xy.begin(), xy.end(), point + 1);
  ossl::Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return ossl::fail("creating EC key context");
  char group[] = "prime256v1";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point),
      OSSL_PARAM_construct_end(),
  };
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) != 1 || raw == nullptr) {
    return ossl::fail("invalid P-256 public key", ErrorCode::kInvalidArgument);
  }
  return ossl::Ptr<EVP_PKEY>(raw);
}

Result<std::array<std::uint8_t, 64>> p256_public_key_to_raw(EVP_PKEY* key) {
  std::uint8_t point[65];
  std::size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof point,
                                      &len) != 1 ||
      len != 65 || point[0] != 0x04) {
    return ossl::fail("not an uncompressed P-256 public key", ErrorCode::kInvalidArgument);
  }
  std::array<std::uint8_t, 64> out{};
  std::copy(point + 1, point + 65, out.begin());
  return out;
}

Status verify_p256_raw(EVP_PKEY* key, ByteSpan message, ByteSpan rs) {
  if (rs.size() != 64) return fail(ErrorCode::kInvalidArgument, "ECDSA signature must be 64 bytes");
  ossl::Ptr<ECDSA_SIG> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(rs.data(), 32, nullptr);
  BIGNUM* s = BN_bin2bn(rs.data() + 32, 32, nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return ossl::fail("building ECDSA signature");
  }
  const Bytes der = ossl::to_der(i2d_ECDSA_SIG, static_cast<const ECDSA_SIG*>(sig.get()));
  if (der.empty()) return ossl::fail("encoding ECDSA signature");
  ossl::Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, sha256_md(), nullptr, key) != 1) {
    return ossl::fail("initialising signature verification");
  }
  const int rc =
      EVP_DigestVerify(ctx.get(), der.data(), der.size(), message.data(), message.size());
  if (rc != 1) {
    ossl::clear_errors();
    return fail(ErrorCode::kPermissionDenied, "signature verification failed");
  }
  return ok();
}

Result<std::array<std::uint8_t, 64>> sign_p256_raw(EVP_PKEY* key, ByteSpan message) {
  ossl::Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, sha256_md(), nullptr, key) != 1) {
    return ossl::fail("initialising signing");
  }
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1) {
    return ossl::fail("signing");
  }
  Bytes der(len);
  if (EVP_DigestSign(ctx.get(), der.data(), &len, message.data(), message.size()) != 1) {
    return ossl::fail("signing");
  }
  const unsigned char* p = der.data();
  ossl::Ptr<ECDSA_SIG> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (!sig) return ossl::fail("decoding ECDSA signature");
  std::array<std::uint8_t, 64> out{};
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out.data(), 32) != 32 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out.data() + 32, 32) != 32) {
    return ossl::fail("encoding r and s");
  }
  return out;
}

Result<ossl::Ptr<EVP_PKEY>> generate_p256_key() {
  ossl::Ptr<EVP_PKEY> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return ossl::fail("generating P-256 key");
  return key;
}

Result<std::vector<ossl::Ptr<X509>>> parse_pem_certificates(std::string_view pem) {
  std::vector<ossl::Ptr<X509>> out;
  ossl::Ptr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return ossl::fail("allocating BIO");
  while (true) {
    X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (cert == nullptr) break;
    out.emplace_back(cert);
  }
  ossl::clear_errors();  // the loop ends on "no start line"
  if (out.empty()) return fail(ErrorCode::kInvalidArgument, "no PEM certificate found");
  return out;
}

Result<ossl::Ptr<X509>> parse_der_certificate(ByteSpan der) {
  const unsigned char* p = der.data();
  ossl::Ptr<X509> cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) return ossl::fail("malformed certificate", ErrorCode::kInvalidArgument);
  return cert;
}

Result<ossl::Ptr<X509_CRL>> parse_der_crl(ByteSpan der) {
  const unsigned char* p = der.data();
  ossl::Ptr<X509_CRL> crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  if (!crl) return ossl::fail("malformed CRL", ErrorCode::kInvalidArgument);
  return crl;
}

Result<UnixTime> asn1_time_to_unix(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    return ossl::fail("malformed ASN.1 time", ErrorCode::kInvalidArgument);
  }
  return UnixTime(std::chrono::seconds(timegm(&tm)));
}

Bytes certificate_der(X509* cert) {
  return ossl::to_der(i2d_X509, static_cast<const X509*>(cert));
}

}  // namespace mr::attestation::dcap
