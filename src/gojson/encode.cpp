#include "gojson/encode.h"

#include <charconv>
#include <cmath>
#include <system_error>

#include "base/encoding.h"

namespace mr::gojson {
namespace {

constexpr char kHex[] = "0123456789abcdef";

bool is_continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

// utf8_sequence returns the length of the valid UTF-8 sequence starting at s[i], or 0 if the
// bytes there are not valid UTF-8 (Go's utf8.DecodeRune returning RuneError with size 1).
// |code_point| receives the decoded rune for valid sequences.
std::size_t utf8_sequence(std::string_view s, std::size_t i, char32_t& code_point) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  const std::size_t left = s.size() - i;
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (left < 2 || !is_continuation(at(1))) return 0;
    code_point = (char32_t(b0 & 0x1F) << 6) | (at(1) & 0x3F);
    return 2;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (left < 3) return 0;
    const unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = b0 == 0xED ? 0x9F : 0xBF;  // no UTF-16 surrogates
    if (at(1) < lo || at(1) > hi || !is_continuation(at(2))) return 0;
    code_point = (char32_t(b0 & 0x0F) << 12) | (char32_t(at(1) & 0x3F) << 6) | (at(2) & 0x3F);
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (left < 4) return 0;
    const unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF;  // nothing above U+10FFFF
    if (at(1) < lo || at(1) > hi || !is_continuation(at(2)) || !is_continuation(at(3))) return 0;
    code_point = (char32_t(b0 & 0x07) << 18) | (char32_t(at(1) & 0x3F) << 12) |
                 (char32_t(at(2) & 0x3F) << 6) | (at(3) & 0x3F);
    return 4;
  }
  return 0;
}

void append_float(std::string& out, double f) {
  if (!std::isfinite(f)) {
    out += "null";
    return;
  }
  // The shortest round-trip digits, as Go's strconv.FormatFloat(f, fmt, -1, 64).
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), f, std::chars_format::scientific);
  if (ec != std::errc()) {
    out += "null";
    return;
  }
  const std::string_view sci(buf, static_cast<std::size_t>(end - buf));  // -d.ddde+XX
  const std::size_t e = sci.find('e');
  const int exp = std::stoi(std::string(sci.substr(e + 1)));
  std::string digits;
  bool negative = false;
  for (char c : sci.substr(0, e)) {
    if (c == '-') negative = true;
    if (c >= '0' && c <= '9') digits += c;
  }
  const double abs = std::fabs(f);
  if (abs != 0 && (abs < 1e-6 || abs >= 1e21)) {
    // 'e' format: Go writes at least two exponent digits, then drops a leading zero (e-07 -> e-7).
    std::string text(sci);
    const std::size_t n = text.size();
    if (n >= 4 && text[n - 4] == 'e' && text[n - 3] == '-' && text[n - 2] == '0')
      text.erase(n - 2, 1);
    out += text;
    return;
  }
  // 'f' format from the same digits: d.ddd x 10^exp.
  if (negative) out += '-';
  const int n = static_cast<int>(digits.size());
  if (exp >= n - 1) {
    out += digits;
    out.append(static_cast<std::size_t>(exp - (n - 1)), '0');
  } else if (exp >= 0) {
    out += digits.substr(0, static_cast<std::size_t>(exp + 1));
    out += '.';
    out += digits.substr(static_cast<std::size_t>(exp + 1));
  } else {
    out += "0.";
    out.append(static_cast<std::size_t>(-exp - 1), '0');
    out += digits;
  }
}

void append_value(std::string& out, const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
    case Json::value_t::discarded:
      out += "null";
      return;
    case Json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return;
    case Json::value_t::number_integer:
      out += std::to_string(v.get<std::int64_t>());
      return;
    case Json::value_t::number_unsigned:
      out += std::to_string(v.get<std::uint64_t>());
      return;
    case Json::value_t::number_float:
      append_float(out, v.get<double>());
      return;
    case Json::value_t::string:
      append_string(out, v.get_ref<const std::string&>());
      return;
    case Json::value_t::binary: {
      const auto& bin = v.get_binary();
      out += '"';
      out += base64_encode(ByteSpan(bin.data(), bin.size()));
      out += '"';
      return;
    }
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const Json& e : v) {
        if (!first) out += ',';
        first = false;
        append_value(out, e);
      }
      out += ']';
      return;
    }
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out += ',';
        first = false;
        append_string(out, it.key());
        out += ':';
        append_value(out, it.value());
      }
      out += '}';
      return;
    }
  }
  out += "null";
}

}  // namespace

void append_string(std::string& out, std::string_view s) {
  out += '"';
  std::size_t start = 0;
  std::size_t i = 0;
  auto flush = [&] { out.append(s.substr(start, i - start)); };
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      const bool safe = b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&';
      if (safe) {
        ++i;
        continue;
      }
      flush();
      switch (b) {
        case '\\':
          out += "\\\\";
          break;
        case '"':
          out += "\\\"";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          out += "\\u00";
          out += kHex[b >> 4];
          out += kHex[b & 0xF];
      }
      ++i;
      start = i;
      continue;
    }
    char32_t c = 0;
    const std::size_t size = utf8_sequence(s, i, c);
    if (size == 0) {
      flush();
      out += "\\ufffd";
      ++i;
      start = i;
      continue;
    }
    if (c == 0x2028 || c == 0x2029) {
      flush();
      out += "\\u202";
      out += kHex[c & 0xF];
      i += size;
      start = i;
      continue;
    }
    i += size;
  }
  flush();
  out += '"';
}

std::string dump(const Json& v) {
  std::string out;
  append_value(out, v);
  return out;
}

}  // namespace mr::gojson
