// PublicKey / PrivateKey on OpenSSL 3: generation, PKIX / PKCS#8 / SEC1 / PEM encodings.

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/obj_mac.h>
#include <openssl/provider.h>

#include <cstring>
#include <optional>

#include "base/assert.h"
#include "crypto/openssl/der.h"
#include "crypto/openssl/impl.h"
#include "crypto/pem.h"

namespace mr::crypto {
namespace {

constexpr unsigned kMinRsaBits = 1024;
constexpr unsigned kMaxRsaBits = 16384;  // OPENSSL_RSA_MAX_MODULUS_BITS

using detail::invalid;

const char* curve_name(Curve c) {
  switch (c) {
    case Curve::kP224:
      return "P-224";
    case Curve::kP256:
      return "P-256";
    case Curve::kP384:
      return "P-384";
    case Curve::kP521:
      return "P-521";
    case Curve::kNone:
      break;
  }
  return nullptr;
}

Result<Curve> curve_of(const EVP_PKEY* pkey) {
  char name[80] = {};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len) !=
      1) {
    return invalid("x509: unsupported elliptic curve");
  }
  switch (OBJ_txt2nid(name)) {
    case NID_secp224r1:
      return Curve::kP224;
    case NID_X9_62_prime256v1:
      return Curve::kP256;
    case NID_secp384r1:
      return Curve::kP384;
    case NID_secp521r1:
      return Curve::kP521;
    default:
      return invalid("x509: unsupported elliptic curve");
  }
}

// Runs an OSSL_ENCODER over |pkey| into a SecretBytes (the library buffer is cleansed).
Result<SecretBytes> encode_private(const EVP_PKEY* pkey, const char* structure) {
  ossl::Ptr<OSSL_ENCODER_CTX> ctx(
      OSSL_ENCODER_CTX_new_for_pkey(pkey, EVP_PKEY_KEYPAIR, "DER", structure, nullptr));
  if (!ctx || OSSL_ENCODER_CTX_get_num_encoders(ctx.get()) == 0) {
    return ossl::fail("encoding private key: no encoder");
  }
  unsigned char* data = nullptr;
  std::size_t len = 0;
  if (OSSL_ENCODER_to_data(ctx.get(), &data, &len) != 1) {
    return ossl::fail("encoding private key");
  }
  SecretBytes out(ByteSpan(data, len));
  OPENSSL_clear_free(data, len);
  return out;
}

// Decodes DER private key |der| of |structure| ("PrivateKeyInfo" or "type-specific"), optionally
// restricted to |key_type|; trailing data is refused.
Result<PrivateKey> decode_private(ByteSpan der, const char* structure, const char* key_type,
                                  std::string_view what) {
  EVP_PKEY* raw = nullptr;
  ossl::Ptr<OSSL_DECODER_CTX> ctx(OSSL_DECODER_CTX_new_for_pkey(
      &raw, "DER", structure, key_type, EVP_PKEY_KEYPAIR, nullptr, nullptr));
  if (!ctx) return ossl::fail("creating key decoder");
  const unsigned char* p = der.data();
  std::size_t left = der.size();
  if (der.empty() || OSSL_DECODER_from_data(ctx.get(), &p, &left) != 1 || raw == nullptr) {
    EVP_PKEY_free(raw);
    return invalid(fmt::format("x509: failed to parse {}", what));
  }
  ossl::Ptr<EVP_PKEY> pkey(raw);
  if (left != 0) return invalid(fmt::format("x509: trailing data after {}", what));
  // Go derives the EC public key from the private scalar; refuse encodings where they disagree.
  if (EVP_PKEY_get_base_id(pkey.get()) == EVP_PKEY_EC) {
    ossl::Ptr<EVP_PKEY_CTX> check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
    if (!check || EVP_PKEY_pairwise_check(check.get()) != 1) {
      return invalid(fmt::format("x509: invalid {}: public key does not match", what));
    }
  }
  return detail::make_private_key(std::move(pkey));
}

