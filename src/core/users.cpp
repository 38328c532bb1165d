#include "core/users.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/strings.h"
#include "crypto/x509.h"

namespace mr::core {

Result<UserMap> build_users(const manifest::Manifest& m) {
  UserMap out;
  for (const auto& [name, u] : m.users) {
    auto cert = crypto::Certificate::from_pem(u.certificate);
    if (!cert)
      return failf(ErrorCode::kInvalidArgument, "received invalid certificate for user {}", name);
    User user{name, cert->der(), {}};
    for (const auto& role_name : u.roles) {
      auto role = m.roles.find(role_name);
      if (role == m.roles.end()) continue;  // refused by check()
      for (const auto& action : role->second.actions) {
        auto& resources = user.permissions[ascii_lower(action)];
        resources.insert(role->second.resource_names.begin(), role->second.resource_names.end());
      }
    }
    out.emplace(name, std::move(user));
  }
  return out;
}

bool is_granted(const User& user, std::string_view action,
                const std::vector<std::string>& resources) {
  auto it = user.permissions.find(action);
  if (it == user.permissions.end()) return false;
  return std::all_of(resources.begin(), resources.end(),
                     [&](const std::string& r) { return it->second.contains(r); });
}

Result<std::string> authenticate(const UserMap& users, const std::optional<Bytes>& leaf_der) {
  if (leaf_der && !leaf_der->empty()) {
    for (const auto& [name, user] : users) {
      if (constant_time_equal(user.certificate_der, *leaf_der)) return name;
    }
  }
  return fail(ErrorCode::kUnauthenticated, std::string(kUnauthorizedUser));
}

}  // namespace mr::core
