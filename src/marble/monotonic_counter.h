#pragma once
// libmarble: monotonic counters kept by the Coordinator (spec 3.6, 3.8), for rollback protection
// of a Marble's own state (e.g. an encrypted store that records its version there).
//
//   // In an activated Marble (its MARBLE_PREDEFINED_* variables are set):
//   MR_ASSIGN_OR_RETURN(std::uint64_t previous,
//                       mr::marble::set_monotonic_counter("coordinator:4433", "db-version", 7));
//
// A counter belongs to the calling Marble (its type and UUID, from the certificate its
// activation gave it) and a name. The Coordinator's manifest must enable the MonotonicCounter
// feature gate.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace mr::marble {

// MarbleCredentials are what an activation handed the Marble (MARBLE_PREDEFINED_*).
struct MarbleCredentials {
  std::string certificate_chain_pem;  // MARBLE_PREDEFINED_MARBLE_CERTIFICATE_CHAIN (leaf first)
  SecretBytes private_key_pem;        // MARBLE_PREDEFINED_PRIVATE_KEY
  std::string coordinator_root_pem;   // MARBLE_PREDEFINED_COORDINATOR_ROOT_CA
};

// credentials_from_environment takes the three MARBLE_PREDEFINED_* variables from |env|.
// kInvalidArgument "environment variable not set: <name>" (upstream's text) if one is missing or
// empty.
[[nodiscard]] Result<MarbleCredentials> credentials_from_environment(
    const std::map<std::string, std::string>& env);
// credentials_from_environment reads them from this process's environment.
[[nodiscard]] Result<MarbleCredentials> credentials_from_environment();

// set_monotonic_counter raises this Marble's counter |name| at the Coordinator whose client API
// listens at |endpoint| ("host:port", as EDG_COORDINATOR_CLIENT_ADDR) to |value| if that is
// greater than its current value, and returns the value before (0 if unset); a lower or equal
// |value| changes nothing and returns the current value. The Coordinator is trusted only if it
// presents |credentials|' Coordinator root for |endpoint|'s host; the Marble authenticates with
// its certificate and key. Errors: kInvalidArgument for an endpoint or credentials that do not
// parse; the transport's (kUnavailable, kPermissionDenied for a Coordinator that is not the
// pinned one, kDeadlineExceeded); the Coordinator's refusals with its message: kPermissionDenied
// "MonotonicCounter feature is not enabled in the manifest", kUnauthenticated "unauthorized
// marble: ...", kUnknown for its 500s (e.g. "server is not in expected state").
[[nodiscard]] Result<std::uint64_t> set_monotonic_counter(std::string_view endpoint,
                                                          const MarbleCredentials& credentials,
                                                          std::string_view name,
                                                          std::uint64_t value);
// set_monotonic_counter with credentials_from_environment() (upstream's
// api.SetMonotonicCounter); also fails like it.
[[nodiscard]] Result<std::uint64_t> set_monotonic_counter(std::string_view endpoint,
                                                          std::string_view name,
                                                          std::uint64_t value);

}  // namespace mr::marble