// Returns the subjectPublicKey BIT STRING contents of a SubjectPublicKeyInfo (empty if malformed).
Bytes spki_bits(ByteSpan spki_der) {
  der::Reader r(spki_der);
  ByteSpan spki, bits;
  if (!r.read(der::kSequence, &spki)) return {};
  der::Reader s(spki);
  if (!s.read_element(nullptr) || !s.read(der::kBitString, &bits) || bits.size() < 2) return {};
  return Bytes(bits.begin() + 1, bits.end());
}

// Wipes a std::string holding secret text before it is released.
void wipe(std::string& s) {
  if (!s.empty()) secure_wipe(s.data(), s.size());
}

// Fills in the type, curve and size of |impl| from |pkey|.
Status describe(const EVP_PKEY* pkey, PublicKey::Impl& impl) {
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_EC: {
      impl.type = KeyType::kEc;
      MR_ASSIGN_OR_RETURN(impl.curve, curve_of(pkey));
      static constexpr unsigned kBits[] = {0, 224, 256, 384, 521};
      impl.bits = kBits[static_cast<int>(impl.curve)];
      return ok();
    }
    case EVP_PKEY_RSA:
      impl.type = KeyType::kRsa;
      impl.bits = static_cast<unsigned>(EVP_PKEY_get_bits(pkey));
      return ok();
    case EVP_PKEY_ED25519:
      impl.type = KeyType::kEd25519;
      impl.bits = 255;
      return ok();
    default:
      return invalid("x509: unsupported public key type");
  }
}

// Go only accepts uncompressed EC points (elliptic.Unmarshal).
Status check_point(const PublicKey::Impl& impl) {
  if (impl.type != KeyType::kEc) return ok();
  const Bytes point = spki_bits(impl.der);
  if (point.empty() || point[0] != 0x04) {
    return invalid("x509: unsupported elliptic curve point encoding");
  }
  return ok();
}

// The SubjectPublicKeyInfo AlgorithmIdentifier OIDs of the keys generated here.
constexpr std::string_view kOidEcPublicKey = "1.2.840.10045.2.1";
constexpr std::string_view kOidEd25519 = "1.3.101.112";

std::string_view curve_oid(Curve c) {
  switch (c) {
    case Curve::kP224:
      return "1.3.132.0.33";
    case Curve::kP256:
      return "1.2.840.10045.3.1.7";
    case Curve::kP384:
      return "1.3.132.0.34";
    case Curve::kP521:
      return "1.3.132.0.35";
    case Curve::kNone:
      break;
  }
  return {};
}

// ec_pkcs8 writes the PKCS#8 PrivateKeyInfo of an EC key pair, byte for byte what OpenSSL's
// encoder writes (and Go's MarshalPKCS8PrivateKey): the curve named in the algorithm, an
// ECPrivateKey of version 1 with the scalar padded to the curve's size and the public point, no
// parameters. OpenSSL 3.0 builds a whole encoder chain per call otherwise (one per activation).
// The output is assembled in one buffer reserved up front, so the scalar leaves no copy behind.
std::optional<SecretBytes> ec_pkcs8(const EVP_PKEY* pkey, const PublicKey::Impl& pub) {
  static constexpr std::size_t kScalarSize[] = {0, 28, 32, 48, 66};
  const std::size_t n = kScalarSize[static_cast<int>(pub.curve)];
  const Bytes point = spki_bits(pub.der);
  if (pub.type != KeyType::kEc || n == 0 || point.empty()) return std::nullopt;
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &raw) != 1) return std::nullopt;
  const std::unique_ptr<BIGNUM, decltype(&BN_clear_free)> d(raw, BN_clear_free);
  const Bytes algorithm = der::tlv(
      der::kSequence, der::concat({der::oid(kOidEcPublicKey), der::oid(curve_oid(pub.curve))}));

  using der::tlv_size;
  const std::size_t bits = tlv_size(point.size() + 1);
  const std::size_t ec_key = 3 + tlv_size(n) + tlv_size(bits);  // version, scalar, [1] point
  const std::size_t info = 3 + algorithm.size() + tlv_size(tlv_size(ec_key));
  const std::size_t total = tlv_size(info);
  Bytes out;
  out.reserve(total);
  der::append_header(out, der::kSequence, info);
  out.insert(out.end(), {der::kInteger, 1, 0});
  out.insert(out.end(), algorithm.begin(), algorithm.end());
  der::append_header(out, der::kOctetString, tlv_size(ec_key));
  der::append_header(out, der::kSequence, ec_key);
  out.insert(out.end(), {der::kInteger, 1, 1});
  der::append_header(out, der::kOctetString, n);
  out.resize(out.size() + n);
  const bool written = BN_bn2binpad(d.get(), out.data() + out.size() - n, static_cast<int>(n)) ==
                       static_cast<int>(n);
  der::append_header(out, der::context(1, true), bits);
  der::append_header(out, der::kBitString, point.size() + 1);
  out.push_back(0);  // no unused bits
  out.insert(out.end(), point.begin(), point.end());
  MR_ASSERT(out.size() == total && out.capacity() == total);  // never reallocated
  SecretBytes der(std::move(out));
  if (!written) return std::nullopt;
  return der;
}

