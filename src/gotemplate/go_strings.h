#pragma once
// Internal helpers reproducing the parts of Go's unicode/utf8, unicode and strconv packages that
// the template engine depends on (UTF-8 decoding, Quote/Unquote, ParseInt/ParseUint/ParseFloat
// with base prefixes and underscores, FormatFloat).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mr::gotemplate::detail {

inline constexpr std::int32_t kRuneError = 0xFFFD;
inline constexpr std::int32_t kMaxRune = 0x10FFFF;

struct DecodedRune {
  std::int32_t rune;
  std::size_t width;  // 0 only at the end of input
};

// decode_rune is utf8.DecodeRuneInString(s[i:]): invalid encodings decode as (RuneError, 1).
[[nodiscard]] DecodedRune decode_rune(std::string_view s, std::size_t i = 0);
// decode_last_rune is utf8.DecodeLastRuneInString(s).
[[nodiscard]] DecodedRune decode_last_rune(std::string_view s);
// append_rune appends the UTF-8 encoding of |r| (RuneError for invalid runes).
void append_rune(std::string& out, std::int32_t r);
// rune_count is utf8.RuneCountInString.
[[nodiscard]] std::size_t rune_count(std::string_view s);
// valid_utf8 is utf8.ValidString.
[[nodiscard]] bool valid_utf8(std::string_view s);

// is_print approximates unicode.IsPrint / strconv.IsPrint (exact for ASCII and Latin-1).
[[nodiscard]] bool is_print(std::int32_t r);
// is_alpha_numeric approximates the template lexer's isAlphaNumeric ('_', letters, digits;
// exact for ASCII).
[[nodiscard]] bool is_alpha_numeric(std::int32_t r);

enum class QuoteMode { kUtf8, kAscii };
// quote is strconv.Quote (kUtf8) or strconv.QuoteToASCII (kAscii).
[[nodiscard]] std::string quote(std::string_view s, QuoteMode mode = QuoteMode::kUtf8);
// quote_rune is strconv.QuoteRune / QuoteRuneToASCII.
[[nodiscard]] std::string quote_rune(std::int32_t r, QuoteMode mode = QuoteMode::kUtf8);
// can_backquote is strconv.CanBackquote.
[[nodiscard]] bool can_backquote(std::string_view s);
// format_unicode_sharp is fmt's "%#U" ("U+0041 'A'", or "U+0000" when not printable).
[[nodiscard]] std::string format_unicode_sharp(std::int32_t r);

struct UnquotedChar {
  std::int32_t value;
  bool multibyte;
  std::string_view tail;
};
// unquote_char is strconv.UnquoteChar; nullopt means strconv.ErrSyntax.
[[nodiscard]] std::optional<UnquotedChar> unquote_char(std::string_view s, char quote);
// unquote is strconv.Unquote for "..." and `...` literals; nullopt means "invalid syntax".
[[nodiscard]] std::optional<std::string> unquote(std::string_view s);

// parse_uint_base0 is strconv.ParseUint(s, 0, 64) (nullopt on syntax or range error).
[[nodiscard]] std::optional<std::uint64_t> parse_uint_base0(std::string_view s);
// parse_int_base0 is strconv.ParseInt(s, 0, 64).
[[nodiscard]] std::optional<std::int64_t> parse_int_base0(std::string_view s);
// parse_float is strconv.ParseFloat(s, 64), excluding Inf/NaN spellings; nullopt on error
// (including overflow to infinity).
[[nodiscard]] std::optional<double> parse_float(std::string_view s);

// format_float is strconv.FormatFloat(v, fmt, prec, 64) for fmt in "eEfgGbxX"; prec -1 means the
// shortest representation that round-trips.
[[nodiscard]] std::string format_float(double v, char fmt, int prec);

}  // namespace mr::gotemplate::detail
