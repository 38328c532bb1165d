#include "manifest/update.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace mr::manifest {
namespace {

// unupdatable_fields names what |pkg| sets besides SecurityVersion.
std::vector<std::string> unupdatable_fields(const PackageProperties& pkg) {
  std::vector<std::string> out;
  if (pkg.debug) out.emplace_back("Debug");
  if (!pkg.unique_id.empty()) out.emplace_back("UniqueID");
  if (!pkg.signer_id.empty()) out.emplace_back("SignerID");
  if (pkg.product_id) out.emplace_back("ProductID");
  if (!pkg.accepted_tcb_statuses.empty()) out.emplace_back("AcceptedTCBStatuses");
  if (!pkg.accepted_advisories.empty()) out.emplace_back("AcceptedAdvisories");
  return out;
}

constexpr std::string_view kOnlySecurityVersion =
    "a package update changes only SecurityVersion; use a full manifest update for the rest";

}  // namespace

Result<std::vector<PackageUpdate>> check_package_update(const NameMap<PackageProperties>& current,
                                                        const Manifest& update) {
  if (update.packages.empty()) return fail(ErrorCode::kInvalidArgument, "no packages defined");
  for (const auto& [name, pkg] : update.packages) {
    if (!current.contains(name)) {
      return failf(ErrorCode::kNotFound,
                   "loading current package \"{}\" from store: requested value not set", name);
    }
  }
  // Upstream ignores Config and the TCB fields here; the user would believe they changed.
  if (update.config != Config{}) {
    return failf(ErrorCode::kInvalidArgument,
                 "update manifest contains unupdatable values: Config ({})", kOnlySecurityVersion);
  }
  std::vector<PackageUpdate> out;
  for (const auto& [name, pkg] : update.packages) {
    if (auto fields = unupdatable_fields(pkg); !fields.empty()) {
      return failf(ErrorCode::kInvalidArgument,
                   "update manifest contains unupdatable values: package \"{}\" sets {} ({})", name,
                   join(fields, ", "), kOnlySecurityVersion);
    }
    if (!pkg.security_version) {
      return fail(ErrorCode::kInvalidArgument,
                  "update manifest does not specify a SecurityVersion to update");
    }
    const auto& cur = current.at(name).security_version;
    if (cur && *pkg.security_version < *cur) {
      return fail(ErrorCode::kInvalidArgument,
                  "update manifest tries to downgrade SecurityVersion of the original manifest");
    }
    out.push_back({name, *pkg.security_version});
  }
  return out;
}

}  // namespace mr::manifest
