#include "core/core.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "base/encoding.h"
#include "base/log.h"
#include "crypto/hash.h"
#include "store/keys.h"

namespace mr::core {
namespace keys = store::keys;
namespace {

const log::Logger kLog("core");

// kGenerationSize is the size of a state generation (Snapshot::generation).
constexpr std::size_t kGenerationSize = 16;
// kMaxClaimAttempts bounds the retries of a batch of activation claims that lost a race with
// another Coordinator's commit on a shared store.
constexpr int kMaxClaimAttempts = 50;
// kMaxCommitAttempts bounds the rewrites of a state commit that lost a race with a commit of
// activation counts by another Coordinator.
constexpr int kMaxCommitAttempts = 20;

// pause_before_retry sleeps up to 2 ms times min(attempt, 8), at random, after losing a race
// with another Coordinator, so that the contenders do not collide again in step.
void pause_before_retry(int attempt) {
  std::this_thread::sleep_for(
      std::chrono::microseconds(crypto::random_bytes(1)[0] * 8 * std::min(attempt, 8)));
}

std::string max_activations_message(std::uint64_t max, std::string_view marble_type) {
  return fmt::format("reached max activations count ({}) for marble type \"{}\"", max, marble_type);
}

}  // namespace

Core::Core(CoreDeps deps, CoreConfig config)
    : deps_(deps),
      config_(std::move(config)),
      live_({deps.persistent, deps.volatile_store, deps.seal_keys, deps.peers != nullptr}) {}

Core::Guard::Guard(Core& core, std::unique_lock<std::mutex> lock)
    : core_(&core), lock_(std::move(lock)), snap_(core.snapshot()) {}

Status Core::Guard::commit(Snapshot next, const std::vector<std::string>& log_lines) {
  next.generation = crypto::random_bytes(kGenerationSize);
  for (int attempt = 1;; ++attempt) {
    auto txn = core_->live_.begin();
    Status written = txn ? ok() : Status(tl::unexpected(txn.error()));
    if (written) written = write_snapshot(**txn, snap_.get(), next);
    if (written) written = append_update_log(**txn, snap_->update_log_length, log_lines);
    if (written) written = (*txn)->commit();
    if (written) break;
    // Lost a race with another Coordinator sharing the store (nothing was written). If it
    // changed only what the published state does not hold (activation counts), |next| is still
    // based on the current state: write it again. Otherwise the caller decides anew.
    if (written.error().code != ErrorCode::kAborted || attempt == kMaxCommitAttempts) {
      return written;
    }
    MR_ASSIGN_OR_RETURN(bool unchanged, core_->state_unchanged(*snap_));
    if (!unchanged) return written;
  }
  next.update_log_length = snap_->update_log_length + log_lines.size();
  next.quote = snap_->quote;
  next.simulation = snap_->simulation;
  core_->publish(std::move(next));
  snap_ = core_->snapshot();
  return ok();
}

Result<bool> Core::state_unchanged(const Snapshot& base) const {
  MR_ASSIGN_OR_RETURN(auto txn, live_.begin_read());  // follows the other commit
  MR_ASSIGN_OR_RETURN(auto generation, txn->get(keys::kGeneration));
  return generation.value_or(Bytes{}) == base.generation;
}

Result<std::unique_ptr<Core>> Core::start(CoreDeps deps, CoreConfig config) {
  MR_ASSERT(deps.clock && deps.persistent && deps.volatile_store && deps.seal_keys &&
            deps.quote_issuer);
  if ((config.simulation || config.dev_mode) && deps.seal_keys->source() == seal::KeySource::kTee) {
    return fail(ErrorCode::kFailedPrecondition,
                "simulation and dev mode are refused with a TEE seal key: they would turn off the "
                "attestation that protects the sealed state");
  }
  std::unique_ptr<Core> core(new Core(deps, std::move(config)));
  std::scoped_lock lock(core->mu_);
  MR_ASSIGN_OR_RETURN(LiveStore::Found found, core->live_.open());
  switch (found) {
    case LiveStore::Found::kNothing:
      kLog.info("no sealed state found: starting fresh");
      MR_RETURN_IF_ERROR(core->start_fresh(State::kAcceptingManifest));
      return core;
    case LiveStore::Found::kOtherSealKey: {
      auto joined = core->join_with_peer_key(0);
      if (joined && *joined) return core;
      if (!joined) {
        kLog.error("joining the shared state failed", {{"reason", joined.error().message}});
      }
      kLog.warn(
          "RECOVERY MODE: the stored state was sealed with another seal key (another machine or "
          "enclave identity). Recover it with `marblerun recover <secret> <coordinator>` using "
          "the recovery secrets of its manifest's RecoveryKeys, or set a new manifest to "
          "discard it.");
      MR_RETURN_IF_ERROR(core->start_fresh(State::kRecovery));
      return core;
    }
    case LiveStore::Found::kSealedState:
      break;
  }
  MR_RETURN_IF_ERROR(core->check_not_rolled_back());
  MR_ASSIGN_OR_RETURN(auto txn, core->live_.begin_read());
  MR_ASSIGN_OR_RETURN(Snapshot s, load_snapshot(*txn));
  MR_RETURN_IF_ERROR(core->quote_root(s));
  kLog.info("loaded and verified the sealed state",
            {{"state", static_cast<int>(s.state)}, {"commit", core->live_.counter()}});
  core->publish(std::move(s));
  return core;
}

// check_not_rolled_back: on a shared store, a running peer knows the latest commit; the state
// this Coordinator just opened from the store must be at least that new (the peer committed or
// verified it in the store before it answered). Without a peer to ask, nothing can be checked.
Status Core::check_not_rolled_back() {
  if (!deps_.peers) return ok();
  auto peer = deps_.peers->fetch();
  if (!peer) {
    kLog.info("no other Coordinator to confirm the state's commit counter",
              {{"reason", peer.error().message}});
    return ok();
  }
  MR_ASSIGN_OR_RETURN(auto txn, live_.begin_read());  // follows any commit made meanwhile
  if (live_.counter() < peer->counter) {
    return fail(seal::integrity_failure({fmt::format(
        "the store holds commit {} of the shared state, but a running Coordinator has seen "
        "commit {}: the state in the store was rolled back (a replayed state)",
        live_.counter(), peer->counter)}));
  }
  return ok();
}

Status Core::start_fresh(State state) {
  Snapshot s;
  s.state = state;
  MR_ASSIGN_OR_RETURN(s.ca, generate_ca(config_.dns_names, deps_.clock->now()));
  s.root_secret = std::make_shared<const SecretBytes>(crypto::random_secret(kRootSecretSize));
  s.previous_root_secret = s.root_secret;
  MR_RETURN_IF_ERROR(
      live_.use_memory([&](store::Transaction& txn) { return write_snapshot(txn, nullptr, s); }));
  MR_RETURN_IF_ERROR(quote_root(s));
  publish(std::move(s));
  return ok();
}

Status Core::quote_root(Snapshot& s) const {
  s.quote.clear();
  s.simulation = true;
  if (config_.simulation) return ok();
  const auto digest = crypto::sha256(s.ca->root.der());
  auto q = deps_.quote_issuer->issue(digest);
  if (q) {
    s.quote = std::move(*q);
    s.simulation = false;
    return ok();
  }
  if (!config_.dev_mode) return fail(q.error().wrap("generating the Coordinator's quote"));
  kLog.warn(
      "DEV MODE: the Coordinator's quote failed; it runs without one and does NOT verify Marble "
      "quotes. Never use this mode in production.",
      {{"reason", q.error().message}});
  return ok();
}

void Core::publish(Snapshot s) {
  auto ptr = std::make_shared<const Snapshot>(std::move(s));
  std::scoped_lock lock(snap_mu_);
  snapshot_ = std::move(ptr);
}

SnapshotPtr Core::snapshot() const {
  std::scoped_lock lock(snap_mu_);
  return snapshot_;
}

Status Core::sync() {
  std::scoped_lock lock(mu_);
  return sync_locked();
}

Status Core::sync_locked() {
  if (!live_.shared()) return ok();  // nobody else writes the store
  if (live_.is_sealed()) {
    auto txn = live_.begin_read();
    if (txn) {
      MR_ASSIGN_OR_RETURN(auto generation, (*txn)->get(keys::kGeneration));
      if (generation.value_or(Bytes{}) == snapshot()->generation) return ok();
      MR_RETURN_IF_ERROR(publish_stored(**txn));
      kLog.info("loaded a state another Coordinator committed", {{"commit", live_.counter()}});
      return ok();
    }
    // A root that does not open with our data key: another Coordinator may have replaced the
    // state (a new manifest, a recovery); only a key that verifies the new state, from an
    // attested peer, is taken (join_locked). Anything else stays an error.
    if (txn.error().code != ErrorCode::kDataLoss) return fail(txn.error());
    kLog.warn("the shared state no longer verifies with this Coordinator's data key",
              {{"reason", txn.error().message}});
  }
  return join_locked();
}

Status Core::publish_stored(store::ReadTransaction& txn) {
  MR_ASSIGN_OR_RETURN(Snapshot s, load_snapshot(txn));
  const SnapshotPtr current = snapshot();
  if (current->ca && s.ca && current->ca->root.der() == s.ca->root.der()) {
    s.quote = current->quote;
    s.simulation = current->simulation;
  } else {
    MR_RETURN_IF_ERROR(quote_root(s));
  }
  publish(std::move(s));
  return ok();
}

Status Core::join_locked() {
  const bool was_sealed = live_.is_sealed();
  // A state this Coordinator left behind must be followed by a newer one, never an older one.
  const std::uint64_t min_counter = was_sealed ? live_.counter() + 1 : 0;
  MR_ASSIGN_OR_RETURN(LiveStore::Found found, live_.open(min_counter));
  switch (found) {
    case LiveStore::Found::kNothing:
      if (was_sealed) {
        return fail(seal::integrity_failure(
            {"the shared state was removed from the store behind this Coordinator's back"}));
      }
      return ok();  // no manifest anywhere yet
    case LiveStore::Found::kSealedState: {
      MR_ASSIGN_OR_RETURN(auto txn, live_.begin_read());
      MR_RETURN_IF_ERROR(publish_stored(*txn));
      kLog.info("opened the shared state with this machine's seal key",
                {{"commit", live_.counter()}});
      return ok();
    }
    case LiveStore::Found::kOtherSealKey:
      break;
  }
  auto joined = join_with_peer_key(min_counter);
  if (joined && *joined) return ok();
  const std::string why = joined ? "no other Coordinator handed over the data key"
                                 : "joining failed: " + joined.error().message;
  if (snapshot()->state != State::kRecovery || was_sealed) {
    MR_RETURN_IF_ERROR(enter_recovery_locked(why));
  }
  return ok();
}

Result<bool> Core::join_with_peer_key(std::uint64_t min_counter) {
  if (!deps_.peers) return false;
  auto key = deps_.peers->fetch();
  if (!key) {
    kLog.debug("no data key from another Coordinator", {{"reason", key.error().message}});
    return false;
  }
  min_counter = std::max(min_counter, key->counter);
  auto recovered = open_recovered(std::move(key->key));
  if (!recovered) {
    kLog.error("the data key another Coordinator handed over does not verify the shared state",
               {{"reason", recovered.error().message}});
    return false;
  }
  if (recovered->store->counter() < min_counter) {
    return fail(seal::integrity_failure({fmt::format(
        "the shared state has commit counter {}, older than commit {} this Coordinator already "
        "saw (a replayed state)",
        recovered->store->counter(), min_counter)}));
  }
  if (!recovered->snapshot.manifest) {
    return fail(seal::integrity_failure({"the shared state holds no manifest"}));
  }
  MR_ASSIGN_OR_RETURN(auto mode,
                      manifest::parse_seal_mode(recovered->snapshot.manifest->config.seal_mode));
  Snapshot s = std::move(recovered->snapshot);
  MR_RETURN_IF_ERROR(quote_root(s));
  MR_RETURN_IF_ERROR(
      live_.adopt(std::move(recovered->store), std::nullopt, mode, LiveStore::Reseal::kNodeCopy));
  publish(std::move(s));
  kLog.info("joined the shared state with the data key of another Coordinator",
            {{"commit", live_.counter()}});
  return true;
}

Status Core::enter_recovery_locked(std::string_view why) {
  kLog.warn(
      "RECOVERY MODE: the shared state cannot be opened by this Coordinator and no other "
      "Coordinator handed over its data key. Recover it with `marblerun recover <secret> "
      "<coordinator>` against any Coordinator of the cluster (the others then join), using the "
      "recovery secrets of its manifest's RecoveryKeys, or set a new manifest to discard it.",
      {{"reason", std::string(why)}});
  return start_fresh(State::kRecovery);
}

Status Core::audit() const {
  if (!live_.is_sealed()) return ok();
  MR_ASSIGN_OR_RETURN(auto txn, live_.begin_read());
  MR_ASSIGN_OR_RETURN(std::vector<std::string> names, txn->list(""));
  for (const std::string& name : names) {
    MR_RETURN_IF_ERROR(txn->get(name));
  }
  return ok();
}

std::optional<SecretBytes> Core::shared_data_key() const {
  if (snapshot()->state == State::kRecovery) return std::nullopt;
  return live_.data_key();
}

Result<Core::Guard> Core::lock(std::initializer_list<State> allowed) {
  std::unique_lock<std::mutex> lock(mu_);
  MR_RETURN_IF_ERROR(sync_locked());
  const State current = snapshot()->state;
  for (State s : allowed) {
    if (s == current) return Guard(*this, std::move(lock));
  }
  return fail(ErrorCode::kFailedPrecondition, std::string(kWrongStateMessage));
}

Status Core::replace_state(Guard& guard, Snapshot next, LiveStore::NewState key,
                           const std::vector<std::string>& log_lines, History history) {
  MR_ASSERT(guard.core_ == this);
  std::unique_ptr<store::ReadTransaction> old;
  std::uint64_t first_line = 0;
  if (history == History::kKeep) {
    MR_ASSIGN_OR_RETURN(old, live_.begin_read());
    first_line = guard.snap_->update_log_length;
  }
  next.generation = crypto::random_bytes(kGenerationSize);
  auto write = [&](store::Transaction& txn) -> Status {
    MR_RETURN_IF_ERROR(write_snapshot(txn, nullptr, next));
    if (old) MR_RETURN_IF_ERROR(copy_history(*old, txn));
    return append_update_log(txn, first_line, log_lines);
  };
  for (int attempt = 1;; ++attempt) {
    // A data key per attempt: replace() consumes it. The recovery data belongs to it.
    LiveStore::NewState attempt_key{key.data_key.clone(), key.recovery_data, key.seal_mode};
    auto replaced = live_.replace(std::move(attempt_key), write);
    if (replaced) break;
    if (replaced.error().code != ErrorCode::kAborted || attempt == kMaxCommitAttempts) {
      return replaced;
    }
    // As in Guard::commit: only activation counts changed meanwhile? Then copy them again.
    MR_ASSIGN_OR_RETURN(bool unchanged, state_unchanged(*guard.snap_));
    if (!unchanged) return replaced;
    if (history == History::kKeep) {
      MR_ASSIGN_OR_RETURN(old, live_.begin_read());
    }
  }
  next.update_log_length = first_line + log_lines.size();
  next.quote = guard.snap_->quote;
  next.simulation = guard.snap_->simulation;
  publish(std::move(next));
  guard.snap_ = snapshot();
  return ok();
}

Result<Core::Recovered> Core::open_recovered(SecretBytes data_key) {
  MR_ASSIGN_OR_RETURN(auto store, live_.verify(std::move(data_key)));
  MR_ASSIGN_OR_RETURN(auto txn, store->begin_read());
  MR_ASSIGN_OR_RETURN(Snapshot s, load_snapshot(*txn));
  return Recovered{std::move(store), std::move(s)};
}

Status Core::adopt_recovered(Guard& guard, Recovered recovered,
                             std::optional<RecoveryData> new_recovery_data) {
  MR_ASSERT(guard.core_ == this);
  MR_ASSERT(recovered.snapshot.manifest);
  MR_ASSIGN_OR_RETURN(auto mode,
                      manifest::parse_seal_mode(recovered.snapshot.manifest->config.seal_mode));
  Snapshot s = std::move(recovered.snapshot);
  MR_RETURN_IF_ERROR(quote_root(s));
  MR_RETURN_IF_ERROR(live_.adopt(std::move(recovered.store), std::move(new_recovery_data), mode));
  publish(std::move(s));
  guard.snap_ = snapshot();
  kLog.info("recovered the sealed state",
            {{"state", static_cast<int>(guard.snapshot().state)},
             {"manifest_fingerprint",
              hex_encode(crypto::sha256(as_bytes(guard.snapshot().manifest->raw())))},
             {"commit", live_.counter()}});
  return ok();
}

std::optional<SecretBytes> Core::data_key(const Guard& guard) const {
  MR_ASSERT(guard.core_ == this);
  return live_.data_key();
}

Result<std::vector<std::string>> Core::update_log() const {
  const SnapshotPtr s = snapshot();
  MR_ASSIGN_OR_RETURN(auto txn, live_.begin_read());
  return read_update_log(*txn, s->update_log_length);
}

Result<std::uint64_t> Core::activations(std::string_view marble_type) const {
  MR_ASSIGN_OR_RETURN(auto txn, live_.begin_read());
  return read_activations(*txn, marble_type);
}

struct Core::Claim {
  const SnapshotPtr* expected;
  std::string_view marble_type;
  std::uint64_t max;
  std::optional<Result<std::uint64_t>> result;  // set by the leader that committed it
};

Result<std::uint64_t> Core::claim_activation(const SnapshotPtr& expected,
                                             std::string_view marble_type, std::uint64_t max) {
  Claim me{&expected, marble_type, max, std::nullopt};
  std::unique_lock lock(claim_mu_);
  claim_queue_.push_back(&me);
  while (!me.result) {
    if (claim_leader_) {  // a batch is being committed: ours is in it or in the next one
      claim_cv_.wait(lock);
      continue;
    }
    claim_leader_ = true;
    std::vector<Claim*> batch;
    batch.swap(claim_queue_);
    lock.unlock();
    commit_claims(batch);
    lock.lock();
    claim_leader_ = false;
    claim_cv_.notify_all();
  }
  return std::move(*me.result);
}

void Core::commit_claims(const std::vector<Claim*>& batch) {
  // Results are written under claim_mu_, where their owners read them.
  std::vector<std::pair<Claim*, Result<std::uint64_t>>> results;
  {
    std::scoped_lock lock(mu_);
    for (int attempt = 1;; ++attempt) {
      results.clear();
      const bool lost_race = try_commit_claims(batch, results);
      if (!lost_race || attempt == kMaxClaimAttempts) break;
      // Another Coordinator sharing the store committed first: follow it (its activation counts
      // are read again) and count the batch anew.
      (void)sync_locked();
      pause_before_retry(attempt);
    }
  }
  std::scoped_lock lock(claim_mu_);
  for (auto& [c, r] : results)
    c->result = std::move(r);
}

bool Core::try_commit_claims(const std::vector<Claim*>& batch, ClaimResults& results) {
  results.reserve(batch.size());
  auto txn = live_.begin();
  if (!txn) {
    for (Claim* c : batch)
      results.emplace_back(c, tl::unexpected(txn.error()));
    return false;
  }
  const SnapshotPtr current = snapshot();
  std::map<std::string, std::uint64_t, std::less<>> counts;  // as of this batch
  std::set<std::string, std::less<>> changed;
  std::vector<std::pair<Claim*, std::uint64_t>> counted;
  for (Claim* c : batch) {
    if (current != *c->expected) {
      results.emplace_back(
          c, fail(ErrorCode::kAborted, "the coordinator's state changed during activation; retry"));
      continue;
    }
    auto it = counts.find(c->marble_type);
    if (it == counts.end()) {
      auto stored = read_activations(**txn, c->marble_type);
      if (!stored) {
        results.emplace_back(c, tl::unexpected(stored.error()));
        continue;
      }
      it = counts.emplace(std::string(c->marble_type), *stored).first;
    }
    if (it->second >= c->max) {
      results.emplace_back(
          c, fail(ErrorCode::kPermissionDenied, max_activations_message(c->max, c->marble_type)));
      continue;
    }
    counted.emplace_back(c, ++it->second);
    changed.insert(it->first);
  }
  Status written = ok();
  for (const std::string& type : changed) {
    written = write_activations(**txn, type, counts.at(type));
    if (!written) break;
  }
  if (written && !counted.empty()) written = (*txn)->commit();
  if (!written && written.error().code == ErrorCode::kAborted && live_.shared()) return true;
  for (const auto& [c, count] : counted) {
    results.emplace_back(c, written ? Result<std::uint64_t>(count)
                                    : Result<std::uint64_t>(tl::unexpected(written.error())));
  }
  return false;
}

Result<std::uint64_t> Core::raise_monotonic_counter(std::string_view id, std::uint64_t value) {
  std::scoped_lock lock(mu_);
  for (int attempt = 1;; ++attempt) {
    MR_RETURN_IF_ERROR(sync_locked());
    if (snapshot()->state != State::kAcceptingMarbles) {
      return fail(ErrorCode::kFailedPrecondition, std::string(kWrongStateMessage));
    }
    MR_ASSIGN_OR_RETURN(auto txn, live_.begin());
    MR_ASSIGN_OR_RETURN(const std::uint64_t previous, read_monotonic_counter(*txn, id));
    if (value <= previous) return previous;
    MR_RETURN_IF_ERROR(write_monotonic_counter(*txn, id, value));
    const Status written = txn->commit();
    if (written) return previous;
    // Lost a race with another Coordinator sharing the store (nothing was written): follow it
    // and decide again on the value it left, as commit_claims does.
    if (written.error().code != ErrorCode::kAborted || !live_.shared() ||
        attempt == kMaxClaimAttempts) {
      return tl::unexpected(written.error());
    }
    pause_before_retry(attempt);
  }
}

Result<Bytes> Core::quote(ByteSpan report_data) const {
  if (snapshot()->simulation) return Bytes{};
  return deps_.quote_issuer->issue(report_data).map_error(Wrap("failed to get quote"));
}

}  // namespace mr::core