// A public-only copy of |keypair| (exported and imported through the key manager, which is much
// cheaper on OpenSSL 3.0 than an encoder and decoder round trip).
Result<ossl::Ptr<EVP_PKEY>> public_only(const EVP_PKEY* keypair) {
  OSSL_PARAM* raw_params = nullptr;
  if (EVP_PKEY_todata(keypair, EVP_PKEY_PUBLIC_KEY, &raw_params) != 1) {
    return ossl::fail("exporting public key");
  }
  const std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(raw_params, OSSL_PARAM_free);
  ossl::Ptr<EVP_PKEY_CTX> ctx(
      EVP_PKEY_CTX_new_from_pkey(nullptr, const_cast<EVP_PKEY*>(keypair), nullptr));
  EVP_PKEY* out = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &out, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    EVP_PKEY_free(out);
    return ossl::fail("importing public key");
  }
  return ossl::Ptr<EVP_PKEY>(out);
}

// The PublicKey of a key pair the library holds (a generated or decoded private key). EC and
// Ed25519 SubjectPublicKeyInfo are written here, byte for byte what i2d_PUBKEY writes (and Go's
// MarshalPKIXPublicKey), because OpenSSL 3.0 builds a whole encoder chain per i2d_PUBKEY call.
Result<PublicKey> public_half(const EVP_PKEY* keypair) {
  auto impl = std::make_shared<PublicKey::Impl>();
  MR_RETURN_IF_ERROR(describe(keypair, *impl));
  Bytes algorithm;
  const char* param = nullptr;
  switch (impl->type) {
    case KeyType::kEc:
      algorithm =
          der::tlv(der::kSequence,
                   der::concat({der::oid(kOidEcPublicKey), der::oid(curve_oid(impl->curve))}));
      param = OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY;
      break;
    case KeyType::kEd25519:
      algorithm = der::tlv(der::kSequence, der::oid(kOidEd25519));
      param = OSSL_PKEY_PARAM_PUB_KEY;
      break;
    case KeyType::kRsa:
      return detail::make_public_key(keypair);  // RSA keys are rare here: the library's encoder
  }
  unsigned char key[200];  // an uncompressed P-521 point is 133 bytes, an Ed25519 key 32
  std::size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(keypair, param, key, sizeof key, &len) != 1 || len == 0) {
    return ossl::fail("reading public key");
  }
  Bytes bits(len + 1, 0);  // BIT STRING contents: no unused bits, then the key
  std::memcpy(bits.data() + 1, key, len);
  impl->der = der::tlv(der::kSequence, der::concat({algorithm, der::tlv(der::kBitString, bits)}));
  MR_RETURN_IF_ERROR(check_point(*impl));
  MR_ASSIGN_OR_RETURN(impl->pkey, public_only(keypair));
  return PublicKey(std::move(impl));
}

}  // namespace

