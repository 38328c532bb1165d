#pragma once
// The Store conformance suite: every Store implementation (and every decorator that claims to be
// a Store) must pass it. Include this header in exactly one .cpp of a test binary and
// instantiate it with factories:
//
//   struct MemoryFactory {
//     static constexpr const char* kName = "Memory";
//     std::unique_ptr<store::Store> make() { return std::make_unique<store::MemoryStore>(); }
//   };
//   using Impls = ::testing::Types<MemoryFactory, SqliteFactory>;
//   INSTANTIATE_TYPED_TEST_SUITE_P(Store, StoreConformanceTest, Impls,
//                                  mr::store::testing::FactoryName);
//
// A factory is default-constructible, owns whatever the store needs (a temp dir, an inner
// store) and outlives the store it makes; make() is called once per test.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/bytes.h"
#include "store/store.h"

namespace mr::store::testing {

// FactoryName names instantiations after Factory::kName.
struct FactoryName {
  template <class Factory>
  static std::string GetName(int) {
    return Factory::kName;
  }
};

template <class Factory>
class StoreConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = factory_.make();
    ASSERT_NE(store_, nullptr);
  }

  Store& store() { return *store_; }

  std::unique_ptr<Transaction> begin() {
    auto txn = store_->begin();
    EXPECT_TRUE(txn.has_value()) << txn.error().message;
    return txn ? std::move(*txn) : nullptr;
  }

  std::unique_ptr<ReadTransaction> begin_read() {
    auto txn = store_->begin_read();
    EXPECT_TRUE(txn.has_value()) << txn.error().message;
    return txn ? std::move(*txn) : nullptr;
  }

  // put_all commits |kvs| in one transaction.
  void put_all(const std::vector<std::pair<std::string, std::string>>& kvs) {
    auto txn = begin();
    ASSERT_NE(txn, nullptr);
    for (const auto& [k, v] : kvs)
      ASSERT_TRUE(txn->put(k, as_bytes(v)).has_value());
    auto st = txn->commit();
    ASSERT_TRUE(st.has_value()) << st.error().message;
  }

  static std::optional<std::string> get(ReadTransaction& txn, std::string_view key) {
    auto r = txn.get(key);
    EXPECT_TRUE(r.has_value()) << r.error().message;
    if (!r || !*r) return std::nullopt;
    return to_string(**r);
  }

  static std::vector<std::string> list(ReadTransaction& txn, std::string_view prefix) {
    auto r = txn.list(prefix);
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return r ? *r : std::vector<std::string>{};
  }

  // read returns the committed value of |key| from a fresh snapshot.
  std::optional<std::string> read(std::string_view key) {
    auto txn = begin_read();
    return txn ? get(*txn, key) : std::nullopt;
  }

  std::vector<std::string> read_list(std::string_view prefix) {
    auto txn = begin_read();
    return txn ? list(*txn, prefix) : std::vector<std::string>{};
  }

  Factory factory_;  // declared first: outlives store_
  std::unique_ptr<Store> store_;
};

TYPED_TEST_SUITE_P(StoreConformanceTest);

using Strings = std::vector<std::string>;

TYPED_TEST_P(StoreConformanceTest, EmptyStore) {
  EXPECT_EQ(this->read("state"), std::nullopt);
  EXPECT_EQ(this->read_list(""), Strings{});
  auto txn = this->begin();
  ASSERT_NE(txn, nullptr);
  EXPECT_EQ(this->get(*txn, "state"), std::nullopt);
  EXPECT_EQ(this->list(*txn, ""), Strings{});
}

TYPED_TEST_P(StoreConformanceTest, PutGetReplaceErase) {
  this->put_all({{"a", "1"}, {"b", "2"}});
  EXPECT_EQ(this->read("a"), "1");
  EXPECT_EQ(this->read("b"), "2");
  this->put_all({{"a", "one"}});
  EXPECT_EQ(this->read("a"), "one");

  auto txn = this->begin();
  ASSERT_TRUE(txn->erase("a").has_value());
  ASSERT_TRUE(txn->erase("never-set").has_value());  // not an error
  ASSERT_TRUE(txn->commit().has_value());
  EXPECT_EQ(this->read("a"), std::nullopt);
  EXPECT_EQ(this->read("b"), "2");
}

