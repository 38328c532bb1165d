#pragma once
// ListenAddress: Go's "host:port" listen addresses (":4433" = every interface, port 0 = any free
// port), as upstream's EDG_COORDINATOR_*_ADDR settings use them.
//
//   MR_ASSIGN_OR_RETURN(ListenAddress a, parse_listen_address("[::1]:2001"));  // {"::1", 2001}

#include <string>
#include <string_view>

#include "base/result.h"

namespace mr {

struct ListenAddress {
  std::string host;  // "" = every interface; IPv6 without brackets
  int port = 0;
  // to_string gives the Go form back ("[::1]:2001", ":4433").
  [[nodiscard]] std::string to_string() const;
  friend bool operator==(const ListenAddress&, const ListenAddress&) = default;
};

// parse_listen_address splits |address| like Go's net.SplitHostPort with a numeric port.
// kInvalidArgument "missing port in address", "missing ']' in address", "too many colons in
// address" (an IPv6 host needs brackets) or "invalid port" (not 0-65535).
[[nodiscard]] Result<ListenAddress> parse_listen_address(std::string_view address);

}  // namespace mr
