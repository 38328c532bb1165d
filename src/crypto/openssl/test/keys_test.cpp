#include "crypto/keys.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>

#include "crypto/cipher.h"
#include "crypto/openssl/der.h"
#include "crypto/openssl/impl.h"
#include "crypto/openssl/test/test_util.h"
#include "crypto/pem.h"

namespace mr::crypto {
namespace {

using testing::hex;

struct KeyCase {
  const char* name;
  const PrivateKey& (*key)();
  KeyType type;
  Curve curve;
  unsigned bits;
  const char* alg_id_hex;  // expected PKCS#8 / PKIX AlgorithmIdentifier DER
};

const KeyCase kKeyCases[] = {
    {"P-224", testing::p224, KeyType::kEc, Curve::kP224, 224,
     "301006072a8648ce3d020106052b81040021"},
    {"P-256", testing::p256, KeyType::kEc, Curve::kP256, 256,
     "301306072a8648ce3d020106082a8648ce3d030107"},
    {"P-384", testing::p384, KeyType::kEc, Curve::kP384, 384,
     "301006072a8648ce3d020106052b81040022"},
    {"P-521", testing::p521, KeyType::kEc, Curve::kP521, 521,
     "301006072a8648ce3d020106052b81040023"},
    {"RSA-2048", testing::rsa2048, KeyType::kRsa, Curve::kNone, 2048,
     "300d06092a864886f70d0101010500"},
    {"Ed25519", testing::ed25519, KeyType::kEd25519, Curve::kNone, 255, "300506032b6570"},
};

// Splits SEQUENCE { a, b, c, ... } into its elements' full encodings.
std::vector<Bytes> elements(ByteSpan der) {
  der::Reader outer(der);
  ByteSpan body;
  EXPECT_TRUE(outer.read(der::kSequence, &body));
  std::vector<Bytes> out;
  der::Reader r(body);
  ByteSpan e;
  while (r.read_element(&e))
    out.emplace_back(e.begin(), e.end());
  EXPECT_TRUE(r.empty());
  return out;
}

TEST(Keys, PropertiesOfEveryType) {
  for (const KeyCase& c : kKeyCases) {
    SCOPED_TRACE(c.name);
    const PrivateKey& key = c.key();
    EXPECT_EQ(key.type(), c.type);
    const PublicKey pub = key.public_key();
    EXPECT_EQ(pub.type(), c.type);
    EXPECT_EQ(pub.curve(), c.curve);
    EXPECT_EQ(pub.bits(), c.bits);
  }
}

TEST(Keys, PkixDerAndPemRoundTrip) {
  for (const KeyCase& c : kKeyCases) {
    SCOPED_TRACE(c.name);
    const PublicKey pub = c.key().public_key();
    const auto parts = elements(pub.to_der());
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(hex_encode(parts[0]), c.alg_id_hex);
    if (c.type == KeyType::kEc) {
      der::Reader bits(parts[1]);
      ByteSpan contents;
      ASSERT_TRUE(bits.read(der::kBitString, &contents));
      ASSERT_GE(contents.size(), 2u);
      EXPECT_EQ(contents[0], 0);  // no unused bits
      EXPECT_EQ(contents[1], 0x04) << "Go only emits uncompressed points";
      EXPECT_EQ(contents.size(), 2 + 2 * ((c.bits + 7) / 8));
    }
    auto back = PublicKey::from_der(pub.to_der());
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, pub);
    EXPECT_EQ(back->bits(), c.bits);
    const std::string pem = pub.to_pem();
    EXPECT_TRUE(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    EXPECT_TRUE(pem.ends_with("-----END PUBLIC KEY-----\n"));
    auto from_pem = PublicKey::from_pem(pem);
    ASSERT_TRUE(from_pem);
    EXPECT_EQ(*from_pem, pub);
  }
}

TEST(Keys, Pkcs8RoundTripAndStructure) {
  for (const KeyCase& c : kKeyCases) {
    SCOPED_TRACE(c.name);
    const PrivateKey& key = c.key();
    const SecretBytes der = key.to_pkcs8_der();
    const auto parts = elements(der.span());
    ASSERT_EQ(parts.size(), 3u) << "no attributes or public key field, as Go";
    EXPECT_EQ(hex_encode(parts[0]), "020100");
    EXPECT_EQ(hex_encode(parts[1]), c.alg_id_hex);
    if (c.type == KeyType::kEc) {
      // Go's marshalECPrivateKeyWithOID(key, nil): version 1, key, no [0] params, [1] public key.
      der::Reader r(parts[2]);
      ByteSpan inner;
      ASSERT_TRUE(r.read(der::kOctetString, &inner));
      const auto ec = elements(inner);
      ASSERT_EQ(ec.size(), 3u);
      EXPECT_EQ(hex_encode(ec[0]), "020101");
      EXPECT_EQ(ec[1][1], (c.bits + 7) / 8);
      EXPECT_EQ(ec[2][0], der::context(1, true));
    }
    auto back = PrivateKey::from_pkcs8_der(der.span());
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->public_key(), key.public_key());
    EXPECT_TRUE(back->to_pkcs8_der().equals(der.span()));
  }
}

// PKCS#8 of EC keys is written directly (no encoder chain): byte for byte the library's, for
// every curve, and for scalars whose first byte is zero (padded to the curve's size).
TEST(Keys, Pkcs8OfEcKeysIsTheLibrarysEncoding) {
  const auto library = [](const PrivateKey& key) {
    ossl::Ptr<BIO> bio(BIO_new(BIO_s_mem()));
    EXPECT_EQ(i2d_PKCS8PrivateKey_bio(bio.get(), key.impl().pkey.get(), nullptr, nullptr, 0,
                                      nullptr, nullptr),
              1);
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return hex_encode(
        ByteSpan(reinterpret_cast<const std::uint8_t*>(data), static_cast<std::size_t>(len)));
  };
  for (Curve curve : {Curve::kP224, Curve::kP256, Curve::kP384, Curve::kP521}) {
    SCOPED_TRACE(static_cast<int>(curve));
    for (int i = 0; i < 8; ++i) {
      auto key = PrivateKey::generate(KeySpec::ec(curve));
      ASSERT_TRUE(key);
      EXPECT_EQ(hex_encode(key->to_pkcs8_der().span()), library(*key));
    }
  }
  bool padded = false;
  for (int i = 0; i < 20000 && !padded; ++i) {
    auto key = PrivateKey::generate(KeySpec::ec(Curve::kP256));
    ASSERT_TRUE(key);
    BIGNUM* d = nullptr;
    ASSERT_EQ(EVP_PKEY_get_bn_param(key->impl().pkey.get(), OSSL_PKEY_PARAM_PRIV_KEY, &d), 1);
    padded = BN_num_bytes(d) < 32;
    BN_clear_free(d);
    if (padded) {
      EXPECT_EQ(hex_encode(key->to_pkcs8_der().span()), library(*key));
    }
  }
  EXPECT_TRUE(padded) << "no P-256 scalar with a leading zero byte in 20000 keys";
}

TEST(Keys, PemRoundTripUsesPrivateKeyForEveryType) {
  for (const KeyCase& c : kKeyCases) {
    SCOPED_TRACE(c.name);
    const SecretBytes pem = c.key().to_pem();
    EXPECT_TRUE(pem.view().starts_with("-----BEGIN PRIVATE KEY-----\n"));
    auto back = PrivateKey::from_pem(pem.view());
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->public_key(), c.key().public_key());
  }
}

