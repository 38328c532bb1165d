// The Store conformance suite over SealedStore: sealing and the integrity root must not change
// any Store semantics.

#include <gtest/gtest.h>

#include "base/testing/temp_dir.h"
#include "crypto/hash.h"
#include "seal/sealed_store.h"
#include "store/memory/memory_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/testing/store_conformance.h"

namespace mr::seal {
namespace {

// fresh is an empty sealed state over |inner| under a random data key.
std::unique_ptr<store::Store> fresh(store::Store& inner) {
  auto s = SealedStore::replace(inner, crypto::random_secret(32), 0, nullptr);
  EXPECT_TRUE(s.has_value()) << s.error().message;
  return s ? std::move(*s) : nullptr;
}

struct SealedMemoryFactory {
  static constexpr const char* kName = "SealedMemory";
  store::MemoryStore inner;
  std::unique_ptr<store::Store> make() { return fresh(inner); }
};

struct SealedSqliteFactory {
  static constexpr const char* kName = "SealedSqlite";
  mr::testing::TempDir dir;
  std::unique_ptr<store::SqliteStore> inner;
  std::unique_ptr<store::Store> make() {
    auto s = store::SqliteStore::open(dir / "seal");
    EXPECT_TRUE(s.has_value()) << s.error().message;
    if (!s) return nullptr;
    inner = std::move(*s);
    return fresh(*inner);
  }
};

}  // namespace
}  // namespace mr::seal

namespace mr::store::testing {
using SealedImpls = ::testing::Types<seal::SealedMemoryFactory, seal::SealedSqliteFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(Sealed, StoreConformanceTest, SealedImpls, FactoryName);
}  // namespace mr::store::testing
