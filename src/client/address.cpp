#include "client/address.h"

#include <charconv>

namespace mr::client {
namespace {

Result<int> parse_port(std::string_view text) {
  int port = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, port);
  if (text.empty() || ec != std::errc() || ptr != end || port < 1 || port > 65535) {
    return fail(ErrorCode::kInvalidArgument, "the port must be a number from 1 to 65535");
  }
  return port;
}

}  // namespace

std::string CoordinatorAddress::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<CoordinatorAddress> parse_coordinator_address(std::string_view text) {
  const std::string original(text);
  auto invalid = [&](std::string_view reason) {
    return failf(ErrorCode::kInvalidArgument, "invalid Coordinator address \"{}\": {}", original,
                 reason);
  };
  if (const auto scheme = text.find("://"); scheme != std::string_view::npos) {
    if (text.substr(0, scheme) != "https") return invalid("only https:// is supported");
    text.remove_prefix(scheme + 3);
    if (!text.empty() && text.back() == '/') text.remove_suffix(1);
  }
  if (text.find('/') != std::string_view::npos)
    return invalid("expected host:port, not a URL path");
  CoordinatorAddress a;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return invalid("missing ']' after the IPv6 address");
    a.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return invalid("expected ':' after ']'");
      port_text = rest.substr(1);
      if (port_text.empty()) return invalid("empty port");
    }
  } else {
    const auto colon = text.rfind(':');
    if (colon != std::string_view::npos) {
      if (text.find(':') != colon) return invalid("put an IPv6 address in brackets: [addr]:port");
      a.host = std::string(text.substr(0, colon));
      port_text = text.substr(colon + 1);
      if (port_text.empty()) return invalid("empty port");
    } else {
      a.host = std::string(text);
    }
  }
  if (a.host.empty()) return invalid("empty host");
  if (!port_text.empty()) {
    auto port = parse_port(port_text);
    if (!port) return invalid(port.error().message);
    a.port = *port;
  }
  return a;
}

}  // namespace mr::client
