// Several SealedStores with one data key over one shared store (several Coordinators on one
// state, issue 14): each follows what the others committed, a commit based on a state that
// changed meanwhile writes nothing (on etcd), and a replayed older state is refused.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "crypto/hash.h"
#include "seal/sealed_store.h"
#include "store/etcd/etcd_store.h"
#include "store/etcd/testing/etcd_server.h"
#include "store/memory/memory_store.h"
#include "store/records.h"

namespace mr::seal {
namespace {

using ::testing::HasSubstr;

Status put(store::Store& s, std::string_view key, std::string_view value) {
  MR_ASSIGN_OR_RETURN(auto txn, s.begin());
  MR_RETURN_IF_ERROR(txn->put(key, as_bytes(value)));
  return txn->commit();
}

Result<std::optional<std::string>> get(store::Store& s, std::string_view key) {
  MR_ASSIGN_OR_RETURN(auto txn, s.begin_read());
  MR_ASSIGN_OR_RETURN(auto value, txn->get(key));
  if (!value) return std::optional<std::string>();
  return std::optional<std::string>(std::string(value->begin(), value->end()));
}

// Every raw record of |s| (sealed values and integrity records).
std::map<std::string, Bytes> raw_copy(store::Store& s) {
  auto txn = *s.begin_read();
  std::map<std::string, Bytes> out;
  const std::vector<std::string> keys = *txn->list("");
  for (const auto& key : keys)
    out.emplace(key, **txn->get(key));
  return out;
}

TEST(SharedSealedState, InstancesFollowEachOthersCommits) {
  store::MemoryStore shared;
  const SecretBytes dek = crypto::random_secret(32);
  auto a = SealedStore::replace(shared, dek.clone(), 0, [](store::Transaction& t) {
    return t.put("k", as_bytes(std::string_view("1")));
  });
  ASSERT_TRUE(a) << a.error().message;
  auto b = SealedStore::open(shared, dek.clone());
  ASSERT_TRUE(b) << b.error().message;

  ASSERT_TRUE(put(**a, "k", "2"));
  EXPECT_EQ(*get(**b, "k"), "2") << "a reader of B checks A's commit against A's root";
  EXPECT_EQ((*b)->counter(), (*a)->counter());
  ASSERT_TRUE(put(**b, "j", "3"));  // B's commit is based on A's state
  EXPECT_EQ(*get(**a, "j"), "3");
  EXPECT_EQ(*get(**a, "k"), "2");
  auto listed = (*a)->begin_read();
  ASSERT_TRUE(listed);
  EXPECT_EQ(*(*listed)->list(""), (std::vector<std::string>{"j", "k"}));
}

// The host replays a complete older state (root, integrity records, values): an instance that
// has seen a later commit refuses it at its next transaction.
TEST(SharedSealedState, AReplayedOlderStateIsRefused) {
  store::MemoryStore shared;
  const SecretBytes dek = crypto::random_secret(32);
  auto a = SealedStore::replace(shared, dek.clone(), 0, [](store::Transaction& t) {
    return t.put("k", as_bytes(std::string_view("1")));
  });
  ASSERT_TRUE(a);
  const auto old = raw_copy(shared);
  ASSERT_TRUE(put(**a, "k", "2"));
  {
    auto raw = *shared.begin();
    ASSERT_TRUE(raw->erase_prefix(""));
    for (const auto& [key, value] : old)
      ASSERT_TRUE(raw->put(key, value));
    ASSERT_TRUE(raw->commit());
  }
  for (bool write : {true, false}) {
    auto r = write ? Status(put(**a, "x", "y")) : Status(get(**a, "k").map([](auto&&) {}));
    ASSERT_FALSE(r) << (write ? "write" : "read");
    EXPECT_EQ(r.error().code, ErrorCode::kDataLoss);
    EXPECT_THAT(r.error().message, HasSubstr("not after the last one seen"));
  }
}

// On etcd, two Coordinators begin on the same state; the second commit is refused (it did not
// see the first, and the integrity root it read changed) and wrote nothing; begun again it
// builds on the first commit.
TEST(SharedSealedState, OnEtcdAConflictingCommitIsRefusedAndRetried) {
  auto etcd = store::testing::EtcdServer::start();
  ASSERT_TRUE(etcd) << etcd.error().message;
  auto config = [&] {  // move-only (it may hold a TLS key)
    store::EtcdStoreConfig c;
    c.endpoints = {(*etcd)->endpoint()};
    return c;
  };
  auto inner_a = store::EtcdStore::open(config());
  auto inner_b = store::EtcdStore::open(config());
  ASSERT_TRUE(inner_a && inner_b);
  const SecretBytes dek = crypto::random_secret(32);
  auto a = SealedStore::replace(**inner_a, dek.clone(), 0, [](store::Transaction& t) {
    return t.put("count", as_bytes(std::string_view("0")));
  });
  ASSERT_TRUE(a) << a.error().message;
  auto b = SealedStore::open(**inner_b, dek.clone());
  ASSERT_TRUE(b) << b.error().message;

  auto ta = (*a)->begin();
  auto tb = (*b)->begin();
  ASSERT_TRUE(ta && tb);
  ASSERT_TRUE((*ta)->put("count", as_bytes(std::string_view("1"))));
  ASSERT_TRUE((*tb)->put("other", as_bytes(std::string_view("b"))));  // another key entirely
  ASSERT_TRUE((*ta)->commit());
  auto refused = (*tb)->commit();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kAborted) << refused.error().message;
  EXPECT_EQ(*get(**b, "other"), std::nullopt) << "the refused commit wrote something";
  EXPECT_EQ(*get(**b, "count"), "1");

  ASSERT_TRUE(put(**b, "other", "b"));
  EXPECT_EQ(*get(**a, "other"), "b");
  EXPECT_EQ(*get(**a, "count"), "1");
  EXPECT_EQ((*a)->counter(), (*b)->counter());
}

// replace() decided on a state another instance has changed since (a second SetManifest racing
// the first, a new manifest in recovery mode while another instance recovered): it writes
// nothing and says kAborted.
TEST(SharedSealedState, AReplaceDecidedOnAStaleRootWritesNothing) {
  store::MemoryStore shared;
  const SecretBytes dek = crypto::random_secret(32);
  auto a = SealedStore::replace(shared, dek.clone(), 0, [](store::Transaction& t) {
    return t.put("k", as_bytes(std::string_view("1")));
  });
  ASSERT_TRUE(a);
  const Bytes seen = (*a)->sealed_root();
  ASSERT_FALSE(seen.empty());
  // Expected "no state yet", but A's state is there.
  auto stale = SealedStore::replace(
      shared, crypto::random_secret(32), 0,
      [](store::Transaction& t) { return t.put("k", as_bytes(std::string_view("other"))); }, {},
      Bytes{});
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::kAborted);
  EXPECT_EQ(*get(**a, "k"), "1");
  // Another commit moved the root on: a replace based on the older root is refused too.
  ASSERT_TRUE(put(**a, "k", "2"));
  stale = SealedStore::replace(shared, crypto::random_secret(32), 1, {}, {}, seen);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::kAborted);
  EXPECT_EQ(*get(**a, "k"), "2");
  // Based on the current root it goes through.
  auto current = SealedStore::replace(
      shared, crypto::random_secret(32), (*a)->counter(),
      [](store::Transaction& t) { return t.put("k", as_bytes(std::string_view("3"))); }, {},
      (*a)->sealed_root());
  ASSERT_TRUE(current) << current.error().message;
  EXPECT_EQ(*get(**current, "k"), "3");
}

}  // namespace
}  // namespace mr::seal
