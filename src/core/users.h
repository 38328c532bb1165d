#pragma once
// Users and RBAC (spec 10): users come from the manifest, permissions from their roles.
//
//   MR_ASSIGN_OR_RETURN(UserMap users, build_users(manifest));
//   MR_ASSIGN_OR_RETURN(std::string name, authenticate(users, leaf_der));
//   if (!is_granted(users.at(name), kActionReadSecret, {"apiKey"})) ...

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "manifest/manifest.h"

namespace mr::core {

struct User {
  std::string name;
  Bytes certificate_der;  // the DER of the first PEM block of the manifest's certificate
  // permission id (lower-case action) → resource names (the union over the user's roles)
  std::map<std::string, std::set<std::string>, std::less<>> permissions;
  friend bool operator==(const User&, const User&) = default;
};

using UserMap = manifest::NameMap<User>;

// build_users derives every user's certificate and permissions from |m|. kInvalidArgument
// "received invalid certificate for user <u>" if a certificate does not parse.
[[nodiscard]] Result<UserMap> build_users(const manifest::Manifest& m);

// is_granted reports whether |user| holds permission |action| (lower-case) for every name in
// |resources| (an empty list only needs the permission).
[[nodiscard]] bool is_granted(const User& user, std::string_view action,
                              const std::vector<std::string>& resources);

// kUnauthorizedUser is upstream's 401 text for an unknown or missing client certificate.
inline constexpr std::string_view kUnauthorizedUser =
    "unauthorized user: client certificate did not match any MarbleRun users";

// authenticate returns the user whose certificate is byte-identical to |leaf_der|, the leaf
// certificate the client proved possession of in the TLS handshake. Only the leaf counts (a
// certificate merely appended to the chain identifies nobody; upstream matches any presented
// certificate — docs/compatibility.md). kUnauthenticated kUnauthorizedUser otherwise.
[[nodiscard]] Result<std::string> authenticate(const UserMap& users,
                                               const std::optional<Bytes>& leaf_der);

}  // namespace mr::core
