#include "seal/data_key.h"

#include <gtest/gtest.h>

#include "crypto/hash.h"

namespace mr::seal {
namespace {

TEST(DataKeyTest, RoundTripsForBothKindsAndKeySizes) {
  for (std::size_t seal_size : {16U, 32U}) {
    for (KeyKind kind : {KeyKind::kProductKey, KeyKind::kUniqueKey}) {
      for (std::size_t dek_size : {16U, 32U}) {
        SecretBytes seal_key = crypto::random_secret(seal_size);
        SecretBytes dek = crypto::random_secret(dek_size);
        auto sealed = seal_data_key(seal_key.span(), dek.span(), kind);
        ASSERT_TRUE(sealed.has_value()) << sealed.error().message;
        EXPECT_EQ(sealed->size(), 6 + 12 + dek_size + 16);
        EXPECT_EQ(*sealed_data_key_kind(*sealed), kind);
        auto opened = unseal_data_key(seal_key.span(), *sealed);
        ASSERT_TRUE(opened.has_value()) << opened.error().message;
        EXPECT_TRUE(opened->equals(dek.span()));
      }
    }
  }
}

TEST(DataKeyTest, FreshNonceEveryTime) {
  SecretBytes seal_key = crypto::random_secret(32);
  SecretBytes dek = crypto::random_secret(32);
  auto a = *seal_data_key(seal_key.span(), dek.span(), KeyKind::kProductKey);
  auto b = *seal_data_key(seal_key.span(), dek.span(), KeyKind::kProductKey);
  EXPECT_NE(a, b);
}

TEST(DataKeyTest, WrongSealKeyIsDataLoss) {
  SecretBytes dek = crypto::random_secret(32);
  auto sealed = *seal_data_key(crypto::random_secret(32).span(), dek.span(), KeyKind::kUniqueKey);
  auto opened = unseal_data_key(crypto::random_secret(32).span(), sealed);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, ErrorCode::kDataLoss);
  EXPECT_NE(opened.error().message.find("does not open with this seal key"), std::string::npos);
}

TEST(DataKeyTest, EveryModifiedByteIsRefused) {
  SecretBytes seal_key = crypto::random_secret(16);
  SecretBytes dek = crypto::random_secret(32);
  const Bytes sealed = *seal_data_key(seal_key.span(), dek.span(), KeyKind::kProductKey);
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    Bytes bad = sealed;
    bad[i] ^= 0x01;
    auto opened = unseal_data_key(seal_key.span(), bad);
    ASSERT_FALSE(opened.has_value()) << "byte " << i;
    // Byte 4 is the version: a different version is "newer format", everything else is damage.
    EXPECT_EQ(opened.error().code, i == 4 ? ErrorCode::kFailedPrecondition : ErrorCode::kDataLoss)
        << "byte " << i;
  }
}

TEST(DataKeyTest, KindIsAuthenticated) {
  SecretBytes seal_key = crypto::random_secret(32);
  Bytes sealed =
      *seal_data_key(seal_key.span(), crypto::random_secret(32).span(), KeyKind::kProductKey);
  sealed[5] = 2;                                                  // claim UniqueKey
  EXPECT_EQ(*sealed_data_key_kind(sealed), KeyKind::kUniqueKey);  // unauthenticated peek
  auto opened = unseal_data_key(seal_key.span(), sealed);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, ErrorCode::kDataLoss);
}

TEST(DataKeyTest, MalformedInputs) {
  SecretBytes seal_key = crypto::random_secret(32);
  const Bytes sealed =
      *seal_data_key(seal_key.span(), crypto::random_secret(32).span(), KeyKind::kProductKey);
  for (std::size_t len : {0U, 3U, 6U, 20U}) {
    auto opened = unseal_data_key(seal_key.span(), ByteSpan(sealed).first(len));
    ASSERT_FALSE(opened.has_value()) << len;
    EXPECT_EQ(opened.error().code, ErrorCode::kDataLoss) << len;
  }
  EXPECT_EQ(sealed_data_key_kind(to_bytes("garbage!")).error().code, ErrorCode::kDataLoss);
  EXPECT_EQ(seal_data_key(seal_key.span(), crypto::random_secret(20).span(), KeyKind::kUniqueKey)
                .error()
                .code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(seal_data_key(crypto::random_secret(8).span(), crypto::random_secret(32).span(),
                          KeyKind::kUniqueKey)
                .error()
                .code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(unseal_data_key(crypto::random_secret(8).span(), sealed).error().code,
            ErrorCode::kInvalidArgument);
}

TEST(DataKeyTest, KindNames) {
  EXPECT_EQ(key_kind_name(KeyKind::kProductKey), "ProductKey");
  EXPECT_EQ(key_kind_name(KeyKind::kUniqueKey), "UniqueKey");
}

}  // namespace
}  // namespace mr::seal
