#pragma once
// SealedStore: the Coordinator's persistent state as a host who owns the storage cannot read or
// change it unnoticed. A decorator over a store::Store that
//  - encrypts every record under the data key (DEK) with AES-GCM, the record's key as associated
//    data (records under "meta:" stay readable: they say how to obtain the DEK);
//  - keeps an integrity root over the exact set of (key, stored value) pairs, meta records
//    included, and a commit counter (seal/integrity.h): every commit updates it in the same
//    transaction, opening the store verifies every record against it, and every later read is
//    checked against the digests this process committed.
//
//   // start-up: verify everything, or refuse
//   MR_ASSIGN_OR_RETURN(auto state, seal::SealedStore::open(sqlite, std::move(dek)));
//   MR_ASSIGN_OR_RETURN(auto txn, state->begin());
//   MR_RETURN_IF_ERROR(txn->put(store::keys::kRootSecret, secret.span()));   // sealed
//   MR_RETURN_IF_ERROR(txn->commit());                                       // + new root
//
//   // a new state under a new key, replacing everything in one transaction
//   MR_ASSIGN_OR_RETURN(state, seal::SealedStore::replace(sqlite, std::move(new_dek),
//                                                          state->counter(), write_records));
//
// Errors. A record that fails its check is kDataLoss "the sealed state failed its integrity check:
// ..." naming the key(s) (never their content). Keys under "integrity:" are the store's own:
// callers get kInvalidArgument for them. Errors of the inner store pass through.
//
// Concurrency: any number of readers and one writer (the inner store serialises writers). A read
// transaction is checked against the integrity version of the commit its snapshot shows. Two
// SealedStores over one inner store (the old and the new one around replace()) do not know of
// each other: whoever swaps them must keep readers of the old one from pinning a snapshot while
// the new one commits (LiveStore does).
//
// A commit whose inner commit reports failure may still have become durable; the next begin() or
// begin_read() finds out from the stored root and carries on from whichever state is there.
//
// Record format (version 1): u8 version=1 ‖ 12-byte random nonce ‖ AES-GCM ciphertext ‖ 16-byte
// tag, with the record's key as associated data.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "store/store.h"

namespace mr::seal {

inline constexpr std::uint8_t kSealedRecordVersion = 1;

// kIntegrityFailure starts the message of every integrity error.
inline constexpr std::string_view kIntegrityFailure = "the sealed state failed its integrity check";

// integrity_failure returns the kDataLoss error for |problems| (each naming a key, never a
// value), as open() reports them: kIntegrityFailure + ": " + the problems joined by "; ".
[[nodiscard]] Error integrity_failure(const std::vector<std::string>& problems);

// seal_record seals |value| for storage under |key| with |dek| (16, 24 or 32 bytes).
// kInvalidArgument for a bad key size.
[[nodiscard]] Result<Bytes> seal_record(ByteSpan dek, std::string_view key, ByteSpan value);
// open_record reverses seal_record. kDataLoss if |sealed| was not sealed with |dek| for |key|,
// is truncated or was modified; kInvalidArgument for a bad key size.
[[nodiscard]] Result<Bytes> open_record(ByteSpan dek, std::string_view key, ByteSpan sealed);

class SealedStore final : public store::Store {
 public:
  struct Shared;  // defined in the .cpp; shared with live transactions

  // open verifies every record of |inner| against the integrity root sealed under |dek| (16, 24
  // or 32 bytes) and returns the store over it. |inner| is borrowed and must outlive the result.
  // Errors: kDataLoss kIntegrityFailure + ": " + every problem found (up to 10, then a count):
  // the root missing or not opening with |dek|, a record added, removed or differing from the
  // value last committed (changed, replayed, moved from another key), integrity records changed.
  // Nothing is loaded unless everything verifies. Inner store errors pass through.
  [[nodiscard]] static Result<std::unique_ptr<SealedStore>> open(store::Store& inner,
                                                                 SecretBytes dek);

  // replace erases everything in |inner| and, in the same transaction, writes the records that
  // |write| puts (sealed under |dek|) with a new integrity root whose counter is
  // |previous_counter| + 1. Returns the store over the new state. On any failure |inner| is
  // unchanged. With |expected_root| set, the stored integrity root (read in the same
  // transaction) must be exactly those bytes (empty: no root at all), else kAborted: on a store
  // several Coordinators share, another one changed the state this replace was decided on.
  // |before_commit|, if set, runs after |write|, right before the commit, while the inner store's
  // writer lock is held: a caller takes there the lock that hides the commit from its readers, in
  // the order every other commit takes the two (writer lock first).
  [[nodiscard]] static Result<std::unique_ptr<SealedStore>> replace(
      store::Store& inner, SecretBytes dek, std::uint64_t previous_counter,
      const std::function<Status(store::Transaction&)>& write,
      const std::function<void()>& before_commit = {},
      const std::optional<Bytes>& expected_root = std::nullopt);

  ~SealedStore() override;
  SealedStore(const SealedStore&) = delete;
  SealedStore& operator=(const SealedStore&) = delete;

  // begin starts a sealed transaction; its commit updates the integrity records and the root.
  [[nodiscard]] Result<std::unique_ptr<store::Transaction>> begin() override;
  // begin_read starts a verified read snapshot.
  [[nodiscard]] Result<std::unique_ptr<store::ReadTransaction>> begin_read() override;

  // counter returns the commit counter of the last commit (the root's).
  [[nodiscard]] std::uint64_t counter() const;
  // records_for_test returns the number of records in the state (meta records included).
  [[nodiscard]] std::size_t records_for_test() const;
  // sealed_root returns the stored form of the last root committed or verified here.
  [[nodiscard]] Bytes sealed_root() const;
  // data_key returns a copy of the DEK.
  [[nodiscard]] SecretBytes data_key() const;

 private:
  explicit SealedStore(std::shared_ptr<Shared> shared);
  std::shared_ptr<Shared> shared_;
};

// check_data_key tells whether |dek| opens the integrity root of the state read through |raw|
// (the inner, unsealed store): a cheap test of a candidate key during recovery. Errors:
// kDataLoss "the data key does not open the sealed state" for a wrong key (or a damaged root),
// kNotFound if there is no root, kInvalidArgument if |dek| is not 16, 24 or 32 bytes, and the
// inner store's I/O errors.
[[nodiscard]] Status check_data_key(store::ReadTransaction& raw, ByteSpan dek);

}  // namespace mr::seal
