#include "gotemplate/go_strings.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <system_error>

namespace mr::gotemplate::detail {

namespace {

constexpr char kLowerHex[] = "0123456789abcdef";

bool is_cont(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

char lower(char c) {
  return static_cast<char>(c | 0x20);
}

bool in_range(std::int32_t r, std::int32_t lo, std::int32_t hi) {
  return r >= lo && r <= hi;
}

}  // namespace

DecodedRune decode_rune(std::string_view s, std::size_t i) {
  if (i >= s.size()) return {kRuneError, 0};
  const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + i;
  const std::size_t n = s.size() - i;
  const unsigned char c0 = p[0];
  if (c0 < 0x80) return {c0, 1};
  if (c0 < 0xC2 || c0 > 0xF4) return {kRuneError, 1};
  if (c0 < 0xE0) {
    if (n < 2 || !is_cont(p[1])) return {kRuneError, 1};
    return {static_cast<std::int32_t>(((c0 & 0x1F) << 6) | (p[1] & 0x3F)), 2};
  }
  if (c0 < 0xF0) {
    if (n < 3 || !is_cont(p[1]) || !is_cont(p[2])) return {kRuneError, 1};
    if (c0 == 0xE0 && p[1] < 0xA0) return {kRuneError, 1};  // overlong
    if (c0 == 0xED && p[1] > 0x9F) return {kRuneError, 1};  // surrogate
    return {static_cast<std::int32_t>(((c0 & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F)),
            3};
  }
  if (n < 4 || !is_cont(p[1]) || !is_cont(p[2]) || !is_cont(p[3])) return {kRuneError, 1};
  if (c0 == 0xF0 && p[1] < 0x90) return {kRuneError, 1};  // overlong
  if (c0 == 0xF4 && p[1] > 0x8F) return {kRuneError, 1};  // > U+10FFFF
  return {static_cast<std::int32_t>(((c0 & 0x07) << 18) | ((p[1] & 0x3F) << 12) |
                                    ((p[2] & 0x3F) << 6) | (p[3] & 0x3F)),
          4};
}

DecodedRune decode_last_rune(std::string_view s) {
  if (s.empty()) return {kRuneError, 0};
  const std::size_t end = s.size();
  std::size_t start = end - 1;
  if (static_cast<unsigned char>(s[start]) < 0x80) {
    return {static_cast<unsigned char>(s[start]), 1};
  }
  // Back up at most 3 continuation bytes to a possible start byte.
  const std::size_t lim = end >= 4 ? end - 4 : 0;
  while (start > lim && is_cont(static_cast<unsigned char>(s[start])))
    --start;
  DecodedRune d = decode_rune(s, start);
  if (start + d.width != end) return {kRuneError, 1};
  return d;
}

void append_rune(std::string& out, std::int32_t r) {
  if (r < 0 || r > kMaxRune || in_range(r, 0xD800, 0xDFFF)) r = kRuneError;
  if (r < 0x80) {
    out.push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (r >> 6)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (r >> 12)));
    out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (r >> 18)));
    out.push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

std::size_t rune_count(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++n)
    i += decode_rune(s, i).width;
  return n;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    DecodedRune d = decode_rune(s, i);
    if (d.rune == kRuneError && d.width == 1) return false;
    i += d.width;
  }
  return true;
}

bool is_print(std::int32_t r) {
  if (r < 0x80) return r >= 0x20 && r < 0x7F;
  if (r < 0xA1) return false;   // C1 controls and NO-BREAK SPACE
  if (r == 0xAD) return false;  // soft hyphen (Cf)
  if (r > kMaxRune || in_range(r, 0xD800, 0xDFFF)) return false;
  if (r == 0x1680 || in_range(r, 0x2000, 0x200F) || in_range(r, 0x2028, 0x202F) ||
      in_range(r, 0x205F, 0x206F) || r == 0x3000 || r == 0xFEFF || in_range(r, 0xFFF9, 0xFFFB)) {
    return false;  // spaces, separators and format characters
  }
  if (in_range(r, 0xE000, 0xF8FF) || r >= 0xF0000) return false;            // private use
  if ((r & 0xFFFE) == 0xFFFE || in_range(r, 0xFDD0, 0xFDEF)) return false;  // noncharacters
  return true;
}

