// SealedStore: sealed records, and the integrity root tried as a host who owns the storage would:
// records deleted, replayed, inserted, moved, meta records changed, integrity records tampered
// with, and changes made on disk while the store is open.

#include "seal/sealed_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/testing/temp_dir.h"
#include "crypto/hash.h"
#include "seal/integrity.h"
#include "store/keys.h"
#include "store/memory/memory_store.h"
#include "store/records.h"
#include "store/sqlite/sqlite_store.h"
#include "store/testing/fault_injecting_store.h"

namespace mr::seal {
namespace {

namespace keys = store::keys;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using KVs = std::vector<std::pair<std::string, std::string>>;

class SealedStoreTest : public ::testing::Test {
 protected:
  // create replaces the raw store with a sealed state holding |kvs|.
  void create(const KVs& kvs) {
    auto s = SealedStore::replace(raw_, dek_.clone(), 0, [&](store::Transaction& txn) -> Status {
      for (const auto& [k, v] : kvs)
        MR_RETURN_IF_ERROR(txn.put(k, as_bytes(v)));
      return ok();
    });
    ASSERT_TRUE(s.has_value()) << s.error().message;
    sealed_ = std::move(*s);
  }
  // write commits |kvs| through the open sealed store.
  void write(const KVs& kvs) {
    auto txn = *sealed_->begin();
    for (const auto& [k, v] : kvs)
      ASSERT_TRUE(txn->put(k, as_bytes(v)).has_value());
    ASSERT_TRUE(txn->commit().has_value());
  }
  std::optional<std::string> raw_get(std::string_view key) {
    auto r = *raw_.begin_read();
    return *store::get_string(*r, key);
  }
  // raw_put / raw_erase change the storage behind the sealed store's back (the host).
  void raw_put(std::string_view key, ByteSpan value) {
    auto txn = *raw_.begin();
    ASSERT_TRUE(txn->put(key, value).has_value());
    ASSERT_TRUE(txn->commit().has_value());
  }
  void raw_erase(std::string_view key) {
    auto txn = *raw_.begin();
    ASSERT_TRUE(txn->erase(key).has_value());
    ASSERT_TRUE(txn->commit().has_value());
  }
  Result<std::unique_ptr<SealedStore>> reopen() { return SealedStore::open(raw_, dek_.clone()); }
  std::string reopen_error() {
    auto s = reopen();
    EXPECT_FALSE(s.has_value());
    if (s) return "";
    EXPECT_EQ(s.error().code, ErrorCode::kDataLoss);
    return s.error().message;
  }
  Result<std::optional<Bytes>> sealed_get(std::string_view key) {
    MR_ASSIGN_OR_RETURN(auto r, sealed_->begin_read());
    return r->get(key);
  }