TEST(Keys, Sec1MatchesGoMarshalEcPrivateKey) {
  const struct {
    const PrivateKey& key;
    std::size_t scalar_len;
    const char* curve_oid;
  } cases[] = {{testing::p224(), 28, "06052b81040021"},
               {testing::p256(), 32, "06082a8648ce3d030107"},
               {testing::p384(), 48, "06052b81040022"},
               {testing::p521(), 66, "06052b81040023"}};
  for (const auto& c : cases) {
    auto sec1 = c.key.to_sec1_der();
    ASSERT_TRUE(sec1) << sec1.error().message;
    const auto parts = elements(sec1->span());
    ASSERT_EQ(parts.size(), 4u);
    EXPECT_EQ(hex_encode(parts[0]), "020101");
    EXPECT_EQ(parts[1][0], der::kOctetString);
    EXPECT_EQ(parts[1][1], c.scalar_len);
    EXPECT_EQ(hex_encode(parts[2]), hex_encode(der::tlv(der::context(0, true), hex(c.curve_oid))));
    EXPECT_EQ(parts[3][0], der::context(1, true));
    auto back = PrivateKey::from_sec1_der(sec1->span());
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->public_key(), c.key.public_key());
    // EC PRIVATE KEY PEM is accepted too.
    auto from_pem = PrivateKey::from_pem(pem_encode("EC PRIVATE KEY", sec1->span()));
    ASSERT_TRUE(from_pem) << from_pem.error().message;
    EXPECT_EQ(from_pem->public_key(), c.key.public_key());
  }
  auto rsa = testing::rsa2048().to_sec1_der();
  ASSERT_FALSE(rsa);
  EXPECT_EQ(rsa.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(PrivateKey::from_sec1_der(testing::rsa2048().to_pkcs8_der().span()).error().code,
            ErrorCode::kInvalidArgument);
}

