#include "core/core.h"

#include <fmt/format.h>

#include <charconv>

#include "crypto/hash.h"
#include "store/keys.h"
#include "store/records.h"

namespace mr::core {
namespace keys = store::keys;
namespace {

const log::Logger kLog("core");

constexpr std::string_view kFormatVersion = "1";
constexpr std::size_t kRootSecretSize = 32;

std::string state_record(State s) {
  return std::to_string(static_cast<int>(s));
}

}  // namespace

std::optional<seal::KeyKind> seal_key_kind(manifest::SealMode mode) {
  switch (mode) {
    case manifest::SealMode::kProductKey:
      return seal::KeyKind::kProductKey;
    case manifest::SealMode::kUniqueKey:
      return seal::KeyKind::kUniqueKey;
    case manifest::SealMode::kDisabled:
      return std::nullopt;
  }
  return std::nullopt;
}

Core::Guard::Guard(Core& core, std::unique_lock<std::mutex> lock)
    : core_(&core), lock_(std::move(lock)), snap_(core.snapshot()) {}

Result<std::unique_ptr<store::Transaction>> Core::Guard::begin() {
  return core_->begin_live();
}

Status Core::Guard::commit(std::unique_ptr<store::Transaction> txn) {
  MR_RETURN_IF_ERROR(txn->commit());
  MR_RETURN_IF_ERROR(core_->republish());
  snap_ = core_->snapshot();
  return ok();
}

Result<std::unique_ptr<Core>> Core::start(CoreDeps deps, CoreConfig config) {
  MR_ASSERT(deps.clock && deps.persistent && deps.volatile_store && deps.seal_keys &&
            deps.quote_issuer);
  std::unique_ptr<Core> core(new Core(deps, std::move(config)));
  std::scoped_lock lock(core->mu_);

  MR_ASSIGN_OR_RETURN(auto raw, deps.persistent->begin_read());
  MR_ASSIGN_OR_RETURN(auto sealed_key, raw->get(keys::kMetaSealedDataKey));
  if (!sealed_key) {
    kLog.info("no sealed state found: starting fresh");
    MR_RETURN_IF_ERROR(core->start_fresh(State::kAcceptingManifest));
    return core;
  }
  MR_ASSIGN_OR_RETURN(auto recovery_data, store::get_string(*raw, keys::kMetaRecoveryData));
  if (recovery_data) {
    MR_ASSIGN_OR_RETURN(core->stored_recovery_data_, decode_recovery_data(*recovery_data));
  }
  MR_ASSIGN_OR_RETURN(auto mode_name, store::get_string(*raw, keys::kMetaSealMode));
  MR_ASSIGN_OR_RETURN(auto mode,
                      manifest::parse_seal_mode(mode_name.value_or("")).map_error([](Error e) {
                        return Error{ErrorCode::kDataLoss, "stored seal mode: " + e.message};
                      }));
  const auto kind = seal_key_kind(mode).value_or(seal::KeyKind::kUniqueKey);
  // A seal key that cannot be read (bad permissions, wrong size, TEE failure) is an operator
  // problem: refuse to start rather than silently asking for recovery.
  MR_ASSIGN_OR_RETURN(SecretBytes seal_key,
                      deps.seal_keys->seal_key(kind).map_error(Wrap("reading the seal key")));
  auto data_key = seal::unseal_data_key(seal_key.span(), *sealed_key);
  if (!data_key && data_key.error().code != ErrorCode::kDataLoss) {
    return fail(data_key.error().wrap("unsealing the data key"));
  }
  if (!data_key) {
    kLog.warn("cannot unseal the data key of the stored state: entering recovery mode",
              {{"reason", data_key.error().message}});
    MR_RETURN_IF_ERROR(core->start_fresh(State::kRecovery));
    return core;
  }
  if (!seal::check_data_key(*raw, data_key->span())) {
    return fail(ErrorCode::kDataLoss, "the unsealed data key does not open the stored state");
  }
  core->set_data_key(std::move(*data_key));
  MR_RETURN_IF_ERROR(core->start_from_store());
  return core;
}

Status Core::start_fresh(State state) {
  const UnixTime now = deps_.clock->now();
  MR_ASSIGN_OR_RETURN(CaSet ca, generate_ca(config_.dns_names, now));
  const SecretBytes root_secret = crypto::random_secret(kRootSecretSize);
  set_data_key(std::nullopt);
  MR_ASSIGN_OR_RETURN(auto txn, deps_.volatile_store->begin());
  MR_RETURN_IF_ERROR(txn->erase_prefix(""));
  MR_RETURN_IF_ERROR(store::put_string(*txn, keys::kState, state_record(state)));
  MR_RETURN_IF_ERROR(write_ca(*txn, ca));
  MR_RETURN_IF_ERROR(txn->put(keys::kRootSecret, root_secret.span()));
  MR_RETURN_IF_ERROR(txn->commit());
  MR_ASSIGN_OR_RETURN(auto read, deps_.volatile_store->begin_read());
  MR_ASSIGN_OR_RETURN(Snapshot s, load_snapshot(*read));
  MR_RETURN_IF_ERROR(quote_root(s));
  publish(std::move(s));
  return ok();
}

Status Core::start_from_store() {
  MR_ASSIGN_OR_RETURN(Snapshot s, sealed_state(data_key_->span()));
  MR_RETURN_IF_ERROR(quote_root(s));
  kLog.info("loaded sealed state", {{"state", static_cast<int>(s.state)}});
  publish(std::move(s));
  return ok();
}

Status Core::quote_root(Snapshot& s) const {
  const auto digest = crypto::sha256(s.ca->root.der());
  auto q = deps_.quote_issuer->issue(digest);
  if (q) {
    s.quote = std::move(*q);
    s.simulation = false;
    return ok();
  }
  if (!attestation::is_no_tee(q.error()) && !config_.dev_mode) {
    return fail(q.error().wrap("generating the Coordinator's quote"));
  }
  s.quote.clear();
  s.simulation = true;
  kLog.warn(
      "SIMULATION MODE: no TEE quote for this Coordinator; its quote is empty and Marble quotes "
      "are NOT "
      "verified. Never use this mode in production.",
      {{"reason", q.error().message}});
  return ok();
}

Result<std::unique_ptr<store::Transaction>> Core::begin_live() {
  if (!data_key_) return deps_.volatile_store->begin();
  MR_ASSIGN_OR_RETURN(auto inner, deps_.persistent->begin());
  return std::unique_ptr<store::Transaction>(
      std::make_unique<seal::SealedTransaction>(std::move(inner), data_key_->clone()));
}

Status Core::republish() {
  Result<Snapshot> s = fail(ErrorCode::kInternal, "unreachable");
  if (data_key_) {
    s = sealed_state(data_key_->span());
  } else {
    MR_ASSIGN_OR_RETURN(auto read, deps_.volatile_store->begin_read());
    s = load_snapshot(*read);
  }
  if (!s) return fail(s.error());
  const SnapshotPtr old = snapshot();
  s->quote = old->quote;
  s->simulation = old->simulation;
  publish(std::move(*s));
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

Status Core::replace_state(Guard& guard, NewState s) {
  MR_ASSERT(guard.core_ == this);
  const auto kind = seal_key_kind(s.seal_mode);
  if (!kind) {
    // Seal mode Disabled: the state lives in memory only; drop anything persisted before.
    MR_ASSIGN_OR_RETURN(auto txn, deps_.volatile_store->begin());
    MR_RETURN_IF_ERROR(txn->erase_prefix(""));
    MR_RETURN_IF_ERROR(s.write_records(*txn));
    MR_RETURN_IF_ERROR(txn->commit());
    set_data_key(std::nullopt);
    MR_ASSIGN_OR_RETURN(auto wipe, deps_.persistent->begin());
    MR_RETURN_IF_ERROR(wipe->erase_prefix(""));
    MR_RETURN_IF_ERROR(wipe->commit());
    stored_recovery_data_ = std::move(s.recovery_data);
  } else {
    MR_ASSIGN_OR_RETURN(SecretBytes seal_key, deps_.seal_keys->seal_key(*kind));
    MR_ASSIGN_OR_RETURN(Bytes sealed_key,
                        seal::seal_data_key(seal_key.span(), s.data_key.span(), *kind));
    MR_ASSIGN_OR_RETURN(auto raw, deps_.persistent->begin());
    MR_RETURN_IF_ERROR(raw->erase_prefix(""));
    MR_RETURN_IF_ERROR(raw->put(keys::kMetaFormatVersion, as_bytes(kFormatVersion)));
    MR_RETURN_IF_ERROR(raw->put(keys::kMetaSealedDataKey, sealed_key));
    MR_RETURN_IF_ERROR(
        store::put_string(*raw, keys::kMetaSealMode, manifest::seal_mode_name(s.seal_mode)));
    MR_RETURN_IF_ERROR(
        store::put_string(*raw, keys::kMetaRecoveryData, encode_recovery_data(s.recovery_data)));
    seal::SealedTransaction txn(std::move(raw), s.data_key.clone());
    MR_RETURN_IF_ERROR(seal::write_key_check(txn));
    MR_RETURN_IF_ERROR(s.write_records(txn));
    MR_RETURN_IF_ERROR(txn.commit());
    set_data_key(std::move(s.data_key));
    stored_recovery_data_ = std::move(s.recovery_data);
  }
  MR_RETURN_IF_ERROR(republish());
  guard.snap_ = snapshot();
  return ok();
}

bool Core::opens_sealed_state(ByteSpan candidate) {
  auto raw = deps_.persistent->begin_read();
  return raw && seal::check_data_key(**raw, candidate);
}

Result<Snapshot> Core::sealed_state(ByteSpan data_key) {
  MR_ASSIGN_OR_RETURN(auto raw, deps_.persistent->begin_read());
  seal::SealedReadTransaction txn(std::move(raw), SecretBytes(data_key));
  return load_snapshot(txn);
}

Status Core::adopt_recovered(Guard& guard, SecretBytes data_key,
                             std::optional<RecoveryData> new_recovery_data) {
  MR_ASSERT(guard.core_ == this);
  MR_ASSIGN_OR_RETURN(Snapshot recovered, sealed_state(data_key.span()));
  manifest::SealMode mode = manifest::SealMode::kProductKey;
  if (recovered.manifest) {
    MR_ASSIGN_OR_RETURN(mode, manifest::parse_seal_mode(recovered.manifest->config.seal_mode));
  }
  const auto kind = seal_key_kind(mode).value_or(seal::KeyKind::kUniqueKey);
  MR_ASSIGN_OR_RETURN(auto raw, deps_.persistent->begin());
  auto seal_key = deps_.seal_keys->seal_key(kind);
  if (seal_key) {
    MR_ASSIGN_OR_RETURN(Bytes sealed_key,
                        seal::seal_data_key(seal_key->span(), data_key.span(), kind));
    MR_RETURN_IF_ERROR(raw->put(keys::kMetaSealedDataKey, sealed_key));
  } else {
    kLog.error("cannot reseal the recovered data key; the next start will need recovery again",
               {{"reason", seal_key.error().message}});
  }
  if (new_recovery_data) {
    MR_RETURN_IF_ERROR(
        store::put_string(*raw, keys::kMetaRecoveryData, encode_recovery_data(*new_recovery_data)));
    stored_recovery_data_ = std::move(*new_recovery_data);
  }
  MR_RETURN_IF_ERROR(raw->commit());
  set_data_key(std::move(data_key));
  MR_RETURN_IF_ERROR(quote_root(recovered));
  publish(std::move(recovered));
  guard.snap_ = snapshot();
  kLog.info("recovered the sealed state", {{"state", static_cast<int>(guard.snapshot().state)}});
  return ok();
}

namespace {

Result<std::uint64_t> read_counter(store::ReadTransaction& txn, std::string_view marble_type) {
  MR_ASSIGN_OR_RETURN(auto raw, store::get_string(txn, keys::activations(marble_type)));
  if (!raw) return std::uint64_t{0};
  std::uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), n, 16);
  if (ec != std::errc() || ptr != raw->data() + raw->size()) {
    return failf(ErrorCode::kDataLoss, "activation counter of {} is corrupt", marble_type);
  }
  return n;
}

std::string max_activations_message(std::uint64_t max, std::string_view marble_type) {
  return fmt::format("reached max activations count ({}) for marble type \"{}\"", max, marble_type);
}

}  // namespace

