// LiveStore: switching between memory and the sealed store, and failures while switching.

#include "core/live_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "base/testing/temp_dir.h"
#include "crypto/hash.h"
#include "seal/file_seal_key_provider.h"
#include "store/memory/memory_store.h"
#include "store/records.h"
#include "store/testing/fault_injecting_store.h"

namespace mr::core {
namespace {

class LiveStoreTest : public ::testing::Test {
 protected:
  std::string live_get(std::string_view key) {
    auto txn = *live_.begin_read();
    return store::get_string(*txn, key)->value_or("(none)");
  }
  Status write(std::string_view key, std::string_view value) {
    MR_ASSIGN_OR_RETURN(auto txn, live_.begin());
    MR_RETURN_IF_ERROR(store::put_string(*txn, key, value));
    return txn->commit();
  }
  LiveStore::NewState key(manifest::SealMode mode) { return {crypto::random_secret(32), {}, mode}; }
  static auto put(std::string_view k, std::string_view v) {
    return [k, v](store::Transaction& txn) { return store::put_string(txn, k, v); };
  }

  mr::testing::TempDir dir_;
  store::MemoryStore persistent_, memory_;
  store::testing::FaultInjectingStore faulty_{persistent_};
  seal::FileSealKeyProvider seal_keys_{dir_.path()};
  LiveStore live_{{&faulty_, &memory_, &seal_keys_}};
};

TEST_F(LiveStoreTest, SealedThenDisabledThenReopened) {
  ASSERT_EQ(*live_.open(), LiveStore::Found::kNothing);
  ASSERT_TRUE(live_.use_memory(put("state", "2")));
  EXPECT_EQ(live_get("state"), "2");
  ASSERT_TRUE(live_.replace(key(manifest::SealMode::kProductKey), put("state", "3")));
  EXPECT_TRUE(live_.data_key().has_value());
  EXPECT_EQ(live_.counter(), 1u);
  ASSERT_TRUE(write("state", "4"));
  EXPECT_EQ(live_.counter(), 2u);
  LiveStore again({&persistent_, &memory_, &seal_keys_});
  ASSERT_EQ(*again.open(), LiveStore::Found::kSealedState);
  EXPECT_EQ(*store::get_string(**again.begin_read(), "state"), "4");
  ASSERT_TRUE(live_.replace(key(manifest::SealMode::kDisabled), put("state", "5")));
  EXPECT_FALSE(live_.data_key().has_value());
  EXPECT_EQ(live_get("state"), "5");
  EXPECT_EQ(*persistent_.begin_read().value()->list(""), std::vector<std::string>{});
}

// Switching to seal mode Disabled wipes the persistent store; if that fails, nothing changed:
// the sealed state stays live and the memory store keeps what it had.
TEST_F(LiveStoreTest, AFailedWipeLeavesTheSealedStateLive) {
  ASSERT_EQ(*live_.open(), LiveStore::Found::kNothing);
  ASSERT_TRUE(live_.use_memory(put("state", "2")));
  ASSERT_TRUE(live_.replace(key(manifest::SealMode::kProductKey), put("state", "3")));
  faulty_.set_plan({1, store::testing::kFaultCommit, store::testing::FaultTiming::kBefore,
                    store::testing::FaultRepeat::kOnce});
  ASSERT_FALSE(live_.replace(key(manifest::SealMode::kDisabled), put("state", "9")));
  EXPECT_TRUE(live_.data_key().has_value());
  EXPECT_EQ(live_get("state"), "3");
  EXPECT_EQ(*store::get_string(**memory_.begin_read(), "state"), "2");
  ASSERT_TRUE(write("state", "4"));
  EXPECT_EQ(live_get("state"), "4");
}

// A failed rewrite under a new key leaves the old sealed state live and verifiable.
TEST_F(LiveStoreTest, AFailedReplaceLeavesTheOldState) {
  ASSERT_EQ(*live_.open(), LiveStore::Found::kNothing);
  ASSERT_TRUE(live_.replace(key(manifest::SealMode::kProductKey), put("state", "3")));
  const SecretBytes old_key = *live_.data_key();
  faulty_.set_plan({1, store::testing::kFaultCommit, store::testing::FaultTiming::kBefore,
                    store::testing::FaultRepeat::kOnce});
  ASSERT_FALSE(live_.replace(key(manifest::SealMode::kUniqueKey), put("state", "9")));
  EXPECT_TRUE(live_.data_key()->equals(old_key.span()));
  EXPECT_EQ(live_get("state"), "3");
  LiveStore again({&persistent_, &memory_, &seal_keys_});
  ASSERT_EQ(*again.open(), LiveStore::Found::kSealedState);
}

// Readers never see a false integrity alarm while commits and rewrites under new keys go on.
TEST_F(LiveStoreTest, ReadersDuringCommitsAndRewrites) {
  ASSERT_EQ(*live_.open(), LiveStore::Found::kNothing);
  ASSERT_TRUE(live_.replace(key(manifest::SealMode::kProductKey), put("state", "0")));
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0}, failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop) {
        auto txn = live_.begin_read();
        auto v = txn ? store::get_string(**txn, "state")
                     : Result<std::optional<std::string>>(fail(txn.error()));
        if (!v || !*v) ++failures;
        ++reads;
      }
    });
  }
  // Start writing only once every reader runs (a loaded machine may schedule them late).
  while (reads.load() < 3)
    std::this_thread::yield();
  for (int i = 1; i <= 60; ++i) {
    if (i % 10 == 0) {
      ASSERT_TRUE(
          live_.replace(key(manifest::SealMode::kProductKey), put("state", std::to_string(i))));
    } else {
      ASSERT_TRUE(write("state", std::to_string(i)));
    }
  }
  stop = true;
  for (auto& r : readers)
    r.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(live_get("state"), "60");
}

}  // namespace
}  // namespace mr::core
