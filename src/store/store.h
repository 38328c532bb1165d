#pragma once
// The Coordinator's state store: a transactional key-value map, nothing more (no keys, no
// sealing, no recovery: those live in seal/ and core/).
//
//   MR_ASSIGN_OR_RETURN(auto txn, store.begin());          // one writer at a time
//   MR_RETURN_IF_ERROR(txn->put("activations:web", value));
//   MR_RETURN_IF_ERROR(txn->commit());                      // durable when it returns
//   // a transaction destroyed without commit() rolls back
//
// Keys are UTF-8 strings; their prefixes are listed in store/keys.h.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace mr::store {

// ReadTransaction is a consistent snapshot of the store.
class ReadTransaction {
 public:
  virtual ~ReadTransaction() = default;
  // get returns the value of |key|, or nullopt if it is not set. Errors: kUnavailable /
  // kInternal for I/O failures, kDataLoss for corrupt records.
  [[nodiscard]] virtual Result<std::optional<Bytes>> get(std::string_view key) = 0;
  // list returns every key that starts with |prefix|, in byte-wise ascending order.
  [[nodiscard]] virtual Result<std::vector<std::string>> list(std::string_view prefix) = 0;
};

// Transaction reads its own writes. Writers are serialised by the store.
class Transaction : public ReadTransaction {
 public:
  // put sets |key| to |value| (replacing any value).
  [[nodiscard]] virtual Status put(std::string_view key, ByteSpan value) = 0;
  // erase removes |key|; erasing a missing key is not an error.
  [[nodiscard]] virtual Status erase(std::string_view key) = 0;
  // erase_prefix removes every key starting with |prefix| ("" removes everything).
  [[nodiscard]] virtual Status erase_prefix(std::string_view prefix) = 0;
  // commit makes every change visible and durable (fsync'd) atomically, or none of them.
  // kAborted means none of them for certain (a store shared by several writers found that what
  // the transaction read changed meanwhile; begin again); after other errors the outcome may be
  // unknown.
  // After commit (successful or not) the transaction must not be used again.
  [[nodiscard]] virtual Status commit() = 0;
};

// Store hands out transactions.
class Store {
 public:
  virtual ~Store() = default;
  // begin starts a read-write transaction, waiting while another writer is active.
  [[nodiscard]] virtual Result<std::unique_ptr<Transaction>> begin() = 0;
  // begin_read starts a read-only snapshot; it never blocks writers.
  [[nodiscard]] virtual Result<std::unique_ptr<ReadTransaction>> begin_read() = 0;
};

}  // namespace mr::store
