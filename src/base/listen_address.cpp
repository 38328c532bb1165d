#include "base/listen_address.h"

#include <fmt/format.h>

#include <charconv>

namespace mr {

std::string ListenAddress::to_string() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

Result<ListenAddress> parse_listen_address(std::string_view address) {
  auto bad = [](const char* why) { return fail(ErrorCode::kInvalidArgument, why); };
  const std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return bad("missing port in address");
  std::string_view host = address.substr(0, colon);
  const std::string_view port = address.substr(colon + 1);
  if (!host.empty() && host.front() == '[') {
    if (host.size() < 2 || host.back() != ']') return bad("missing ']' in address");
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return bad("too many colons in address");
  }
  int p = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || p < 0 || p > 65535) {
    return bad("invalid port");
  }
  return ListenAddress{std::string(host), p};
}

}  // namespace mr