bool is_alpha_numeric(std::int32_t r) {
  if (r < 0x80) {
    return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9');
  }
  if (r == 0xAA || r == 0xB5 || r == 0xBA) return true;  // Latin-1 letters among symbols
  if (r < 0xC0 || r == 0xD7 || r == 0xF7) return false;
  if (!is_print(r)) return false;
  // Punctuation and symbol blocks (approximation of unicode.IsLetter || unicode.IsDigit).
  if (in_range(r, 0x2000, 0x2BFF) || in_range(r, 0x2E00, 0x2E7F) || in_range(r, 0x3000, 0x303F) ||
      in_range(r, 0xFE10, 0xFE6F) || in_range(r, 0xFF00, 0xFF0F) || in_range(r, 0xFF1A, 0xFF20) ||
      in_range(r, 0xFF3B, 0xFF40) || in_range(r, 0xFF5B, 0xFF65) || in_range(r, 0xFFE0, 0xFFFF) ||
      in_range(r, 0x1F000, 0x1FAFF)) {
    return false;
  }
  return true;
}

namespace {

void append_escaped_rune(std::string& out, std::int32_t r, char quote_char, QuoteMode mode) {
  if (r == quote_char || r == '\\') {
    out.push_back('\\');
    out.push_back(static_cast<char>(r));
    return;
  }
  if (mode == QuoteMode::kAscii) {
    if (r < 0x80 && is_print(r)) {
      out.push_back(static_cast<char>(r));
      return;
    }
  } else if (is_print(r)) {
    append_rune(out, r);
    return;
  }
  switch (r) {
    case '\a':
      out += "\\a";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\v':
      out += "\\v";
      return;
    default:
      break;
  }
  if (r < ' ' || r == 0x7F) {
    out += "\\x";
    out.push_back(kLowerHex[(r >> 4) & 0xF]);
    out.push_back(kLowerHex[r & 0xF]);
    return;
  }
  if (r > kMaxRune || in_range(r, 0xD800, 0xDFFF)) r = kRuneError;
  if (r < 0x10000) {
    out += "\\u";
    for (int s = 12; s >= 0; s -= 4)
      out.push_back(kLowerHex[(r >> s) & 0xF]);
  } else {
    out += "\\U";
    for (int s = 28; s >= 0; s -= 4)
      out.push_back(kLowerHex[(r >> s) & 0xF]);
  }
}

}  // namespace

std::string quote(std::string_view s, QuoteMode mode) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (std::size_t i = 0; i < s.size();) {
    DecodedRune d = decode_rune(s, i);
    if (d.width == 1 && d.rune == kRuneError) {
      const auto c = static_cast<unsigned char>(s[i]);
      out += "\\x";
      out.push_back(kLowerHex[c >> 4]);
      out.push_back(kLowerHex[c & 0xF]);
      ++i;
      continue;
    }
    append_escaped_rune(out, d.rune, '"', mode);
    i += d.width;
  }
  out.push_back('"');
  return out;
}

std::string quote_rune(std::int32_t r, QuoteMode mode) {
  if (r < 0 || r > kMaxRune || in_range(r, 0xD800, 0xDFFF)) r = kRuneError;
  std::string out = "'";
  append_escaped_rune(out, r, '\'', mode);
  out.push_back('\'');
  return out;
}

bool can_backquote(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    DecodedRune d = decode_rune(s, i);
    i += d.width;
    if (d.width > 1) {
      if (d.rune == 0xFEFF) return false;
      continue;
    }
    if (d.rune == kRuneError) return false;
    if ((d.rune < ' ' && d.rune != '\t') || d.rune == '`' || d.rune == 0x7F) return false;
  }
  return true;
}

std::string format_unicode_sharp(std::int32_t r) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(r));
  std::string out = buf;
  if (r >= 0 && r <= kMaxRune && is_print(r)) {
    out += " '";
    append_rune(out, r);
    out += "'";
  }
  return out;
}

