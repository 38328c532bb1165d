#pragma once
// CoordinatorAddress: where the Coordinator's client API listens, as users type it.
//
//   MR_ASSIGN_OR_RETURN(CoordinatorAddress a, parse_coordinator_address("localhost:4433"));
//   a.host == "localhost"; a.port == 4433; a.to_string() == "localhost:4433"

#include <string>
#include <string_view>

#include "base/result.h"

namespace mr::client {

// kDefaultClientApiPort is the Coordinator's default client API port (EDG_COORDINATOR_CLIENT_ADDR).
inline constexpr int kDefaultClientApiPort = 4433;

struct CoordinatorAddress {
  std::string host;  // DNS name or IP literal (IPv6 without brackets)
  int port = kDefaultClientApiPort;

  // to_string returns "host:port", with brackets around an IPv6 host.
  [[nodiscard]] std::string to_string() const;
  friend bool operator==(const CoordinatorAddress&, const CoordinatorAddress&) = default;
};

// parse_coordinator_address accepts "host:port", "host" (port 4433), "[v6]:port", "[v6]", and
// the same behind "https://" with an optional trailing "/". kInvalidArgument "invalid Coordinator
// address <text>: <reason>" for an empty host, a port outside 1..65535, another scheme, or a path.
[[nodiscard]] Result<CoordinatorAddress> parse_coordinator_address(std::string_view text);

}  // namespace mr::client
