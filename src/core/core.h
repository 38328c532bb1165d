#pragma once
// Core: the Coordinator's write lock, its published snapshot and its state machine. Client and
// Marble services (client_api.h, update_api.h, secret_api.h, marble_api.h) run their operations
// through it; where the state is stored and under which key is LiveStore's business.
//
//   MR_ASSIGN_OR_RETURN(auto core, Core::start(deps, config));
//   SnapshotPtr s = core->snapshot();                          // lock-free reads
//   MR_ASSIGN_OR_RETURN(auto guard, core->lock({State::kAcceptingMarbles}));
//   Snapshot next = guard.snapshot();                          // a copy to change
//   next.pending.reset();
//   MR_RETURN_IF_ERROR(guard.commit(std::move(next), {log_line}));   // durable, then published
//
// Storage: before the first manifest (and in recovery mode) the state lives only in memory, as
// upstream does; SetManifest writes all of it to the persistent store in one transaction,
// sealed under a fresh data key and covered by an integrity root. Seal mode Disabled keeps
// everything in memory for good.

#include <condition_variable>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "attestation/quote_issuer.h"
#include "base/assert.h"
#include "base/clock.h"
#include "base/result.h"
#include "core/data_key_source.h"
#include "core/live_store.h"
#include "core/recovery.h"
#include "core/snapshot.h"
#include "manifest/manifest.h"
#include "seal/seal.h"
#include "store/store.h"

namespace mr::core {

struct CoreConfig {
  std::vector<std::string> dns_names{"localhost"};  // SANs of a newly generated CA
  // simulation: no TEE. The Coordinator's quote is empty and Marble quotes are not checked.
  // Chosen by the composition root; the Core never infers it from a quote error.
  bool simulation = false;
  // dev_mode: a quote failure at start-up is not fatal (the Coordinator then runs as in
  // simulation). For development with a simulated PKI only.
  bool dev_mode = false;
};

// CoreDeps are borrowed; they must outlive the Core.
struct CoreDeps {
  const Clock* clock = nullptr;
  store::Store* persistent = nullptr;      // the durable store (SQLite in production)
  store::Store* volatile_store = nullptr;  // an in-memory store for state that is not persisted
  seal::SealKeyProvider* seal_keys = nullptr;
  attestation::QuoteIssuer* quote_issuer = nullptr;
  // peers: set when several Coordinators share |persistent| (etcd). The Core then follows their
  // commits (sync()) and gets the data key from them when it cannot unseal the state itself.
  DataKeySource* peers = nullptr;
};

class Core {
 public:
  // Guard holds the write lock: at most one state-changing operation runs at a time.
  class Guard {
   public:
    // snapshot is the state as of taking the lock (updated by commit()).
    [[nodiscard]] const Snapshot& snapshot() const { return *snap_; }
    // commit stores |next| (the records that differ from snapshot()) and appends |log_lines| to
    // the update log in one durable transaction, then publishes |next|. On failure nothing
    // changes.
    [[nodiscard]] Status commit(Snapshot next, const std::vector<std::string>& log_lines = {});

   private:
    friend class Core;
    Guard(Core& core, std::unique_lock<std::mutex> lock);
    Core* core_;
    std::unique_lock<std::mutex> lock_;
    SnapshotPtr snap_;
  };

  // start brings the Coordinator up (spec 4.2): loads and verifies the sealed state (normally
  // state 3), enters recovery (state 1, with a temporary CA) when the data key is sealed for
  // another seal key, or starts fresh (state 2). Then quotes its root certificate (none in
  // simulation). Fatal errors: those of LiveStore::open (integrity, other key source, unreadable
  // seal key), simulation or dev mode with a TEE seal key, a quote failure (unless dev_mode).
  [[nodiscard]] static Result<std::unique_ptr<Core>> start(CoreDeps deps, CoreConfig config);

  // sync brings this Coordinator up to date with its store (lock() does it too): on a store
  // other Coordinators share, it reloads the published state when another one changed it, joins
  // a state another one wrote (its own node copy of the data key, else one from a peer, verified
  // against the state), and falls back to recovery mode when the state can no longer be opened
  // and no peer hands over a key. Single instance: a cheap no-op. Errors: the store's (e.g.
  // kUnavailable while etcd is down; the published state is kept), integrity failures.
  [[nodiscard]] Status sync();
  // audit reads every record of the live sealed state through the verified store, so that a
  // record the host changed, replayed or removed behind the Coordinator's back is reported now
  // (kDataLoss kIntegrityFailure naming it) rather than at the next reload. The published state
  // is not touched. No-op while the state is in memory.
  [[nodiscard]] Status audit() const;
  // shared_data_key returns the data key for a peer's key request: only while the sealed state
  // is live (nullopt in recovery mode or before the first manifest).
  [[nodiscard]] std::optional<SecretBytes> shared_data_key() const;
  // shared_counter is the commit counter of the live state as last committed or verified here
  // (sent with the data key: a peer that opens the store must find at least this commit).
  [[nodiscard]] std::uint64_t shared_counter() const { return live_.counter(); }

  // snapshot returns the current published state (never null after start()).
  [[nodiscard]] SnapshotPtr snapshot() const;
  // lock takes the write lock if the state is one of |allowed|; kFailedPrecondition
  // "server is not in expected state" otherwise.
  [[nodiscard]] Result<Guard> lock(std::initializer_list<State> allowed);

