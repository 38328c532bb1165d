#include "base/uuid.h"

#include <fmt/format.h>

#include "base/encoding.h"
#include "base/strings.h"

namespace mr {
namespace {

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool hex_pair(std::string_view s, std::size_t i, std::uint8_t& out) {
  const int hi = hexval(s[i]), lo = hexval(s[i + 1]);
  if (hi < 0 || lo < 0) return false;
  out = static_cast<std::uint8_t>(hi << 4 | lo);
  return true;
}

}  // namespace

Result<Uuid> Uuid::parse(std::string_view s) {
  std::array<std::uint8_t, 16> b{};
  auto bad_format = [] { return fail(ErrorCode::kInvalidArgument, "invalid UUID format"); };
  switch (s.size()) {
    case 36:
      break;
    case 36 + 9:
      // Google's parser compares the prefix case-insensitively.
      if (!equal_fold(s.substr(0, 9), "urn:uuid:")) {
        return fail(ErrorCode::kInvalidArgument, "invalid urn prefix");
      }
      s.remove_prefix(9);
      break;
    case 36 + 2:
      if (s.front() != '{' || s.back() != '}') return bad_format();
      s = s.substr(1, 36);
      break;
    case 32:
      for (std::size_t i = 0; i < 16; ++i) {
        if (!hex_pair(s, 2 * i, b[i])) return bad_format();
      }
      return Uuid(b);
    default:
      return failf(ErrorCode::kInvalidArgument, "invalid UUID length: {}", s.size());
  }
  if (s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') return bad_format();
  static constexpr std::size_t kOffsets[16] = {0,  2,  4,  6,  9,  11, 14, 16,
                                               19, 21, 24, 26, 28, 30, 32, 34};
  for (std::size_t i = 0; i < 16; ++i) {
    if (!hex_pair(s, kOffsets[i], b[i])) return bad_format();
  }
  return Uuid(b);
}

Uuid Uuid::from_random_bytes(std::array<std::uint8_t, 16> b) {
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);
  return Uuid(b);
}

std::string Uuid::to_string() const {
  const std::string h = hex_encode(bytes_);
  return fmt::format("{}-{}-{}-{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 4),
                     h.substr(16, 4), h.substr(20));
}

}  // namespace mr