namespace {

std::optional<int> unhex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return std::nullopt;
}

}  // namespace

std::optional<UnquotedChar> unquote_char(std::string_view s, char quote_char) {
  if (s.empty()) return std::nullopt;
  const auto c0 = static_cast<unsigned char>(s[0]);
  if (c0 == static_cast<unsigned char>(quote_char) && (quote_char == '\'' || quote_char == '"')) {
    return std::nullopt;
  }
  if (c0 >= 0x80) {
    DecodedRune d = decode_rune(s);
    return UnquotedChar{d.rune, true, s.substr(d.width)};
  }
  if (c0 != '\\') return UnquotedChar{c0, false, s.substr(1)};
  if (s.size() <= 1) return std::nullopt;
  const char c = s[1];
  s.remove_prefix(2);
  std::int32_t value = 0;
  bool multibyte = false;
  switch (c) {
    case 'a':
      value = '\a';
      break;
    case 'b':
      value = '\b';
      break;
    case 'f':
      value = '\f';
      break;
    case 'n':
      value = '\n';
      break;
    case 'r':
      value = '\r';
      break;
    case 't':
      value = '\t';
      break;
    case 'v':
      value = '\v';
      break;
    case 'x':
    case 'u':
    case 'U': {
      const std::size_t n = c == 'x' ? 2 : c == 'u' ? 4 : 8;
      if (s.size() < n) return std::nullopt;
      std::uint32_t v = 0;
      for (std::size_t j = 0; j < n; ++j) {
        auto x = unhex(s[j]);
        if (!x) return std::nullopt;
        v = (v << 4) | static_cast<std::uint32_t>(*x);
      }
      s.remove_prefix(n);
      if (c == 'x') {
        value = static_cast<std::int32_t>(v);
        break;
      }
      if (v > static_cast<std::uint32_t>(kMaxRune) || (v >= 0xD800 && v <= 0xDFFF)) {
        return std::nullopt;
      }
      value = static_cast<std::int32_t>(v);
      multibyte = true;
      break;
    }
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7': {
      std::int32_t v = c - '0';
      if (s.size() < 2) return std::nullopt;
      for (std::size_t j = 0; j < 2; ++j) {
        const int x = s[j] - '0';
        if (x < 0 || x > 7) return std::nullopt;
        v = (v << 3) | x;
      }
      s.remove_prefix(2);
      if (v > 255) return std::nullopt;
      value = v;
      break;
    }
    case '\\':
      value = '\\';
      break;
    case '\'':
    case '"':
      if (c != quote_char) return std::nullopt;
      value = c;
      break;
    default:
      return std::nullopt;
  }
  return UnquotedChar{value, multibyte, s};
}

std::optional<std::string> unquote(std::string_view in) {
  if (in.size() < 2) return std::nullopt;
  const char q = in.front();
  if (q != in.back()) return std::nullopt;
  in = in.substr(1, in.size() - 2);
  if (q == '`') {
    if (in.find('`') != std::string_view::npos) return std::nullopt;
    std::string out;
    out.reserve(in.size());
    for (char c : in) {
      if (c != '\r') out.push_back(c);
    }
    return out;
  }
  if (q != '"') return std::nullopt;
  if (in.find('\n') != std::string_view::npos) return std::nullopt;
  if (in.find('\\') == std::string_view::npos && in.find('"') == std::string_view::npos &&
      valid_utf8(in)) {
    return std::string(in);
  }
  std::string out;
  out.reserve(in.size());
  while (!in.empty()) {
    auto uc = unquote_char(in, '"');
    if (!uc) return std::nullopt;
    in = uc->tail;
    if (!uc->multibyte) {
      out.push_back(static_cast<char>(uc->value));
    } else {
      append_rune(out, uc->value);
    }
  }
  return out;
}