namespace detail {

Result<PublicKey> make_public_key(const EVP_PKEY* pkey) {
  auto impl = std::make_shared<PublicKey::Impl>();
  MR_RETURN_IF_ERROR(describe(pkey, *impl));
  impl->der = ossl::to_der<EVP_PKEY>(i2d_PUBKEY, pkey);
  if (impl->der.empty()) return ossl::fail("encoding public key");
  MR_RETURN_IF_ERROR(check_point(*impl));
  // Keep a public-only EVP_PKEY so that a PublicKey never carries private material.
  const unsigned char* p = impl->der.data();
  impl->pkey.reset(d2i_PUBKEY(nullptr, &p, static_cast<long>(impl->der.size())));
  if (!impl->pkey) return ossl::fail("re-reading public key");
  return PublicKey(std::move(impl));
}

Result<PublicKey> public_key_from_spki(const X509_PUBKEY* spki) {
  EVP_PKEY* pkey = X509_PUBKEY_get0(spki);
  if (pkey == nullptr) return invalid("x509: malformed or unsupported public key");
  auto impl = std::make_shared<PublicKey::Impl>();
  MR_RETURN_IF_ERROR(describe(pkey, *impl));
  if (impl->type == KeyType::kEc) {
    // Go accepts named curves only: the algorithm's parameters must be a curve OID.
    X509_ALGOR* alg = nullptr;
    int ptype = V_ASN1_UNDEF;
    if (X509_PUBKEY_get0_param(nullptr, nullptr, nullptr, &alg, spki) != 1 || alg == nullptr) {
      return invalid("x509: malformed public key");
    }
    X509_ALGOR_get0(nullptr, &ptype, nullptr, alg);
    if (ptype != V_ASN1_OBJECT) return invalid("x509: unsupported elliptic curve");
  }
  impl->der = ossl::to_der<X509_PUBKEY>(i2d_X509_PUBKEY, spki);
  if (impl->der.empty()) return ossl::fail("encoding public key");
  MR_RETURN_IF_ERROR(check_point(*impl));
  // The parsed structure's key holds public components only: share it.
  if (EVP_PKEY_up_ref(pkey) != 1) return ossl::fail("referencing public key");
  impl->pkey.reset(pkey);
  return PublicKey(std::move(impl));
}

OSSL_LIB_CTX* keyless_libctx() {
  // Made once and kept for the life of the process (freed neither before nor after OpenSSL's
  // own clean-up at exit).
  static OSSL_LIB_CTX* const ctx = [] {
    OSSL_LIB_CTX* c = OSSL_LIB_CTX_new();
    const OSSL_PROVIDER* null = c != nullptr ? OSSL_PROVIDER_load(c, "null") : nullptr;
    MR_ASSERT(null != nullptr);
    return c;
  }();
  return ctx;
}

std::optional<PublicKey> public_key_from_named_curve_spki(const X509_PUBKEY* spki) {
  ASN1_OBJECT* algorithm = nullptr;
  const unsigned char* point = nullptr;
  int point_len = 0;
  X509_ALGOR* alg = nullptr;
  if (X509_PUBKEY_get0_param(&algorithm, &point, &point_len, &alg, spki) != 1 ||
      OBJ_obj2nid(algorithm) != NID_X9_62_id_ecPublicKey || point_len < 1 || point[0] != 0x04) {
    return std::nullopt;
  }
  int ptype = V_ASN1_UNDEF;
  const void* pval = nullptr;
  X509_ALGOR_get0(nullptr, &ptype, &pval, alg);
  if (ptype != V_ASN1_OBJECT) return std::nullopt;
  const char* group = nullptr;
  switch (OBJ_obj2nid(static_cast<const ASN1_OBJECT*>(pval))) {
    case NID_secp224r1:
      group = "P-224";
      break;
    case NID_X9_62_prime256v1:
      group = "P-256";
      break;
    case NID_secp384r1:
      group = "P-384";
      break;
    case NID_secp521r1:
      group = "P-521";
      break;
    default:
      return std::nullopt;
  }
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, const_cast<unsigned char*>(point),
                                        static_cast<std::size_t>(point_len)),
      OSSL_PARAM_construct_end()};
  ossl::Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  // The import decodes the point and refuses one that is not on the curve.
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    EVP_PKEY_free(raw);
    ossl::clear_errors();
    return std::nullopt;
  }
  ossl::Ptr<EVP_PKEY> pkey(raw);
  auto impl = std::make_shared<PublicKey::Impl>();
  impl->der = ossl::to_der<X509_PUBKEY>(i2d_X509_PUBKEY, spki);
  if (impl->der.empty() || !describe(pkey.get(), *impl) || !check_point(*impl)) {
    ossl::clear_errors();
    return std::nullopt;
  }
  impl->pkey = std::move(pkey);
  return PublicKey(std::move(impl));
}

