// Store benchmarks: sealed commits on SQLite (WAL, synchronous=FULL, so every commit is fsync'd)
// with the integrity root, at 1k and 100k records (a commit must cost what it changes, not what
// the state holds), the same commit without sealing, verified reads, and the start-up
// verification of a whole state. Runs in a temp dir under $TMPDIR; point TMPDIR at the disk you
// want to measure.
//
//   build/bin/store_bench --benchmark_filter=Commit

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "base/testing/temp_dir.h"
#include "crypto/hash.h"
#include "seal/sealed_store.h"
#include "store/memory/memory_store.h"
#include "store/sqlite/sqlite_store.h"

namespace {

using mr::Bytes;
using mr::SecretBytes;
using mr::seal::SealedStore;

std::string record_key(std::int64_t i) {
  char key[40];
  std::snprintf(key, sizeof key, "updateLog:%020lld", static_cast<long long>(i));
  return key;
}

[[noreturn]] void die(const char* what, const mr::Error& e) {
  std::fprintf(stderr, "%s: %s\n", what, e.message.c_str());
  std::abort();
}

// populate makes a sealed state of |n| records of |size| bytes in one transaction.
std::unique_ptr<SealedStore> populate(mr::store::Store& store, const SecretBytes& dek,
                                      std::int64_t n, std::size_t size) {
  const Bytes value(size, 0x5a);
  auto sealed =
      SealedStore::replace(store, dek.clone(), 0, [&](mr::store::Transaction& txn) -> mr::Status {
        for (std::int64_t i = 0; i < n; ++i)
          MR_RETURN_IF_ERROR(txn.put(record_key(i), value));
        return mr::ok();
      });
  if (!sealed) die("populate", sealed.error());
  return std::move(*sealed);
}

std::unique_ptr<mr::store::SqliteStore> open_sqlite(const mr::testing::TempDir& dir) {
  auto store = mr::store::SqliteStore::open(dir / "seal");
  if (!store) die("open", store.error());
  return std::move(*store);
}

// One changed record per commit (sealed, integrity root updated, fsync'd). Args: value size,
// records in the state. The figure to watch: 100k records within 1.2x of 1k.
void BM_SqliteSealedCommit(benchmark::State& state) {
  mr::testing::TempDir dir;
  auto store = open_sqlite(dir);
  const std::int64_t records = state.range(1);
  auto sealed = populate(*store, mr::crypto::random_secret(32), records, 256);
  const Bytes value(static_cast<std::size_t>(state.range(0)), 0xa5);
  std::int64_t i = 0;
  for (auto _ : state) {
    auto txn = sealed->begin();
    if (!txn || !(*txn)->put(record_key((i++ * 7919) % records), value) || !(*txn)->commit()) {
      state.SkipWithError("commit failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SqliteSealedCommit)
    ->ArgNames({"value", "records"})
    ->Args({256, 1000})
    ->Args({256, 100000})
    ->Args({16384, 1000})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// The 1.2x figure, measured fairly: commits alternate between a state of 1k and one of 100k
// records (two databases in the same directory), so that both see the same disk and the same
// fsync latency; counters report the median of each and their ratio.
void BM_SqliteSealedCommitInterleaved(benchmark::State& state) {
  mr::testing::TempDir small_dir, large_dir;
  auto small_db = open_sqlite(small_dir);
  auto large_db = open_sqlite(large_dir);
  auto small = populate(*small_db, mr::crypto::random_secret(32), 1000, 256);
  auto large = populate(*large_db, mr::crypto::random_secret(32), 100000, 256);
  const Bytes value(256, 0xa5);
  std::vector<double> small_us, large_us;
  std::int64_t i = 0;
  auto commit = [&](SealedStore& s, std::int64_t records, std::vector<double>& out) {
    const auto start = std::chrono::steady_clock::now();
    auto txn = s.begin();
    if (!txn || !(*txn)->put(record_key((i * 7919) % records), value) || !(*txn)->commit()) {
      return false;
    }
    out.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
    return true;
  };
  for (auto _ : state) {
    ++i;
    if (!commit(*small, 1000, small_us) || !commit(*large, 100000, large_us)) {
      state.SkipWithError("commit failed");
      break;
    }
  }
  auto median = [](std::vector<double>& v) {
    if (v.empty()) return 0.0;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  const double a = median(small_us), b = median(large_us);
  state.counters["commit_1k_us"] = a;
  state.counters["commit_100k_us"] = b;
  state.counters["ratio_100k_over_1k"] = a > 0 ? b / a : 0;
}
BENCHMARK(BM_SqliteSealedCommitInterleaved)->UseRealTime()->Unit(benchmark::kMicrosecond);

// One new record per commit (the update log, activation counters): appends at 1k and 100k.
void BM_SqliteSealedAppend(benchmark::State& state) {
  mr::testing::TempDir dir;
  auto store = open_sqlite(dir);
  const std::int64_t records = state.range(0);
  auto sealed = populate(*store, mr::crypto::random_secret(32), records, 256);
  const Bytes value(256, 0xa5);
  std::int64_t i = records;
  for (auto _ : state) {
    auto txn = sealed->begin();
    if (!txn || !(*txn)->put(record_key(i++), value) || !(*txn)->commit()) {
      state.SkipWithError("commit failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SqliteSealedAppend)
    ->ArgNames({"records"})
    ->Arg(1000)
    ->Arg(100000)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// The same commit without sealing or integrity root: the baseline of the store itself.
void BM_SqlitePlainCommit(benchmark::State& state) {
  mr::testing::TempDir dir;
  auto store = open_sqlite(dir);
  const std::int64_t records = state.range(0);
  {
    auto txn = std::move(*store->begin());
    const Bytes value(256, 0x5a);
    for (std::int64_t i = 0; i < records; ++i) {
      if (!txn->put(record_key(i), value)) std::abort();
    }
    if (!txn->commit()) std::abort();
  }
  const Bytes value(256, 0xa5);
  std::int64_t i = 0;
  for (auto _ : state) {
    auto txn = std::move(*store->begin());
    if (!txn->put(record_key((i++ * 7919) % records), value) || !txn->commit()) {
      state.SkipWithError("commit failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SqlitePlainCommit)
    ->ArgNames({"records"})
    ->Arg(1000)
    ->Arg(100000)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// Start-up: open and verify every record of a state against its integrity root.
void BM_SqliteVerifyState(benchmark::State& state) {
  mr::testing::TempDir dir;
  auto store = open_sqlite(dir);
  SecretBytes dek = mr::crypto::random_secret(32);
  populate(*store, dek, state.range(0), 256);
  for (auto _ : state) {
    auto opened = SealedStore::open(*store, dek.clone());
    if (!opened) {
      state.SkipWithError(opened.error().message.c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SqliteVerifyState)
    ->ArgNames({"records"})
    ->Arg(1000)
    ->Arg(100000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// A fresh read snapshot plus one verified get per iteration (how API handlers read).
void BM_SqliteSealedSnapshotGet(benchmark::State& state) {
  mr::testing::TempDir dir;
  auto store = open_sqlite(dir);
  auto sealed = populate(*store, mr::crypto::random_secret(32), 1000, 256);
  std::int64_t i = 0;
  for (auto _ : state) {
    auto txn = std::move(*sealed->begin_read());
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

// Verified gets within one snapshot (reads per second once a snapshot is open).
void BM_SqliteSealedGet(benchmark::State& state) {
  mr::testing::TempDir dir;
  auto store = open_sqlite(dir);
  auto sealed = populate(*store, mr::crypto::random_secret(32), 1000, 256);
  auto txn = std::move(*sealed->begin_read());
  std::int64_t i = 0;
  for (auto _ : state) {
    auto v = txn->get(record_key((i++ * 7919) % 1000));
    if (!v || !*v) {
      state.SkipWithError("read failed");
      break;
    }
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SqliteSealedGet)->UseRealTime();

// For reference: the sealed commit on the in-memory store (no I/O): sealing and the integrity
// root alone, at 1k and 100k records.
void BM_MemorySealedCommit(benchmark::State& state) {
  mr::store::MemoryStore store;
  const std::int64_t records = state.range(0);
  auto sealed = populate(store, mr::crypto::random_secret(32), records, 256);
  const Bytes value(256, 0xa5);
  std::int64_t i = 0;
  for (auto _ : state) {
    auto txn = sealed->begin();
    if (!txn || !(*txn)->put(record_key((i++ * 7919) % records), value) || !(*txn)->commit()) {
      state.SkipWithError("commit failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MemorySealedCommit)->ArgNames({"records"})->Arg(1000)->Arg(100000);

}  // namespace

BENCHMARK_MAIN();