TYPED_TEST_P(StoreConformanceTest, ReadYourWrites) {
  this->put_all({{"p:1", "x"}, {"p:2", "y"}, {"q:1", "z"}});
  auto txn = this->begin();
  ASSERT_TRUE(txn->put("p:0", as_bytes("new")).has_value());
  ASSERT_TRUE(txn->put("p:1", as_bytes("changed")).has_value());
  ASSERT_TRUE(txn->erase("p:2").has_value());
  EXPECT_EQ(this->get(*txn, "p:0"), "new");
  EXPECT_EQ(this->get(*txn, "p:1"), "changed");
  EXPECT_EQ(this->get(*txn, "p:2"), std::nullopt);
  EXPECT_EQ(this->list(*txn, "p:"), (Strings{"p:0", "p:1"}));

  ASSERT_TRUE(txn->erase_prefix("p:").has_value());
  EXPECT_EQ(this->list(*txn, "p:"), Strings{});
  EXPECT_EQ(this->get(*txn, "p:0"), std::nullopt);
  ASSERT_TRUE(txn->put("p:3", as_bytes("after")).has_value());
  EXPECT_EQ(this->list(*txn, ""), (Strings{"p:3", "q:1"}));
  // Others still see the committed state.
  EXPECT_EQ(this->read_list(""), (Strings{"p:1", "p:2", "q:1"}));

  ASSERT_TRUE(txn->commit().has_value());
  EXPECT_EQ(this->read_list(""), (Strings{"p:3", "q:1"}));
  EXPECT_EQ(this->read("p:3"), "after");
}

TYPED_TEST_P(StoreConformanceTest, ListIsBytewiseOrderedPrefixMatch) {
  this->put_all({{"secret:b", ""},
                 {"secret:a", ""},
                 {"secret:", ""},
                 {"secretX", ""},
                 {"secret", ""},
                 {"previousSecret:a", ""},
                 {"secret:a:b", ""},
                 {"Secret:z", ""},
                 {"secret:\xc3\xa9", ""},  // é, above every ASCII byte
                 {"secret:~", ""},
                 {"secret:B", ""},
                 {"secret;", ""},
                 {"s", ""}});
  EXPECT_EQ(this->read_list("secret:"), (Strings{"secret:", "secret:B", "secret:a", "secret:a:b",
                                                 "secret:b", "secret:~", "secret:\xc3\xa9"}));
  EXPECT_EQ(this->read_list("secret:a"), (Strings{"secret:a", "secret:a:b"}));
  EXPECT_EQ(this->read_list("previousSecret:"), (Strings{"previousSecret:a"}));
  EXPECT_EQ(this->read_list("nothing"), Strings{});
  EXPECT_EQ(this->read_list("secret:\xc3"), (Strings{"secret:\xc3\xa9"}));
  Strings all = this->read_list("");
  ASSERT_EQ(all.size(), 13U);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  EXPECT_EQ(all.front(), "Secret:z");
  EXPECT_EQ(all.back(), "secretX");  // 'X' (0x58) sorts after ';' (0x3b)
}

TYPED_TEST_P(StoreConformanceTest, ErasePrefix) {
  this->put_all({{"secret:a", "1"},
                 {"secret:b", "2"},
                 {"secretX", "3"},
                 {"previousSecret:a", "4"},
                 {"user:x", "5"}});
  auto txn = this->begin();
  ASSERT_TRUE(txn->erase_prefix("secret:").has_value());
  ASSERT_TRUE(txn->erase_prefix("absent:").has_value());
  ASSERT_TRUE(txn->commit().has_value());
  EXPECT_EQ(this->read_list(""), (Strings{"previousSecret:a", "secretX", "user:x"}));

  txn = this->begin();
  ASSERT_TRUE(txn->erase_prefix("").has_value());
  EXPECT_EQ(this->list(*txn, ""), Strings{});
  ASSERT_TRUE(txn->commit().has_value());
  EXPECT_EQ(this->read_list(""), Strings{});
}

