#include "store/memory/memory_store.h"

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace mr::store {
namespace {

using Map = std::map<std::string, Bytes, std::less<>>;
// A pending change: a value to set, or nullopt to erase.
using Changes = std::map<std::string, std::optional<Bytes>, std::less<>>;

Error finished_error() {
  return Error{ErrorCode::kFailedPrecondition, "transaction already committed"};
}

// A committed map and the number of snapshots reading it.
struct Version {
  Map map;
  std::atomic<long> readers{0};
};

}  // namespace

struct MemoryStore::State {
  // Serialises writers: a live MemoryTransaction holds it (through a unique_lock member).
  std::mutex writer_mu;
  // Guards |current| (the pointer, not the map it points to) and the start of every snapshot.
  std::mutex snapshot_mu;
  // The last committed map. It is only mutated in place by the writer holding writer_mu, while
  // snapshot_mu is held and no snapshot reads it (readers == 0).
  std::shared_ptr<Version> current = std::make_shared<Version>();

  // snapshot returns the current map for reading; the returned pointer counts as a reader
  // until it is released (the release pairs with the acquire in MemoryTransaction::commit).
  std::shared_ptr<const Map> snapshot() {
    std::shared_ptr<Version> v;
    {
      std::scoped_lock lock(snapshot_mu);
      v = current;
      v->readers.fetch_add(1, std::memory_order_relaxed);  // ordered by snapshot_mu
    }
    const Map* map = &v->map;
    return std::shared_ptr<const Map>(map, [v = std::move(v)](const Map*) {
      v->readers.fetch_sub(1, std::memory_order_release);
    });
  }
};

namespace {

std::vector<std::string> list_map(const Map& map, std::string_view prefix) {
  std::vector<std::string> keys;
  for (auto it = map.lower_bound(prefix); it != map.end() && it->first.starts_with(prefix); ++it) {
    keys.push_back(it->first);
  }
  return keys;
}

class MemoryReadTransaction final : public ReadTransaction {
 public:
  explicit MemoryReadTransaction(std::shared_ptr<const Map> map) : map_(std::move(map)) {}

  Result<std::optional<Bytes>> get(std::string_view key) override {
    auto it = map_->find(key);
    if (it == map_->end()) return std::optional<Bytes>();
    return std::optional<Bytes>(it->second);
  }
  Result<std::vector<std::string>> list(std::string_view prefix) override {
    return list_map(*map_, prefix);
  }

 private:
  std::shared_ptr<const Map> map_;
};

class MemoryTransaction final : public Transaction {
 public:
  MemoryTransaction(std::shared_ptr<MemoryStore::State> state, std::unique_lock<std::mutex> lock)
      : state_(std::move(state)), writer_lock_(std::move(lock)), base_(state_->snapshot()) {}

  Result<std::optional<Bytes>> get(std::string_view key) override {
    if (finished_) return fail(finished_error());
    if (auto it = changes_.find(key); it != changes_.end()) return it->second;
    auto it = base_->find(key);
    if (it == base_->end()) return std::optional<Bytes>();
    return std::optional<Bytes>(it->second);
  }

  Result<std::vector<std::string>> list(std::string_view prefix) override {
    if (finished_) return fail(finished_error());
    // Merge the committed keys with the pending changes, both sorted.
    std::vector<std::string> keys;
    auto b = base_->lower_bound(prefix);
    auto c = changes_.lower_bound(prefix);
    auto b_in = [&] { return b != base_->end() && b->first.starts_with(prefix); };
    auto c_in = [&] { return c != changes_.end() && c->first.starts_with(prefix); };
    while (b_in() || c_in()) {
      if (c_in() && (!b_in() || c->first <= b->first)) {
        if (b_in() && b->first == c->first) ++b;
        if (c->second) keys.push_back(c->first);
        ++c;
      } else {
        keys.push_back(b->first);
        ++b;
      }
    }
    return keys;
  }

  Status put(std::string_view key, ByteSpan value) override {
    if (finished_) return fail(finished_error());
    changes_.insert_or_assign(std::string(key), Bytes(value.begin(), value.end()));
    return ok();
  }

  Status erase(std::string_view key) override {
    if (finished_) return fail(finished_error());
    changes_.insert_or_assign(std::string(key), std::nullopt);
    return ok();
  }

  Status erase_prefix(std::string_view prefix) override {
    if (finished_) return fail(finished_error());
    for (auto it = changes_.lower_bound(prefix);
         it != changes_.end() && it->first.starts_with(prefix); ++it) {
      it->second.reset();
    }
    for (auto& key : list_map(*base_, prefix))
      changes_.insert_or_assign(key, std::nullopt);
    return ok();
  }

  Status commit() override {
    if (finished_) return fail(finished_error());
    finished_ = true;
    base_.reset();  // drop our share so the map can be updated in place
    MemoryStore::State& s = *state_;
    {
      std::scoped_lock lock(s.snapshot_mu);
      // No snapshot reads the map, and none can start while we hold snapshot_mu. The acquire
      // pairs with the release of the last reader, so its reads happen before our writes.
      if (s.current->readers.load(std::memory_order_acquire) == 0) {
        apply(s.current->map);
        changes_.clear();
        writer_lock_.unlock();
        return ok();
      }
    }
    // Snapshots read the current map: copy it. Only writers change |current| and we are the
    // writer, so reading it outside snapshot_mu is safe.
    auto next = std::make_shared<Version>();
    next->map = s.current->map;
    apply(next->map);
    changes_.clear();
    {
      std::scoped_lock lock(s.snapshot_mu);
      s.current = std::move(next);
    }
    writer_lock_.unlock();
    return ok();
  }

 private:
  void apply(Map& map) {
    for (auto& [key, value] : changes_) {
      if (value) {
        map.insert_or_assign(key, std::move(*value));
      } else {
        map.erase(key);
      }
    }
  }

  std::shared_ptr<MemoryStore::State> state_;
  std::unique_lock<std::mutex> writer_lock_;  // on state_->writer_mu until commit or destruction
  std::shared_ptr<const Map> base_;           // the snapshot this transaction started from
  Changes changes_;                           // uncommitted writes; dropped on rollback
  bool finished_ = false;
};

}  // namespace

MemoryStore::MemoryStore() : state_(std::make_shared<State>()) {}
MemoryStore::~MemoryStore() = default;

Result<std::unique_ptr<Transaction>> MemoryStore::begin() {
  std::unique_lock<std::mutex> lock(state_->writer_mu);
  return std::make_unique<MemoryTransaction>(state_, std::move(lock));
}

Result<std::unique_ptr<ReadTransaction>> MemoryStore::begin_read() {
  return std::make_unique<MemoryReadTransaction>(state_->snapshot());
}

}  // namespace mr::store
