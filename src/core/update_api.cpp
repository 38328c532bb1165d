#include "core/update_api.h"

#include <fmt/format.h>

#include "base/encoding.h"
#include "base/log.h"
#include "base/strings.h"
#include "core/transitions.h"
#include "core/update_log.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "manifest/check.h"
#include "manifest/update.h"

namespace mr::core {
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
  MR_ASSIGN_OR_RETURN(Snapshot next, with_security_versions(s, changes, now));
  std::vector<std::string> lines;
  for (const auto& change : changes) {
    lines.push_back(format_update_log_line(
        now, "SecurityVersion increased",
        {{"user", user}, {"package", change.name}, {"new version", change.new_version}}));
  }
  MR_RETURN_IF_ERROR(guard.commit(std::move(next), lines));
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
  std::string line;
  if (p.missing_acknowledgments == 0) {
    line = format_update_log_line(
        now, "Complete Manifest update initiated by user. No further acknowledgements required",
        {{"user", user}, {"manifestFingerprint", fp}});
  } else {
    line = format_update_log_line(now,
                                  "Complete Manifest update initiated by user. Waiting for "
                                  "acknowledgments to apply the update",
                                  {{"user", user},
                                   {"missingAcknowledgments", p.missing_acknowledgments},
                                   {"missingUsers", names_json(p.missing_users())},
                                   {"manifestFingerprint", fp}});
  }
  Snapshot next = s;
  next.pending = p;
  MR_RETURN_IF_ERROR(guard.commit(std::move(next), {line}));
  kLog.info("manifest update initiated", {{"user", user},
                                          {"fingerprint", fp},
                                          {"missing_acknowledgments", p.missing_acknowledgments}});
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
  Snapshot next = guard.snapshot();
  next.pending = p;
  MR_RETURN_IF_ERROR(guard.commit(
      std::move(next),
      {format_update_log_line(core_.clock().now(), "Complete Manifest update acknowledged by user",
                              {{"user", user},
                               {"missingAcknowledgments", p.missing_acknowledgments},
                               {"missingUsers", names_json(p.missing_users())},
                               {"manifestFingerprint", fingerprint(p.manifest_raw)}})}));
  kLog.info("manifest update acknowledged",
            {{"user", user},
             {"fingerprint", fingerprint(p.manifest_raw)},
             {"missing_acknowledgments", p.missing_acknowledgments}});
  if (p.missing_acknowledgments > 0)
    return UpdateResult{p.missing_acknowledgments, p.missing_users(), std::nullopt, false};
  MR_ASSIGN_OR_RETURN(auto m, manifest::Manifest::parse(p.manifest_raw));
  return apply(guard, m);
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
  const std::string fp = fingerprint(s.pending->manifest_raw);
  Snapshot next = s;
  next.pending.reset();
  MR_RETURN_IF_ERROR(guard.commit(
      std::move(next),
      {format_update_log_line(core_.clock().now(), "Complete Manifest update cancelled by user",
                              {{"user", user}, {"manifestFingerprint", fp}})}));
  kLog.info("manifest update cancelled", {{"user", user}, {"fingerprint", fp}});
  return ok();
}

Result<std::vector<std::string>> UpdateApi::log() {
  if (core_.snapshot()->state != State::kAcceptingMarbles) {
    return fail(ErrorCode::kFailedPrecondition, std::string(kWrongStateMessage));
  }
  return core_.update_log();
}

Result<UpdateResult> UpdateApi::apply(Core::Guard& guard, const manifest::Manifest& next) {
  auto r = apply_impl(guard, next);
  if (r) return r;
  kLog.error("applying the manifest update failed; cancelling it", {{"error", r.error().message}});
  Snapshot cancelled = guard.snapshot();
  cancelled.pending.reset();
  auto dropped = guard.commit(
      std::move(cancelled),
      {format_update_log_line(core_.clock().now(),
                              "Complete Manifest update cancelled due to error during apply",
                              {{"manifestFingerprint", fingerprint(next.raw())}})});
  if (!dropped) {
    kLog.error("dropping the failed manifest update failed; it stays pending",
               {{"error", dropped.error().message}});
  }
  return r;
}

Result<UpdateResult> UpdateApi::apply_impl(Core::Guard& guard, const manifest::Manifest& m) {
  const Snapshot& cur = guard.snapshot();
  const manifest::Manifest& prev = *cur.manifest;
  const UnixTime now = core_.clock().now();
  MR_ASSIGN_OR_RETURN(Snapshot next, updated_state(cur, m, now));
  const std::string fp = fingerprint(m.raw());
  const std::vector<std::string> lines = {
      format_update_log_line(now, "Complete Manifest updated", {{"manifestFingerprint", fp}})};

  UpdateResult result;
  result.applied = true;
  MR_ASSIGN_OR_RETURN(auto prev_mode, manifest::parse_seal_mode(prev.config.seal_mode));
  MR_ASSIGN_OR_RETURN(auto next_mode, manifest::parse_seal_mode(m.config.seal_mode));
  std::optional<SecretBytes> current_key = core_.data_key(guard);
  const bool rekey = recovery_keys_changed(prev, m) ||
                     (!current_key && next_mode != manifest::SealMode::kDisabled);
  if (!rekey && prev_mode == next_mode) {
    MR_RETURN_IF_ERROR(guard.commit(std::move(next), lines));
    kLog.info("manifest updated", {{"fingerprint", fp}});
    return result;
  }

  // The data key or the seal mode changes: rewrite the whole state under the new key, atomically.
  LiveStore::NewState key;
  key.seal_mode = next_mode;
  if (rekey) {
    MR_ASSIGN_OR_RETURN(DataKey dk,
                        generate_data_key(m.recovery_keys, m.config.recovery_threshold));
    key.data_key = std::move(dk.key);
    key.recovery_data = std::move(dk.recovery_data);
    result.recovery_secrets = std::move(dk.encrypted_secrets);
  } else {
    key.data_key = std::move(*current_key);
    key.recovery_data = core_.stored_recovery_data();
  }
  MR_RETURN_IF_ERROR(
      core_.replace_state(guard, std::move(next), std::move(key), lines, Core::History::kKeep));
  kLog.info("manifest updated with a new data key", {{"fingerprint", fp}, {"rekeyed", rekey}});
  return result;
}

}  // namespace mr::core
