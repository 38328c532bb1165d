// strconv/utf8 helpers against Go's documented behaviour.

#include "gotemplate/go_strings.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace mr::gotemplate::detail {
namespace {

TEST(Utf8, DecodesAndRejectsInvalidSequences) {
  EXPECT_EQ(decode_rune("a").rune, 'a');
  EXPECT_EQ(decode_rune("\xC3\xA9").rune, 0xE9);
  EXPECT_EQ(decode_rune("\xC3\xA9").width, 2u);
  EXPECT_EQ(decode_rune("\xF0\x9F\x98\x80").rune, 0x1F600);
  EXPECT_EQ(decode_rune("\xFF").rune, kRuneError);
  EXPECT_EQ(decode_rune("\xFF").width, 1u);
  EXPECT_EQ(decode_rune("\xC0\x80").width, 1u);      // overlong
  EXPECT_EQ(decode_rune("\xED\xA0\x80").width, 1u);  // surrogate
  EXPECT_EQ(decode_last_rune("a\xC3\xA9").rune, 0xE9);
  EXPECT_EQ(decode_last_rune("a\xA9").width, 1u);
  EXPECT_EQ(rune_count("h\xC3\xA9llo"), 5u);
  EXPECT_TRUE(valid_utf8("h\xC3\xA9llo"));
  EXPECT_FALSE(valid_utf8("h\xC3llo"));
}

TEST(Quote, MatchesStrconvQuote) {
  EXPECT_EQ(quote("abc"), "\"abc\"");
  EXPECT_EQ(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(quote("\a\b\f\n\r\t\v"), "\"\\a\\b\\f\\n\\r\\t\\v\"");
  EXPECT_EQ(quote(std::string("\0\x7f", 2)), "\"\\x00\\x7f\"");
  EXPECT_EQ(quote("\xFF"), "\"\\xff\"");
  EXPECT_EQ(quote("\xC3\xA9"), "\"\xC3\xA9\"");
  EXPECT_EQ(quote("\xC3\xA9", QuoteMode::kAscii), "\"\\u00e9\"");
  EXPECT_EQ(quote("\xF0\x9F\x98\x80", QuoteMode::kAscii), "\"\\U0001f600\"");
  EXPECT_EQ(quote("\xE2\x80\xA8"), "\"\\u2028\"");  // line separator is not printable
  EXPECT_EQ(quote("'"), "\"'\"");
  EXPECT_EQ(quote_rune('a'), "'a'");
  EXPECT_EQ(quote_rune('\''), "'\\''");
  EXPECT_EQ(quote_rune('"'), "'\"'");
  EXPECT_EQ(quote_rune(0x263A, QuoteMode::kAscii), "'\\u263a'");
  EXPECT_EQ(format_unicode_sharp('A'), "U+0041 'A'");
  EXPECT_EQ(format_unicode_sharp(0), "U+0000");
  EXPECT_TRUE(can_backquote("a b\tc"));
  EXPECT_FALSE(can_backquote("a`b"));
  EXPECT_FALSE(can_backquote("a\nb"));
}

TEST(Unquote, InterpretedAndRawStrings) {
  EXPECT_EQ(unquote("\"abc\""), "abc");
  EXPECT_EQ(unquote("\"\\x41\\101\\u00e9\\U0001F600\\t\\\\\\\"\""),
            "AA\xC3\xA9\xF0\x9F\x98\x80\t\\\"");
  EXPECT_EQ(unquote("\"\\xff\""), std::string("\xff"));  // \x is a raw byte
  EXPECT_EQ(unquote("\"\xff\""), "\xEF\xBF\xBD");        // invalid UTF-8 becomes U+FFFD
  EXPECT_EQ(unquote("`a\\n\r\nb`"), "a\\n\nb");          // raw: no escapes, CR dropped
  EXPECT_FALSE(unquote("\"\\z\""));
  EXPECT_FALSE(unquote("\"\\'\""));
  EXPECT_FALSE(unquote("\"\\400\""));
  EXPECT_FALSE(unquote("\"\\uD800\""));
  EXPECT_FALSE(unquote("\"a"));
  auto c = unquote_char("\\'x", '\'');
  ASSERT_TRUE(c);
  EXPECT_EQ(c->value, '\'');
  EXPECT_EQ(c->tail, "x");
  EXPECT_FALSE(unquote_char("'", '\''));
}

TEST(ParseNumbers, BasePrefixesAndUnderscores) {
  EXPECT_EQ(parse_uint_base0("0"), 0u);
  EXPECT_EQ(parse_uint_base0("0x1F"), 31u);
  EXPECT_EQ(parse_uint_base0("0X1f"), 31u);
  EXPECT_EQ(parse_uint_base0("0o17"), 15u);
  EXPECT_EQ(parse_uint_base0("017"), 15u);
  EXPECT_EQ(parse_uint_base0("0b101"), 5u);
  EXPECT_EQ(parse_uint_base0("1_000_000"), 1000000u);
  EXPECT_EQ(parse_uint_base0("0x_1"), 1u);
  EXPECT_EQ(parse_uint_base0("18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
  EXPECT_FALSE(parse_uint_base0("18446744073709551616"));
  EXPECT_FALSE(parse_uint_base0("1__0"));
  EXPECT_FALSE(parse_uint_base0("_1"));
  EXPECT_FALSE(parse_uint_base0("089"));
  EXPECT_FALSE(parse_uint_base0("-1"));
  EXPECT_FALSE(parse_uint_base0("0x"));
  EXPECT_EQ(parse_int_base0("-0x10"), -16);
  EXPECT_EQ(parse_int_base0("+7"), 7);
  EXPECT_EQ(parse_int_base0("-9223372036854775808"), std::numeric_limits<std::int64_t>::min());
  EXPECT_FALSE(parse_int_base0("9223372036854775808"));
  EXPECT_EQ(parse_float("1.5"), 1.5);
  EXPECT_EQ(parse_float(".5"), 0.5);
  EXPECT_EQ(parse_float("1_000.5"), 1000.5);
  EXPECT_EQ(parse_float("1e3"), 1000.0);
  EXPECT_EQ(parse_float("0x1p-2"), 0.25);
  EXPECT_EQ(parse_float("-0x1.8p1"), -3.0);
  EXPECT_EQ(parse_float("089"), 89.0);
  EXPECT_EQ(parse_float("1e-400"), 0.0);  // underflow is not an error
  EXPECT_FALSE(parse_float("1e400"));     // overflow is
  EXPECT_FALSE(parse_float("0x1"));       // hex float needs an exponent
  EXPECT_FALSE(parse_float("1.2.3"));
  EXPECT_FALSE(parse_float("1e"));
  EXPECT_FALSE(parse_float("."));
}

TEST(FormatFloat, ShortestAndFixedPrecision) {
  EXPECT_EQ(format_float(0.0, 'g', -1), "0");
  EXPECT_EQ(format_float(-0.0, 'g', -1), "-0");
  EXPECT_EQ(format_float(0.1, 'g', -1), "0.1");
  EXPECT_EQ(format_float(1.0 / 3, 'g', -1), "0.3333333333333333");
  EXPECT_EQ(format_float(100000, 'g', -1), "100000");
  EXPECT_EQ(format_float(1e6, 'g', -1), "1e+06");
  EXPECT_EQ(format_float(1234567, 'g', -1), "1.234567e+06");
  EXPECT_EQ(format_float(123456789, 'g', -1), "1.23456789e+08");
  EXPECT_EQ(format_float(0.0001, 'g', -1), "0.0001");
  EXPECT_EQ(format_float(0.00001, 'g', -1), "1e-05");
  EXPECT_EQ(format_float(2.5e-8, 'g', -1), "2.5e-08");
  EXPECT_EQ(format_float(5e-324, 'g', -1), "5e-324");
  EXPECT_EQ(format_float(1.7976931348623157e308, 'g', -1), "1.7976931348623157e+308");
  EXPECT_EQ(format_float(1e21, 'g', -1), "1e+21");
  EXPECT_EQ(format_float(1234.5678, 'e', 6), "1.234568e+03");
  EXPECT_EQ(format_float(1234.5678, 'E', 2), "1.23E+03");
  EXPECT_EQ(format_float(0, 'e', 3), "0.000e+00");
  EXPECT_EQ(format_float(1234.5678, 'e', -1), "1.2345678e+03");
  EXPECT_EQ(format_float(3.14159, 'f', 2), "3.14");
  EXPECT_EQ(format_float(2.5, 'f', 0), "2");  // round half to even
  EXPECT_EQ(format_float(3.5, 'f', 0), "4");
  EXPECT_EQ(format_float(1e20, 'f', -1), "100000000000000000000");
  EXPECT_EQ(format_float(1.5, 'f', -1), "1.5");
  EXPECT_EQ(format_float(1234.5678, 'g', 3), "1.23e+03");
  EXPECT_EQ(format_float(100, 'g', 3), "100");
  EXPECT_EQ(format_float(1.5, 'g', 3), "1.5");
  EXPECT_EQ(format_float(0.000012345, 'G', 2), "1.2E-05");
  EXPECT_EQ(format_float(1.0, 'b', -1), "4503599627370496p-52");
  EXPECT_EQ(format_float(0.0, 'b', -1), "0p-1074");
  EXPECT_EQ(format_float(1.0, 'x', -1), "0x1p+00");
  EXPECT_EQ(format_float(3.0, 'x', -1), "0x1.8p+01");
  EXPECT_EQ(format_float(3.0, 'X', 3), "0X1.800P+01");
  EXPECT_EQ(format_float(0.0, 'x', -1), "0x0p+00");
  EXPECT_EQ(format_float(std::numeric_limits<double>::infinity(), 'g', -1), "+Inf");
  EXPECT_EQ(format_float(-std::numeric_limits<double>::infinity(), 'f', 2), "-Inf");
  EXPECT_EQ(format_float(std::nan(""), 'g', -1), "NaN");
}

}  // namespace
}  // namespace mr::gotemplate::detail