TYPED_TEST_P(StoreConformanceTest, RollbackOnDestruction) {
  this->put_all({{"a", "1"}, {"b", "2"}});
  {
    auto txn = this->begin();
    ASSERT_TRUE(txn->put("a", as_bytes("changed")).has_value());
    ASSERT_TRUE(txn->put("c", as_bytes("3")).has_value());
    ASSERT_TRUE(txn->erase("b").has_value());
    ASSERT_TRUE(txn->erase_prefix("").has_value());
  }  // no commit
  EXPECT_EQ(this->read_list(""), (Strings{"a", "b"}));
  EXPECT_EQ(this->read("a"), "1");
  // The writer slot was released: a new transaction starts and commits.
  this->put_all({{"d", "4"}});
  EXPECT_EQ(this->read_list(""), (Strings{"a", "b", "d"}));
}

TYPED_TEST_P(StoreConformanceTest, CommittedTransactionCannotBeReused) {
  auto txn = this->begin();
  ASSERT_TRUE(txn->put("a", as_bytes("1")).has_value());
  ASSERT_TRUE(txn->commit().has_value());
  EXPECT_FALSE(txn->commit().has_value());
  EXPECT_FALSE(txn->put("b", as_bytes("2")).has_value());
  txn.reset();
  EXPECT_EQ(this->read_list(""), (Strings{"a"}));
  this->put_all({{"c", "3"}});  // the writer slot was released at commit
}

TYPED_TEST_P(StoreConformanceTest, BinaryAndEmptyValues) {
  const Bytes binary = {0x00, 0xff, 0x00, 0x01, 0x80, 0x00};
  auto txn = this->begin();
  ASSERT_TRUE(txn->put("bin", binary).has_value());
  ASSERT_TRUE(txn->put("empty", ByteSpan{}).has_value());
  ASSERT_TRUE(txn->commit().has_value());
  auto r = this->begin_read();
  auto bin = r->get("bin");
  ASSERT_TRUE(bin.has_value());
  ASSERT_TRUE(bin->has_value());
  EXPECT_EQ(**bin, binary);
  auto empty = r->get("empty");
  ASSERT_TRUE(empty.has_value());
  ASSERT_TRUE(empty->has_value()) << "an empty value is not a missing value";
  EXPECT_TRUE((*empty)->empty());
}

TYPED_TEST_P(StoreConformanceTest, LargeValue) {
  Bytes big(4 << 20);
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<std::uint8_t>(i * 131 >> 3);
  auto txn = this->begin();
  ASSERT_TRUE(txn->put("big", big).has_value());
  ASSERT_TRUE(txn->commit().has_value());
  auto r = this->begin_read();
  auto got = r->get("big");
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(got->has_value());
  EXPECT_TRUE(**got == big);
}

TYPED_TEST_P(StoreConformanceTest, ManyKeysInOneCommit) {
  auto txn = this->begin();
  for (int i = 0; i < 500; ++i) {
    char key[32];
    std::snprintf(key, sizeof key, "k:%04d", 499 - i);
    ASSERT_TRUE(txn->put(key, as_bytes(std::to_string(i))).has_value());
  }
  ASSERT_TRUE(txn->commit().has_value());
  Strings keys = this->read_list("k:");
  ASSERT_EQ(keys.size(), 500U);
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  EXPECT_EQ(keys.front(), "k:0000");
  EXPECT_EQ(this->read("k:0000"), "499");
  txn = this->begin();
  ASSERT_TRUE(txn->erase_prefix("k:01").has_value());
  ASSERT_TRUE(txn->commit().has_value());
  EXPECT_EQ(this->read_list("k:").size(), 400U);
}

