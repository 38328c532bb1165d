#include <gtest/gtest.h>

#include "crypto/cipher.h"
#include "crypto/openssl/test/test_util.h"

namespace mr::crypto {
namespace {

using testing::hex;

std::vector<const PrivateKey*> all_keys() {
  return {&testing::p224(), &testing::p256(),    &testing::p384(),
          &testing::p521(), &testing::rsa2048(), &testing::ed25519()};
}

TEST(Sign, RoundTripForEveryKeyTypeAndHash) {
  const Bytes data = to_bytes("attested payload");
  for (const PrivateKey* key : all_keys()) {
    for (HashAlg alg : {HashAlg::kSha256, HashAlg::kSha384, HashAlg::kSha512}) {
      SCOPED_TRACE(key->public_key().bits());
      auto sig = sign(*key, data, alg);
      ASSERT_TRUE(sig) << sig.error().message;
      EXPECT_TRUE(verify(key->public_key(), data, *sig, alg));

      Bytes tampered = data;
      tampered[0] ^= 1;
      auto bad = verify(key->public_key(), tampered, *sig, alg);
      ASSERT_FALSE(bad);
      EXPECT_EQ(bad.error().code, ErrorCode::kPermissionDenied);
      EXPECT_EQ(bad.error().message, "signature verification failed");
    }
  }
}

TEST(Sign, WrongKeyOrHashFails) {
  const Bytes data = to_bytes("x");
  auto sig = sign(testing::p384(), data, HashAlg::kSha384);
  ASSERT_TRUE(sig);
  EXPECT_EQ(verify(testing::p384_other().public_key(), data, *sig, HashAlg::kSha384).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(verify(testing::p384().public_key(), data, *sig, HashAlg::kSha256).error().code,
            ErrorCode::kPermissionDenied);
}

TEST(Sign, MalformedSignaturesAreInvalidArgument) {
  const Bytes data = to_bytes("x");
  EXPECT_EQ(verify(testing::p256().public_key(), data, Bytes{0x30, 0x01, 0x00}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(verify(testing::rsa2048().public_key(), data, Bytes(255, 1)).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(verify(testing::ed25519().public_key(), data, Bytes(63, 1)).error().code,
            ErrorCode::kInvalidArgument);
  // An ECDSA signature with trailing bytes is not DER.
  auto sig = sign(testing::p256(), data);
  ASSERT_TRUE(sig);
  sig->push_back(0);
  EXPECT_EQ(verify(testing::p256().public_key(), data, *sig).error().code,
            ErrorCode::kInvalidArgument);
}

TEST(Sign, Ed25519Rfc8032KnownAnswer) {
  const Bytes pkcs8 =
      hex("302e020100300506032b657004220420"
          "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  auto key = PrivateKey::from_pkcs8_der(pkcs8);
  ASSERT_TRUE(key);
  auto sig = sign(*key, {});
  ASSERT_TRUE(sig);
  EXPECT_EQ(hex_encode(*sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
            "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
}

TEST(SignDigest, MatchesMessageSignatures) {
  const Bytes data = to_bytes("quote report data");
  for (const PrivateKey* key : {&testing::p256(), &testing::p384(), &testing::rsa2048()}) {
    for (HashAlg alg : {HashAlg::kSha256, HashAlg::kSha384}) {
      const Bytes d = digest(alg, data);
      auto sig = sign_digest(*key, d, alg);
      ASSERT_TRUE(sig) << sig.error().message;
      // A digest signature is a signature over the message with that hash, and vice versa.
      EXPECT_TRUE(verify(key->public_key(), data, *sig, alg));
      EXPECT_TRUE(verify_digest(key->public_key(), d, *sig, alg));
      auto msg_sig = sign(*key, data, alg);
      ASSERT_TRUE(msg_sig);
      EXPECT_TRUE(verify_digest(key->public_key(), d, *msg_sig, alg));
      Bytes other = d;
      other[3] ^= 0x10;
      EXPECT_EQ(verify_digest(key->public_key(), other, *sig, alg).error().code,
                ErrorCode::kPermissionDenied);
    }
  }
}

TEST(SignDigest, EcdsaAcceptsAnyDigestLengthLikeGo) {
  // Go's ecdsa.SignASN1 truncates long digests to the order size and accepts short ones.
  for (std::size_t len : {1u, 20u, 64u, 100u}) {
    const Bytes d(len, 0x5a);
    auto sig = sign_digest(testing::p256(), d);
    ASSERT_TRUE(sig) << len;
    EXPECT_TRUE(verify_digest(testing::p256().public_key(), d, *sig)) << len;
  }
  // For P-256, a 64-byte digest is truncated to its first 32 bytes.
  Bytes long_digest(64, 0x11);
  auto sig = sign_digest(testing::p256(), long_digest);
  ASSERT_TRUE(sig);
  long_digest[50] ^= 0xff;
  EXPECT_TRUE(verify_digest(testing::p256().public_key(), long_digest, *sig));
}

TEST(SignDigest, RefusesEd25519AndWrongRsaDigestLength) {
  EXPECT_EQ(sign_digest(testing::ed25519(), Bytes(32, 1)).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(verify_digest(testing::ed25519().public_key(), Bytes(32, 1), Bytes(64, 1)).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(sign_digest(testing::rsa2048(), Bytes(31, 1)).error().code,
            ErrorCode::kInvalidArgument);
}

TEST(Sign, RsaIsPkcs1v15AndDeterministic) {
  auto a = sign(testing::rsa2048(), as_bytes("m"));
  auto b = sign(testing::rsa2048(), as_bytes("m"));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);  // PKCS#1 v1.5 (not PSS, which is randomized)
}

TEST(Sign, SignaturesVerifyWithOpensslCli) {
  if (!testing::have_openssl_cli()) GTEST_SKIP() << "openssl CLI not installed";
  mr::testing::TempDir dir;
  const Bytes data = to_bytes("cross-checked with openssl dgst");
  testing::write_file(dir / "data", data);
  for (const PrivateKey* key : {&testing::p384(), &testing::rsa2048()}) {
    testing::write_file(dir / "pub.pem", key->public_key().to_pem());
    auto sig = sign(*key, data, HashAlg::kSha384);
    ASSERT_TRUE(sig);
    testing::write_file(dir / "sig", *sig);
    const auto r =
        testing::run("openssl dgst -sha384 -verify " + (dir / "pub.pem").string() + " -signature " +
                     (dir / "sig").string() + " " + (dir / "data").string());
    EXPECT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(r.output, "Verified OK\n");
  }
  // Ed25519: pure signature over the message.
  testing::write_file(dir / "pub.pem", testing::ed25519().public_key().to_pem());
  auto sig = sign(testing::ed25519(), data);
  ASSERT_TRUE(sig);
  testing::write_file(dir / "sig", *sig);
  const auto r = testing::run("openssl pkeyutl -verify -pubin -inkey " +
                              (dir / "pub.pem").string() + " -rawin -in " +
                              (dir / "data").string() + " -sigfile " + (dir / "sig").string());
  EXPECT_EQ(r.status, 0) << r.output;
}

}  // namespace
}  // namespace mr::crypto
