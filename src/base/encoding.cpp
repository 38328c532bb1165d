#include "base/encoding.h"

#include <array>

namespace mr {
namespace {

constexpr std::string_view kStd =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrl =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

using DecodeMap = std::array<std::int8_t, 256>;

constexpr DecodeMap make_decode_map(std::string_view alphabet) {
  DecodeMap m{};
  for (auto& v : m)
    v = -1;
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    m[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  }
  return m;
}
constexpr DecodeMap kStdMap = make_decode_map(kStd);
constexpr DecodeMap kUrlMap = make_decode_map(kUrl);

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

tl::unexpected<Error> illegal_at(std::size_t pos) {
  return failf(ErrorCode::kInvalidArgument, "illegal base64 data at input byte {}", pos);
}

}  // namespace

std::string hex_encode(ByteSpan data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(data.size() * 2, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

Result<Bytes> hex_decode(std::string_view text) {
  Bytes out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
    const int hi = hex_value(text[i]);
    if (hi < 0) return failf(ErrorCode::kInvalidArgument, "invalid hex byte at offset {}", i);
    const int lo = hex_value(text[i + 1]);
    if (lo < 0) return failf(ErrorCode::kInvalidArgument, "invalid hex byte at offset {}", i + 1);
    out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
  }
  if (text.size() % 2 != 0) {
    // Go reports an invalid final character before the length problem.
    if (hex_value(text.back()) < 0) {
      return failf(ErrorCode::kInvalidArgument, "invalid hex byte at offset {}", text.size() - 1);
    }
    return fail(ErrorCode::kInvalidArgument, "odd length hex string");
  }
  return out;
}

std::string base64_encode(ByteSpan data, Base64Alphabet alphabet, Base64Padding padding) {
  const std::string_view a = alphabet == Base64Alphabet::kStandard ? kStd : kUrl;
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t v = data[i] << 16 | data[i + 1] << 8 | data[i + 2];
    out += a[v >> 18 & 63];
    out += a[v >> 12 & 63];
    out += a[v >> 6 & 63];
    out += a[v & 63];
  }
  const std::size_t rest = data.size() - i;
  if (rest > 0) {
    std::uint32_t v = data[i] << 16;
    if (rest == 2) v |= data[i + 1] << 8;
    out += a[v >> 18 & 63];
    out += a[v >> 12 & 63];
    if (rest == 2) out += a[v >> 6 & 63];
    if (padding == Base64Padding::kPadded) out.append(rest == 1 ? "==" : "=");
  }
  return out;
}

Result<Bytes> base64_decode(std::string_view text, Base64Alphabet alphabet, Base64Padding padding) {
  const DecodeMap& map = alphabet == Base64Alphabet::kStandard ? kStdMap : kUrlMap;
  const bool padded = padding == Base64Padding::kPadded;
  Bytes out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t quantum = 0;
  int have = 0;  // sextets in the current quantum
  std::size_t i = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r' || c == '\n') continue;
    if (c == '=') {
      if (!padded || have < 2) return illegal_at(i);
      // "xx==" or "xxx=": consume the required '=' characters, skipping newlines.
      const int need = 4 - have;
      int seen = 0;
      std::size_t j = i;
      for (; j < text.size() && seen < need; ++j) {
        if (text[j] == '\r' || text[j] == '\n') continue;
        if (text[j] != '=') return illegal_at(j);
        ++seen;
      }
      if (seen < need) return illegal_at(text.size());
      for (; j < text.size(); ++j) {
        if (text[j] != '\r' && text[j] != '\n') return illegal_at(j);
      }
      break;
    }
    const std::int8_t v = map[static_cast<unsigned char>(c)];
    if (v < 0) return illegal_at(i);
    quantum = quantum << 6 | static_cast<std::uint32_t>(v);
    if (++have == 4) {
      out.push_back(static_cast<std::uint8_t>(quantum >> 16));
      out.push_back(static_cast<std::uint8_t>(quantum >> 8));
      out.push_back(static_cast<std::uint8_t>(quantum));
      quantum = 0;
      have = 0;
    }
  }
  // An incomplete last group is reported at its first character, as Go does (si - j).
  if (have == 1 || (have > 1 && padded && i >= text.size())) return illegal_at(text.size() - have);
  if (have > 1) {
    quantum <<= 6 * (4 - have);
    out.push_back(static_cast<std::uint8_t>(quantum >> 16));
    if (have == 3) out.push_back(static_cast<std::uint8_t>(quantum >> 8));
  }
  return out;
}

}  // namespace mr