Result<PrivateKey> make_private_key(ossl::Ptr<EVP_PKEY> pkey) {
  if (EVP_PKEY_get_base_id(pkey.get()) == EVP_PKEY_RSA &&
      EVP_PKEY_get_bits(pkey.get()) < static_cast<int>(kMinRsaBits)) {
    return invalid("rsa: keys smaller than 1024 bits are insecure");
  }
  MR_ASSIGN_OR_RETURN(PublicKey pub, public_half(pkey.get()));
  return PrivateKey(std::make_shared<const PrivateKey::Impl>(std::move(pkey), std::move(pub)));
}

Bytes spki_key_bytes(const PublicKey& key) {
  return spki_bits(key.to_der());
}

Status set_spki(X509_PUBKEY* dst, const PublicKey& key) {
  // SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING
  // }
  der::Reader r(key.to_der());
  ByteSpan spki, algorithm, bits;
  if (!r.read(der::kSequence, &spki)) return ossl::fail("x509: malformed public key");
  der::Reader fields(spki);
  if (!fields.read_element(&algorithm) || !fields.read(der::kBitString, &bits) || bits.empty() ||
      bits[0] != 0) {
    return ossl::fail("x509: malformed public key");
  }
  const unsigned char* p = algorithm.data();
  ossl::Ptr<X509_ALGOR> alg(d2i_X509_ALGOR(nullptr, &p, static_cast<long>(algorithm.size())));
  if (!alg) return ossl::fail("x509: malformed public key algorithm");
  const ASN1_OBJECT* oid = nullptr;
  int ptype = V_ASN1_UNDEF;
  const void* pval = nullptr;
  X509_ALGOR_get0(&oid, &ptype, &pval, alg.get());
  ossl::Ptr<ASN1_OBJECT> oid_copy(OBJ_dup(oid));
  ossl::Ptr<ASN1_OBJECT> curve;   // V_ASN1_OBJECT parameters (an EC key's named curve)
  ossl::Ptr<ASN1_STRING> params;  // V_ASN1_SEQUENCE parameters (e.g. RSA-PSS)
  void* param = nullptr;
  switch (ptype) {
    case V_ASN1_UNDEF:
    case V_ASN1_NULL:
      break;
    case V_ASN1_OBJECT:
      curve.reset(OBJ_dup(static_cast<const ASN1_OBJECT*>(pval)));
      param = curve.get();
      break;
    case V_ASN1_SEQUENCE:
      params.reset(ASN1_STRING_dup(static_cast<const ASN1_STRING*>(pval)));
      param = params.get();
      break;
    default:
      return fail(ErrorCode::kInvalidArgument, "x509: unsupported public key parameters");
  }
  const auto key_len = static_cast<int>(bits.size() - 1);
  auto* key_copy = static_cast<unsigned char*>(OPENSSL_memdup(bits.data() + 1, bits.size() - 1));
  if (!oid_copy || (param == nullptr && (ptype == V_ASN1_OBJECT || ptype == V_ASN1_SEQUENCE)) ||
      (key_copy == nullptr && key_len > 0) ||
      X509_PUBKEY_set0_param(dst, oid_copy.get(), ptype, param, key_copy, key_len) != 1) {
    OPENSSL_free(key_copy);
    return ossl::fail("x509: setting public key");
  }
  // |dst| owns them now.
  (void)oid_copy.release();
  (void)curve.release();
  (void)params.release();
  return ok();
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// PublicKey

Result<PublicKey> PublicKey::from_der(ByteSpan pkix) {
  const unsigned char* p = pkix.data();
  ossl::Ptr<EVP_PKEY> pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(pkix.size())));
  if (!pkey) return invalid("x509: failed to parse public key");
  if (p != pkix.data() + pkix.size()) return invalid("x509: trailing data after public key");
  return detail::make_public_key(pkey.get());
}

