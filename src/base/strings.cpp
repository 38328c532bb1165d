#include "base/strings.h"

namespace mr {
namespace {
char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// fold_utf8_special maps the two non-ASCII code points that fold onto ASCII letters in Go's
// EqualFold: U+212A KELVIN SIGN → 'k', U+017F LATIN SMALL LETTER LONG S → 's'. Returns the
// folded ASCII char and advances |i|, or 0 when the code point at |i| is not one of them.
char fold_special(std::string_view s, std::size_t& i) {
  if (i + 2 < s.size() && static_cast<unsigned char>(s[i]) == 0xE2 &&
      static_cast<unsigned char>(s[i + 1]) == 0x84 &&
      static_cast<unsigned char>(s[i + 2]) == 0xAA) {
    i += 3;
    return 'k';
  }
  if (i + 1 < s.size() && static_cast<unsigned char>(s[i]) == 0xC5 &&
      static_cast<unsigned char>(s[i + 1]) == 0xBF) {
    i += 2;
    return 's';
  }
  return 0;
}
}  // namespace

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = lower(c);
  return out;
}

bool equal_fold(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    char ca = fold_special(a, i);
    if (ca == 0) ca = lower(a[i++]);
    char cb = fold_special(b, j);
    if (cb == 0) cb = lower(b[j++]);
    if (ca != cb) return false;
  }
  return i == a.size() && j == b.size();
}

std::vector<std::string> split(std::string_view s, std::string_view sep) {
  std::vector<std::string> out;
  if (sep.empty()) {
    for (char c : s)
      out.emplace_back(1, c);
    return out;
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.emplace_back(s.substr(start));
      return out;
    }
    out.emplace_back(s.substr(start, pos - start));
    start = pos + sep.size();
  }
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out.append(sep);
    out.append(parts[i]);
  }
  return out;
}

std::string_view trim_space(std::string_view s) {
  const auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  };
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

}  // namespace mr
