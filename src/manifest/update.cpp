#include "manifest/update.h"

#include <fmt/format.h>

namespace mr::manifest {

Result<std::vector<PackageUpdate>> check_package_update(const NameMap<PackageProperties>& current,
                                                        const Manifest& update) {
  if (update.packages.empty()) return fail(ErrorCode::kInvalidArgument, "no packages defined");
  for (const auto& [name, pkg] : update.packages) {
    if (!current.contains(name)) {
      return failf(ErrorCode::kNotFound,
                   "loading current package \"{}\" from store: requested value not set", name);
    }
  }
  std::vector<PackageUpdate> out;
  for (const auto& [name, pkg] : update.packages) {
    if (pkg.debug || !pkg.unique_id.empty() || !pkg.signer_id.empty() || pkg.product_id) {
      return fail(ErrorCode::kInvalidArgument, "update manifest contains unupdatable values");
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