Result<PublicKey> PublicKey::from_pem(std::string_view pem) {
  auto block = pem_decode_first(pem);
  if (!block) return invalid("no PEM block found");
  if (block->type != "PUBLIC KEY") return invalid("PEM block is not of type PUBLIC KEY");
  return from_der(block->der);
}

const Bytes& PublicKey::to_der() const {
  return impl_->der;
}
std::string PublicKey::to_pem() const {
  return pem_encode("PUBLIC KEY", impl_->der);
}
KeyType PublicKey::type() const {
  return impl_->type;
}
Curve PublicKey::curve() const {
  return impl_->curve;
}
unsigned PublicKey::bits() const {
  return impl_->bits;
}

// ---------------------------------------------------------------------------------------------
// PrivateKey

Result<PrivateKey> PrivateKey::generate(const KeySpec& spec) {
  EVP_PKEY* raw = nullptr;
  switch (spec.type) {
    case KeyType::kEc: {
      const char* name = curve_name(spec.curve);
      if (name == nullptr) return invalid("unsupported elliptic curve");
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", name);
      break;
    }
    case KeyType::kRsa:
      if (spec.rsa_bits < kMinRsaBits) {
        return invalid("rsa: keys smaller than 1024 bits are insecure");
      }
      if (spec.rsa_bits > kMaxRsaBits) return invalid("rsa: key size too large");
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(spec.rsa_bits));
      break;
    case KeyType::kEd25519:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (raw == nullptr) return ossl::fail("generating key");
  return detail::make_private_key(ossl::Ptr<EVP_PKEY>(raw));
}

Result<PrivateKey> PrivateKey::from_pkcs8_der(ByteSpan der) {
  return decode_private(der, "PrivateKeyInfo", nullptr, "PKCS#8 private key");
}

Result<PrivateKey> PrivateKey::from_sec1_der(ByteSpan der) {
  return decode_private(der, "type-specific", "EC", "EC private key");
}

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem) {
  std::string_view rest = pem;
  while (auto block = pem_decode_first(rest, &rest)) {
    std::optional<Result<PrivateKey>> key;
    if (block->type == "PRIVATE KEY") {
      key = from_pkcs8_der(block->der);
    } else if (block->type == "EC PRIVATE KEY") {
      key = from_sec1_der(block->der);
    } else if (block->type == "RSA PRIVATE KEY") {
      key = decode_private(block->der, "type-specific", "RSA", "PKCS#1 private key");
    }
    if (!block->der.empty()) secure_wipe(block->der.data(), block->der.size());
    if (key) return std::move(*key);
  }
  return invalid("no PEM block of type PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY found");
}

SecretBytes PrivateKey::to_pkcs8_der() const {
  if (std::optional<SecretBytes> ec = ec_pkcs8(impl_->pkey.get(), impl_->public_key.impl())) {
    return std::move(*ec);
  }
  auto der = encode_private(impl_->pkey.get(), "PrivateKeyInfo");
  MR_ASSERT(der.has_value());  // encoding a key we hold cannot fail
  return std::move(*der);
}

Result<SecretBytes> PrivateKey::to_sec1_der() const {
  if (type() != KeyType::kEc) {
    return fail(ErrorCode::kInvalidArgument, "SEC1 encoding is only defined for EC keys");
  }
  return encode_private(impl_->pkey.get(), "type-specific");
}

SecretBytes PrivateKey::to_pem() const {
  const SecretBytes der = to_pkcs8_der();
  std::string text = pem_encode("PRIVATE KEY", der.span());
  SecretBytes out(as_bytes(text));
  wipe(text);
  return out;
}

PublicKey PrivateKey::public_key() const {
  return impl_->public_key;
}
KeyType PrivateKey::type() const {
  return impl_->public_key.type();
}

}  // namespace mr::crypto
