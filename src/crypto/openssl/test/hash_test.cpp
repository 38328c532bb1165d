#include "crypto/hash.h"

#include <gtest/gtest.h>

#include <set>

#include "crypto/openssl/test/test_util.h"

namespace mr::crypto {
namespace {

using testing::hex;

template <std::size_t N>
std::string h(const std::array<std::uint8_t, N>& d) {
  return hex_encode(d);
}

TEST(Sha, KnownAnswers) {
  EXPECT_EQ(h(sha256(as_bytes(""))),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(h(sha256(as_bytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(h(sha384(as_bytes("abc"))),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
            "8086072ba1e7cc2358baeca134c825a7");
  EXPECT_EQ(hex_encode(digest(HashAlg::kSha512, as_bytes("abc"))),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  EXPECT_EQ(digest(HashAlg::kSha256, as_bytes("abc")).size(), 32u);
  EXPECT_EQ(digest(HashAlg::kSha384, as_bytes("abc")).size(), 48u);
}

TEST(Sha, IncrementalMatchesOneShot) {
  const std::string msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  Sha256 hasher;
  hasher.update(as_bytes(msg.substr(0, 5)));
  hasher.update(as_bytes(""));
  hasher.update(as_bytes(msg.substr(5)));
  const Sha256Digest d = hasher.finish();
  EXPECT_EQ(h(d), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(d, sha256(as_bytes(msg)));
}

TEST(Hmac, Rfc4231Vectors) {
  EXPECT_EQ(h(hmac_sha256(hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), as_bytes("Hi There"))),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(h(hmac_sha256(as_bytes("Jefe"), as_bytes("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block size is hashed first.
  const Bytes long_key(131, 0xaa);
  EXPECT_EQ(
      h(hmac_sha256(long_key, as_bytes("Test Using Larger Than Block-Size Key - Hash Key First"))),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(Hmac, EmptyKeyIsAllowed) {
  // HMAC-SHA256("", "") is a fixed value (as Go's hmac.New(sha256.New, nil) computes).
  EXPECT_EQ(h(hmac_sha256({}, {})),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

Bytes range(int from, int to) {
  Bytes out;
  for (int i = from; i <= to; ++i)
    out.push_back(static_cast<std::uint8_t>(i));
  return out;
}

TEST(Hkdf, Rfc5869Case1) {
  auto okm = hkdf_sha256(Bytes(22, 0x0b), range(0x00, 0x0c), range(0xf0, 0xf9), 42);
  ASSERT_TRUE(okm) << okm.error().message;
  EXPECT_EQ(hex_encode(okm->span()),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(Hkdf, Rfc5869Case2LongInputs) {
  auto okm = hkdf_sha256(range(0x00, 0x4f), range(0x60, 0xaf), range(0xb0, 0xff), 82);
  ASSERT_TRUE(okm) << okm.error().message;
  EXPECT_EQ(hex_encode(okm->span()),
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
            "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
            "cc30c58179ec3e87c14c01d5c1f3434f1d87");
}

TEST(Hkdf, Rfc5869Case3EmptySaltAndInfo) {
  auto okm = hkdf_sha256(Bytes(22, 0x0b), {}, {}, 42);
  ASSERT_TRUE(okm) << okm.error().message;
  EXPECT_EQ(hex_encode(okm->span()),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(Hkdf, LengthLimitsAndEmptyIkm) {
  EXPECT_TRUE(hkdf_sha256(as_bytes("k"), {}, {}, 255 * 32));
  auto too_long = hkdf_sha256(as_bytes("k"), {}, {}, 255 * 32 + 1);
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code, ErrorCode::kInvalidArgument);
  auto empty = hkdf_sha256(as_bytes("k"), {}, {}, 0);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  // An empty IKM is legal in RFC 5869: PRK = HMAC(salt, "").
  auto from_empty = hkdf_sha256({}, as_bytes("salt"), {}, 32);
  ASSERT_TRUE(from_empty) << from_empty.error().message;
  // Expand with one block: T(1) = HMAC(PRK, info ‖ 0x01).
  const Sha256Digest prk = hmac_sha256(as_bytes("salt"), {});
  const Sha256Digest t1 = hmac_sha256(prk, Bytes{0x01});
  EXPECT_TRUE(from_empty->equals(t1));
}

TEST(Random, LengthsAndFreshness) {
  EXPECT_TRUE(random_bytes(0).empty());
  EXPECT_EQ(random_bytes(33).size(), 33u);
  EXPECT_EQ(random_secret(16).size(), 16u);
  std::set<Bytes> seen;
  for (int i = 0; i < 16; ++i)
    seen.insert(random_bytes(16));
  EXPECT_EQ(seen.size(), 16u);
}

}  // namespace
}  // namespace mr::crypto
