#include "seal/sealed_transaction.h"

#include <gtest/gtest.h>

#include "crypto/hash.h"
#include "store/keys.h"
#include "store/memory/memory_store.h"
#include "store/records.h"

namespace mr::seal {
namespace {

namespace keys = store::keys;

class SealedTransactionTest : public ::testing::Test {
 protected:
  // write puts |kvs| through a SealedTransaction with |dek| and commits.
  void write(const SecretBytes& dek, const std::vector<std::pair<std::string, std::string>>& kvs) {
    SealedTransaction txn(*raw_.begin(), dek.clone());
    for (const auto& [k, v] : kvs)
      ASSERT_TRUE(txn.put(k, as_bytes(v)).has_value());
    ASSERT_TRUE(txn.commit().has_value());
  }
  std::optional<std::string> raw_get(std::string_view key) {
    auto r = *raw_.begin_read();
    return *store::get_string(*r, key);
  }
  Result<std::optional<Bytes>> sealed_get(const SecretBytes& dek, std::string_view key) {
    SealedReadTransaction txn(*raw_.begin_read(), dek.clone());
    return txn.get(key);
  }

  store::MemoryStore raw_;
  SecretBytes dek_ = crypto::random_secret(32);
};

TEST_F(SealedTransactionTest, ValuesAreSealedAndOpen) {
  const std::string secret = "the root secret value";
  write(dek_, {{std::string(keys::kRootSecret), secret}});
  auto raw = raw_get(keys::kRootSecret);
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(raw->size(), 1 + 12 + secret.size() + 16);
  EXPECT_EQ((*raw)[0], kSealedRecordVersion);
  EXPECT_EQ(raw->find(secret), std::string::npos);
  auto opened = sealed_get(dek_, keys::kRootSecret);
  ASSERT_TRUE(opened.has_value());
  ASSERT_TRUE(opened->has_value());
  EXPECT_EQ(to_string(**opened), secret);
  EXPECT_EQ(*sealed_get(dek_, "absent"), std::nullopt);
}

TEST_F(SealedTransactionTest, MetaRecordsPassThrough) {
  write(dek_, {{std::string(keys::kMetaSealedDataKey), "sealed-dek"},
               {std::string(keys::kMetaRecoveryData), "null"},
               {"metadata", "not meta"}});
  EXPECT_EQ(raw_get(keys::kMetaSealedDataKey), "sealed-dek");
  EXPECT_EQ(raw_get(keys::kMetaRecoveryData), "null");
  EXPECT_NE(raw_get("metadata"), "not meta");
  // Readable with any key, or none.
  auto other = crypto::random_secret(32);
  EXPECT_EQ(to_string(**sealed_get(other, keys::kMetaSealedDataKey)), "sealed-dek");
}

TEST_F(SealedTransactionTest, WrongKeyIsDataLossNamingTheKeyNotTheContent) {
  write(dek_, {{std::string(keys::kRootSecret), "hunter2-secret"}});
  auto r = sealed_get(crypto::random_secret(32), keys::kRootSecret);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kDataLoss);
  EXPECT_NE(r.error().message.find("\"rootSecret\""), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos);
}

TEST_F(SealedTransactionTest, TamperedRecordIsRefused) {
  write(dek_, {{"secret:a", "value"}});
  Bytes sealed = to_bytes(*raw_get("secret:a"));
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    Bytes bad = sealed;
    bad[i] ^= 0x80;
    {
      auto txn = *raw_.begin();
      ASSERT_TRUE(txn->put("secret:a", bad).has_value());
      ASSERT_TRUE(txn->commit().has_value());
    }
    auto r = sealed_get(dek_, "secret:a");
    ASSERT_FALSE(r.has_value()) << "byte " << i;
    EXPECT_EQ(r.error().code, ErrorCode::kDataLoss);
  }
  auto txn = *raw_.begin();
  ASSERT_TRUE(txn->put("secret:a", ByteSpan(sealed).first(20)).has_value());  // truncated
  ASSERT_TRUE(txn->commit().has_value());
  EXPECT_EQ(sealed_get(dek_, "secret:a").error().code, ErrorCode::kDataLoss);
}

