#include "store/keys.h"

#include <gtest/gtest.h>

#include "store/memory/memory_store.h"
#include "store/records.h"

namespace mr::store {
namespace {

TEST(KeysTest, FixedKeysAndPrefixes) {
  EXPECT_EQ(keys::kCoordinatorRootCert, "certificate:coordinatorRootCert");
  EXPECT_EQ(keys::kCoordinatorIntermediateKey, "privateKey:coordinatorIntermediateKey");
  EXPECT_EQ(keys::secret("db"), "secret:db");
  EXPECT_EQ(keys::previous_secret("db"), "previousSecret:db");
  EXPECT_EQ(keys::package("backend"), "package:backend");
  EXPECT_EQ(keys::activations("web"), "activations:web");
  EXPECT_EQ(keys::user("alice"), "user:alice");
  EXPECT_EQ(keys::monotonic_counter("a:b:c"), "monotonicCounter:a:b:c");
  EXPECT_TRUE(keys::kCoordinatorRootCert.starts_with(keys::kCertificatePrefix));
  EXPECT_FALSE(keys::previous_secret("x").starts_with(keys::kSecretPrefix));
}

TEST(KeysTest, UpdateLogKeysSortNumerically) {
  EXPECT_EQ(keys::update_log(7), "updateLog:00000000000000000007");
  EXPECT_EQ(keys::update_log(UINT64_MAX), "updateLog:18446744073709551615");
  EXPECT_LT(keys::update_log(9), keys::update_log(10));
  EXPECT_LT(keys::update_log(99999), keys::update_log(100000));
}

TEST(KeysTest, MetaKeys) {
  for (auto k : {keys::kMetaSealedDataKey, keys::kMetaRecoveryData, keys::kMetaFormatVersion}) {
    EXPECT_TRUE(keys::is_meta(k)) << k;
  }
  EXPECT_FALSE(keys::is_meta(keys::kState));
  EXPECT_FALSE(keys::is_meta("metadata"));
  EXPECT_EQ(keys::strip_prefix("secret:db", keys::kSecretPrefix), "db");
}

TEST(KeysTest, IntegrityKeys) {
  EXPECT_EQ(keys::integrity_bucket(0), "integrity:bucket:0000");
  EXPECT_EQ(keys::integrity_bucket(16383), "integrity:bucket:3fff");
  EXPECT_TRUE(keys::is_integrity(keys::kIntegrityRoot));
  EXPECT_TRUE(keys::is_integrity(keys::integrity_bucket(1)));
  EXPECT_FALSE(keys::is_integrity("integrityX"));
  EXPECT_FALSE(keys::is_meta(keys::kIntegrityRoot));
}

TEST(RecordsTest, StringsCountersAndNames) {
  MemoryStore store;
  auto txn = *store.begin();
  ASSERT_TRUE(put_string(*txn, keys::kState, "3").has_value());
  ASSERT_TRUE(put_u64_le(*txn, keys::monotonic_counter("c"), 0x0102030405060708ULL).has_value());
  ASSERT_TRUE(put_string(*txn, keys::secret("b"), "x").has_value());
  ASSERT_TRUE(put_string(*txn, keys::secret("a"), "y").has_value());
  ASSERT_TRUE(put_string(*txn, keys::previous_secret("z"), "y").has_value());
  ASSERT_TRUE(txn->commit().has_value());

  auto r = *store.begin_read();
  EXPECT_EQ(*get_string(*r, keys::kState), "3");
  EXPECT_EQ(*get_string(*r, keys::kManifest), std::nullopt);
  EXPECT_EQ(*get_u64_le(*r, keys::monotonic_counter("c")), 0x0102030405060708ULL);
  EXPECT_EQ(*get_u64_le(*r, keys::monotonic_counter("missing")), std::nullopt);
  auto raw = get_string(*r, keys::monotonic_counter("c"));
  ASSERT_TRUE(raw.has_value() && raw->has_value());
  EXPECT_EQ(**raw, std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8));  // little-endian
  EXPECT_EQ(*list_names(*r, keys::kSecretPrefix), (std::vector<std::string>{"a", "b"}));

  auto bad = get_u64_le(*r, keys::kState);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kDataLoss);
}

}  // namespace
}  // namespace mr::store