namespace {

// underscore_ok is strconv's underscoreOK.
bool underscore_ok(std::string_view s) {
  char saw = '^';
  std::size_t i = 0;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  bool hex = false;
  if (s.size() >= 2 && s[0] == '0' &&
      (lower(s[1]) == 'b' || lower(s[1]) == 'o' || lower(s[1]) == 'x')) {
    i = 2;
    saw = '0';
    hex = lower(s[1]) == 'x';
  }
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if ((c >= '0' && c <= '9') || (hex && lower(c) >= 'a' && lower(c) <= 'f')) {
      saw = '0';
      continue;
    }
    if (c == '_') {
      if (saw != '0') return false;
      saw = '_';
      continue;
    }
    if (saw == '_') return false;
    saw = '!';
  }
  return saw != '_';
}

}  // namespace

std::optional<std::uint64_t> parse_uint_base0(std::string_view s) {
  if (s.empty()) return std::nullopt;
  const std::string_view s0 = s;
  unsigned base = 10;
  if (s[0] == '0') {
    if (s.size() >= 3 && lower(s[1]) == 'b') {
      base = 2;
      s.remove_prefix(2);
    } else if (s.size() >= 3 && lower(s[1]) == 'o') {
      base = 8;
      s.remove_prefix(2);
    } else if (s.size() >= 3 && lower(s[1]) == 'x') {
      base = 16;
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
    }
  }
  bool underscores = false;
  std::uint64_t n = 0;
  for (char c : s) {
    unsigned d;
    if (c == '_') {
      underscores = true;
      continue;
    }
    if (c >= '0' && c <= '9') {
      d = static_cast<unsigned>(c - '0');
    } else if (lower(c) >= 'a' && lower(c) <= 'z') {
      d = static_cast<unsigned>(lower(c) - 'a' + 10);
    } else {
      return std::nullopt;
    }
    if (d >= base) return std::nullopt;
    if (n > (std::numeric_limits<std::uint64_t>::max() - d) / base) return std::nullopt;
    n = n * base + d;
  }
  if (underscores && !underscore_ok(s0)) return std::nullopt;
  return n;
}

std::optional<std::int64_t> parse_int_base0(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool neg = false;
  if (s[0] == '+') {
    s.remove_prefix(1);
  } else if (s[0] == '-') {
    neg = true;
    s.remove_prefix(1);
  }
  auto un = parse_uint_base0(s);
  if (!un) return std::nullopt;
  constexpr std::uint64_t kCutoff = std::uint64_t{1} << 63;
  if (!neg && *un >= kCutoff) return std::nullopt;
  if (neg && *un > kCutoff) return std::nullopt;
  if (neg) return static_cast<std::int64_t>(~*un + 1);
  return static_cast<std::int64_t>(*un);
}

std::optional<double> parse_float(std::string_view s) {
  // Syntax check as in strconv.readFloat; the conversion itself is left to the C++ library.
  std::size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    neg = s[i] == '-';
    ++i;
  }
  bool hex = false;
  if (i + 2 < s.size() && s[i] == '0' && lower(s[i + 1]) == 'x') {
    hex = true;
    i += 2;
  }
  const std::size_t mant_start = i;
  bool underscores = false;
  bool sawdot = false;
  bool sawdigits = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '_') {
      underscores = true;
      continue;
    }
    if (c == '.') {
      if (sawdot) break;
      sawdot = true;
      continue;
    }
    if ((c >= '0' && c <= '9') || (hex && lower(c) >= 'a' && lower(c) <= 'f')) {
      sawdigits = true;
      continue;
    }
    break;
  }
  if (!sawdigits) return std::nullopt;
  const char exp_char = hex ? 'p' : 'e';
  if (i < s.size() && lower(s[i]) == exp_char) {
    ++i;
    if (i >= s.size()) return std::nullopt;
    if (s[i] == '+' || s[i] == '-') ++i;
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return std::nullopt;
    for (; i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'); ++i) {
      if (s[i] == '_') underscores = true;
    }
  } else if (hex) {
    return std::nullopt;  // hex mantissa requires a 'p' exponent
  }
  if (i != s.size()) return std::nullopt;
  if (underscores && !underscore_ok(s)) return std::nullopt;

  std::string clean;
  clean.reserve(s.size());
  for (std::size_t j = mant_start; j < s.size(); ++j) {
    if (s[j] != '_') clean.push_back(s[j]);
  }
  double v = 0;
  const char* first = clean.data();
  const char* last = clean.data() + clean.size();
  auto res =
      std::from_chars(first, last, v, hex ? std::chars_format::hex : std::chars_format::general);
  if (res.ec == std::errc::result_out_of_range) {
    // Overflow is an error in Go; underflow rounds to zero (or a denormal) silently.
    std::string c_str = (hex ? "0x" : "") + clean;
    v = std::strtod(c_str.c_str(), nullptr);
    if (std::isinf(v)) return std::nullopt;
  } else if (res.ec != std::errc() || res.ptr != last) {
    return std::nullopt;
  }
  return neg ? -v : v;
}

