// fmt.Sprintf / Sprint semantics (verbs, flags, error forms) and format_value.

#include "gotemplate/printer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "gotemplate/template.h"

namespace mr::gotemplate::detail {
namespace {

Value I(std::int64_t i) {
  return Value(i);
}
Value U(std::uint64_t u) {
  return Value(u);
}
Value F(double d) {
  return Value(d);
}
Value S(const char* s) {
  return Value(s);
}

std::string pf(std::string_view format, std::vector<Value> args = {}) {
  return sprintf(format, args);
}

Value sample_struct() {
  return Value::make_struct("main.S", {{"Name", S("x")}, {"N", I(1)}});
}

struct Case {
  const char* format;
  std::vector<Value> args;
  const char* want;
};

TEST(Sprintf, Integers) {
  const std::vector<Case> cases = {
      {"%d", {I(42)}, "42"},
      {"%v", {I(-42)}, "-42"},
      {"%5d", {I(42)}, "   42"},
      {"%-5d|", {I(42)}, "42   |"},
      {"%05d", {I(-42)}, "-0042"},
      {"%-05d|", {I(42)}, "42   |"},
      {"%+d", {I(42)}, "+42"},
      {"% d", {I(42)}, " 42"},
      {"%x", {I(255)}, "ff"},
      {"%X", {I(255)}, "FF"},
      {"%#x", {I(255)}, "0xff"},
      {"%#X", {I(255)}, "0XFF"},
      {"%x", {I(-255)}, "-ff"},
      {"%o", {I(8)}, "10"},
      {"%#o", {I(8)}, "010"},
      {"%O", {I(8)}, "0o10"},
      {"%b", {I(5)}, "101"},
      {"%#b", {I(5)}, "0b101"},
      {"%c", {I(65)}, "A"},
      {"%c", {I(0x263A)}, "\xE2\x98\xBA"},
      {"%q", {I(65)}, "'A'"},
      {"%+q", {I(0x263A)}, "'\\u263a'"},
      {"%U", {I(0x1F600)}, "U+1F600"},
      {"%U", {I(65)}, "U+0041"},
      {"%U", {I(-1)}, "U+FFFFFFFFFFFFFFFF"},
      {"%#.2U", {I('x')}, "U+0078 'x'"},
      {"%#14.6U", {I(0x2318)}, "  U+002318 '\xE2\x8C\x98'"},
      {"%q", {I(-1)}, "%!q(int=-1)"},
      {"%q", {I(0xDC80)}, "'\xEF\xBF\xBD'"},
      {"%c", {I(-1)}, "\xEF\xBF\xBD"},
      {"%#X", {I(0)}, "0X0"},
      {"%#b", {I(-6)}, "-0b110"},
      {"%020.8d", {I(-1234)}, "           -00001234"},
      {"%-#20.8x", {I(0x1234abc)}, "0x01234abc          "},
      {"%+v", {I(5)}, "5"},
      {"%p", {I(27)}, "%!p(int=27)"},
      {"%#U", {I(65)}, "U+0041 'A'"},
      {"%.3d", {I(7)}, "007"},
      {"%8.3d", {I(7)}, "     007"},
      {"%08.3d", {I(7)}, "     007"},
      {"%.0d", {I(0)}, ""},
      {"%3.0d|", {I(0)}, "   |"},
      {"%d", {U(18446744073709551615u)}, "18446744073709551615"},
      {"%x", {U(255)}, "ff"},
      {"%d", {I(std::numeric_limits<std::int64_t>::min())}, "-9223372036854775808"},
      {"%s", {I(1)}, "%!s(int=1)"},
      {"%t", {U(1)}, "%!t(uint=1)"},
      {"%5t|", {S("x")}, "%!t(string=    x)|"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(pf(c.format, c.args), c.want) << c.format;
}

TEST(Sprintf, Floats) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<Case> cases = {
      {"%v", {F(1.5)}, "1.5"},
      {"%v", {F(1e6)}, "1e+06"},
      {"%v", {F(100000)}, "100000"},
      {"%v", {F(1e21)}, "1e+21"},
      {"%f", {F(3.14159)}, "3.141590"},
      {"%F", {F(3.14159)}, "3.141590"},
      {"%.2f", {F(3.14159)}, "3.14"},
      {"%8.3f", {F(3.14159)}, "   3.142"},
      {"%-8.3f|", {F(3.14159)}, "3.142   |"},
      {"%08.3f", {F(-3.14159)}, "-003.142"},
      {"%+.2f", {F(1)}, "+1.00"},
      {"% .2f", {F(1)}, " 1.00"},
      {"%e", {F(1234.5678)}, "1.234568e+03"},
      {"%E", {F(1234.5678)}, "1.234568E+03"},
      {"%.1e", {F(0)}, "0.0e+00"},
      {"%g", {F(1234.5678)}, "1234.5678"},
      {"%g", {F(0.00001234)}, "1.234e-05"},
      {"%G", {F(1e-10)}, "1E-10"},
      {"%.3g", {F(1234.5678)}, "1.23e+03"},
      {"%#g", {F(1)}, "1.00000"},
      {"%#.0f", {F(1)}, "1."},
      {"%#.3g", {F(1)}, "1.00"},
      {"%b", {F(1)}, "4503599627370496p-52"},
      {"%x", {F(1)}, "0x1p+00"},
      {"%X", {F(3)}, "0X1.8P+01"},
      {"%v", {F(inf)}, "+Inf"},
      {"%v", {F(-inf)}, "-Inf"},
      {"%05.1f", {F(inf)}, " +Inf"},
      {"%v", {F(std::nan(""))}, "NaN"},
      {"%+v", {F(std::nan(""))}, "NaN"},  // %+v is not %+
      {"%+f", {F(std::nan(""))}, "+NaN"},
      {"%+v", {I(5)}, "5"},
      {"%#v", {F(1)}, "1"},
      {"%#v", {F(1e6)}, "1e+06"},
      {"%#g", {F(123456)}, "123456."},
      {"%#g", {F(1e-323)}, "1.00000e-323"},
      {"%#.4g", {F(0)}, "0.000"},
      {"%#.4g", {F(0.012)}, "0.01200"},
      {"%#.0x", {F(1)}, "0x1.p+00"},
      {"%#.4x", {F(123)}, "0x1.ec00p+06"},
      {"%+.3x", {F(0)}, "+0x0.000p+00"},
      {"%+07.2f", {F(-1)}, "-001.00"},
      {"% 07.2f", {F(1)}, " 001.00"},
      {"%20f", {F(12345678901.23456789)}, "  12345678901.234568"},
      {"%g", {F(1.23456789e20)}, "1.23456789e+20"},
      {"%f", {F(-1e-9)}, "-0.000000"},
      {"% 20F", {F(inf)}, "                 Inf"},
      {"%-020f", {F(-inf)}, "-Inf                "},
      {"%5.1f|", {F(std::nan(""))}, "  NaN|"},
      {"%d", {F(1.5)}, "%!d(float64=1.5)"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(pf(c.format, c.args), c.want) << c.format;
}

TEST(Sprintf, StringsBoolsAndBytes) {
  const Value bytes = Value::make_bytes("[]uint8", {1, 2, 3});
  const Value hi = Value::make_bytes("manifest.Certificate", {'h', 'i'});
  const std::vector<Case> cases = {
      {"%s", {S("hi")}, "hi"},
      {"%v", {S("hi")}, "hi"},
      {"%5s", {S("hi")}, "   hi"},
      {"%-5s|", {S("hi")}, "hi   |"},
      {"%05s", {S("ab")}, "000ab"},
      {"%.1s", {S("h\xC3\xA9llo")}, "h"},
      {"%.2s", {S("h\xC3\xA9llo")}, "h\xC3\xA9"},
      {"%3s|", {S("\xC3\xA9")}, "  \xC3\xA9|"},  // width counts runes
      {"%q", {S("a\"b")}, "\"a\\\"b\""},
      {"%#q", {S("ab")}, "`ab`"},
      {"%#q", {S("a`b")}, "\"a`b\""},
      {"%+q", {S("\xC3\xA9")}, "\"\\u00e9\""},
      {"%x", {S("hi")}, "6869"},
      {"%X", {S("hi")}, "6869"},
      {"% x", {S("hi")}, "68 69"},
      {"%#x", {S("hi")}, "0x6869"},
      {"%# x", {S("hi")}, "0x68 0x69"},
      {"%.1x", {S("hi")}, "68"},
      {"%6x|", {S("")}, "      |"},
      {"%d", {S("x")}, "%!d(string=x)"},
      {"%t", {Value(true)}, "true"},
      {"%v", {Value(false)}, "false"},
      {"%6t|", {Value(true)}, "  true|"},
      {"%d", {Value(true)}, "%!d(bool=true)"},
      {"%v", {bytes}, "[1 2 3]"},
      {"%d", {bytes}, "[1 2 3]"},
      {"%x", {bytes}, "010203"},
      {"% X", {bytes}, "01 02 03"},
      {"%s", {hi}, "hi"},
      {"%q", {hi}, "\"hi\""},
      {"%v", {hi}, "[104 105]"},
      {"%c", {hi}, "[h i]"},
      {"%#v", {bytes}, "[]byte{0x1, 0x2, 0x3}"},
      {"%#v", {hi}, "manifest.Certificate{0x68, 0x69}"},
      {"%t", {bytes}, "[%!t(uint8=1) %!t(uint8=2) %!t(uint8=3)]"},
      {"%T", {hi}, "manifest.Certificate"},
      {"%T", {bytes}, "[]uint8"},
      {"%6v", {Value::make_bytes("[]uint8", {1, 11, 111})}, "[     1     11    111]"},
      {"%06v", {Value::make_bytes("[]uint8", {1, 11, 111})}, "[000001 000011 000111]"},
      {"%-6v", {Value::make_bytes("[]uint8", {1, 11, 111})}, "[1      11     111   ]"},
      {"%#6v", {Value::make_bytes("[]uint8", {1, 11, 111})}, "[]byte{   0x1,    0xb,   0x6f}"},
      {"% v", {Value::make_bytes("[]uint8", {1, 11, 111})}, "[ 1  11  111]"},
      {"%+d", {Value::make_bytes("[]uint8", {1, 11, 111})}, "[+1 +11 +111]"},
      {"%+v", {Value::make_bytes("[]uint8", {1, 11, 111})}, "[1 11 111]"},
      {"%012v", {Value::make_bytes("[]uint8", {})}, "[]"},
      {"%#v", {Value::make_bytes("[]uint8", {})}, "[]byte{}"},
      {"%b", {Value::make_bytes("[]uint8", {65, 66})}, "[1000001 1000010]"},
      {"%U", {Value::make_bytes("[]uint8", {65, 66})}, "[U+0041 U+0042]"},
      {"%#010x", {Value::make_bytes("[]uint8", {0xab, 0xcd})}, "00000xabcd"},
      {"%# 10x", {Value::make_bytes("[]uint8", {0xab, 0xcd})}, " 0xab 0xcd"},
      {"%# -010X", {Value::make_bytes("[]uint8", {0xab, 0xcd})}, "0XAB 0XCD "},
      {"% 02x", {Value::make_bytes("[]uint8", {})}, "00"},
      {"%010q", {S("\xE2\x8C\x98")}, "0000000\"\xE2\x8C\x98\""},
      {"%+10q", {S("\xE2\x8C\x98")}, "  \"\\u2318\""},
      {"%q",
       {S("abc\xff"
          "def")},
       "\"abc\\xffdef\""},
      {"%10v", {Value::nil()}, "     <nil>"},
      {"%-10T", {Value::nil()}, "<nil>     "},
  };
  for (const auto& c : cases)
    EXPECT_EQ(pf(c.format, c.args), c.want) << c.format;
}

TEST(Sprintf, Composites) {
  const Value list = Value::make_list({I(1), S("a"), Value::nil()});
  const Value map = Value::make_map({{"b", I(2)}, {"a", I(1)}}, "map[string]int");
  const std::vector<Case> cases = {
      {"%v", {list}, "[1 a <nil>]"},
      {"%s", {list}, "[%!s(int=1) a <nil>]"},
      {"%d", {Value::make_list({I(1), I(2)})}, "[1 2]"},
      {"%3v", {Value::make_list({I(1), I(2)})}, "[  1   2]"},
      {"%v", {Value::make_list({})}, "[]"},
      {"%#v", {list}, "[]interface {}{1, \"a\", interface {}(nil)}"},
      {"%v", {map}, "map[a:1 b:2]"},
      {"%#v", {map}, "map[string]int{\"a\":1, \"b\":2}"},
      {"%d", {map}, "map[%!d(string=a):1 %!d(string=b):2]"},
      {"%v", {sample_struct()}, "{x 1}"},
      {"%+v", {sample_struct()}, "{Name:x N:1}"},
      {"%#v", {sample_struct()}, "main.S{Name:\"x\", N:1}"},
      {"%#v", {Value::make_struct("main.V", {{"N", U(10)}})}, "main.V{N:0xa}"},
      {"%v", {Value::make_struct("main.E", {})}, "{}"},
      {"%T", {sample_struct()}, "main.S"},
      {"%T", {I(1)}, "int"},
      {"%T", {Value::nil()}, "<nil>"},
      {"%#x", {Value::make_list({I(1), I(2), I(15)}, "[]int")}, "[0x1 0x2 0xf]"},
      {"%q", {Value::make_list({S("a"), S("b")}, "[]string")}, "[\"a\" \"b\"]"},
      {"%#v", {Value::make_list({}, "[]int")}, "[]int{}"},
      {"%#v",
       {Value::make_struct("main.SI", {{"I", Value::nil()}})},
       "main.SI{I:interface {}(nil)}"},
      {"%d", {Value::make_struct("main.P", {{"A", I(1)}, {"B", S("x")}})}, "{1 %!d(string=x)}"},
      {"%v", {Value::nil()}, "<nil>"},
      {"%v", {Value()}, "<nil>"},
      {"%d", {Value::nil()}, "%!d(<nil>)"},
      {"%s", {Value()}, "%!s(<nil>)"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(pf(c.format, c.args), c.want) << c.format;
}

TEST(Sprintf, ErrorForms) {
  const std::vector<Case> cases = {
      {"%d", {}, "%!d(MISSING)"},
      {"%d %d", {I(1)}, "1 %!d(MISSING)"},
      {"%d", {I(1), I(2)}, "1%!(EXTRA int=2)"},
      {"hi", {S("x"), I(3)}, "hi%!(EXTRA string=x, int=3)"},
      {"%d", {I(1), Value::nil()}, "1%!(EXTRA <nil>)"},
      {"%", {}, "%!(NOVERB)"},
      {"%", {I(1)}, "%!(NOVERB)%!(EXTRA int=1)"},
      {"%!", {}, "%!!(MISSING)"},
      {"%z", {I(1)}, "%!z(int=1)"},
      {"%%", {}, "%"},
      {"100%%", {I(1)}, "100%%!(EXTRA int=1)"},
      {"%[2]d %[1]d", {I(1), I(2)}, "2 1"},
      {"%[3]d", {I(1), I(2)}, "%!d(BADINDEX)"},
      {"%[x]d", {I(1)}, "%!d(BADINDEX)"},
      {"%[1]d %d", {I(1), I(2)}, "1 2"},
      {"%*d", {I(5), I(1)}, "    1"},
      {"%-*d|", {I(3), I(1)}, "1  |"},
      {"%*d|", {I(-3), I(1)}, "1  |"},
      {"%.*f", {I(2), F(3.14159)}, "3.14"},
      {"%*d", {S("x"), I(1)}, "%!(BADWIDTH)1"},
      {"%.*d", {S("x"), I(1)}, "%!(BADPREC)1"},
      {"%99999999d", {I(1)}, "%!(NOVERB)%!(EXTRA int=1)"},
      {"%.99999999d", {I(1)}, "%!(NOVERB)%!(EXTRA int=1)"},
      {"", {Value::nil()}, "%!(EXTRA <nil>)"},
      {"%s %", {S("hello")}, "hello %!(NOVERB)"},
      {"%s %.2", {S("hello")}, "hello %!(NOVERB)"},
      {"%010.2", {S("12345")}, "%!(NOVERB)%!(EXTRA string=12345)"},
      {"%\xE2\x98\xBA", {I(1)}, "%!\xE2\x98\xBA(int=1)"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(pf(c.format, c.args), c.want) << c.format;
}

TEST(Sprint, SpacesBetweenNonStringOperands) {
  EXPECT_EQ(sprint(std::vector<Value>{I(1), I(2)}), "1 2");
  EXPECT_EQ(sprint(std::vector<Value>{S("a"), S("b")}), "ab");
  EXPECT_EQ(sprint(std::vector<Value>{I(1), S("a"), I(2)}), "1a2");
  EXPECT_EQ(sprint(std::vector<Value>{S("a"), I(1), I(2), S("b")}), "a1 2b");
  EXPECT_EQ(sprint(std::vector<Value>{Value(), Value::nil()}), "<nil> <nil>");
  EXPECT_EQ(sprint(std::vector<Value>{}), "");
  EXPECT_EQ(sprintln(std::vector<Value>{S("a"), I(1)}), "a 1\n");
  EXPECT_EQ(sprintln(std::vector<Value>{}), "\n");
}

TEST(FormatValue, PrintsLikeTemplateActions) {
  EXPECT_EQ(format_value(Value()), "<no value>");
  EXPECT_EQ(format_value(Value::nil()), "<nil>");
  EXPECT_EQ(format_value(Value(true)), "true");
  EXPECT_EQ(format_value(I(-3)), "-3");
  EXPECT_EQ(format_value(U(3)), "3");
  EXPECT_EQ(format_value(F(2.5)), "2.5");
  EXPECT_EQ(format_value(F(3)), "3");
  EXPECT_EQ(format_value(S("raw \"s\"")), "raw \"s\"");
  EXPECT_EQ(format_value(Value::make_bytes("manifest.PublicKey", {1, 2, 3})), "[1 2 3]");
  EXPECT_EQ(format_value(Value::make_list({S("a"), S("b")})), "[a b]");
  EXPECT_EQ(format_value(Value::make_map({{"k", S("v")}, {"a", I(1)}})), "map[a:1 k:v]");
  EXPECT_EQ(format_value(sample_struct()), "{x 1}");
  EXPECT_EQ(format_value(Value::make_struct(
                "main.N", {{"Inner", sample_struct()}, {"L", Value::make_list({})}})),
            "{{x 1} []}");
}

}  // namespace
}  // namespace mr::gotemplate::detail
