#pragma once
// LiveStore: where the Coordinator's state lives and under which key (spec 4.2, 9). It owns the
// data key, the meta records (sealed data key, recovery data, format version) and the switch
// between memory and the sealed persistent store; the Core decides when to switch.
//
//   LiveStore live({&sqlite, &memory, &seal_keys});
//   MR_ASSIGN_OR_RETURN(LiveStore::Found found, live.open());    // start-up
//   switch (found) { case kNothing: ...fresh...; case kSealedState: ...load...;
//                    case kOtherSealKey: ...recovery mode... }
//   MR_ASSIGN_OR_RETURN(auto txn, live.begin());                  // the live store
//
// Memory: before the first manifest, in recovery mode and with seal mode Disabled (as upstream).
// Sealed: a seal::SealedStore (records sealed, integrity root verified at open) over the
// persistent store. A state is opened or recovered only by a Coordinator whose seal key comes
// from the same kind of source (TEE or simulation file) as the one that sealed it.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>

#include "base/result.h"
#include "core/recovery.h"
#include "manifest/manifest.h"
#include "seal/seal.h"
#include "store/store.h"

namespace mr::core {

// kFormatVersion is the store format this build writes and reads ("meta:formatVersion").
inline constexpr std::string_view kFormatVersion = "2";

class LiveStore {
 public:
  // Deps are borrowed; they must outlive the LiveStore.
  struct Deps {
    store::Store* persistent = nullptr;      // the durable store (SQLite in production)
    store::Store* volatile_store = nullptr;  // memory, for state that is not persisted
    seal::SealKeyProvider* seal_keys = nullptr;
    // shared: other Coordinators use the persistent store too (etcd). Seal mode Disabled is then
    // refused, and a state written by replace() must still be the one this instance last saw.
    bool shared = false;
  };

  // What open() found in the persistent store.
  enum class Found {
    kNothing,       // an empty store: start fresh
    kSealedState,   // the data key unsealed and every record verified: the sealed state is live
    kOtherSealKey,  // the data key is sealed for another seal key: recovery mode
  };

  // NewState is the key material of a state written by replace().
  struct NewState {
    SecretBytes data_key;
    RecoveryData recovery_data;
    manifest::SealMode seal_mode = manifest::SealMode::kProductKey;
  };

  explicit LiveStore(Deps deps);

  // open inspects the persistent store (at start-up, and on a shared store whenever another
  // instance may have written a state); memory stays live unless kSealedState. The data key is
  // unsealed from "meta:sealedDataKey" or, failing that, from this machine's node copy
  // (keys::kMetaNodeDataKeyPrefix).
  // Errors (the Coordinator must not start): kDataLoss seal::kIntegrityFailure... when records
  // exist without a sealed data key, when the sealed data key names this seal key but does not
  // open, or when any record fails the integrity check; kFailedPrecondition when the state was
  // sealed by another kind of seal key source (TEE vs simulation), in another format version,
  // or when the seal key cannot be read; I/O errors of the store.
  // |min_counter|: a sealed state whose commit counter is lower is refused as a replay (kDataLoss
  // kIntegrityFailure; a Coordinator that followed a shared state up to some commit never goes
  // back to an older one), and memory stays live.
  [[nodiscard]] Result<Found> open(std::uint64_t min_counter = 0);

  // use_memory clears the in-memory store, lets |write| fill it, and makes it live. The
  // persistent store is left alone (a fresh start or recovery mode does not touch it).
  [[nodiscard]] Status use_memory(const std::function<Status(store::Transaction&)>& write);

  // begin starts a transaction on the live store (callers hold the Core's write lock).
  [[nodiscard]] Result<std::unique_ptr<store::Transaction>> begin();
  // begin_read reads the live store; any thread, no lock.
  [[nodiscard]] Result<std::unique_ptr<store::ReadTransaction>> begin_read() const;

  // replace writes a whole new state in one transaction, then makes it live: sealed under
  // |s.data_key| with its meta records, or, for seal mode Disabled, into memory (the persistent
  // store is then erased). |write| fills the new state; it must not call begin_read() (readers
  // wait while the new state commits): take a read transaction of the old state before. On
  // failure nothing changes.
  [[nodiscard]] Status replace(NewState s, const std::function<Status(store::Transaction&)>& write);

  // recovery_data is the recovery data stored next to the sealed state (unauthenticated until a
  // data key verified the state; empty if none).
  [[nodiscard]] const RecoveryData& recovery_data() const { return recovery_data_; }
  // opens tells whether |candidate| opens the persistent state's integrity root.
  [[nodiscard]] bool opens(ByteSpan candidate) const;
  // verify opens the persistent state with |data_key| and verifies every record (the seal::
  // SealedStore::open errors), and that it was sealed by our kind of seal key source
  // (kFailedPrecondition otherwise). Nothing becomes live.
  [[nodiscard]] Result<std::unique_ptr<seal::SealedStore>> verify(SecretBytes data_key) const;
  // Reseal says where adopt() stores the data key sealed with this machine's seal key: as the
  // state's sealed data key (recovery: the old one is lost), or as this node's copy next to it
  // (joining a state that other Coordinators sharing the store hold).
  enum class Reseal { kPrimary, kNodeCopy };
  // adopt makes the verified |state| live, resealing its data key with this machine's seal key
  // for |mode| and storing |new_recovery_data| if given, in one commit. A seal key that cannot
  // be read is logged (the next start needs recovery again), not an error.
  [[nodiscard]] Status adopt(std::unique_ptr<seal::SealedStore> state,
                             std::optional<RecoveryData> new_recovery_data, manifest::SealMode mode,
                             Reseal reseal = Reseal::kPrimary);

  // is_sealed tells whether the sealed persistent state is live (not memory).
  [[nodiscard]] bool is_sealed() const { return sealed() != nullptr; }
  // shared tells whether other Coordinators share the persistent store.
  [[nodiscard]] bool shared() const { return deps_.shared; }

  // data_key returns a copy of the live data key (nullopt while the state is in memory).
  [[nodiscard]] std::optional<SecretBytes> data_key() const;
  // counter returns the commit counter of the live sealed state (0 in memory).
  [[nodiscard]] std::uint64_t counter() const;

 private:
  std::shared_ptr<seal::SealedStore> sealed() const;

  Deps deps_;
  RecoveryData recovery_data_;
  // The stored integrity root as open() last saw it (empty: none); what replace() expects to
  // find while memory is live.
  Bytes base_root_;
  // Guards sealed_. Exclusive while the live store changes, from the commit of the new state to
  // the swap; shared while a reader picks the live store and pins its snapshot.
  mutable std::shared_mutex swap_mu_;
  std::shared_ptr<seal::SealedStore> sealed_;  // live when set; else memory
};

// seal_key_kind maps a manifest seal mode to the TEE key it uses (Disabled: none).
[[nodiscard]] std::optional<seal::KeyKind> seal_key_kind(manifest::SealMode mode);

}  // namespace mr::core
