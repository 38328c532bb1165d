#pragma once
// Small string helpers with Go's semantics where the spec depends on them.

#include <string>
#include <string_view>
#include <vector>

namespace mr {

// ascii_lower returns |s| with A-Z mapped to a-z.
[[nodiscard]] std::string ascii_lower(std::string_view s);
// equal_fold reports whether |a| and |b| are equal under simple case folding (Go's
// strings.EqualFold for the ASCII range plus the Kelvin/long-s special cases Go applies).
[[nodiscard]] bool equal_fold(std::string_view a, std::string_view b);
// split is Go's strings.Split: "" gives [""], separators at the ends give empty elements.
[[nodiscard]] std::vector<std::string> split(std::string_view s, std::string_view sep);
// join concatenates |parts| with |sep| between them.
[[nodiscard]] std::string join(const std::vector<std::string>& parts, std::string_view sep);
// trim_space removes leading and trailing ASCII whitespace.
[[nodiscard]] std::string_view trim_space(std::string_view s);
// contains_nul reports whether |s| holds a NUL byte.
[[nodiscard]] inline bool contains_nul(std::string_view s) {
  return s.find('\0') != std::string_view::npos;
}

}  // namespace mr
