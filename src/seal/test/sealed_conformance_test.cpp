// The Store conformance suite over SealedStore: sealing must not change any Store semantics.

#include <gtest/gtest.h>

#include "base/testing/temp_dir.h"
#include "crypto/hash.h"
#include "seal/sealed_transaction.h"
#include "store/memory/memory_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/testing/store_conformance.h"

namespace mr::seal {
namespace {

struct SealedMemoryFactory {
  static constexpr const char* kName = "SealedMemory";
  store::MemoryStore inner;
  std::unique_ptr<store::Store> make() {
    return std::make_unique<SealedStore>(inner, crypto::random_secret(32));
  }
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
    return std::make_unique<SealedStore>(*inner, crypto::random_secret(32));
  }
};

}  // namespace
}  // namespace mr::seal

namespace mr::store::testing {
using SealedImpls = ::testing::Types<seal::SealedMemoryFactory, seal::SealedSqliteFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(Sealed, StoreConformanceTest, SealedImpls, FactoryName);
}  // namespace mr::store::testing
