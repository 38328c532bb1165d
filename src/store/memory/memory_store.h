#pragma once
// MemoryStore: an in-memory Store (SealMode Disabled, and tests). Nothing is persisted; commit()
// is atomic but "durable" only for the lifetime of the object.
//
//   store::MemoryStore store;
//   MR_ASSIGN_OR_RETURN(auto txn, store.begin());
//
// Read snapshots share an immutable map (copy-on-write): a commit publishes a new map, so a
// snapshot taken before it keeps seeing the old one. A commit with no snapshot outstanding
// updates the map in place, so a write costs O(changes); with snapshots outstanding it copies the
// map once. Writers are serialised: begin() waits while another Transaction is alive. The store
// is thread-safe; a single transaction object is not. Transactions may outlive the store.

#include <memory>

#include "store/store.h"

namespace mr::store {

class MemoryStore final : public Store {
 public:
  MemoryStore();
  ~MemoryStore() override;
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  // begin starts a read-write transaction; it blocks while another one is alive (so a thread
  // must not call begin() while it still holds a Transaction). Never fails.
  [[nodiscard]] Result<std::unique_ptr<Transaction>> begin() override;
  // begin_read returns a snapshot of the last committed state. Never blocks on writers, never
  // fails.
  [[nodiscard]] Result<std::unique_ptr<ReadTransaction>> begin_read() override;

  struct State;  // shared with the transactions; defined in memory_store.cpp

 private:
  std::shared_ptr<State> state_;
};

}  // namespace mr::store
