#include "crypto/cipher.h"

#include <gtest/gtest.h>

#include "crypto/openssl/test/test_util.h"

namespace mr::crypto {
namespace {

using testing::hex;

// McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 1, 2, 4 and 16.
struct GcmVector {
  const char *key, *iv, *aad, *plaintext, *ciphertext, *tag;
};
constexpr GcmVector kGcmVectors[] = {
    {"00000000000000000000000000000000", "000000000000000000000000", "", "", "",
     "58e2fccefa7e3061367f1d57a4e7455a"},
    {"00000000000000000000000000000000", "000000000000000000000000", "",
     "00000000000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78",
     "ab6e47d42cec13bdf53a67b21257bddf"},
    {"feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e24"
     "49a6b525b16aedf5aa0de657ba637b39",
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5a"
     "ac84aa051ba30b396a0aac973d58e091",
     "5bc94fbc3221a5db94fae95ae7121a47"},
    {"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e24"
     "49a6b525b16aedf5aa0de657ba637b39",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b10"
     "56828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

TEST(AesGcm, NistVectors) {
  for (const GcmVector& v : kGcmVectors) {
    SCOPED_TRACE(v.tag);
    auto sealed = aes_gcm_seal(hex(v.key), hex(v.iv), hex(v.aad), hex(v.plaintext));
    ASSERT_TRUE(sealed) << sealed.error().message;
    EXPECT_EQ(hex_encode(*sealed), std::string(v.ciphertext) + v.tag);
    auto opened = aes_gcm_open(hex(v.key), hex(v.iv), hex(v.aad), *sealed);
    ASSERT_TRUE(opened) << opened.error().message;
    EXPECT_EQ(hex_encode(opened->span()), v.plaintext);
  }
}

TEST(AesGcm, TamperingIsDataLoss) {
  const Bytes key(24, 7), nonce(12, 1);
  auto sealed = aes_gcm_seal(key, nonce, as_bytes("aad"), as_bytes("secret message"));
  ASSERT_TRUE(sealed);
  auto expect_auth_failure = [](const Result<SecretBytes>& r) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kDataLoss);
    EXPECT_EQ(r.error().message, "message authentication failed");
  };
  Bytes flipped = *sealed;
  flipped[0] ^= 1;
  expect_auth_failure(aes_gcm_open(key, nonce, as_bytes("aad"), flipped));
  flipped = *sealed;
  flipped.back() ^= 1;
  expect_auth_failure(aes_gcm_open(key, nonce, as_bytes("aad"), flipped));
  expect_auth_failure(aes_gcm_open(key, nonce, as_bytes("AAD"), *sealed));
  expect_auth_failure(aes_gcm_open(Bytes(24, 8), nonce, as_bytes("aad"), *sealed));
  expect_auth_failure(aes_gcm_open(key, Bytes(12, 2), as_bytes("aad"), *sealed));
  expect_auth_failure(aes_gcm_open(key, nonce, as_bytes("aad"), Bytes(15, 0)));
}

TEST(AesGcm, BadSizesAreInvalidArgument) {
  EXPECT_EQ(aes_gcm_seal(Bytes(20, 0), Bytes(12, 0), {}, {}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(aes_gcm_seal(Bytes(16, 0), Bytes(16, 0), {}, {}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(aes_gcm_open(Bytes(16, 0), Bytes(8, 0), {}, Bytes(16, 0)).error().code,
            ErrorCode::kInvalidArgument);
}

TEST(AesGcm, RandomNonceLayout) {
  const Bytes key(32, 3);
  auto a = aes_gcm_seal_random_nonce(key, as_bytes("ad"), as_bytes("hello"));
  auto b = aes_gcm_seal_random_nonce(key, as_bytes("ad"), as_bytes("hello"));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size(), kGcmNonceSize + 5 + kGcmTagSize);
  EXPECT_NE(*a, *b);  // fresh nonces
  // nonce ‖ ciphertext ‖ tag: the tail opens with the leading nonce.
  auto manual = aes_gcm_open(key, ByteSpan(*a).first(12), as_bytes("ad"), ByteSpan(*a).subspan(12));
  ASSERT_TRUE(manual);
  EXPECT_EQ(manual->view(), "hello");
  auto opened = aes_gcm_open_with_nonce(key, as_bytes("ad"), *a);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->view(), "hello");
  auto short_input = aes_gcm_open_with_nonce(key, {}, Bytes(27, 0));
  ASSERT_FALSE(short_input);
  EXPECT_EQ(short_input.error().code, ErrorCode::kDataLoss);
}

TEST(RsaOaep, RoundTripAndWrongKey) {
  const PrivateKey& key = testing::rsa2048();
  auto ct = rsa_oaep_encrypt(key.public_key(), as_bytes("the root secret"));
  ASSERT_TRUE(ct) << ct.error().message;
  EXPECT_EQ(ct->size(), 256u);
  auto pt = rsa_oaep_decrypt(key, *ct);
  ASSERT_TRUE(pt) << pt.error().message;
  EXPECT_EQ(pt->view(), "the root secret");

  auto wrong = rsa_oaep_decrypt(testing::rsa1024(), *ct);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(wrong.error().message, "decryption error");

  Bytes tampered = *ct;
  tampered[100] ^= 0x40;
  auto bad = rsa_oaep_decrypt(key, tampered);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "decryption error");
}

TEST(RsaOaep, EmptyAndMaximalMessages) {
  const PrivateKey& key = testing::rsa2048();
  auto empty = rsa_oaep_encrypt(key.public_key(), {});
  ASSERT_TRUE(empty);
  EXPECT_TRUE(rsa_oaep_decrypt(key, *empty)->empty());
  // k - 2*hLen - 2 = 256 - 66 = 190 bytes is the maximum.
  EXPECT_TRUE(rsa_oaep_encrypt(key.public_key(), Bytes(190, 1)));
  auto too_long = rsa_oaep_encrypt(key.public_key(), Bytes(191, 1));
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(rsa_oaep_encrypt(testing::p256().public_key(), Bytes(1, 1)).error().code,
            ErrorCode::kInvalidArgument);
}

TEST(RsaOaep, UsesSha256ForOaepAndMgf1) {
  // Cross-check: the openssl CLI decrypts our ciphertext only with SHA-256 OAEP + MGF1.
  if (!testing::have_openssl_cli()) GTEST_SKIP() << "openssl CLI not installed";
  mr::testing::TempDir dir;
  const PrivateKey& key = testing::rsa2048();
  testing::write_file(dir / "key.pem", key.to_pem().view());
  auto ct = rsa_oaep_encrypt(key.public_key(), as_bytes("cli check"));
  ASSERT_TRUE(ct);
  testing::write_file(dir / "ct.bin", *ct);
  const auto r = testing::run("openssl pkeyutl -decrypt -inkey " + (dir / "key.pem").string() +
                              " -in " + (dir / "ct.bin").string() +
                              " -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256"
                              " -pkeyopt rsa_mgf1_md:sha256");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, "cli check");
}

}  // namespace
}  // namespace mr::crypto