std::optional<SecretBytes> Core::data_key(const Guard& guard) const {
  MR_ASSERT(guard.core_ == this);
  if (!data_key_) return std::nullopt;
  return data_key_->clone();
}

void Core::set_data_key(std::optional<SecretBytes> key) {
  std::shared_ptr<const SecretBytes> copy =
      key ? std::make_shared<const SecretBytes>(key->clone()) : nullptr;
  data_key_ = std::move(key);
  std::scoped_lock lock(snap_mu_);
  live_key_ = std::move(copy);
}

Result<std::unique_ptr<store::ReadTransaction>> Core::begin_live_read() const {
  std::shared_ptr<const SecretBytes> key;
  {
    std::scoped_lock lock(snap_mu_);
    key = live_key_;
  }
  if (!key) return deps_.volatile_store->begin_read();
  MR_ASSIGN_OR_RETURN(auto raw, deps_.persistent->begin_read());
  return std::unique_ptr<store::ReadTransaction>(
      std::make_unique<seal::SealedReadTransaction>(std::move(raw), key->clone()));
}

Result<std::uint64_t> Core::activations(std::string_view marble_type) {
  MR_ASSIGN_OR_RETURN(auto txn, begin_live_read());
  return read_counter(*txn, marble_type);
}

Result<std::uint64_t> Core::claim_activation(const SnapshotPtr& expected,
                                             std::string_view marble_type, std::uint64_t max) {
  std::scoped_lock lock(mu_);
  if (snapshot() != expected) {
    return fail(ErrorCode::kAborted, "the coordinator's state changed during activation; retry");
  }
  MR_ASSIGN_OR_RETURN(auto txn, begin_live());
  MR_ASSIGN_OR_RETURN(std::uint64_t count, read_counter(*txn, marble_type));
  if (count >= max)
    return fail(ErrorCode::kPermissionDenied, max_activations_message(max, marble_type));
  ++count;
  MR_RETURN_IF_ERROR(
      store::put_string(*txn, keys::activations(marble_type), fmt::format("{:x}", count)));
  MR_RETURN_IF_ERROR(txn->commit());
  return count;
}

Result<Bytes> Core::quote(ByteSpan report_data) const {
  if (snapshot()->simulation) return Bytes{};
  return deps_.quote_issuer->issue(report_data).map_error(Wrap("failed to get quote"));
}

}  // namespace mr::core