namespace {

struct Digits {
  std::string d;  // significant decimal digits, no trailing zeros
  int dp = 0;     // decimal point position
};

// digits_from_scientific parses to_chars scientific output "d.ddde+XX" into digits.
Digits digits_from_scientific(std::string_view sci) {
  Digits out;
  const std::size_t e = sci.find('e');
  std::string_view mant = sci.substr(0, e);
  int exp = std::atoi(std::string(sci.substr(e + 1)).c_str());
  for (char c : mant) {
    if (c >= '0' && c <= '9') out.d.push_back(c);
  }
  while (!out.d.empty() && out.d.back() == '0')
    out.d.pop_back();
  if (out.d.empty()) {
    out.dp = 0;
    return out;
  }
  out.dp = exp + 1;
  return out;
}

Digits decimal_digits(double v, int sig) {  // sig < 0: shortest
  std::array<char, 64> buf{};
  std::to_chars_result r =
      sig < 0 ? std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::scientific)
              : std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::scientific,
                              sig - 1);
  return digits_from_scientific(
      std::string_view(buf.data(), static_cast<std::size_t>(r.ptr - buf.data())));
}

void fmt_e(std::string& out, const Digits& digs, int prec, char fmt) {
  out.push_back(digs.d.empty() ? '0' : digs.d[0]);
  if (prec > 0) {
    out.push_back('.');
    int i = 1;
    const int m = std::min(static_cast<int>(digs.d.size()), prec + 1);
    if (i < m) {
      out.append(digs.d, static_cast<std::size_t>(i), static_cast<std::size_t>(m - i));
      i = m;
    }
    for (; i <= prec; ++i)
      out.push_back('0');
  }
  out.push_back(fmt);
  int exp = digs.dp - 1;
  if (digs.d.empty()) exp = 0;
  if (exp < 0) {
    out.push_back('-');
    exp = -exp;
  } else {
    out.push_back('+');
  }
  if (exp < 10) {
    out.push_back('0');
    out.push_back(static_cast<char>('0' + exp));
  } else {
    out += std::to_string(exp);
  }
}

void fmt_f(std::string& out, const Digits& digs, int prec) {
  const int nd = static_cast<int>(digs.d.size());
  if (digs.dp > 0) {
    int m = std::min(nd, digs.dp);
    out.append(digs.d, 0, static_cast<std::size_t>(m));
    for (; m < digs.dp; ++m)
      out.push_back('0');
  } else {
    out.push_back('0');
  }
  if (prec > 0) {
    out.push_back('.');
    for (int i = 1; i <= prec; ++i) {
      const int j = digs.dp + i - 1;
      out.push_back(j >= 0 && j < nd ? digs.d[static_cast<std::size_t>(j)] : '0');
    }
  }
}

void fmt_b(std::string& out, std::uint64_t mant, int exp) {
  out += std::to_string(mant);
  out.push_back('p');
  exp -= 52;
  if (exp >= 0) out.push_back('+');
  out += std::to_string(exp);
}

