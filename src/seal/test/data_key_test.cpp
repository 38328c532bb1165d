#include "seal/data_key.h"

#include <gtest/gtest.h>

#include "crypto/hash.h"

namespace mr::seal {
namespace {

constexpr std::size_t kHeader = 4 + 3 + 16;  // magic, version, kind, source, seal key id

TEST(DataKeyTest, RoundTripsForBothKindsSourcesAndKeySizes) {
  for (std::size_t seal_size : {16U, 32U}) {
    for (KeyKind kind : {KeyKind::kProductKey, KeyKind::kUniqueKey}) {
      for (KeySource source : {KeySource::kTee, KeySource::kSimulation}) {
        for (std::size_t dek_size : {16U, 32U}) {
          SecretBytes seal_key = crypto::random_secret(seal_size);
          SecretBytes dek = crypto::random_secret(dek_size);
          auto sealed = seal_data_key(seal_key.span(), dek.span(), kind, source);
          ASSERT_TRUE(sealed.has_value()) << sealed.error().message;
          EXPECT_EQ(sealed->size(), kHeader + 12 + dek_size + 16);
          auto info = inspect_sealed_data_key(*sealed);
          ASSERT_TRUE(info.has_value());
          EXPECT_EQ(info->kind, kind);
          EXPECT_EQ(info->source, source);
          auto opened = unseal_data_key(seal_key.span(), *sealed);
          ASSERT_TRUE(opened.has_value()) << opened.error().message;
          EXPECT_TRUE(opened->equals(dek.span()));
        }
      }
    }
  }
}

TEST(DataKeyTest, FreshNonceEveryTime) {
  SecretBytes seal_key = crypto::random_secret(32);
  SecretBytes dek = crypto::random_secret(32);
  auto a = *seal_data_key(seal_key.span(), dek.span(), KeyKind::kProductKey, KeySource::kTee);
  auto b = *seal_data_key(seal_key.span(), dek.span(), KeyKind::kProductKey, KeySource::kTee);
  EXPECT_NE(a, b);
}

// Another seal key is a lost seal key (recovery), not damage.
TEST(DataKeyTest, AnotherSealKeyIsPermissionDenied) {
  SecretBytes dek = crypto::random_secret(32);
  auto sealed = *seal_data_key(crypto::random_secret(32).span(), dek.span(), KeyKind::kUniqueKey,
                               KeySource::kTee);
  auto opened = unseal_data_key(crypto::random_secret(32).span(), sealed);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(opened.error().message.find("sealed with another seal key"), std::string::npos);
}

// With the right seal key, any modified byte is tampering (kDataLoss), except the version byte
// (another format) and the key id (then it looks like another seal key: recovery, where the
// integrity root still decides).
TEST(DataKeyTest, EveryModifiedByteIsRefused) {
  SecretBytes seal_key = crypto::random_secret(16);
  SecretBytes dek = crypto::random_secret(32);
  const Bytes sealed =
      *seal_data_key(seal_key.span(), dek.span(), KeyKind::kProductKey, KeySource::kTee);
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    Bytes bad = sealed;
    bad[i] ^= 0x01;
    auto opened = unseal_data_key(seal_key.span(), bad);
    ASSERT_FALSE(opened.has_value()) << "byte " << i;
    ErrorCode want = ErrorCode::kDataLoss;
    if (i == 4) want = ErrorCode::kFailedPrecondition;
    if (i >= 7 && i < kHeader) want = ErrorCode::kPermissionDenied;
    EXPECT_EQ(opened.error().code, want) << "byte " << i;
  }
}

TEST(DataKeyTest, KindAndSourceAreAuthenticated) {
  SecretBytes seal_key = crypto::random_secret(32);
  for (std::size_t at : {5U, 6U}) {
    Bytes sealed = *seal_data_key(seal_key.span(), crypto::random_secret(32).span(),
                                  KeyKind::kProductKey, KeySource::kTee);
    sealed[at] = 2;                               // claim UniqueKey / simulation
    auto info = inspect_sealed_data_key(sealed);  // an unauthenticated peek
    ASSERT_TRUE(info.has_value());
    EXPECT_TRUE(at == 5 ? info->kind == KeyKind::kUniqueKey
                        : info->source == KeySource::kSimulation);
    auto opened = unseal_data_key(seal_key.span(), sealed);
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error().code, ErrorCode::kDataLoss);
  }
}

TEST(DataKeyTest, OlderFormatIsRefusedWithAReason) {
  SecretBytes seal_key = crypto::random_secret(32);
  Bytes sealed = *seal_data_key(seal_key.span(), crypto::random_secret(32).span(),
                                KeyKind::kProductKey, KeySource::kTee);
  sealed[4] = 1;
  auto opened = unseal_data_key(seal_key.span(), sealed);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(opened.error().message.find("no integrity root"), std::string::npos);
}

TEST(DataKeyTest, MalformedInputs) {
  SecretBytes seal_key = crypto::random_secret(32);
  const Bytes sealed = *seal_data_key(seal_key.span(), crypto::random_secret(32).span(),
                                      KeyKind::kProductKey, KeySource::kSimulation);
  for (std::size_t len : {0U, 3U, 6U, 20U, 30U}) {
    auto opened = unseal_data_key(seal_key.span(), ByteSpan(sealed).first(len));
    ASSERT_FALSE(opened.has_value()) << len;
    EXPECT_EQ(opened.error().code, ErrorCode::kDataLoss) << len;
  }
  EXPECT_EQ(inspect_sealed_data_key(to_bytes("garbage!")).error().code, ErrorCode::kDataLoss);
  EXPECT_EQ(seal_data_key(seal_key.span(), crypto::random_secret(20).span(), KeyKind::kUniqueKey,
                          KeySource::kTee)
                .error()
                .code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(seal_data_key(crypto::random_secret(8).span(), crypto::random_secret(32).span(),
                          KeyKind::kUniqueKey, KeySource::kTee)
                .error()
                .code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(unseal_data_key(crypto::random_secret(8).span(), sealed).error().code,
            ErrorCode::kInvalidArgument);
}

TEST(DataKeyTest, Names) {
  EXPECT_EQ(key_kind_name(KeyKind::kProductKey), "ProductKey");
  EXPECT_EQ(key_kind_name(KeyKind::kUniqueKey), "UniqueKey");
  EXPECT_EQ(key_source_name(KeySource::kTee), "TEE");
  EXPECT_EQ(key_source_name(KeySource::kSimulation), "simulation");
}

}  // namespace
}  // namespace mr::seal
