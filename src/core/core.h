#pragma once
// Core: the Coordinator's state, its storage and the write lock. Client and Marble services
// (client_api.h, marble_api.h) run their operations through it.
//
//   MR_ASSIGN_OR_RETURN(auto core, Core::start(deps, config));
//   SnapshotPtr s = core->snapshot();                          // lock-free reads
//   MR_ASSIGN_OR_RETURN(auto guard, core->lock({State::kAcceptingMarbles}));
//   MR_ASSIGN_OR_RETURN(auto txn, guard.begin());              // sealed when persistent
//   ... txn->put(...) ...
//   MR_RETURN_IF_ERROR(guard.commit(std::move(txn)));          // durable, then republished
//
// Storage: before the first manifest (and in recovery mode) the state lives only in memory, as
// upstream does; SetManifest writes all of it to the persistent store in one transaction,
// sealed under a fresh data key. Seal mode Disabled keeps everything in memory for good.

#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "attestation/quote_issuer.h"
#include "base/assert.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/result.h"
#include "core/recovery.h"
#include "core/snapshot.h"
#include "manifest/manifest.h"
#include "seal/seal.h"
#include "store/store.h"

namespace mr::core {

struct CoreConfig {
  std::vector<std::string> dns_names{"localhost"};  // SANs of a newly generated CA
  bool dev_mode = false;  // a quote failure other than "no TEE" at startup is not fatal
};

// CoreDeps are borrowed; they must outlive the Core.
struct CoreDeps {
  const Clock* clock = nullptr;
  store::Store* persistent = nullptr;      // the durable store (SQLite in production)
  store::Store* volatile_store = nullptr;  // an in-memory store for state that is not persisted
  seal::SealKeyProvider* seal_keys = nullptr;
  attestation::QuoteIssuer* quote_issuer = nullptr;
};

class Core {
 public:
  // Guard holds the write lock: at most one state-changing operation runs at a time.
  class Guard {
   public:
    // snapshot is the state as of taking the lock (updated by commit()).
    [[nodiscard]] const Snapshot& snapshot() const { return *snap_; }
    // begin starts a transaction on the live store (sealed under the data key when persistent).
    [[nodiscard]] Result<std::unique_ptr<store::Transaction>> begin();
    // commit makes |txn| durable and republishes the snapshot from the store.
    [[nodiscard]] Status commit(std::unique_ptr<store::Transaction> txn);

   private:
    friend class Core;
    Guard(Core& core, std::unique_lock<std::mutex> lock);
    Core* core_;
    std::unique_lock<std::mutex> lock_;
    SnapshotPtr snap_;
  };

  // start brings the Coordinator up (spec 4.2): loads the sealed state (normally state 3),
  // enters recovery (state 1, with a temporary CA) when the data key cannot be unsealed, or
  // starts fresh (state 2). Then quotes its root certificate; "no TEE" means simulation mode.
  // Fatal errors: unreadable store, a data key that unseals but does not open the state,
  // a quote failure (unless dev_mode).
  [[nodiscard]] static Result<std::unique_ptr<Core>> start(CoreDeps deps, CoreConfig config);

  // snapshot returns the current published state (never null after start()).
  [[nodiscard]] SnapshotPtr snapshot() const;
  // lock takes the write lock if the state is one of |allowed|; kFailedPrecondition
  // "server is not in expected state" otherwise.
  [[nodiscard]] Result<Guard> lock(std::initializer_list<State> allowed);

  // NewState is everything SetManifest writes (spec 5.9).
  struct NewState {
    SecretBytes data_key;
    RecoveryData recovery_data;
    manifest::SealMode seal_mode = manifest::SealMode::kProductKey;
    std::function<Status(store::Transaction&)> write_records;
  };
  // replace_state discards the stored state and writes |s| in one atomic transaction (to the
  // persistent store, or to memory for seal mode Disabled), then republishes the snapshot.
  // On failure nothing changes.
  [[nodiscard]] Status replace_state(Guard& guard, NewState s);

  // adopt_recovered switches from recovery mode to the sealed state that |data_key| opens:
  // reseals the key with this machine's seal key (and stores |new_recovery_data| if given),
  // reloads the state and quotes the recovered root certificate.
  [[nodiscard]] Status adopt_recovered(Guard& guard, SecretBytes data_key,
                                       std::optional<RecoveryData> new_recovery_data);

  // opens_sealed_state reports whether |candidate| is the data key of the persistent state.
  [[nodiscard]] bool opens_sealed_state(ByteSpan candidate);
  // sealed_state reads the persistent state with |data_key| (recovery checks the recovered
  // manifest's keys before adopting it).
  [[nodiscard]] Result<Snapshot> sealed_state(ByteSpan data_key);
  // stored_recovery_data is the recovery data next to the persistent state (empty if none).
  [[nodiscard]] const RecoveryData& stored_recovery_data() const { return stored_recovery_data_; }

  // read_transaction reads the live state without the write lock.
  [[nodiscard]] Result<std::unique_ptr<store::ReadTransaction>> read_transaction() const {
    return begin_live_read();
  }
  // data_key returns a copy of the live data key (nullopt while the state is only in memory).
  [[nodiscard]] std::optional<SecretBytes> data_key(const Guard& guard) const;

  // activations returns how many times |marble_type| was activated (counted only for Marbles
  // with MaxActivations).
  [[nodiscard]] Result<std::uint64_t> activations(std::string_view marble_type);
  // claim_activation is Activate's only serialised step: under the write lock, if the published
  // snapshot is still |expected| (kAborted otherwise: the state changed meanwhile) and fewer than
  // |max| activations were counted (kPermissionDenied "reached max activations count (<n>) for
  // marble type \"<t>\"" otherwise), it counts one more in a short transaction. Returns the new
  // count. The snapshot is not republished (counters are not part of it).
  [[nodiscard]] Result<std::uint64_t> claim_activation(const SnapshotPtr& expected,
                                                       std::string_view marble_type,
                                                       std::uint64_t max);

  // quote returns a quote over |report_data|, or empty in simulation mode.
  [[nodiscard]] Result<Bytes> quote(ByteSpan report_data) const;
  [[nodiscard]] const Clock& clock() const { return *deps_.clock; }

 private:
  Core(CoreDeps deps, CoreConfig config) : deps_(deps), config_(std::move(config)) {}
  Status start_fresh(State state);
  Status start_from_store();
  Status quote_root(Snapshot& s) const;
  Result<std::unique_ptr<store::Transaction>> begin_live();
  // begin_live_read reads the live store without the write lock.
  Result<std::unique_ptr<store::ReadTransaction>> begin_live_read() const;
  void set_data_key(std::optional<SecretBytes> key);
  Status republish();
  void publish(Snapshot s);

  CoreDeps deps_;
  CoreConfig config_;

  std::mutex mu_;  // the write lock (Guard); guards everything below except snapshot_
  std::optional<SecretBytes> data_key_;  // set when the persistent store is live, else memory
  RecoveryData stored_recovery_data_;

  mutable std::mutex snap_mu_;  // guards snapshot_ and live_key_ (held only to copy pointers)
  SnapshotPtr snapshot_;
  std::shared_ptr<const SecretBytes> live_key_;  // copy of data_key_ for lock-free readers
};

// kSealModeKey maps a manifest seal mode to the TEE key it uses (Disabled: none).
[[nodiscard]] std::optional<seal::KeyKind> seal_key_kind(manifest::SealMode mode);

}  // namespace mr::core