  // History says whether replace_state keeps the update log and counters of the old state.
  enum class History { kDiscard, kKeep };
  // replace_state discards the stored state and writes |next| (and |log_lines|) under |key|'s
  // data key in one atomic transaction (persistent, or memory for seal mode Disabled), then
  // publishes it. With History::kKeep the update log and counters are carried over. On failure
  // nothing changes.
  [[nodiscard]] Status replace_state(Guard& guard, Snapshot next, LiveStore::NewState key,
                                     const std::vector<std::string>& log_lines, History history);

  // stored_recovery_data is the recovery data next to the persistent state (empty if none).
  [[nodiscard]] const RecoveryData& stored_recovery_data() const { return live_.recovery_data(); }
  // opens_sealed_state reports whether |candidate| opens the persistent state's integrity root.
  [[nodiscard]] bool opens_sealed_state(ByteSpan candidate) const { return live_.opens(candidate); }

  // Recovered is a persistent state opened and verified with a recovered data key.
  struct Recovered {
    std::unique_ptr<seal::SealedStore> store;
    Snapshot snapshot;
  };
  // open_recovered verifies the persistent state with |data_key| and loads it. Errors: those
  // of LiveStore::verify and load_snapshot. Nothing becomes live.
  [[nodiscard]] Result<Recovered> open_recovered(SecretBytes data_key);
  // adopt_recovered makes |recovered| live (resealed with this machine's seal key, storing
  // |new_recovery_data| if given), quotes its root certificate and publishes it.
  [[nodiscard]] Status adopt_recovered(Guard& guard, Recovered recovered,
                                       std::optional<RecoveryData> new_recovery_data);

  // data_key returns a copy of the live data key (nullopt while the state is only in memory).
  [[nodiscard]] std::optional<SecretBytes> data_key(const Guard& guard) const;

  // update_log returns the lines of the update log of the published snapshot.
  [[nodiscard]] Result<std::vector<std::string>> update_log() const;
  // activations returns how many times |marble_type| was activated (counted only for Marbles
  // with MaxActivations).
  [[nodiscard]] Result<std::uint64_t> activations(std::string_view marble_type) const;
  // claim_activation is Activate's only serialised step: under the write lock, if the published
  // snapshot is still |expected| (kAborted otherwise: the state changed meanwhile) and fewer than
  // |max| activations were counted (kPermissionDenied "reached max activations count (<n>) for
  // marble type \"<t>\"" otherwise), it counts one more. Returns the new count once it is
  // durable. Concurrent claims are group-committed: one transaction (one fsync) counts every
  // claim waiting at that moment, and each returns only after that commit; if it fails, every
  // claim it carried fails. The snapshot is not republished (counters are not part of it).
  [[nodiscard]] Result<std::uint64_t> claim_activation(const SnapshotPtr& expected,
                                                       std::string_view marble_type,
                                                       std::uint64_t max);

  // raise_monotonic_counter sets the monotonic counter |id| (spec 3.6) to |value| if that is
  // greater than its stored value, under the write lock, and returns the value it had before (0
  // if unset); a lower or equal |value| changes nothing. The counter is durable when this
  // returns; the snapshot is not republished (counters are not part of it). State 3 only
  // (kFailedPrecondition "server is not in expected state"). Store errors otherwise; a commit
  // that lost a race with another Coordinator sharing the store is retried (kAborted after
  // kMaxClaimAttempts).
  [[nodiscard]] Result<std::uint64_t> raise_monotonic_counter(std::string_view id,
                                                              std::uint64_t value);

  // quote returns a quote over |report_data|, or empty in simulation mode.
  [[nodiscard]] Result<Bytes> quote(ByteSpan report_data) const;
  [[nodiscard]] const Clock& clock() const { return *deps_.clock; }

 private:
  Core(CoreDeps deps, CoreConfig config);
  Status start_fresh(State state);
  Status check_not_rolled_back();
  Status sync_locked();
  // publish_stored loads the state |txn| shows and publishes it, keeping the quote when the root
  // certificate is the same.
  Status publish_stored(store::ReadTransaction& txn);
  // state_unchanged tells whether the stored state still has |base|'s generation (only
  // activation counts or meta records changed since).
  Result<bool> state_unchanged(const Snapshot& base) const;
  Status join_locked();
  Result<bool> join_with_peer_key(std::uint64_t min_counter);
  Status enter_recovery_locked(std::string_view why);
  Status quote_root(Snapshot& s) const;
  void publish(Snapshot s);

  CoreDeps deps_;
  CoreConfig config_;
  LiveStore live_;

  std::mutex mu_;  // the write lock (Guard)

  // Group commit of activation claims (claim_activation): claims wait in claim_queue_; one
  // claimer at a time, the leader, takes the whole queue and counts it in one transaction.
  struct Claim;
  using ClaimResults = std::vector<std::pair<Claim*, Result<std::uint64_t>>>;
  void commit_claims(const std::vector<Claim*>& batch);
  // try_commit_claims counts |batch| in one transaction into |results|; true (and no results)
  // if the commit lost a race with another Coordinator sharing the store.
  bool try_commit_claims(const std::vector<Claim*>& batch, ClaimResults& results);
  std::mutex claim_mu_;  // guards claim_queue_, claim_leader_ and every queued Claim's result
  std::condition_variable claim_cv_;
  std::vector<Claim*> claim_queue_;
  bool claim_leader_ = false;

  mutable std::mutex snap_mu_;  // guards snapshot_ (held only to copy the pointer)
  SnapshotPtr snapshot_;
};

}  // namespace mr::core