TYPED_TEST_P(StoreConformanceTest, SnapshotIsolation) {
  this->put_all({{"a", "1"}});
  auto snap = this->begin_read();
  ASSERT_NE(snap, nullptr);
  EXPECT_EQ(this->get(*snap, "a"), "1");

  // A writer that starts, writes and commits while the snapshot is open (same thread: neither
  // may block the other).
  auto txn = this->begin();
  ASSERT_NE(txn, nullptr);
  ASSERT_TRUE(txn->put("a", as_bytes("2")).has_value());
  ASSERT_TRUE(txn->put("b", as_bytes("2")).has_value());
  auto during = this->begin_read();  // taken while the writer is active
  ASSERT_NE(during, nullptr);
  EXPECT_EQ(this->get(*during, "a"), "1");
  ASSERT_TRUE(txn->commit().has_value());

  EXPECT_EQ(this->get(*snap, "a"), "1");
  EXPECT_EQ(this->get(*snap, "b"), std::nullopt);
  EXPECT_EQ(this->list(*snap, ""), (Strings{"a"}));
  EXPECT_EQ(this->get(*during, "b"), std::nullopt);
  EXPECT_EQ(this->read("a"), "2");
  EXPECT_EQ(this->read_list(""), (Strings{"a", "b"}));
}

TYPED_TEST_P(StoreConformanceTest, ReadersNeverSeePartialCommits) {
  constexpr int kCommits = 40;
  std::atomic<bool> done{false};
  std::atomic<int> checks{0};
  std::atomic<int> torn{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      while (!done.load()) {
        auto r = this->store().begin_read();
        if (!r) {
          ++torn;
          continue;
        }
        auto a = (*r)->get("a");
        auto b = (*r)->get("b");
        auto c = (*r)->get("c");
        if (!a || !b || !c || *a != *b || *b != *c) ++torn;
        ++checks;
      }
    });
  }
  // Keep committing until the readers have overlapped with the writer for a while (a fast store
  // might otherwise finish before a reader thread is scheduled).
  int i = 0;
  for (; i < kCommits || (checks.load() < 50 && i < 100000); ++i) {
    auto txn = this->begin();
    ASSERT_NE(txn, nullptr);
    const std::string v = std::to_string(i);
    ASSERT_TRUE(txn->put("a", as_bytes(v)).has_value());
    ASSERT_TRUE(txn->put("b", as_bytes(v)).has_value());
    ASSERT_TRUE(txn->put("c", as_bytes(v)).has_value());
    ASSERT_TRUE(txn->commit().has_value());
  }
  done = true;
  for (auto& t : readers)
    t.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(checks.load(), 0);
  EXPECT_EQ(this->read("c"), std::to_string(i - 1));
}

TYPED_TEST_P(StoreConformanceTest, WritersAreSerialised) {
  constexpr int kThreads = 4;
  constexpr int kIncrements = 15;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        auto txn = this->store().begin();
        if (!txn) {
          ++errors;
          continue;
        }
        auto cur = (*txn)->get("counter");
        int n = (cur && *cur) ? std::stoi(to_string(**cur)) : 0;
        if (!cur || !(*txn)->put("counter", as_bytes(std::to_string(n + 1))) || !(*txn)->commit()) {
          ++errors;
        }
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(this->read("counter"), std::to_string(kThreads * kIncrements));
}

REGISTER_TYPED_TEST_SUITE_P(StoreConformanceTest, EmptyStore, PutGetReplaceErase, ReadYourWrites,
                            ListIsBytewiseOrderedPrefixMatch, ErasePrefix, RollbackOnDestruction,
                            CommittedTransactionCannotBeReused, BinaryAndEmptyValues, LargeValue,
                            ManyKeysInOneCommit, SnapshotIsolation, ReadersNeverSeePartialCommits,
                            WritersAreSerialised);

}  // namespace mr::store::testing
