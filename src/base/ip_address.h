#pragma once
// IpAddress: an IPv4 or IPv6 address as Go's net.IP sees it (parse, print, 4/16-byte form).

#include <array>
#include <compare>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace mr {

class IpAddress {
 public:
  // parse accepts dotted IPv4 and any RFC 4291 IPv6 text form (no zone, no brackets);
  // nullopt if |text| is not an address (callers then treat it as a DNS name).
  [[nodiscard]] static std::optional<IpAddress> parse(std::string_view text);
  // from_bytes takes 4 (IPv4) or 16 bytes; an IPv4-mapped 16-byte address stays IPv6-encoded
  // but prints as IPv4 (as Go does). nullopt on any other length.
  [[nodiscard]] static std::optional<IpAddress> from_bytes(ByteSpan raw);

  [[nodiscard]] bool is_v4() const { return len_ == 4; }
  // bytes is the 4-byte form for IPv4 and 16 bytes for IPv6 (the X.509 SAN encoding).
  [[nodiscard]] ByteSpan bytes() const { return {raw_.data(), len_}; }
  // to_string prints like Go's net.IP.String().
  [[nodiscard]] std::string to_string() const;
  [[nodiscard]] bool is_loopback() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  std::array<std::uint8_t, 16> raw_{};
  std::size_t len_ = 0;
};

}  // namespace mr
