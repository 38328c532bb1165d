#include "core/core.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "base/encoding.h"
#include "base/log.h"
#include "crypto/hash.h"

namespace mr::core {
namespace {

const log::Logger kLog("core");

std::string max_activations_message(std::uint64_t max, std::string_view marble_type) {
  return fmt::format("reached max activations count ({}) for marble type \"{}\"", max, marble_type);
}

}  // namespace

Core::Core(CoreDeps deps, CoreConfig config)
    : deps_(deps),
      config_(std::move(config)),
      live_({deps.persistent, deps.volatile_store, deps.seal_keys}) {}

Core::Guard::Guard(Core& core, std::unique_lock<std::mutex> lock)
    : core_(&core), lock_(std::move(lock)), snap_(core.snapshot()) {}

Status Core::Guard::commit(Snapshot next, const std::vector<std::string>& log_lines) {
  MR_ASSIGN_OR_RETURN(auto txn, core_->live_.begin());
  MR_RETURN_IF_ERROR(write_snapshot(*txn, snap_.get(), next));
  MR_RETURN_IF_ERROR(append_update_log(*txn, snap_->update_log_length, log_lines));
  MR_RETURN_IF_ERROR(txn->commit());
  next.update_log_length = snap_->update_log_length + log_lines.size();
  next.quote = snap_->quote;
  next.simulation = snap_->simulation;
  core_->publish(std::move(next));
  snap_ = core_->snapshot();
  return ok();
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
    case LiveStore::Found::kOtherSealKey:
      kLog.warn(
          "RECOVERY MODE: the stored state was sealed with another seal key (another machine or "
          "enclave identity). Recover it with `marblerun recover <secret> <coordinator>` using "
          "the recovery secrets of its manifest's RecoveryKeys, or set a new manifest to "
          "discard it.");
      MR_RETURN_IF_ERROR(core->start_fresh(State::kRecovery));
      return core;
    case LiveStore::Found::kSealedState:
      break;
  }
  MR_ASSIGN_OR_RETURN(auto txn, core->live_.begin_read());
  MR_ASSIGN_OR_RETURN(Snapshot s, load_snapshot(*txn));
  MR_RETURN_IF_ERROR(core->quote_root(s));
  kLog.info("loaded and verified the sealed state",
            {{"state", static_cast<int>(s.state)}, {"commit", core->live_.counter()}});
  core->publish(std::move(s));
  return core;
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

Result<Core::Guard> Core::lock(std::initializer_list<State> allowed) {
  std::unique_lock<std::mutex> lock(mu_);
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
  auto write = [&](store::Transaction& txn) -> Status {
    MR_RETURN_IF_ERROR(write_snapshot(txn, nullptr, next));
    if (old) MR_RETURN_IF_ERROR(copy_history(*old, txn));
    return append_update_log(txn, first_line, log_lines);
  };
  MR_RETURN_IF_ERROR(live_.replace(std::move(key), write));
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
  results.reserve(batch.size());
  {
    std::scoped_lock lock(mu_);
    auto txn = live_.begin();
    if (!txn) {
      for (Claim* c : batch)
        results.emplace_back(c, tl::unexpected(txn.error()));
    } else {
      const SnapshotPtr current = snapshot();
      std::map<std::string, std::uint64_t, std::less<>> counts;  // as of this batch
      std::set<std::string, std::less<>> changed;
      std::vector<std::pair<Claim*, std::uint64_t>> counted;
      for (Claim* c : batch) {
        if (current != *c->expected) {
          results.emplace_back(c, fail(ErrorCode::kAborted,
                                       "the coordinator's state changed during activation; retry"));
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
          results.emplace_back(c, fail(ErrorCode::kPermissionDenied,
                                       max_activations_message(c->max, c->marble_type)));
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
      for (const auto& [c, count] : counted) {
        results.emplace_back(c, written ? Result<std::uint64_t>(count)
                                        : Result<std::uint64_t>(tl::unexpected(written.error())));
      }
    }
  }
  std::scoped_lock lock(claim_mu_);
  for (auto& [c, r] : results)
    c->result = std::move(r);
}

Result<Bytes> Core::quote(ByteSpan report_data) const {
  if (snapshot()->simulation) return Bytes{};
  return deps_.quote_issuer->issue(report_data).map_error(Wrap("failed to get quote"));
}

}  // namespace mr::core
