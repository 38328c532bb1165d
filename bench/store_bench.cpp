// Store benchmarks: sealed single-record commits on SQLite (WAL, synchronous=FULL, so every
// commit is fsync'd) and sealed reads. Runs in a temp dir under $TMPDIR; point TMPDIR at the disk
// you want to measure.
//
//   build/bin/store_bench --benchmark_filter=Sqlite

#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>

#include "base/testing/temp_dir.h"
#include "crypto/hash.h"
#include "seal/sealed_transaction.h"
#include "store/memory/memory_store.h"
#include "store/sqlite/sqlite_store.h"

namespace {

using mr::Bytes;
using mr::SecretBytes;

std::string record_key(std::int64_t i) {
  char key[32];
  std::snprintf(key, sizeof key, "secret:%08lld", static_cast<long long>(i));
  return key;
}

// populate writes |n| sealed records of |size| bytes in one transaction.
void populate(mr::store::Store& store, const SecretBytes& dek, std::int64_t n, std::size_t size) {
  mr::seal::SealedTransaction txn(std::move(*store.begin()), dek.clone());
  const Bytes value(size, 0x5a);
  for (std::int64_t i = 0; i < n; ++i) {
    if (!txn.put(record_key(i), value)) std::abort();
  }
  if (!txn.commit()) std::abort();
}

std::unique_ptr<mr::store::SqliteStore> open_sqlite(const mr::testing::TempDir& dir) {
  auto store = mr::store::SqliteStore::open(dir / "seal");
  if (!store) {
    std::fprintf(stderr, "open: %s\n", store.error().message.c_str());
    std::abort();
  }
  return std::move(*store);
}

// One sealed record per commit. Args: value size, records already in the store.
void BM_SqliteSealedCommit(benchmark::State& state) {
  mr::testing::TempDir dir;
  auto store = open_sqlite(dir);
  SecretBytes dek = mr::crypto::random_secret(32);
  populate(*store, dek, state.range(1), 256);
  const Bytes value(static_cast<std::size_t>(state.range(0)), 0xa5);
  std::int64_t i = 0;
  for (auto _ : state) {
    mr::seal::SealedTransaction txn(std::move(*store->begin()), dek.clone());
    if (!txn.put(record_key(i++ % 1000), value) || !txn.commit()) {
      state.SkipWithError("commit failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SqliteSealedCommit)
    ->ArgNames({"value", "records"})
    ->Args({256, 100})
    ->Args({256, 10000})
    ->Args({16384, 1000})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// The same commit without sealing, to show what sealing costs.
void BM_SqlitePlainCommit(benchmark::State& state) {
  mr::testing::TempDir dir;
  auto store = open_sqlite(dir);
  const Bytes value(256, 0xa5);
  std::int64_t i = 0;
  for (auto _ : state) {
    auto txn = std::move(*store->begin());
    if (!txn->put(record_key(i++ % 1000), value) || !txn->commit()) {
      state.SkipWithError("commit failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SqlitePlainCommit)->UseRealTime()->Unit(benchmark::kMicrosecond);

// A fresh read snapshot plus one sealed get per iteration (how API handlers read).
void BM_SqliteSealedSnapshotGet(benchmark::State& state) {
  mr::testing::TempDir dir;
  auto store = open_sqlite(dir);
  SecretBytes dek = mr::crypto::random_secret(32);
  populate(*store, dek, 1000, 256);
  mr::seal::SealedStore sealed(*store, dek.clone());
  std::int64_t i = 0;
  for (auto _ : state) {
    auto txn = std::move(*sealed.begin_read());
    auto v = txn->get(record_key((i++ * 7919) % 1000));
    if (!v || !*v) {
      state.SkipWithError("read failed");
      break;
    }
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SqliteSealedSnapshotGet)->UseRealTime();

// Sealed gets within one snapshot (reads per second once a snapshot is open).
void BM_SqliteSealedGet(benchmark::State& state) {
  mr::testing::TempDir dir;
  auto store = open_sqlite(dir);
  SecretBytes dek = mr::crypto::random_secret(32);
  populate(*store, dek, 1000, 256);
  mr::seal::SealedReadTransaction txn(std::move(*store->begin_read()), dek.clone());
  std::int64_t i = 0;
  for (auto _ : state) {
    auto v = txn.get(record_key((i++ * 7919) % 1000));
    if (!v || !*v) {
      state.SkipWithError("read failed");
      break;
    }
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SqliteSealedGet)->UseRealTime();

// For reference: the same sealed commit on the in-memory store (no I/O).
void BM_MemorySealedCommit(benchmark::State& state) {
  mr::store::MemoryStore store;
  SecretBytes dek = mr::crypto::random_secret(32);
  populate(store, dek, 1000, 256);
  const Bytes value(256, 0xa5);
  std::int64_t i = 0;
  for (auto _ : state) {
    mr::seal::SealedTransaction txn(std::move(*store.begin()), dek.clone());
    if (!txn.put(record_key(i++ % 1000), value) || !txn.commit()) {
      state.SkipWithError("commit failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MemorySealedCommit);

}  // namespace

BENCHMARK_MAIN();