  store::MemoryStore raw_;
  SecretBytes dek_ = crypto::random_secret(32);
  std::unique_ptr<SealedStore> sealed_;
};

TEST_F(SealedStoreTest, ValuesAreSealedAndOpen) {
  const std::string secret = "the root secret value";
  create({{std::string(keys::kRootSecret), secret}});
  auto raw = raw_get(keys::kRootSecret);
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(raw->size(), 1 + 12 + secret.size() + 16);
  EXPECT_EQ((*raw)[0], kSealedRecordVersion);
  EXPECT_EQ(raw->find(secret), std::string::npos);
  auto opened = sealed_get(keys::kRootSecret);
  ASSERT_TRUE(opened.has_value());
  ASSERT_TRUE(opened->has_value());
  EXPECT_EQ(to_string(**opened), secret);
  EXPECT_EQ(*sealed_get("absent"), std::nullopt);
  // The root is sealed too; buckets and nodes are digests only.
  EXPECT_EQ(raw_get(keys::kIntegrityRoot)->find("MRIR"), std::string::npos);
}

TEST_F(SealedStoreTest, MetaRecordsAreReadableButCovered) {
  create({{std::string(keys::kMetaSealedDataKey), "sealed-dek"},
          {std::string(keys::kMetaRecoveryData), "null"},
          {"metadata", "not meta"}});
  EXPECT_EQ(raw_get(keys::kMetaSealedDataKey), "sealed-dek");
  EXPECT_EQ(raw_get(keys::kMetaRecoveryData), "null");
  EXPECT_NE(raw_get("metadata"), "not meta");
  EXPECT_EQ(sealed_->records_for_test(), 3u);
  raw_put(keys::kMetaRecoveryData, as_bytes("{\"abcd\":true}"));
  EXPECT_THAT(reopen_error(), HasSubstr("record \"meta:recoveryData\" differs"));
}

TEST_F(SealedStoreTest, ReopensAVerifiedStateWithItsCounter) {
  create({{"state", "3"}, {"secret:a", "1"}});
  write({{"secret:b", "2"}});
  write({{"secret:a", "3"}});
  EXPECT_EQ(sealed_->counter(), 3u);
  auto again = reopen();
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ((*again)->counter(), 3u);
  EXPECT_EQ((*again)->records_for_test(), 3u);
  auto r = *(*again)->begin_read();
  EXPECT_EQ(to_string(**r->get("secret:a")), "3");
  EXPECT_EQ(*r->list("secret:"), (std::vector<std::string>{"secret:a", "secret:b"}));
}

TEST_F(SealedStoreTest, DeletedRecordIsNamed) {
  create({{"updateLog:0", "first"}, {"updateLog:1", "second"}, {"state", "3"}});
  raw_erase("updateLog:0");
  EXPECT_THAT(reopen_error(), AllOf(HasSubstr(std::string(kIntegrityFailure)),
                                    HasSubstr("record \"updateLog:0\" was removed")));
}

TEST_F(SealedStoreTest, ReplayedOlderValueIsNamed) {
  create({{"activations:web", "1"}, {"state", "3"}});
  const std::string old = *raw_get("activations:web");  // sealed, opens with the DEK
  write({{"activations:web", "5"}});
  raw_put("activations:web", as_bytes(old));
  const std::string err = reopen_error();
  EXPECT_THAT(err, HasSubstr("record \"activations:web\" differs from the value last committed"));
  EXPECT_THAT(err, Not(HasSubstr("\"state\"")));
}

TEST_F(SealedStoreTest, InsertedRecordIsNamedEvenWhenSealedUnderTheDataKey) {
  create({{"state", "3"}});
  // Sealed correctly under the real DEK (as a record copied from another commit would be).
  raw_put("secret:planted", *seal_record(dek_.span(), "secret:planted", as_bytes("x")));
  EXPECT_THAT(reopen_error(), HasSubstr("record \"secret:planted\" was added"));
}

TEST_F(SealedStoreTest, SwappedRecordsAreNamed) {
  create({{"secret:low", "public"}, {"secret:high", "private"}, {"state", "3"}});
  const std::string low = *raw_get("secret:low");
  const std::string high = *raw_get("secret:high");
  raw_put("secret:low", as_bytes(high));
  raw_put("secret:high", as_bytes(low));
  const std::string err = reopen_error();
  EXPECT_THAT(err, HasSubstr("record \"secret:low\" differs"));
  EXPECT_THAT(err, HasSubstr("record \"secret:high\" differs"));
}

TEST_F(SealedStoreTest, ReplayedWholeRootWithSomeRecordsIsCaught) {
  create({{"package:a", "svn1"}, {"state", "3"}});
  const std::string old_root = *raw_get(keys::kIntegrityRoot);
  write({{"package:a", "svn2"}});
  raw_put(keys::kIntegrityRoot, as_bytes(old_root));  // the root of the previous commit
  EXPECT_THAT(reopen_error(), HasSubstr("integrity record"));
}

TEST_F(SealedStoreTest, RootMissingOrForeignIsRefused) {
  create({{"state", "3"}});
  const std::string root = *raw_get(keys::kIntegrityRoot);
  raw_erase(keys::kIntegrityRoot);
  EXPECT_THAT(reopen_error(), HasSubstr("\"integrity:root\" is missing"));
  raw_put(keys::kIntegrityRoot,
          *seal_record(crypto::random_secret(32).span(), keys::kIntegrityRoot, as_bytes("x")));
  EXPECT_THAT(reopen_error(), HasSubstr("does not open with the data key"));
  raw_put(keys::kIntegrityRoot, as_bytes(root));
  EXPECT_TRUE(reopen().has_value());
}

TEST_F(SealedStoreTest, TamperedIntegrityRecordsAreNamed) {
  create({{"state", "3"}, {"secret:a", "1"}});
  const std::size_t b = IntegrityIndex::bucket_of("secret:a");
  const std::string bucket_key = keys::integrity_bucket(b);
  const std::size_t first = IntegrityIndex::node_of(b) * IntegrityIndex::kBucketsPerNode;
  const std::string node_range = "\"" + keys::integrity_bucket(first) + "\" to \"" +
                                 keys::integrity_bucket(first + 255) + "\" were changed";
  const std::string bucket = *raw_get(bucket_key);
  raw_erase(bucket_key);
  EXPECT_THAT(reopen_error(), AllOf(HasSubstr(node_range), HasSubstr("cannot be checked")));
  std::string changed = bucket;
  changed.back() ^= 1;
  raw_put(bucket_key, as_bytes(changed));
  EXPECT_THAT(reopen_error(), HasSubstr(node_range));
  raw_put(bucket_key, as_bytes(bucket));
  EXPECT_TRUE(reopen().has_value());
  // A bucket where none belongs, and a foreign integrity record.
  const std::string other =
      keys::integrity_bucket((b + IntegrityIndex::kBucketsPerNode) % IntegrityIndex::kBuckets);
  raw_put(other, as_bytes(bucket));
  EXPECT_THAT(reopen_error(), HasSubstr("were changed"));
  raw_erase(other);
  raw_put("integrity:node:00", as_bytes("junk"));
  EXPECT_THAT(reopen_error(), HasSubstr("integrity record \"integrity:node:00\" was added"));
}

// A host who rewrites a record and its bucket consistently is caught by the node digest.
TEST_F(SealedStoreTest, ARecordChangedWithItsBucketIsCaught) {
  create({{"activations:web", "1"}, {"state", "3"}});
  const std::string old_value = *raw_get("activations:web");
  const std::string old_bucket =
      *raw_get(keys::integrity_bucket(IntegrityIndex::bucket_of("activations:web")));
  write({{"activations:web", "9"}});
  raw_put("activations:web", as_bytes(old_value));
  raw_put(keys::integrity_bucket(IntegrityIndex::bucket_of("activations:web")),
          as_bytes(old_bucket));
  EXPECT_THAT(reopen_error(), HasSubstr("were changed (one or more of them)"));
}

TEST_F(SealedStoreTest, ManyProblemsAreCountedNotAllListed) {
  KVs kvs;
  for (int i = 0; i < 30; ++i)
    kvs.emplace_back("updateLog:" + std::to_string(i), "line");
  create(kvs);
  for (int i = 0; i < 30; ++i)
    raw_erase("updateLog:" + std::to_string(i));
  EXPECT_THAT(reopen_error(), HasSubstr("and 20 more"));
}

TEST_F(SealedStoreTest, PlantedKeysAreShownEscapedAndCut) {
  create({{"state", "3"}});
  raw_put("evil\n\x1b[31m\"key", as_bytes("x"));
  raw_put(std::string(5000, 'k'), as_bytes("x"));
  const std::string err = reopen_error();
  EXPECT_THAT(err, HasSubstr("record \"evil\\x0a\\x1b[31m\\x22key\" was added"));
  EXPECT_THAT(err, HasSubstr("...(5000 bytes)\" was added"));
  EXPECT_LT(err.size(), 1000u);
}

TEST_F(SealedStoreTest, NoContentInMessages) {
  create({{"secret:db", "hunter2-secret"}});
  raw_put("secret:db", *seal_record(dek_.span(), "secret:db", as_bytes("hunter3-secret")));
  const std::string err = reopen_error();
  EXPECT_THAT(err, HasSubstr("secret:db"));
  EXPECT_THAT(err, AllOf(Not(HasSubstr("hunter")), Not(HasSubstr("secret\\"))));
}

// While the store is open, every read is checked against what this process committed.
TEST_F(SealedStoreTest, ChangesOnDiskWhileOpenAreCaughtOnRead) {
  create({{"activations:web", "1"}, {"state", "3"}});
  const std::string old = *raw_get("activations:web");
  write({{"activations:web", "2"}});
  raw_put("activations:web", as_bytes(old));
  auto r = sealed_get("activations:web");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kDataLoss);
  EXPECT_THAT(r.error().message, HasSubstr("\"activations:web\" differs"));
  // The same inside a write transaction: a commit never builds on a changed record.
  {
    auto txn = *sealed_->begin();
    EXPECT_EQ(txn->get("activations:web").error().code, ErrorCode::kDataLoss);
  }
  raw_erase("state");
  EXPECT_THAT(sealed_get("state").error().message, HasSubstr("\"state\" was removed on disk"));
  raw_put("secret:new", *seal_record(dek_.span(), "secret:new", as_bytes("x")));
  EXPECT_THAT(sealed_get("secret:new").error().message, HasSubstr("was added on disk"));
  // list answers from the committed index, not from the storage.
  auto read = *sealed_->begin_read();
  EXPECT_EQ(*read->list("secret:"), std::vector<std::string>{});
}

TEST_F(SealedStoreTest, IntegrityRecordsAreReserved) {
  create({});
  auto txn = *sealed_->begin();
  EXPECT_EQ(txn->put(keys::kIntegrityRoot, as_bytes("x")).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(txn->erase(keys::integrity_bucket(0)).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(txn->get(keys::kIntegrityRoot).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(SealedStoreTest, ErasingEverythingLeavesOnlyTheRoot) {
  create({{"a", "1"}, {"b", "2"}, {"meta:x", "3"}});
  auto txn = *sealed_->begin();
  ASSERT_TRUE(txn->erase_prefix("").has_value());
  ASSERT_TRUE(txn->commit().has_value());
  auto r = *raw_.begin_read();
  EXPECT_EQ(*r->list(""), std::vector<std::string>{std::string(keys::kIntegrityRoot)});
  EXPECT_TRUE(reopen().has_value());
}

TEST_F(SealedStoreTest, ReplaceWritesANewStateUnderANewKey) {
  create({{"state", "3"}, {"old:only", "x"}});
  write({{"state", "3"}});
  SecretBytes next = crypto::random_secret(32);
  auto s =
      SealedStore::replace(raw_, next.clone(), sealed_->counter(),
                           [](store::Transaction& txn) { return txn.put("state", as_bytes("3")); });
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ((*s)->counter(), 3u);
  EXPECT_EQ(raw_get("old:only"), std::nullopt);
  EXPECT_FALSE(reopen().has_value());  // the old key no longer opens the root
  auto again = SealedStore::open(raw_, next.clone());
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ((*again)->records_for_test(), 1u);
}

TEST_F(SealedStoreTest, FailedReplaceLeavesTheOldState) {
  create({{"state", "3"}});
  auto s = SealedStore::replace(raw_, crypto::random_secret(32), 1,
                                [](store::Transaction& txn) -> Status {
                                  MR_RETURN_IF_ERROR(txn.put("state", as_bytes("2")));
                                  return fail(ErrorCode::kInternal, "boom");
                                });
  ASSERT_FALSE(s.has_value());
  EXPECT_TRUE(reopen().has_value());
}

TEST_F(SealedStoreTest, UncommittedTransactionLeavesNoTrace) {
  create({{"state", "1"}});
  {
    auto txn = *sealed_->begin();
    ASSERT_TRUE(txn->put("state", as_bytes("2")).has_value());
  }
  EXPECT_EQ(to_string(**sealed_get("state")), "1");
  EXPECT_TRUE(reopen().has_value());
}

TEST_F(SealedStoreTest, ReadsOwnWritesAndListsTheView) {
  create({{"secret:c", "3"}});
  auto txn = *sealed_->begin();
  ASSERT_TRUE(txn->put("secret:b", as_bytes("2")).has_value());
  ASSERT_TRUE(txn->put("secret:a", as_bytes("1")).has_value());
  ASSERT_TRUE(txn->erase("secret:c").has_value());
  EXPECT_EQ(to_string(**txn->get("secret:a")), "1");
  EXPECT_EQ(*txn->get("secret:c"), std::nullopt);
  EXPECT_EQ(*txn->list("secret:"), (std::vector<std::string>{"secret:a", "secret:b"}));
}

TEST_F(SealedStoreTest, SixteenByteLegacyDataKeyAndBadSizes) {
  dek_ = crypto::random_secret(16);
  create({{"state", "3"}});
  EXPECT_EQ(to_string(**sealed_get("state")), "3");
  EXPECT_EQ(SealedStore::open(raw_, crypto::random_secret(7)).error().code,
            ErrorCode::kInvalidArgument);
}

TEST_F(SealedStoreTest, CheckDataKeyOpensTheRoot) {
  {
    auto r = *raw_.begin_read();
    EXPECT_EQ(check_data_key(*r, dek_.span()).error().code, ErrorCode::kNotFound);
  }
  create({{"state", "3"}});
  auto r = *raw_.begin_read();
  EXPECT_TRUE(check_data_key(*r, dek_.span()).has_value());
  auto wrong = check_data_key(*r, crypto::random_secret(32).span());
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code, ErrorCode::kDataLoss);
  EXPECT_EQ(check_data_key(*r, crypto::random_secret(31).span()).error().code,
            ErrorCode::kInvalidArgument);
}

TEST(SealedRecordTest, WrongKeyTamperAndMoveAreDataLoss) {
  SecretBytes dek = crypto::random_secret(32);
  const Bytes sealed = *seal_record(dek.span(), "rootSecret", as_bytes("hunter2-secret"));
  auto wrong = open_record(crypto::random_secret(32).span(), "rootSecret", sealed);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code, ErrorCode::kDataLoss);
  EXPECT_THAT(wrong.error().message, AllOf(HasSubstr("\"rootSecret\""), Not(HasSubstr("hunter"))));
  EXPECT_EQ(open_record(dek.span(), "otherKey", sealed).error().code, ErrorCode::kDataLoss);
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    Bytes bad = sealed;
    bad[i] ^= 0x80;
    EXPECT_EQ(open_record(dek.span(), "rootSecret", bad).error().code, ErrorCode::kDataLoss) << i;
  }
  EXPECT_EQ(open_record(dek.span(), "rootSecret", ByteSpan(sealed).first(20)).error().code,
            ErrorCode::kDataLoss);
}

// A commit reported as failed may have become durable (kAfter) or not (kBefore): the store
// carries on from whichever state is there, and the state still verifies afterwards.
TEST(SealedStoreFaultTest, ACommitOfUnknownOutcomeIsSettledFromTheStoredRoot) {
  using store::testing::FaultTiming;
  for (FaultTiming timing : {FaultTiming::kBefore, FaultTiming::kAfter}) {
    SCOPED_TRACE(timing == FaultTiming::kAfter ? "durable" : "lost");
    store::MemoryStore raw;
    store::testing::FaultInjectingStore faulty(raw);
    SecretBytes dek = crypto::random_secret(32);
    auto sealed =
        std::move(*SealedStore::replace(faulty, dek.clone(), 0, [](store::Transaction& txn) {
          return txn.put("state", as_bytes("1"));
        }));
    faulty.set_plan({1, store::testing::kFaultCommit, timing, store::testing::FaultRepeat::kOnce});
    {
      auto txn = *sealed->begin();
      ASSERT_TRUE(txn->put("state", as_bytes("2")));
      ASSERT_FALSE(txn->commit());
    }
    const std::string want = timing == FaultTiming::kAfter ? "2" : "1";
    auto read = sealed->begin_read();
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(to_string(**(*read)->get("state")), want);
    auto txn = *sealed->begin();
    ASSERT_TRUE(txn->put("next", as_bytes("x")));
    ASSERT_TRUE(txn->commit());
    auto again = SealedStore::open(raw, dek.clone());
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(to_string(**(*(*again)->begin_read())->get("state")), want);
  }
}

TEST(SealedStoreFaultTest, ARootChangedAfterAFailedCommitIsAnIntegrityFailure) {
  store::MemoryStore raw;
  store::testing::FaultInjectingStore faulty(raw);
  auto sealed = std::move(*SealedStore::replace(faulty, crypto::random_secret(32), 0, nullptr));
  faulty.set_plan({1, store::testing::kFaultCommit, store::testing::FaultTiming::kBefore,
                   store::testing::FaultRepeat::kOnce});
  {
    auto txn = *sealed->begin();
    ASSERT_TRUE(txn->put("state", as_bytes("2")));
    ASSERT_FALSE(txn->commit());
  }
  {
    auto txn = *raw.begin();
    ASSERT_TRUE(txn->put(keys::kIntegrityRoot, as_bytes("replaced")));
    ASSERT_TRUE(txn->commit());
  }
  auto read = sealed->begin_read();
  ASSERT_FALSE(read);
  EXPECT_THAT(read.error().message, HasSubstr("changed on disk after a commit failed"));
}

// The same attacks on the real SQLite file.
TEST(SealedSqliteTest, DeleteReplayInsertOnTheDatabaseFile) {
  mr::testing::TempDir dir;
  auto sqlite = std::move(*store::SqliteStore::open(dir / "seal"));
  SecretBytes dek = crypto::random_secret(32);
  auto sealed =
      SealedStore::replace(*sqlite, dek.clone(), 0, [](store::Transaction& txn) -> Status {
        MR_RETURN_IF_ERROR(txn.put("state", as_bytes("3")));
        MR_RETURN_IF_ERROR(txn.put("updateLog:0", as_bytes("a")));
        return txn.put("activations:web", as_bytes("1"));
      });
  ASSERT_TRUE(sealed.has_value()) << sealed.error().message;
  const std::string old = *store::get_string(**sqlite->begin_read(), "activations:web").value();
  {
    auto txn = *(*sealed)->begin();
    ASSERT_TRUE(txn->put("activations:web", as_bytes("2")).has_value());
    ASSERT_TRUE(txn->commit().has_value());
  }
  {
    auto raw = *sqlite->begin();
    ASSERT_TRUE(raw->put("activations:web", as_bytes(old)).has_value());
    ASSERT_TRUE(raw->erase("updateLog:0").has_value());
    ASSERT_TRUE(raw->put("user:mallory", as_bytes("x")).has_value());
    ASSERT_TRUE(raw->commit().has_value());
  }
  sealed->reset();
  sqlite.reset();
  sqlite = std::move(*store::SqliteStore::open(dir / "seal"));
  auto again = SealedStore::open(*sqlite, dek.clone());
  ASSERT_FALSE(again.has_value());
  EXPECT_THAT(again.error().message, AllOf(HasSubstr("\"activations:web\" differs"),
                                           HasSubstr("\"updateLog:0\" was removed"),
                                           HasSubstr("\"user:mallory\" was added")));
}

}  // namespace
}  // namespace mr::seal