void fmt_x(std::string& out, int prec, char fmt, std::uint64_t mant, int exp) {
  const char* hexd = fmt == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  if (mant == 0) exp = 0;
  mant <<= 60 - 52;
  while (mant != 0 && (mant & (std::uint64_t{1} << 60)) == 0) {
    mant <<= 1;
    --exp;
  }
  if (prec >= 0 && prec < 15) {
    const unsigned shift = static_cast<unsigned>(prec * 4);
    const std::uint64_t extra = (mant << shift) & ((std::uint64_t{1} << 60) - 1);
    mant >>= 60 - shift;
    if ((extra | (mant & 1)) > (std::uint64_t{1} << 59)) ++mant;
    mant <<= 60 - shift;
    if ((mant & (std::uint64_t{1} << 61)) != 0) {
      mant >>= 1;
      ++exp;
    }
  }
  out.push_back('0');
  out.push_back(fmt);
  out.push_back(static_cast<char>('0' + ((mant >> 60) & 1)));
  mant <<= 4;
  if (prec < 0 && mant != 0) {
    out.push_back('.');
    while (mant != 0) {
      out.push_back(hexd[(mant >> 60) & 15]);
      mant <<= 4;
    }
  } else if (prec > 0) {
    out.push_back('.');
    for (int i = 0; i < prec; ++i) {
      out.push_back(hexd[(mant >> 60) & 15]);
      mant <<= 4;
    }
  }
  out.push_back(fmt == 'X' ? 'P' : 'p');
  if (exp < 0) {
    out.push_back('-');
    exp = -exp;
  } else {
    out.push_back('+');
  }
  if (exp < 10) out.push_back('0');
  out += std::to_string(exp);
}

}  // namespace

std::string format_float(double v, char fmt, int prec) {
  std::uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  const bool neg = (bits >> 63) != 0;
  int exp = static_cast<int>((bits >> 52) & 0x7FF);
  std::uint64_t mant = bits & ((std::uint64_t{1} << 52) - 1);
  if (exp == 0x7FF) {
    if (mant != 0) return "NaN";
    return neg ? "-Inf" : "+Inf";
  }
  if (exp == 0) {
    ++exp;
  } else {
    mant |= std::uint64_t{1} << 52;
  }
  exp -= 1023;

  std::string out;
  if (neg) out.push_back('-');
  if (fmt == 'b') {
    fmt_b(out, mant, exp);
    return out;
  }
  if (fmt == 'x' || fmt == 'X') {
    fmt_x(out, prec, fmt, mant, exp);
    return out;
  }
  const double a = std::fabs(v);
  const bool shortest = prec < 0;
  if (fmt == 'f' && !shortest) {
    std::array<char, 400> buf{};
    auto r = std::to_chars(buf.data(), buf.data() + buf.size(), a, std::chars_format::fixed, prec);
    if (r.ec == std::errc()) {
      out.append(buf.data(), r.ptr);
      return out;
    }
    std::string big(2048, '\0');
    r = std::to_chars(big.data(), big.data() + big.size(), a, std::chars_format::fixed, prec);
    out.append(big.data(), r.ptr);
    return out;
  }
  Digits digs;
  if (shortest) {
    digs = decimal_digits(a, -1);
  } else if (fmt == 'e' || fmt == 'E') {
    digs = decimal_digits(a, prec + 1);
  } else {  // g, G
    if (prec == 0) prec = 1;
    digs = decimal_digits(a, prec);
  }
  const int nd = static_cast<int>(digs.d.size());
  if (shortest) {
    switch (fmt) {
      case 'e':
      case 'E':
        prec = std::max(nd - 1, 0);
        break;
      case 'f':
        prec = std::max(nd - digs.dp, 0);
        break;
      default:
        prec = nd;
        break;
    }
  }
  switch (fmt) {
    case 'e':
    case 'E':
      fmt_e(out, digs, prec, fmt);
      return out;
    case 'f':
      fmt_f(out, digs, prec);
      return out;
    default: {
      int eprec = prec;
      if (eprec > nd && nd >= digs.dp) eprec = nd;
      if (shortest) eprec = 6;
      const int e = digs.dp - 1;
      if (e < -4 || e >= eprec) {
        if (prec > nd) prec = nd;
        fmt_e(out, digs, prec - 1, fmt == 'G' ? 'E' : 'e');
        return out;
      }
      if (prec > digs.dp) prec = nd;
      fmt_f(out, digs, std::max(prec - digs.dp, 0));
      return out;
    }
  }
}

}  // namespace mr::gotemplate::detail
