#include "base/ip_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace mr {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  const std::string s(text);
  IpAddress ip;
  if (s.find(':') == std::string::npos) {
    in_addr v4{};
    if (inet_pton(AF_INET, s.c_str(), &v4) != 1) return std::nullopt;
    std::memcpy(ip.raw_.data(), &v4, 4);
    ip.len_ = 4;
    return ip;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) != 1) return std::nullopt;
  std::memcpy(ip.raw_.data(), &v6, 16);
  ip.len_ = 16;
  return ip;
}

std::optional<IpAddress> IpAddress::from_bytes(ByteSpan raw) {
  if (raw.size() != 4 && raw.size() != 16) return std::nullopt;
  IpAddress ip;
  std::copy(raw.begin(), raw.end(), ip.raw_.begin());
  ip.len_ = raw.size();
  return ip;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  static constexpr std::uint8_t kV4Prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (len_ == 4) {
    inet_ntop(AF_INET, raw_.data(), buf, sizeof buf);
  } else if (std::memcmp(raw_.data(), kV4Prefix, 12) == 0) {
    inet_ntop(AF_INET, raw_.data() + 12, buf, sizeof buf);  // Go prints mapped v4 as v4
  } else {
    inet_ntop(AF_INET6, raw_.data(), buf, sizeof buf);
  }
  return buf;
}

bool IpAddress::is_loopback() const {
  if (len_ == 4) return raw_[0] == 127;
  static constexpr std::uint8_t kV4Prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(raw_.data(), kV4Prefix, 12) == 0) return raw_[12] == 127;
  for (int i = 0; i < 15; ++i) {
    if (raw_[i] != 0) return false;
  }
  return raw_[15] == 1;
}

}  // namespace mr
