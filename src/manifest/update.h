#pragma once
// Package updates (spec 5.10): only SecurityVersion may change, never downwards.
//
//   if (update.is_package_update()) {
//     MR_ASSIGN_OR_RETURN(auto changed, check_package_update(current_packages, update));
//   }

#include "base/result.h"
#include "manifest/manifest.h"

namespace mr::manifest {

// PackageUpdate is one accepted change: |name|'s SecurityVersion becomes |new_version|.
struct PackageUpdate {
  std::string name;
  std::uint64_t new_version = 0;
  friend bool operator==(const PackageUpdate&, const PackageUpdate&) = default;
};

// check_package_update accepts or refuses |update| against the |current| packages, with
// upstream's messages (kInvalidArgument unless noted):
//   "no packages defined"; "loading current package \"<p>\" from store: requested value not
//   set" (kNotFound); "update manifest contains unupdatable values: package \"<p>\" sets
//   <fields> (...)" (Debug, UniqueID, SignerID, ProductID, AcceptedTCBStatuses or
//   AcceptedAdvisories set; upstream names none and ignores the last two) or "...: Config (...)"
//   (upstream ignores Config); "update manifest does not specify a SecurityVersion to update";
//   "update manifest tries to downgrade SecurityVersion of the original manifest".
// Returns the changes in package-name order.
[[nodiscard]] Result<std::vector<PackageUpdate>> check_package_update(
    const NameMap<PackageProperties>& current, const Manifest& update);

}  // namespace mr::manifest
