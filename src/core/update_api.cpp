#include "core/update_api.h"

#include <fmt/format.h>

#include "base/encoding.h"
#include "base/log.h"
#include "base/strings.h"
#include "core/records.h"
#include "core/update_log.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "manifest/check.h"
#include "manifest/update.h"
#include "store/keys.h"
#include "store/records.h"

namespace mr::core {
namespace keys = store::keys;
namespace {

const log::Logger kLog("updates");

Error invalid(std::string msg) {
  return Error{ErrorCode::kInvalidArgument, std::move(msg)};
}

std::string fingerprint(std::string_view raw) {
  return hex_encode(crypto::sha256(as_bytes(raw)));
}

gojson::Json names_json(const std::vector<std::string>& names) {
  return names.empty() ? gojson::Json(nullptr) : gojson::Json(names);
}

Uuid random_uuid() {
  std::array<std::uint8_t, 16> b{};
  const Bytes r = crypto::random_bytes(16);
  std::copy(r.begin(), r.end(), b.begin());
  return Uuid::from_random_bytes(b);
}

bool definition_changed(const manifest::Secret& a, const manifest::Secret& b) {
  return a.type != b.type || a.size != b.size || a.shared != b.shared ||
         a.user_defined != b.user_defined || a.valid_for != b.valid_for;
}

std::uint64_t normalized_threshold(const manifest::Manifest& m) {
  const std::uint64_t n = m.recovery_keys.size();
  return m.config.recovery_threshold == 0 ? n : m.config.recovery_threshold;
}

const User* find_user(const Snapshot& s, const std::string& name) {
  auto it = s.users.find(name);
  return it == s.users.end() ? nullptr : &it->second;
}

}  // namespace

bool recovery_keys_changed(const manifest::Manifest& before, const manifest::Manifest& after) {
  if (before.recovery_keys != after.recovery_keys) return true;
  return normalized_threshold(before) != normalized_threshold(after);
}

Result<UpdateResult> UpdateApi::update(const std::string& user, const std::string& raw) {
  MR_ASSIGN_OR_RETURN(auto guard, core_.lock({State::kAcceptingMarbles}));
  if (guard.snapshot().pending)
    return fail(ErrorCode::kFailedPrecondition, std::string(kUpdateInProgress));
  MR_ASSIGN_OR_RETURN(manifest::Manifest m, manifest::Manifest::parse(raw).map_error([](Error e) {
    return invalid("invalid manifest: " + e.message);
  }));
  if (m.is_package_update()) return package_update(guard, user, m);
  return start_full_update(guard, user, std::move(m));
}

Result<UpdateResult> UpdateApi::package_update(Core::Guard& guard, const std::string& user,
                                               const manifest::Manifest& m) {
  const Snapshot& s = guard.snapshot();
  std::vector<std::string> names;
  for (const auto& [name, pkg] : m.packages)
    names.push_back(name);
  const User* caller = find_user(s, user);
  if (!caller || !is_granted(*caller, manifest::kActionUpdateSecurityVersion, names)) {
    return failf(ErrorCode::kPermissionDenied,
                 "user {} is not allowed to update one or more packages of [{}]", user,
                 join(names, " "));
  }
  MR_ASSIGN_OR_RETURN(
      auto changes, manifest::check_package_update(s.packages, m).map_error([](Error e) {
        return e.code == ErrorCode::kNotFound ? std::move(e)
                                              : invalid("checking update manifest: " + e.message);
      }));

  const UnixTime now = core_.clock().now();
  MR_ASSIGN_OR_RETURN(CaSet ca, rotate_intermediate(*s.ca, RotationSans::kDnsOnly, now));
  const SecretContext ctx{ca, s.root_secret->span(), now};
  MR_ASSIGN_OR_RETURN(auto txn, guard.begin());
  for (const auto& change : changes) {
    manifest::PackageProperties pkg = s.packages.at(change.name);
    pkg.security_version = change.new_version;
    MR_RETURN_IF_ERROR(store::put_string(*txn, keys::package(change.name), encode_package(pkg)));
    MR_RETURN_IF_ERROR(append_update_log(
        *txn, now, "SecurityVersion increased",
        {{"user", user}, {"package", change.name}, {"new version", change.new_version}}));
  }
  MR_RETURN_IF_ERROR(write_ca(*txn, ca));
  // Shared certificates are re-issued by the new intermediate from their stored certificate
  // (which keeps their expiry); shared symmetric keys and user-defined secrets stay.
  for (const auto& [name, secret] : s.secrets) {
    if (!secret.shared || secret.user_defined || secret.type == manifest::kSecretSymmetricKey)
      continue;
    MR_ASSIGN_OR_RETURN(auto regenerated, generate_secret(name, secret, std::nullopt, "", ctx));
    MR_RETURN_IF_ERROR(store::put_string(*txn, keys::secret(name), encode_secret(regenerated)));
  }
  MR_RETURN_IF_ERROR(guard.commit(std::move(txn)));
  kLog.info("packages updated", {{"user", user}, {"packages", join(names, ",")}});
  UpdateResult r;
  r.applied = true;
  return r;
}

Result<UpdateResult> UpdateApi::start_full_update(Core::Guard& guard, const std::string& user,
                                                  manifest::Manifest m) {
  const Snapshot& s = guard.snapshot();
  const User* caller = find_user(s, user);
  if (!caller || !is_granted(*caller, manifest::kActionUpdateManifest, {})) {
    return failf(ErrorCode::kPermissionDenied,
                 "user {} is not allowed to update the complete manifest", user);
  }
  // Validate everything now (upstream only runs Check here), so that nobody acknowledges an
  // update that cannot be applied.
  const manifest::CheckReport report = manifest::validate_all(m, manifest::CheckOptions{});
  MR_RETURN_IF_ERROR(report.first_error().map_error(
      [](Error e) { return invalid("invalid manifest: " + e.message); }));

  PendingUpdate p;
  p.manifest_raw = m.raw();
  for (const auto& [name, u] : s.users) {
    if (is_granted(u, manifest::kActionUpdateManifest, {})) p.required_users.emplace(name, false);
  }
  const std::uint64_t threshold = s.manifest->config.update_threshold;
  p.missing_acknowledgments = threshold != 0 ? threshold : p.required_users.size();
  p.acknowledge(user);

  const UnixTime now = core_.clock().now();
  const std::string fp = fingerprint(m.raw());
  MR_ASSIGN_OR_RETURN(auto txn, guard.begin());
  MR_RETURN_IF_ERROR(store::put_string(*txn, keys::kPendingUpdate, encode_pending_update(p)));
  if (p.missing_acknowledgments == 0) {
    MR_RETURN_IF_ERROR(append_update_log(
        *txn, now,
        "Complete Manifest update initiated by user. No further acknowledgements required",
        {{"user", user}, {"manifestFingerprint", fp}}));
  } else {
    MR_RETURN_IF_ERROR(append_update_log(*txn, now,
                                         "Complete Manifest update initiated by user. Waiting for "
                                         "acknowledgments to apply the update",
                                         {{"user", user},
                                          {"missingAcknowledgments", p.missing_acknowledgments},
                                          {"missingUsers", names_json(p.missing_users())},
                                          {"manifestFingerprint", fp}}));
  }
  MR_RETURN_IF_ERROR(guard.commit(std::move(txn)));
  if (p.missing_acknowledgments == 0) return apply(guard, m);
  return UpdateResult{p.missing_acknowledgments, p.missing_users(), std::nullopt, false};
}

Result<PendingInfo> UpdateApi::pending() {
  const SnapshotPtr s = core_.snapshot();
  if (!s->pending) return fail(ErrorCode::kNotFound, "no update in progress");
  return PendingInfo{s->pending->manifest_raw, s->pending->missing_users(),
                     s->pending->missing_acknowledgments};
}

Result<UpdateResult> UpdateApi::acknowledge(const std::string& user, const std::string& raw) {
  MR_ASSIGN_OR_RETURN(auto guard, core_.lock({State::kRecovery, State::kAcceptingManifest,
                                              State::kAcceptingMarbles}));
  if (!guard.snapshot().pending) return fail(ErrorCode::kNotFound, "no update in progress");
  PendingUpdate p = *guard.snapshot().pending;
  if (!p.required_users.contains(user)) {
    return failf(ErrorCode::kPermissionDenied,
                 "user {} is not allowed to acknowledge manifest updates", user);
  }
  if (raw != p.manifest_raw)
    return fail(invalid("provided manifest does not match the pending manifest"));
  p.acknowledge(user);
  MR_ASSIGN_OR_RETURN(auto txn, guard.begin());
  MR_RETURN_IF_ERROR(store::put_string(*txn, keys::kPendingUpdate, encode_pending_update(p)));
  MR_RETURN_IF_ERROR(append_update_log(*txn, core_.clock().now(),
                                       "Complete Manifest update acknowledged by user",
                                       {{"user", user},
                                        {"missingAcknowledgments", p.missing_acknowledgments},
                                        {"missingUsers", names_json(p.missing_users())},
                                        {"manifestFingerprint", fingerprint(p.manifest_raw)}}));
  MR_RETURN_IF_ERROR(guard.commit(std::move(txn)));
  if (p.missing_acknowledgments > 0)
    return UpdateResult{p.missing_acknowledgments, p.missing_users(), std::nullopt, false};
  MR_ASSIGN_OR_RETURN(auto next, manifest::Manifest::parse(p.manifest_raw));
  return apply(guard, next);
}

Status UpdateApi::cancel(const std::string& user) {
  MR_ASSIGN_OR_RETURN(auto guard, core_.lock({State::kRecovery, State::kAcceptingManifest,
                                              State::kAcceptingMarbles}));
  const Snapshot& s = guard.snapshot();
  const User* caller = find_user(s, user);
  if (!caller || !is_granted(*caller, manifest::kActionUpdateManifest, {})) {
    return failf(ErrorCode::kPermissionDenied,
                 "user {} is not allowed to cancel the manifest update", user);
  }
  if (!s.pending) return fail(ErrorCode::kNotFound, "no update in progress");
  MR_ASSIGN_OR_RETURN(auto txn, guard.begin());
  MR_RETURN_IF_ERROR(txn->erase(keys::kPendingUpdate));
  MR_RETURN_IF_ERROR(append_update_log(
      *txn, core_.clock().now(), "Complete Manifest update cancelled by user",
      {{"user", user}, {"manifestFingerprint", fingerprint(s.pending->manifest_raw)}}));
  return guard.commit(std::move(txn));
}

Result<std::vector<std::string>> UpdateApi::log() {
  if (core_.snapshot()->state != State::kAcceptingMarbles) {
    return fail(ErrorCode::kFailedPrecondition, std::string(kWrongStateMessage));
  }
  MR_ASSIGN_OR_RETURN(auto txn, core_.read_transaction());
  return read_update_log(*txn);
}

Result<UpdateResult> UpdateApi::apply(Core::Guard& guard, const manifest::Manifest& next) {
  auto r = apply_impl(guard, next);
  if (r) return r;
  kLog.error("applying the manifest update failed; cancelling it", {{"error", r.error().message}});
  auto txn = guard.begin();
  if (txn) {
    auto cleanup = (*txn)->erase(keys::kPendingUpdate).and_then([&] {
      return append_update_log(**txn, core_.clock().now(),
                               "Complete Manifest update cancelled due to error during apply",
                               {{"manifestFingerprint", fingerprint(next.raw())}});
    });
    if (cleanup) (void)guard.commit(std::move(*txn));
  }
  return r;
}

Result<UpdateResult> UpdateApi::apply_impl(Core::Guard& guard, const manifest::Manifest& next) {
  const Snapshot& cur = guard.snapshot();
  const manifest::Manifest& prev = *cur.manifest;
  const UnixTime now = core_.clock().now();
  MR_ASSIGN_OR_RETURN(auto txn, guard.begin());

  // Packages: removed ones go, changed or new ones take the new definition.
  for (const auto& [name, pkg] : cur.packages) {
    if (!next.packages.contains(name)) MR_RETURN_IF_ERROR(txn->erase(keys::package(name)));
  }
  for (const auto& [name, pkg] : next.packages) {
    auto it = cur.packages.find(name);
    if (it == cur.packages.end() || !(it->second == pkg)) {
      MR_RETURN_IF_ERROR(store::put_string(*txn, keys::package(name), encode_package(pkg)));
    }
  }

  // Root secret rotation and a new intermediate (spec 5.11 updateSecrets).
  std::shared_ptr<const SecretBytes> root_secret = cur.root_secret;
  if (next.config.rotate_root_secret) {
    MR_RETURN_IF_ERROR(txn->put(keys::kPreviousRootSecret, cur.root_secret->span()));
    root_secret = std::make_shared<const SecretBytes>(crypto::random_secret(32));
    MR_RETURN_IF_ERROR(txn->put(keys::kRootSecret, root_secret->span()));
  }
  MR_ASSIGN_OR_RETURN(CaSet ca,
                      rotate_intermediate(*cur.ca, RotationSans::kDnsAndNonLoopbackIps, now));
  MR_RETURN_IF_ERROR(write_ca(*txn, ca));
  const SecretContext ctx{ca, root_secret->span(), now};

  for (const auto& [name, def] : prev.secrets) {
    if (!next.secrets.contains(name)) {
      MR_RETURN_IF_ERROR(txn->erase(keys::secret(name)));
      MR_RETURN_IF_ERROR(txn->erase(keys::previous_secret(name)));
    }
  }
  SecretMap values;  // the secrets as templates will see them (for the dry run)
  for (const auto& [name, def] : next.secrets) {
    auto old_def = prev.secrets.find(name);
    const bool is_new = old_def == prev.secrets.end() || definition_changed(old_def->second, def);
    auto stored = cur.secrets.find(name);
    if (def.user_defined) {
      if (is_new || stored == cur.secrets.end()) {
        MR_RETURN_IF_ERROR(store::put_string(*txn, keys::secret(name), encode_secret(def)));
        MR_RETURN_IF_ERROR(
            store::put_string(*txn, keys::previous_secret(name), encode_secret(def)));
        values.emplace(name, def);
      } else {
        values.emplace(name, stored->second);
      }
      continue;
    }
    if (!is_new && def.type == manifest::kSecretSymmetricKey && !next.config.rotate_root_secret &&
        stored != cur.secrets.end()) {
      values.emplace(name, stored->second);
      continue;
    }
    auto gen_error = [](Error e) {
      return invalid("generating secrets from manifest: " + e.message);
    };
    MR_ASSIGN_OR_RETURN(
        manifest::Secret fresh,
        generate_secret(name, def, def.shared ? std::nullopt : std::optional<Uuid>(random_uuid()),
                        "", ctx)
            .map_error(gen_error));
    MR_RETURN_IF_ERROR(store::put_string(*txn, keys::secret(name), encode_secret(fresh)));
    const manifest::Secret& previous =
        (!is_new && stored != cur.secrets.end()) ? stored->second : fresh;
    MR_RETURN_IF_ERROR(
        store::put_string(*txn, keys::previous_secret(name), encode_secret(previous)));
    values.emplace(name, std::move(fresh));
  }
  for (auto& [name, s] : values) {
    if (s.user_defined) s.cert_der = s.private_key = s.public_key = Bytes{0x41};
    if (s.type == manifest::kSecretSymmetricKey) s.private_key = s.public_key = Bytes{0x41};
  }
  MR_RETURN_IF_ERROR(manifest::dry_run_report(next, values).first_error().map_error([](Error e) {
    return invalid("running manifest template dry run: " + e.message);
  }));

  MR_RETURN_IF_ERROR(store::put_string(*txn, keys::kManifest, next.raw()));
  const auto digest = crypto::sha256(as_bytes(next.raw()));
  MR_ASSIGN_OR_RETURN(Bytes signature,
                      crypto::sign_digest(cur.ca->root_key, digest, crypto::HashAlg::kSha256));
  MR_RETURN_IF_ERROR(txn->put(keys::kManifestSignature, signature));
  MR_RETURN_IF_ERROR(txn->erase(keys::kPendingUpdate));
  MR_RETURN_IF_ERROR(append_update_log(*txn, now, "Complete Manifest updated",
                                       {{"manifestFingerprint", hex_encode(digest)}}));

  UpdateResult result;
  result.applied = true;
  MR_ASSIGN_OR_RETURN(auto prev_mode, manifest::parse_seal_mode(prev.config.seal_mode));
  MR_ASSIGN_OR_RETURN(auto next_mode, manifest::parse_seal_mode(next.config.seal_mode));
  std::optional<SecretBytes> current_key = core_.data_key(guard);
  const bool rekey = recovery_keys_changed(prev, next) ||
                     (!current_key && next_mode != manifest::SealMode::kDisabled);
  if (!rekey && prev_mode == next_mode) {
    MR_RETURN_IF_ERROR(guard.commit(std::move(txn)));
    kLog.info("manifest updated", {{"fingerprint", hex_encode(digest)}});
    return result;
  }

  // The data key or the seal mode changes: rewrite the whole state under the new key, atomically.
  std::vector<std::pair<std::string, Bytes>> records;
  MR_ASSIGN_OR_RETURN(auto names, txn->list(""));
  for (const auto& key : names) {
    if (key.starts_with(keys::kMetaPrefix)) continue;
    MR_ASSIGN_OR_RETURN(auto value, txn->get(key));
    if (value) records.emplace_back(key, std::move(*value));
  }
  txn.reset();  // roll back: replace_state writes everything
  Core::NewState state;
  state.seal_mode = next_mode;
  if (rekey) {
    MR_ASSIGN_OR_RETURN(DataKey dk,
                        generate_data_key(next.recovery_keys, next.config.recovery_threshold));
    state.data_key = std::move(dk.key);
    state.recovery_data = std::move(dk.recovery_data);
    result.recovery_secrets = std::move(dk.encrypted_secrets);
  } else {
    state.data_key = std::move(*current_key);
    state.recovery_data = core_.stored_recovery_data();
  }
  state.write_records = [&](store::Transaction& t) -> Status {
    for (const auto& [key, value] : records)
      MR_RETURN_IF_ERROR(t.put(key, value));
    return ok();
  };
  MR_RETURN_IF_ERROR(core_.replace_state(guard, std::move(state)));
  kLog.info("manifest updated with a new data key",
            {{"fingerprint", hex_encode(digest)}, {"rekeyed", rekey}});
  return result;
}

}  // namespace mr::core