TEST_F(SealedTransactionTest, RecordMovedToAnotherKeyIsRefused) {
  write(dek_, {{"secret:low", "public value"}, {"secret:high", "private value"}});
  {
    auto txn = *raw_.begin();
    ASSERT_TRUE(txn->put("secret:low", to_bytes(*raw_get("secret:high"))).has_value());
    ASSERT_TRUE(txn->commit().has_value());
  }
  auto r = sealed_get(dek_, "secret:low");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kDataLoss);
  EXPECT_TRUE(sealed_get(dek_, "secret:high").has_value());
}

TEST_F(SealedTransactionTest, ReadsOwnSealedWritesAndListsPlainKeys) {
  SealedTransaction txn(*raw_.begin(), dek_.clone());
  ASSERT_TRUE(txn.put("secret:b", as_bytes("2")).has_value());
  ASSERT_TRUE(txn.put("secret:a", as_bytes("1")).has_value());
  EXPECT_EQ(to_string(**txn.get("secret:a")), "1");
  EXPECT_EQ(*txn.list("secret:"), (std::vector<std::string>{"secret:a", "secret:b"}));
  ASSERT_TRUE(txn.erase("secret:a").has_value());
  EXPECT_EQ(*txn.get("secret:a"), std::nullopt);
}

TEST_F(SealedTransactionTest, SixteenByteLegacyDataKey) {
  SecretBytes dek16 = crypto::random_secret(16);
  write(dek16, {{"state", "3"}});
  EXPECT_EQ(to_string(**sealed_get(dek16, "state")), "3");
  SealedTransaction bad(*raw_.begin(), crypto::random_secret(7));
  EXPECT_EQ(bad.put("state", as_bytes("x")).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(SealedTransactionTest, CheckDataKeyWithKeyCheckRecord) {
  {
    auto r = *raw_.begin_read();
    EXPECT_EQ(check_data_key(*r, dek_.span()).error().code, ErrorCode::kNotFound);
  }
  {
    SealedTransaction txn(*raw_.begin(), dek_.clone());
    ASSERT_TRUE(write_key_check(txn).has_value());
    ASSERT_TRUE(txn.commit().has_value());
  }
  auto r = *raw_.begin_read();
  EXPECT_TRUE(check_data_key(*r, dek_.span()).has_value());
  auto wrong = check_data_key(*r, crypto::random_secret(32).span());
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code, ErrorCode::kDataLoss);
  EXPECT_EQ(check_data_key(*r, crypto::random_secret(31).span()).error().code,
            ErrorCode::kInvalidArgument);
}

TEST_F(SealedTransactionTest, KeyCheckOnARawTransaction) {
  {
    auto raw = *raw_.begin();
    ASSERT_TRUE(write_key_check(*raw, dek_.span()).has_value());
    EXPECT_EQ(write_key_check(*raw, ByteSpan{}).error().code, ErrorCode::kInvalidArgument);
    ASSERT_TRUE(raw->commit().has_value());
  }
  auto r = *raw_.begin_read();
  EXPECT_TRUE(check_data_key(*r, dek_.span()).has_value());
}

TEST_F(SealedTransactionTest, CheckDataKeyFallsBackToState) {
  write(dek_, {{std::string(keys::kState), "3"}});
  auto r = *raw_.begin_read();
  EXPECT_TRUE(check_data_key(*r, dek_.span()).has_value());
  EXPECT_EQ(check_data_key(*r, crypto::random_secret(32).span()).error().code,
            ErrorCode::kDataLoss);
}

TEST_F(SealedTransactionTest, SealedStoreRollsBackLikeItsInner) {
  SealedStore sealed(raw_, dek_.clone());
  {
    auto txn = *sealed.begin();
    ASSERT_TRUE(txn->put("state", as_bytes("1")).has_value());
  }
  EXPECT_EQ(raw_get("state"), std::nullopt);
  auto txn = *sealed.begin();
  ASSERT_TRUE(txn->put("state", as_bytes("2")).has_value());
  ASSERT_TRUE(txn->commit().has_value());
  auto r = *sealed.begin_read();
  EXPECT_EQ(to_string(**r->get("state")), "2");
}

}  // namespace
}  // namespace mr::seal