TEST(Keys, RsaPrivateKeyPemIsAccepted) {
  // PKCS#1 "RSA PRIVATE KEY" made independently with OpenSSL's own encoder.
  ossl::Ptr<OSSL_ENCODER_CTX> enc(OSSL_ENCODER_CTX_new_for_pkey(
      testing::rsa2048().impl().pkey.get(), EVP_PKEY_KEYPAIR, "PEM", "type-specific", nullptr));
  unsigned char* data = nullptr;
  std::size_t len = 0;
  ASSERT_EQ(OSSL_ENCODER_to_data(enc.get(), &data, &len), 1);
  const std::string pem(reinterpret_cast<const char*>(data), len);
  OPENSSL_free(data);
  ASSERT_TRUE(pem.starts_with("-----BEGIN RSA PRIVATE KEY-----")) << pem.substr(0, 40);
  auto key = PrivateKey::from_pem("junk before\n" + pem);
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->public_key(), testing::rsa2048().public_key());
}

TEST(Keys, FromPemSkipsOtherBlockTypes) {
  const std::string text =
      pem_encode("CERTIFICATE", Bytes{1, 2, 3}) + std::string(testing::p256().to_pem().view());
  auto key = PrivateKey::from_pem(text);
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->public_key(), testing::p256().public_key());
  auto none = PrivateKey::from_pem(pem_encode("CERTIFICATE", Bytes{1, 2, 3}));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(PublicKey::from_pem(std::string(testing::p256().to_pem().view())).error().code,
            ErrorCode::kInvalidArgument);
}

