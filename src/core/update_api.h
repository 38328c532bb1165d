#pragma once
// UpdateApi: package updates (spec 5.10), multi-party full manifest updates (5.11) and the update
// log (14.1).
//
//   UpdateApi updates(core);
//   MR_ASSIGN_OR_RETURN(UpdateResult r, updates.update("alice", raw_manifest));
//   if (r.missing_acknowledgments > 0) ...  // others acknowledge with the same bytes

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "core/core.h"

namespace mr::core {

struct UpdateResult {
  std::uint64_t missing_acknowledgments = 0;
  std::vector<std::string> missing_users;  // empty: JSON null
  // Set when applying the update changed the recovery keys: the new encrypted secrets.
  std::optional<std::map<std::string, Bytes>> recovery_secrets;
  bool applied = false;  // the update is live (package updates and fully acknowledged ones)
};

struct PendingInfo {
  std::string manifest_raw;
  std::vector<std::string> missing_users;
  std::uint64_t missing_acknowledgments = 0;
};

class UpdateApi {
 public:
  explicit UpdateApi(Core& core) : core_(core) {}

  // update applies a package update (the manifest holds only Packages, and maybe Config) or
  // starts a multi-party full update. State 3, no update pending. Errors (kFailedPrecondition
  // for state and pending update, kPermissionDenied for permissions, kInvalidArgument
  // otherwise): "update already in progress. Acknowledge the update to apply it, or cancel it to
  // start a new one"; "user <u> is not allowed to update one or more packages of [a b]";
  // "user <u> is not allowed to update the complete manifest"; "invalid manifest: ..."; the
  // package-update rules of manifest/update.h; "checking update manifest: ..." for a manifest
  // that does not parse.
  [[nodiscard]] Result<UpdateResult> update(const std::string& user, const std::string& raw);

  // pending describes the update awaiting acknowledgements; kNotFound "no update in progress".
  [[nodiscard]] Result<PendingInfo> pending();

  // acknowledge records |user|'s agreement to the pending update; |raw| must be byte-identical
  // to it. At zero missing acknowledgements the update is applied. Errors: kNotFound "no update
  // in progress"; kPermissionDenied "user <u> is not allowed to acknowledge manifest updates";
  // kInvalidArgument "provided manifest does not match the pending manifest"; apply errors.
  [[nodiscard]] Result<UpdateResult> acknowledge(const std::string& user, const std::string& raw);

  // cancel drops the pending update. kPermissionDenied "user <u> is not allowed to cancel the
  // manifest update"; kNotFound "no update in progress".
  [[nodiscard]] Status cancel(const std::string& user);

  // log returns the update log lines (state 3).
  [[nodiscard]] Result<std::vector<std::string>> log();

  // kUpdateInProgress is the refusal while an update is pending.
  static constexpr std::string_view kUpdateInProgress =
      "update already in progress. Acknowledge the update to apply it, or cancel it to start a new "
      "one";

 private:
  Result<UpdateResult> package_update(Core::Guard& guard, const std::string& user,
                                      const manifest::Manifest& m);
  Result<UpdateResult> start_full_update(Core::Guard& guard, const std::string& user,
                                         manifest::Manifest m);
  // apply writes the pending update |next| (spec 5.11 "Apply"); on failure the pending update is
  // dropped and the failure logged.
  Result<UpdateResult> apply(Core::Guard& guard, const manifest::Manifest& next);
  Result<UpdateResult> apply_impl(Core::Guard& guard, const manifest::Manifest& next);
  Core& core_;
};

// recovery_keys_changed is upstream's recoveryKeysHaveChanged: a different set of keys, or a
// threshold change other than 0 ↔ the number of keys.
[[nodiscard]] bool recovery_keys_changed(const manifest::Manifest& before,
                                         const manifest::Manifest& after);

}  // namespace mr::core
