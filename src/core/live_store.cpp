#include "core/live_store.h"

#include <fmt/format.h>

#include <mutex>

#include "base/assert.h"
#include "base/encoding.h"
#include "base/log.h"
#include "store/keys.h"
#include "store/records.h"

namespace mr::core {
namespace keys = store::keys;
namespace {

const log::Logger kLog("store");

Error other_source(seal::KeySource stored, seal::KeySource ours, std::string_view what) {
  return Error{ErrorCode::kFailedPrecondition,
               fmt::format("{} was sealed with a {} seal key, but this Coordinator runs with a {} "
                           "seal key; it never opens or recovers a state across that boundary "
                           "(a simulation must not read a TEE's secrets, nor a TEE adopt a "
                           "state whose secrets were exposed to a host)",
                           what, seal::key_source_name(stored), seal::key_source_name(ours))};
}

// check_sealed_state checks what the verified |state| says about itself: its format version and
// the source of the seal key that sealed it.
Status check_sealed_state(seal::SealedStore& state, seal::KeySource ours, std::string_view what) {
  MR_ASSIGN_OR_RETURN(auto txn, state.begin_read());
  MR_ASSIGN_OR_RETURN(auto version, store::get_string(*txn, keys::kMetaFormatVersion));
  if (version != kFormatVersion) {
    return failf(ErrorCode::kFailedPrecondition,
                 "{} has store format version {}; this build reads version {}", what,
                 version.value_or("(none)"), kFormatVersion);
  }
  MR_ASSIGN_OR_RETURN(auto sealed_key, txn->get(keys::kMetaSealedDataKey));
  if (!sealed_key) {
    return fail(seal::integrity_failure({"record \"meta:sealedDataKey\" is missing"}));
  }
  MR_ASSIGN_OR_RETURN(seal::SealedKeyInfo info, seal::inspect_sealed_data_key(*sealed_key));
  if (info.source != ours) return fail(other_source(info.source, ours, what));
  return ok();
}

// node_data_key returns the data key from this machine's node copy among |raw|'s node records,
// or nullopt if none opens with our seal keys. A copy that names our key but does not open was
// changed: the integrity check of the state reports it once a data key verifies the state.
Result<std::optional<SecretBytes>> node_data_key(store::ReadTransaction& raw,
                                                 seal::SealKeyProvider& seal_keys) {
  MR_ASSIGN_OR_RETURN(auto names, raw.list(keys::kMetaNodeDataKeyPrefix));
  for (const std::string& name : names) {
    MR_ASSIGN_OR_RETURN(auto blob, raw.get(name));
    if (!blob) continue;
    auto info = seal::inspect_sealed_data_key(*blob);
    if (!info || info->source != seal_keys.source()) continue;
    auto seal_key = seal_keys.seal_key(info->kind);
    if (!seal_key) continue;
    auto dek = seal::unseal_data_key(seal_key->span(), *blob);
    if (dek) return std::optional<SecretBytes>(std::move(*dek));
  }
  return std::optional<SecretBytes>();
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

LiveStore::LiveStore(Deps deps) : deps_(deps) {
  MR_ASSERT(deps_.persistent && deps_.volatile_store && deps_.seal_keys);
}

Result<LiveStore::Found> LiveStore::open(std::uint64_t min_counter) {
  MR_ASSIGN_OR_RETURN(auto raw, deps_.persistent->begin_read());
  MR_ASSIGN_OR_RETURN(auto stored_root, raw->get(keys::kIntegrityRoot));
  base_root_ = stored_root.value_or(Bytes{});
  MR_ASSIGN_OR_RETURN(auto sealed_key, raw->get(keys::kMetaSealedDataKey));
  if (!sealed_key) {
    MR_ASSIGN_OR_RETURN(auto stored, raw->list(""));
    if (stored.empty()) return Found::kNothing;
    // Deleting the sealed key must not turn a state into a fresh start.
    return fail(seal::integrity_failure(
        {fmt::format("the store holds {} records but no sealed data key (record "
                     "\"meta:sealedDataKey\" was removed); to start afresh deliberately, move "
                     "the state directory away",
                     stored.size())}));
  }
  // The recovery data is only a hint until a data key verifies the state it belongs to.
  MR_ASSIGN_OR_RETURN(auto recovery_text, store::get_string(*raw, keys::kMetaRecoveryData));
  if (recovery_text) {
    auto data = decode_recovery_data(*recovery_text);
    if (data) {
      recovery_data_ = std::move(*data);
    } else {
      kLog.warn("the stored recovery data does not parse; recovery proceeds without it",
                {{"error", data.error().message}});
    }
  }
  auto info = seal::inspect_sealed_data_key(*sealed_key);
  if (!info) {
    if (info.error().code != ErrorCode::kDataLoss) return fail(info.error());
    return fail(seal::integrity_failure(
        {"record \"meta:sealedDataKey\" is not a sealed data key (" + info.error().message + ")"}));
  }
  const seal::KeySource ours = deps_.seal_keys->source();
  if (info->source != ours) return fail(other_source(info->source, ours, "the stored state"));
  // A seal key that cannot be read (bad permissions, wrong size, TEE failure) is an operator
  // problem: refuse to start rather than silently asking for recovery.
  MR_ASSIGN_OR_RETURN(
      SecretBytes seal_key,
      deps_.seal_keys->seal_key(info->kind).map_error(Wrap("reading the seal key")));
  auto data_key = seal::unseal_data_key(seal_key.span(), *sealed_key);
  if (!data_key) {
    switch (data_key.error().code) {
      case ErrorCode::kPermissionDenied: {
        MR_ASSIGN_OR_RETURN(auto node_key, node_data_key(*raw, *deps_.seal_keys));
        if (node_key) {
          data_key = std::move(*node_key);
          break;
        }
        kLog.debug("the stored state was sealed with another seal key",
                   {{"reason", data_key.error().message}});
        return Found::kOtherSealKey;
      }
      case ErrorCode::kDataLoss:
        return fail(seal::integrity_failure(
            {"record \"meta:sealedDataKey\" was modified (" + data_key.error().message + ")"}));
      default:
        return fail(data_key.error().wrap("unsealing the data key"));
    }
  }
  MR_ASSERT(data_key.has_value());
  MR_ASSIGN_OR_RETURN(std::unique_ptr<seal::SealedStore> state,
                      seal::SealedStore::open(*deps_.persistent, std::move(*data_key)));
  MR_RETURN_IF_ERROR(check_sealed_state(*state, ours, "the stored state"));
  if (state->counter() < min_counter) {
    return fail(seal::integrity_failure({fmt::format(
        "the store holds a state with commit counter {}, older than commit {} this Coordinator "
        "already saw (a replayed state)",
        state->counter(), min_counter)}));
  }
  // Re-read what verified (the meta record may differ from the hint only if tampered, which
  // open() would have refused).
  {
    MR_ASSIGN_OR_RETURN(auto txn, state->begin_read());
    MR_ASSIGN_OR_RETURN(auto text, store::get_string(*txn, keys::kMetaRecoveryData));
    recovery_data_.clear();
    if (text) {
      MR_ASSIGN_OR_RETURN(recovery_data_, decode_recovery_data(*text));
    }
  }
  std::unique_lock lock(swap_mu_);
  sealed_ = std::move(state);
  return Found::kSealedState;
}

Status LiveStore::use_memory(const std::function<Status(store::Transaction&)>& write) {
  MR_ASSIGN_OR_RETURN(auto txn, deps_.volatile_store->begin());
  MR_RETURN_IF_ERROR(txn->erase_prefix(""));
  MR_RETURN_IF_ERROR(write(*txn));
  std::unique_lock lock(swap_mu_);
  MR_RETURN_IF_ERROR(txn->commit());
  sealed_ = nullptr;
  return ok();
}

Result<std::unique_ptr<store::Transaction>> LiveStore::begin() {
  if (auto s = sealed()) return s->begin();
  return deps_.volatile_store->begin();
}

Result<std::unique_ptr<store::ReadTransaction>> LiveStore::begin_read() const {
  // Shared while the snapshot is pinned: a swap (exclusive) cannot commit the new store between
  // choosing the old one and reading from it.
  std::shared_lock lock(swap_mu_);
  if (sealed_) return sealed_->begin_read();
  return deps_.volatile_store->begin_read();
}

Status LiveStore::replace(NewState s, const std::function<Status(store::Transaction&)>& write) {
  const auto kind = seal_key_kind(s.seal_mode);
  if (!kind && deps_.shared) {
    return fail(ErrorCode::kFailedPrecondition,
                "seal mode Disabled keeps the state in one Coordinator's memory; it cannot be "
                "used with a store several Coordinators share (etcd)");
  }
  if (!kind) {
    // Seal mode Disabled: the state lives in memory only; drop anything persisted before. The
    // memory transaction commits only after the wipe did, so a failed wipe changes nothing.
    MR_ASSIGN_OR_RETURN(auto txn, deps_.volatile_store->begin());
    MR_RETURN_IF_ERROR(txn->erase_prefix(""));
    MR_RETURN_IF_ERROR(write(*txn));
    MR_ASSIGN_OR_RETURN(auto wipe, deps_.persistent->begin());
    MR_RETURN_IF_ERROR(wipe->erase_prefix(""));
    std::unique_lock lock(swap_mu_);
    MR_RETURN_IF_ERROR(wipe->commit());
    MR_RETURN_IF_ERROR(txn->commit());
    sealed_ = nullptr;
    recovery_data_ = std::move(s.recovery_data);
    return ok();
  }
  MR_ASSIGN_OR_RETURN(SecretBytes seal_key, deps_.seal_keys->seal_key(*kind));
  MR_ASSIGN_OR_RETURN(Bytes sealed_key, seal::seal_data_key(seal_key.span(), s.data_key.span(),
                                                            *kind, deps_.seal_keys->source()));
  const std::string recovery_text = encode_recovery_data(s.recovery_data);
  auto write_all = [&](store::Transaction& txn) -> Status {
    MR_RETURN_IF_ERROR(store::put_string(txn, keys::kMetaFormatVersion, kFormatVersion));
    MR_RETURN_IF_ERROR(txn.put(keys::kMetaSealedDataKey, sealed_key));
    MR_RETURN_IF_ERROR(store::put_string(txn, keys::kMetaRecoveryData, recovery_text));
    return write(txn);
  };
  const std::uint64_t previous = counter();
  const std::shared_ptr<seal::SealedStore> live = sealed();
  const Bytes expected_root = live ? live->sealed_root() : base_root_;
  // swap_mu_ is taken after the persistent store's writer lock, as in every other commit here
  // (taking it first inverted the order: two replace calls could deadlock).
  std::unique_lock lock(swap_mu_, std::defer_lock);
  MR_ASSIGN_OR_RETURN(std::unique_ptr<seal::SealedStore> state,
                      seal::SealedStore::replace(
                          *deps_.persistent, std::move(s.data_key), previous, write_all,
                          [&] { lock.lock(); }, expected_root));
  sealed_ = std::move(state);
  recovery_data_ = std::move(s.recovery_data);
  return ok();
}

bool LiveStore::opens(ByteSpan candidate) const {
  auto raw = deps_.persistent->begin_read();
  return raw && seal::check_data_key(**raw, candidate);
}

Result<std::unique_ptr<seal::SealedStore>> LiveStore::verify(SecretBytes data_key) const {
  MR_ASSIGN_OR_RETURN(auto state, seal::SealedStore::open(*deps_.persistent, std::move(data_key)));
  MR_RETURN_IF_ERROR(check_sealed_state(*state, deps_.seal_keys->source(), "the recovered state"));
  return state;
}

Status LiveStore::adopt(std::unique_ptr<seal::SealedStore> state,
                        std::optional<RecoveryData> new_recovery_data, manifest::SealMode mode,
                        Reseal reseal) {
  const auto kind = seal_key_kind(mode).value_or(seal::KeyKind::kUniqueKey);
  MR_ASSIGN_OR_RETURN(auto txn, state->begin());
  auto seal_key = deps_.seal_keys->seal_key(kind);
  if (seal_key) {
    MR_ASSIGN_OR_RETURN(Bytes sealed_key,
                        seal::seal_data_key(seal_key->span(), state->data_key().span(), kind,
                                            deps_.seal_keys->source()));
    if (reseal == Reseal::kPrimary) {
      MR_RETURN_IF_ERROR(txn->put(keys::kMetaSealedDataKey, sealed_key));
    } else {
      MR_ASSIGN_OR_RETURN(seal::SealedKeyInfo info, seal::inspect_sealed_data_key(sealed_key));
      MR_RETURN_IF_ERROR(txn->put(
          std::string(keys::kMetaNodeDataKeyPrefix) + hex_encode(info.key_id), sealed_key));
    }
  } else {
    kLog.error("cannot reseal the recovered data key; the next start will need recovery again",
               {{"reason", seal_key.error().message}});
  }
  if (new_recovery_data) {
    MR_RETURN_IF_ERROR(
        store::put_string(*txn, keys::kMetaRecoveryData, encode_recovery_data(*new_recovery_data)));
  }
  std::unique_lock lock(swap_mu_);
  MR_RETURN_IF_ERROR(txn->commit());
  if (new_recovery_data) recovery_data_ = std::move(*new_recovery_data);
  sealed_ = std::move(state);
  return ok();
}

std::optional<SecretBytes> LiveStore::data_key() const {
  if (auto s = sealed()) return s->data_key();
  return std::nullopt;
}

std::uint64_t LiveStore::counter() const {
  auto s = sealed();
  return s ? s->counter() : 0;
}

std::shared_ptr<seal::SealedStore> LiveStore::sealed() const {
  std::shared_lock lock(swap_mu_);
  return sealed_;
}

}  // namespace mr::core
