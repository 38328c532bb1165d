#include "core/recovery.h"

#include <gtest/gtest.h>

#include "crypto/cipher.h"
#include "test_keys.h"

namespace mr::core {
namespace {

using testing::recovery_key;
using testing::recovery_pub_pem;

manifest::NameMap<std::string> keys(int n) {
  manifest::NameMap<std::string> out;
  for (int i = 1; i <= n; ++i)
    out.emplace("officer" + std::to_string(i), recovery_pub_pem(i));
  return out;
}

SecretBytes decrypt(const DataKey& dk, int i) {
  return *crypto::rsa_oaep_decrypt(recovery_key(i),
                                   dk.encrypted_secrets.at("officer" + std::to_string(i)));
}

Bytes sign(int i, const SecretBytes& secret) {
  return *crypto::sign(recovery_key(i), secret.span(), crypto::HashAlg::kSha256);
}

manifest::Manifest manifest_with(int n, std::uint64_t threshold) {
  manifest::Manifest m;
  m.recovery_keys = keys(n);
  m.config.recovery_threshold = threshold;
  return m;
}

TEST(DataKey, NoKeysNoSecrets) {
  auto dk = generate_data_key({}, 0);
  ASSERT_TRUE(dk);
  EXPECT_EQ(dk->key.size(), 32u);
  EXPECT_TRUE(dk->encrypted_secrets.empty());
  EXPECT_TRUE(dk->recovery_data.empty());
  EXPECT_EQ(encode_recovery_data(dk->recovery_data), "null");
}

TEST(DataKey, SingleKeyGetsTheKeyItself) {
  auto dk = generate_data_key(keys(1), 0);
  ASSERT_TRUE(dk);
  EXPECT_TRUE(decrypt(*dk, 1).equals(dk->key.span()));
  EXPECT_TRUE(dk->recovery_data.empty());
}

TEST(Recovery, SingleKey) {
  auto dk = *generate_data_key(keys(1), 0);
  RecoverySession session(dk.recovery_data);
  const SecretBytes secret = decrypt(dk, 1);
  const auto opens = [&](ByteSpan k) { return dk.key.equals(k); };
  auto out = session.add(secret.clone(), sign(1, secret), opens);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->remaining, 0u);
  ASSERT_TRUE(out->key);
  EXPECT_TRUE(out->key->equals(dk.key.span()));
  EXPECT_TRUE(session.validate_signatures(manifest_with(1, 0)));
}

TEST(Recovery, XorSharesNeedEveryKey) {
  auto dk = *generate_data_key(keys(2), 0);
  ASSERT_EQ(dk.recovery_data.size(), 2u);
  const SecretBytes s1 = decrypt(dk, 1), s2 = decrypt(dk, 2);
  EXPECT_FALSE(s1.equals(dk.key.span()));
  RecoverySession session(dk.recovery_data);
  const auto opens = [&](ByteSpan k) { return dk.key.equals(k); };
  auto first = session.add(s1.clone(), sign(1, s1), opens);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->remaining, 1u);
  EXPECT_FALSE(first->key);
  EXPECT_EQ(session.add(s1.clone(), sign(1, s1), opens).error().message,
            "uploaded an invalid or already used secret");
  auto second = session.add(s2.clone(), sign(2, s2), opens);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->remaining, 0u);
  ASSERT_TRUE(second->key);
  EXPECT_TRUE(second->key->equals(dk.key.span()));
  EXPECT_TRUE(session.validate_signatures(manifest_with(2, 0)));
}

TEST(Recovery, ShamirThreshold) {
  auto dk = *generate_data_key(keys(3), 2);
  ASSERT_EQ(dk.recovery_data.size(), 3u);
  const SecretBytes s1 = decrypt(dk, 1), s3 = decrypt(dk, 3);
  EXPECT_EQ(s1.size(), 33u);
  RecoverySession session(dk.recovery_data);
  const auto opens = [&](ByteSpan k) { return dk.key.equals(k); };
  auto first = session.add(s3.clone(), sign(3, s3), opens);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->remaining, 2u);
  auto second = session.add(s1.clone(), sign(1, s1), opens);
  ASSERT_TRUE(second) << second.error().message;
  ASSERT_TRUE(second->key);
  EXPECT_TRUE(second->key->equals(dk.key.span()));
  EXPECT_TRUE(session.validate_signatures(manifest_with(3, 2)));
}

TEST(Recovery, UnknownShareAndBadLength) {
  auto dk = *generate_data_key(keys(2), 0);
  RecoverySession session(dk.recovery_data);
  const auto opens = [](ByteSpan) { return false; };
  EXPECT_EQ(session.add(SecretBytes(Bytes(32, 7)), {}, opens).error().message,
            "uploaded an invalid or already used secret");
  EXPECT_EQ(session.add(SecretBytes(Bytes(20, 7)), {}, opens).error().message,
            "invalid secret length");
  RecoverySession no_data({});
  EXPECT_EQ(no_data.add(SecretBytes(Bytes(33, 7)), {}, opens).error().message,
            "invalid secret length");
}

TEST(Recovery, WithoutRecoveryDataTriesXorOfSubsets) {
  // Recovery data lost: the key is the XOR of two of the three uploads.
  const SecretBytes a(Bytes(32, 0x11)), b(Bytes(32, 0x22)), noise(Bytes(32, 0x5a));
  Bytes x(32);
  for (int i = 0; i < 32; ++i)
    x[i] = 0x11 ^ 0x22;
  const SecretBytes key(x);
  RecoverySession session({});
  const auto opens = [&](ByteSpan k) { return key.equals(k); };
  EXPECT_EQ(session.add(a.clone(), {}, opens)->remaining, 1u);
  EXPECT_EQ(session.add(noise.clone(), {}, opens)->remaining, 1u);
  auto out = session.add(b.clone(), {}, opens);
  ASSERT_TRUE(out);
  ASSERT_TRUE(out->key);
  EXPECT_TRUE(out->key->equals(key.span()));
  ASSERT_TRUE(out->new_recovery_data);
  EXPECT_EQ(out->new_recovery_data->size(), 2u);
}

TEST(Recovery, SignatureRules) {
  auto dk = *generate_data_key(keys(2), 0);
  const SecretBytes s1 = decrypt(dk, 1), s2 = decrypt(dk, 2);
  const auto opens = [&](ByteSpan k) { return dk.key.equals(k); };
  {
    RecoverySession session(dk.recovery_data);
    ASSERT_TRUE(session.add(s1.clone(), sign(1, s1), opens));
    ASSERT_TRUE(session.add(s2.clone(), sign(1, s2), opens));  // signed with the wrong key
    EXPECT_EQ(session.validate_signatures(manifest_with(2, 0)).error().message,
              "no matching recovery key found for recovery public key \"officer2\"");
  }
  {
    RecoverySession session(dk.recovery_data);
    ASSERT_TRUE(session.add(s1.clone(), sign(1, s1), opens));
    ASSERT_TRUE(session.add(s2.clone(), sign(2, s2), opens));
    EXPECT_EQ(
        session.validate_signatures(manifest_with(3, 0)).error().message,
        "recovery keys in manifest do not match the keys used for recovery: expected 3, got 2");
  }
}

TEST(RecoveryData, JsonRoundTrip) {
  const RecoveryData d = {"bb", "aa"};
  EXPECT_EQ(encode_recovery_data(d), R"({"aa":true,"bb":true})");
  auto back = decode_recovery_data(encode_recovery_data(d));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->size(), 2u);
  EXPECT_TRUE(decode_recovery_data("null")->empty());
}

}  // namespace
}  // namespace mr::core