TEST(Keys, Ed25519Rfc8032KnownAnswer) {
  // RFC 8032 7.1 test 1: PKCS#8 wraps the 32-byte seed as an inner OCTET STRING.
  const Bytes seed = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  const Bytes pkcs8 = concat(hex("302e020100300506032b657004220420"), seed);
  auto key = PrivateKey::from_pkcs8_der(pkcs8);
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(hex_encode(key->public_key().to_der()),
            "302a300506032b6570032100"
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  EXPECT_TRUE(key->to_pkcs8_der().equals(pkcs8));
}

TEST(Keys, RsaBelow1024BitsIsRefused) {
  auto small = PrivateKey::generate(KeySpec::rsa(768));
  ASSERT_FALSE(small);
  EXPECT_EQ(small.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(PrivateKey::generate(KeySpec::rsa(1023)).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(PrivateKey::generate(KeySpec::ec(Curve::kNone)).error().code,
            ErrorCode::kInvalidArgument);
  // A 512-bit key made by OpenSSL directly is refused on import as well.
  ossl::Ptr<EVP_PKEY> weak(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{512}));
  ASSERT_TRUE(weak);
  ossl::Ptr<OSSL_ENCODER_CTX> enc(OSSL_ENCODER_CTX_new_for_pkey(weak.get(), EVP_PKEY_KEYPAIR, "DER",
                                                                "PrivateKeyInfo", nullptr));
  unsigned char* data = nullptr;
  std::size_t len = 0;
  ASSERT_EQ(OSSL_ENCODER_to_data(enc.get(), &data, &len), 1);
  const Bytes der(data, data + len);
  OPENSSL_free(data);
  auto imported = PrivateKey::from_pkcs8_der(der);
  ASSERT_FALSE(imported);
  EXPECT_EQ(imported.error().code, ErrorCode::kInvalidArgument);
}

TEST(Keys, CurveForBits) {
  EXPECT_EQ(curve_for_bits(224), Curve::kP224);
  EXPECT_EQ(curve_for_bits(256), Curve::kP256);
  EXPECT_EQ(curve_for_bits(384), Curve::kP384);
  EXPECT_EQ(curve_for_bits(521), Curve::kP521);
  EXPECT_EQ(curve_for_bits(512), Curve::kNone);
}

TEST(Keys, CompressedPointsAndTrailingDataAreRefused) {
  const Bytes spki = testing::p256().public_key().to_der();
  // Rebuild the SPKI with the compressed form of the same point (02/03 ‖ X).
  const Bytes point(spki.end() - 65, spki.end());
  Bytes compressed = hex("3039301306072a8648ce3d020106082a8648ce3d030107032200");
  compressed.push_back(static_cast<std::uint8_t>((point[64] & 1) ? 0x03 : 0x02));
  compressed.insert(compressed.end(), point.begin() + 1, point.begin() + 33);
  auto r = PublicKey::from_der(compressed);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);

  Bytes trailing = spki;
  trailing.push_back(0);
  EXPECT_EQ(PublicKey::from_der(trailing).error().code, ErrorCode::kInvalidArgument);
  const SecretBytes pkcs8 = testing::p256().to_pkcs8_der();
  Bytes pkcs8_trailing(pkcs8.span().begin(), pkcs8.span().end());
  pkcs8_trailing.push_back(0);
  EXPECT_EQ(PrivateKey::from_pkcs8_der(pkcs8_trailing).error().code, ErrorCode::kInvalidArgument);
}

TEST(Keys, ErrorsNeverEchoInput) {
  const std::string marker = "TOPSECRETMARKER";
  const Bytes garbage = concat(hex("3082010a"), as_bytes(marker));
  const std::string hex_marker = hex_encode(as_bytes(marker));
  const std::string b64_marker = base64_encode(as_bytes(marker)).substr(0, 12);
  auto check = [&](const Error& e) {
    EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(e.message.find(marker), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find(hex_marker), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find(b64_marker), std::string::npos) << e.message;
  };
  check(PrivateKey::from_pkcs8_der(garbage).error());
  check(PrivateKey::from_sec1_der(garbage).error());
  check(PublicKey::from_der(garbage).error());
  check(PrivateKey::from_pem(pem_encode("PRIVATE KEY", garbage)).error());
  check(PrivateKey::from_pem(pem_encode("RSA PRIVATE KEY", garbage)).error());
  check(PrivateKey::from_pem(marker).error());
  check(PublicKey::from_pem(pem_encode("PUBLIC KEY", garbage)).error());
}

// The public half of a generated key is written without the library's encoder (keys.cpp): it
// must be byte for byte what i2d_PUBKEY writes, and its key must hold no private component.
TEST(Keys, PublicHalfMatchesTheLibraryAndHoldsNoPrivateKey) {
  for (const KeyCase& c : kKeyCases) {
    SCOPED_TRACE(c.name);
    const PrivateKey& key = c.key();
    EXPECT_EQ(hex_encode(key.public_key().to_der()),
              hex_encode(ossl::to_der<EVP_PKEY>(i2d_PUBKEY, key.impl().pkey.get())));
    const EVP_PKEY* pub = key.public_key().impl().pkey.get();
    BIGNUM* priv = nullptr;
    unsigned char raw[64];
    std::size_t len = 0;
    EXPECT_NE(EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_PRIV_KEY, &priv), 1);
    EXPECT_NE(EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_PRIV_KEY, raw, sizeof raw, &len),
              1);
    BN_free(priv);
    ossl::clear_errors();
    // The public key verifies what the private key signs.
    const ByteSpan message = as_bytes(std::string_view("message"));
    auto sig = sign(key, message);
    ASSERT_TRUE(sig) << sig.error().message;
    EXPECT_TRUE(verify(key.public_key(), message, *sig));
  }
}

TEST(Keys, PublicKeyMatchesOpensslCli) {
  if (!testing::have_openssl_cli()) GTEST_SKIP() << "openssl CLI not installed";
  mr::testing::TempDir dir;
  for (const PrivateKey* key : {&testing::p384(), &testing::rsa2048(), &testing::ed25519()}) {
    testing::write_file(dir / "key.pem", key->to_pem().view());
    const auto r = testing::run("openssl pkey -in " + (dir / "key.pem").string() +
                                " -pubout -outform DER | od -An -tx1 -v | tr -d ' \\n'");
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(r.output, hex_encode(key->public_key().to_der()));
  }
}

}  // namespace
}  // namespace mr::crypto
