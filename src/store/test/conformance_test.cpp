// Runs the Store conformance suite against every Store in store/.

#include <gtest/gtest.h>

#include "base/testing/temp_dir.h"
#include "store/memory/memory_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/testing/store_conformance.h"

namespace mr::store::testing {
namespace {

struct MemoryFactory {
  static constexpr const char* kName = "Memory";
  std::unique_ptr<Store> make() { return std::make_unique<MemoryStore>(); }
};

struct SqliteFactory {
  static constexpr const char* kName = "Sqlite";
  mr::testing::TempDir dir;
  std::unique_ptr<Store> make() {
    auto store = SqliteStore::open(dir / "seal");
    EXPECT_TRUE(store.has_value()) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }
};

using Impls = ::testing::Types<MemoryFactory, SqliteFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(Store, StoreConformanceTest, Impls, FactoryName);

}  // namespace
}  // namespace mr::store::testing
