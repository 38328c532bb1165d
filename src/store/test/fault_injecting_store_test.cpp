#include "store/testing/fault_injecting_store.h"

#include <gtest/gtest.h>

#include "store/memory/memory_store.h"
#include "store/records.h"

namespace mr::store::testing {
namespace {

// A three-step "operation": begin, put a, put b, commit (4 counted ops).
Status write_pair(Store& store, std::string_view value) {
  MR_ASSIGN_OR_RETURN(auto txn, store.begin());
  MR_RETURN_IF_ERROR(put_string(*txn, "a", value));
  MR_RETURN_IF_ERROR(put_string(*txn, "b", value));
  return txn->commit();
}

std::pair<std::optional<std::string>, std::optional<std::string>> read_pair(Store& store) {
  auto r = *store.begin_read();
  return {*get_string(*r, "a"), *get_string(*r, "b")};
}

TEST(FaultInjectingStoreTest, NoPlanPassesThrough) {
  MemoryStore inner;
  FaultInjectingStore faulty(inner);
  ASSERT_TRUE(write_pair(faulty, "1").has_value());
  EXPECT_EQ(faulty.operations(), 4U);
  EXPECT_FALSE(faulty.fault_triggered());
  EXPECT_EQ(read_pair(inner).first, "1");
}

TEST(FaultInjectingStoreTest, EveryStepFailureLeavesOldOrNewState) {
  MemoryStore inner;
  ASSERT_TRUE(write_pair(inner, "old").has_value());
  FaultInjectingStore faulty(inner);
  int failures = 0;
  for (std::uint64_t n = 1;; ++n) {
    faulty.set_plan({.fail_at = n});
    Status st = write_pair(faulty, "new");
    if (!faulty.fault_triggered()) {
      ASSERT_TRUE(st.has_value());
      break;
    }
    ++failures;
    ASSERT_FALSE(st.has_value());
    EXPECT_EQ(st.error().code, FaultInjectingStore::kInjectedCode);
    EXPECT_NE(st.error().message.find("injected fault at operation " + std::to_string(n)),
              std::string::npos);
    EXPECT_EQ(read_pair(inner),
              std::make_pair(std::optional<std::string>("old"), std::optional<std::string>("old")));
  }
  EXPECT_EQ(failures, 4);
  EXPECT_EQ(read_pair(inner).first, "new");
}

TEST(FaultInjectingStoreTest, FailAfterCommitIsDurableButReported) {
  MemoryStore inner;
  FaultInjectingStore faulty(inner);
  faulty.set_plan({.fail_at = 1, .ops = kFaultCommit, .timing = FaultTiming::kAfter});
  Status st = write_pair(faulty, "x");
  ASSERT_FALSE(st.has_value());
  EXPECT_TRUE(faulty.fault_triggered());
  EXPECT_EQ(read_pair(inner).second, "x");
}

TEST(FaultInjectingStoreTest, StickyVersusOnce) {
  MemoryStore inner;
  FaultInjectingStore faulty(inner);
  faulty.set_plan({.fail_at = 2, .ops = kFaultPut});
  EXPECT_FALSE(write_pair(faulty, "1").has_value());
  EXPECT_FALSE(write_pair(faulty, "2").has_value());  // sticky: later puts fail too
  faulty.set_plan({.fail_at = 2, .ops = kFaultPut, .repeat = FaultRepeat::kOnce});
  EXPECT_FALSE(write_pair(faulty, "3").has_value());
  EXPECT_TRUE(write_pair(faulty, "4").has_value());
  EXPECT_EQ(read_pair(inner).first, "4");
}

TEST(FaultInjectingStoreTest, BeginCanFail) {
  MemoryStore inner;
  FaultInjectingStore faulty(inner);
  faulty.set_plan({.fail_at = 1, .ops = kFaultBegin});
  auto txn = faulty.begin();
  ASSERT_FALSE(txn.has_value());
  EXPECT_TRUE(faulty.fault_triggered());
  ASSERT_TRUE(inner.begin().has_value());  // the inner writer slot is free
}

}  // namespace
}  // namespace mr::store::testing
