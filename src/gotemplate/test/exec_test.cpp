// Execution semantics, ported in spirit from Go's text/template exec_test.go.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gotemplate/template.h"
#include "test_data.h"

namespace mr::gotemplate {
namespace {

using ::testing::HasSubstr;
using testing::run;
using testing::tval;

struct ExecCase {
  const char* name;
  std::string input;
  std::string output;  // the output, or a substring of the error when !ok
  bool ok = true;
};

void check(const std::vector<ExecCase>& cases, const Value& data = tval()) {
  for (const auto& c : cases) {
    const std::string got = run(c.input, data);
    if (c.ok) {
      EXPECT_EQ(got, c.output) << c.name << ": " << c.input;
    } else {
      EXPECT_THAT(got, HasSubstr("ERROR: ")) << c.name << ": " << c.input;
      EXPECT_THAT(got, HasSubstr(c.output)) << c.name << ": " << c.input;
    }
  }
}

TEST(Exec, TextFieldsAndMaps) {
  check({
      {"empty", "", ""},
      {"text", "some text", "some text"},
      {"nil action", "{{nil}}", "nil is not a command", false},
      {".X", "-{{.X}}-", "-x-"},
      {".U.V", "-{{.U.V}}-", "-v-"},
      {"map .one", "{{.MSI.one}}", "1"},
      {"map .two", "{{.MSI.two}}", "2"},
      {"map .NO", "{{.MSI.NO}}", "<no value>"},
      {"map .NO.deeper", "{{.MSI.NO.deeper.still}}", "<no value>"},
      {"map .one interface", "{{.MXI.one}}", "1"},
      {"map nil element", "{{.MXI.nil}}", "<no value>"},
      {"field of nil interface", "{{.MXI.nil.X}}", "nil pointer evaluating interface {}.X", false},
      {"map .WRONG args", "{{.MSI.one 1}}", "one is not a method but has arguments", false},
      {"struct field args", "{{.X 1}}", "X has arguments but cannot be invoked as function", false},
      {"piped into field", "{{1 | .X}}", "X has arguments but cannot be invoked as function",
       false},
      {"unknown field", "{{.Nope}}", "can't evaluate field Nope in type template.T", false},
      {"field of string", "{{.X.Y}}", "can't evaluate field Y in type string", false},
      {"unexported", "{{.unexported}}",
       "unexported is an unexported field of struct type template.T", false},
      {"$ field", "{{$.I}}", "17"},
      {"$ nested", "{{$.U.V}}", "v"},
      {"variable field", "{{$x := .U}}{{$x.V}}", "v"},
      {"empty interface struct", "{{.Empty4.V}}", "UinEmpty"},
      {"struct printing", "{{.U}}", "{v}"},
      {"bytes printing", "{{.Bytes}} {{.Cert}}", "[1 2 3] [48 0 1]"},
      {"list printing", "{{.SI}} {{.SIEmpty}} {{.SB}}", "[3 4 5] [] [true false]"},
      {"map printing", "{{.MSI}}", "map[one:1 three:3 two:2]"},
      {"nil printing", "{{.Empty0}}", "<no value>"},
  });
}

TEST(Exec, DotOfEveryKind) {
  EXPECT_EQ(run("<{{.}}>", Value(13)), "<13>");
  EXPECT_EQ(run("<{{.}}>", Value(std::uint64_t{13})), "<13>");
  EXPECT_EQ(run("<{{.}}>", Value(15.1)), "<15.1>");
  EXPECT_EQ(run("<{{.}}>", Value(true)), "<true>");
  EXPECT_EQ(run("<{{.}}>", Value("hello")), "<hello>");
  EXPECT_EQ(run("<{{.}}>", testing::int_list({-1, -2, -3})), "<[-1 -2 -3]>");
  EXPECT_EQ(run("<{{.}}>", testing::msi({{"two", 22}})), "<map[two:22]>");
  EXPECT_EQ(run("<{{.}}>", Value::make_struct("T", {{"A", Value(7)}, {"B", Value("seven")}})),
            "<{7 seven}>");
  EXPECT_EQ(run("<{{.}}>", Value()), "<<no value>>");
  EXPECT_EQ(run("<{{.}}>", Value::nil()), "<<no value>>");
  EXPECT_EQ(run("<{{.X}}>", Value::nil()), "<<no value>>");  // nil data acts like a missing key
  EXPECT_EQ(run("{{$}}", Value(123)), "123");
}

TEST(Exec, Literals) {
  check({
      {"ideal int", "{{typeOf 3}}", "int"},
      {"ideal float", "{{typeOf 1.0}}", "float64"},
      {"ideal exp float", "{{typeOf 1e1}}", "float64"},
      {"ideal hex float", "{{typeOf 0x1p4}}", "float64"},
      {"ideal hex int", "{{typeOf 0xe}}", "int"},
      {"ideal rune", "{{typeOf 'a'}}", "int"},
      {"ideal huge float", "{{typeOf 1e200}}", "float64"},
      {"numbers",
       "{{0x10}} {{0o17}} {{0b101}} {{1_000}} {{017}} {{'a'}} {{'\\n'}} {{1e3}} {{0x1p-2}} {{.5}} "
       "{{+5}} {{-0}}",
       "16 15 5 1000 15 97 10 1000 0.25 0.5 5 0"},
      {"float printing",
       "{{1e6}} {{123456.0}} {{1234567.0}} {{0.000001}} {{0.0001}} {{1.5e300}} {{100000000.0}}",
       "1e+06 123456 1.234567e+06 1e-06 0.0001 1.5e+300 1e+08"},
      {"min int", "{{-9223372036854775808}}", "-9223372036854775808"},
      {"uint overflows int", "{{9223372036854775808}}", "9223372036854775808 overflows int", false},
      {"bools", "{{true}} {{false}}", "true false"},
      {"strings", "{{\"\\u00e9\\x41\\101\\t|\"}}",
       "\xC3\xA9"
       "AA\t|"},
      {"raw string drops CR", "{{`a\rb\\n`}}", "ab\\n"},
      {"zero imaginary is a number", "{{0i}}", "0"},
  });
}

TEST(Exec, Variables) {
  check({
      {"declare in action", "{{$x := $.U.V}}{{$x}}", "v"},
      {"declarations print nothing", "a{{$x := 1}}b", "ab"},
      {"simple assignment", "{{$x := 2}}{{$x = 3}}{{$x}}", "3"},
      {"nested assignment", "{{$x := 2}}{{if true}}{{$x = 3}}{{end}}{{$x}}", "3"},
      {"nested assignment changes the last declaration",
       "{{$x := 1}}{{if true}}{{$x := 2}}{{if true}}{{$x = 3}}{{end}}{{end}}{{$x}}", "1"},
      {"assignment in range", "{{$x := 0}}{{range .SI}}{{$x = .}}{{end}}{{$x}}", "5"},
      {"range assignment", "{{$i := 0}}{{$v := 0}}{{range $i, $v = .SI}}{{end}}{{$i}}{{$v}}", "25"},
      {"range single assignment", "{{$v := 0}}{{range $v = .SI}}{{end}}{{$v}}", "5"},
      {"assign undeclared", "{{$x = 1}}", "undefined variable: $x", false},
      {"if $x with $y int", "{{if $x := true}}{{with $y := .I}}{{$x}},{{$y}}{{end}}{{end}}",
       "true,17"},
      {"if $x with $x int", "{{if $x := true}}{{with $x := .I}}{{$x}},{{end}}{{$x}}{{end}}",
       "17,true"},
      {"with $x struct.U.V", "{{with $x := $}}{{$x.U.V}}{{end}}", "v"},
      {"with variable and action", "{{with $x := $}}{{$y := $.U.V}}{{$y}}{{end}}", "v"},
      {"$ inside with", "{{with .U}}{{$.X}}{{.V}}{{end}}", "xv"},
      {"variable of missing key", "{{$x := .MSI.none}}{{$x}}{{$x.deeper}}", "<no value><no value>"},
      {"variable as non-function", "{{$x := 1}}{{$x 2}}", "can't give argument to non-function $x",
       false},
  });
}

TEST(Exec, Pipelines) {
  check({
      {"piped value is last argument", "{{\"b\" | join \"a\"}}", "ab"},
      {"two stages", "{{echo \"x\" | join \"a\" \"b\"}}", "abx"},
      {"chain", "{{.X | echo | echo}}", "x"},
      {"printf pipe", "{{.X | printf \"%s-%s\" \"a\"}}", "a-x"},
      {"parenthesized argument", "{{join (echo \"x\") \"y\"}}", "xy"},
      {"field of parenthesized result", "{{(echo .U).V}}", "v"},
      {"field of index result", "{{(index .SMSI 1).eleven}}", "11"},
      {"parenthesized literal", "{{(1)}}", "1"},
      {"nested parens", "{{join (join (echo \"a\") (echo \"b\")) \"c\"}}", "abc"},
      {"paren with args", "{{(.X) 1}}", "can't give argument to non-function .X", false},
      {"literal with args", "{{\"a\" 1}}", "can't give argument to non-function \"a\"", false},
      {"function returning nothing", "{{nothing}}", "<no value>"},
      {"zero-arg function as argument", "{{printf \"%#q\" zeroArgs}}", "`zeroArgs`"},
      {"variadic with minimum", "{{join2 1 2 3}}", "1;2;3;"},
      {"variadic below minimum", "{{join2 1}}",
       "wrong number of args for join2: want at least 2 got 1", false},
      {"too many args", "{{echo 1 2}}", "wrong number of args for echo: want 1 got 2", false},
      {"too few args", "{{echo}}", "wrong number of args for echo: want 1 got 0", false},
      {"piped arg counts", "{{1 | echo 2}}", "wrong number of args for echo: want 1 got 2", false},
      {"function error", "{{die}}", "error calling die: die called", false},
      {"function exception", "{{throws}}", "error calling throws: boom", false},
  });
}

TEST(Exec, MissingValuesReachFunctionsAsInvalid) {
  check({
      {"missing key is invalid", "{{isValid .MSI.none}}", "false"},
      {"nil literal is invalid", "{{isValid nil}}", "false"},
      {"nil element is invalid", "{{isValid .MXI.nil}}", "false"},
      {"present key is valid", "{{isValid .MSI.one}}", "true"},
      {"missing key piped", "{{.MSI.none | isValid}}", "false"},
      {"pem of missing", "{{pem .MSI.none}}", "error calling pem: secret does not exist", false},
      {"print missing", "{{print .MSI.none}}", "<nil>"},
      {"printf missing", "{{printf \"%v|%d\" .MSI.none .MSI.none}}", "<nil>|%!d(<nil>)"},
      {"piped missing into printf", "{{.MSI.none | printf \"%v\"}}", "<nil>"},
      {"html missing", "{{html .MSI.none}}", "&lt;no value&gt;"},
      {"html untyped nil", "{{html .Empty0}}", "&lt;no value&gt;"},
      {"if missing", "{{if .MSI.none}}y{{else}}n{{end}}", "n"},
      {"not missing", "{{not .MSI.none}}", "true"},
  });
}

TEST(Exec, Builtins) {
  check({
      {"html", "{{html \"<script>alert(\\\"XSS\\\");</script>\"}}",
       "&lt;script&gt;alert(&#34;XSS&#34;);&lt;/script&gt;"},
      {"html pipeline", "{{printf \"<script>alert(\\\"XSS\\\");</script>\" | html}}",
       "&lt;script&gt;alert(&#34;XSS&#34;);&lt;/script&gt;"},
      {"html quotes and NUL", "{{html \"'&\\x00\"}}", "&#39;&amp;\xEF\xBF\xBD"},
      {"html non-string", "{{html 1 2 \"a\"}}", "1 2a"},
      {"js", "{{js \"It'd be nice.\"}}", "It\\'d be nice."},
      {"js specials", "{{js \"<a href=\\\"x\\\">&\\\\\\n\"}}",
       "\\u003Ca href\\u003D\\\"x\\\"\\u003E\\u0026\\\\\\u000A"},
      {"js unicode", "{{js \"\xC3\xA9\xE2\x80\xA8\"}}", "\xC3\xA9\\u2028"},
      {"urlquery", "{{\"http://www.example.org/\"|urlquery}}", "http%3A%2F%2Fwww.example.org%2F"},
      {"urlquery space", "{{urlquery \"a b~c\" 1}}", "a+b~c1"},
      {"print", "{{print \"hello, print\"}}", "hello, print"},
      {"print 123", "{{print 1 2 3}}", "1 2 3"},
      {"print nil", "{{print nil}}", "<nil>"},
      {"print mixed", "{{print \"a\" 1 2 \"b\"}}", "a1 2b"},
      {"println", "{{println 1 2 3}}", "1 2 3\n"},
      {"printf", "{{printf \"hello, printf\"}}", "hello, printf"},
      {"printf int", "{{printf \"%04x\" 127}}", "007f"},
      {"printf float", "{{printf \"%g\" 3.5}}", "3.5"},
      {"printf string", "{{printf \"%s\" \"hello\"}}", "hello"},
      {"printf field", "{{printf \"%s\" .U.V}}", "v"},
      {"printf dot", "{{with .I}}{{printf \"%d\" .}}{{end}}", "17"},
      {"printf var", "{{with $x := .I}}{{printf \"%d\" $x}}{{end}}", "17"},
      {"printf struct", "{{printf \"%v %+v\" .U .U}}", "{v} {V:v}"},
      {"printf bad verb", "{{printf \"%d\" \"x\"}}", "%!d(string=x)"},
      {"printf missing arg", "{{printf \"%d %s\" 1}}", "1 %!s(MISSING)"},
      {"printf extra arg", "{{printf \"%d\" 1 \"x\"}}", "1%!(EXTRA string=x)"},
      {"printf piped format", "{{\"%d-%s\" | printf}}", "%!d(MISSING)-%!s(MISSING)"},
      {"printf non-string format", "{{printf 1}}", "expected string; found 1", false},
      {"printf int field format", "{{printf .I}}", "wrong type for value; expected string; got int",
       false},
      {"printf missing format", "{{printf .MSI.none}}", "invalid value; expected string", false},
      {"printf nil format", "{{printf nil}}", "cannot assign nil to string", false},
      {"not", "{{not true}} {{not false}} {{not 0}} {{not .U}}", "false true true false"},
      {"and", "{{and false 0}} {{and 1 0}} {{and 0 true}} {{and 1 1}}", "false 0 0 1"},
      {"or", "{{or 0 0}} {{or 1 0}} {{or 0 true}} {{or 1 1}}", "0 1 true 1"},
      {"or short-circuit", "{{or 0 1 (die)}}", "1"},
      {"and short-circuit", "{{and 1 0 (die)}}", "0"},
      {"or short-circuit2", "{{or 0 0 (die)}}", "error calling die: die called", false},
      {"and pipe-true", "{{1 | and 1}}", "1"},
      {"and pipe-false", "{{0 | and 1}}", "0"},
      {"or pipe-true", "{{1 | or 0}}", "1"},
      {"or pipe-false", "{{0 | or 0}}", "0"},
      {"and undef", "{{and 1 .MXI.none}}", "<no value>"},
      {"or undef", "{{or 0 .MXI.none}}", "<no value>"},
      {"and no args", "{{and}}", "wrong number of args for and: want at least 1 got 0", false},
      {"boolean if", "{{if and true 1 `hi`}}TRUE{{else}}FALSE{{end}}", "TRUE"},
      {"boolean if not", "{{if and true 1 `hi` | not}}TRUE{{else}}FALSE{{end}}", "FALSE"},
      {"boolean if pipe", "{{if true | not | and 1}}TRUE{{else}}FALSE{{end}}", "FALSE"},
      {"not arity", "{{not 1 2}}", "wrong number of args for not: want 1 got 2", false},
      {"call non-function", "{{call .X}}", "error calling call: non-function .X of type string",
       false},
      {"call nil", "{{call .MSI.none}}", "error calling call: call of nil", false},
      {"call no args", "{{call}}", "wrong number of args for call: want at least 1 got 0", false},
  });
}

TEST(Exec, IndexSliceLen) {
  check({
      {"slice[0]", "{{index .SI 0}}", "3"},
      {"slice[1]", "{{index .SI 1}}", "4"},
      {"slice[HUGE]", "{{index .SI 10}}", "error calling index: index out of range: 10", false},
      {"slice[len]", "{{index .SI 3}}", "error calling index: reflect: slice index out of range",
       false},
      {"slice[-1]", "{{index .SI -1}}", "index out of range: -1", false},
      {"slice[WRONG]", "{{index .SI `hello`}}", "cannot index slice/array with type string", false},
      {"slice[nil]", "{{index .SI nil}}", "cannot index slice/array with nil", false},
      {"map[one]", "{{index .MSI `one`}}", "1"},
      {"map[two]", "{{index .MSI `two`}}", "2"},
      {"map[NO]", "{{index .MSI `XXX`}}", "0"},
      {"map[``]", "{{index .MSIone ``}}", "0"},
      {"interface map[NO]", "{{index .MXI `XXX`}}", "<no value>"},
      {"map[nil]", "{{index .MSI nil}}", "value is nil; should be of type string", false},
      {"map[WRONG]", "{{index .MSI 10}}", "value has type int; should be string", false},
      {"double index", "{{index .SMSI 1 `eleven`}}", "11"},
      {"nil[1]", "{{index nil 1}}", "error calling index: index of untyped nil", false},
      {"missing[1]", "{{index .MSI.none 1}}", "index of untyped nil", false},
      {"int[1]", "{{index 3 1}}", "can't index item of type int", false},
      {"index of an interface field", "{{index .Empty3 0}}", "7"},
      {"index no indexes", "{{index .SI}}", "[3 4 5]"},
      {"string index", "{{index .S 1}}", "121"},
      {"bytes index", "{{index .Bytes 2}}", "3"},
      {"slice[:]", "{{slice .SI}}", "[3 4 5]"},
      {"slice[1:]", "{{slice .SI 1}}", "[4 5]"},
      {"slice[1:2]", "{{slice .SI 1 2}}", "[4]"},
      {"slice[1:2:3]", "{{slice .SI 1 2 3}}", "[4]"},
      {"slice[-1:]", "{{slice .SI -1}}", "error calling slice: index out of range: -1", false},
      {"slice[1:-2]", "{{slice .SI 1 -2}}", "index out of range: -2", false},
      {"slice[2:1]", "{{slice .SI 2 1}}", "error calling slice: invalid slice index: 2 > 1", false},
      {"slice[2:2:1]", "{{slice .SI 2 2 1}}", "invalid slice index: 2 > 1", false},
      {"out of range", "{{slice .SI 4 5}}", "index out of range: 4", false},
      {"too many indexes", "{{slice .SI 1 2 3 4}}", "too many slice indexes: 4", false},
      {"string[:]", "{{slice .S}}", "xyz"},
      {"string[0:1]", "{{slice .S 0 1}}", "x"},
      {"string[1:]", "{{slice .S 1}}", "yz"},
      {"string[1:2]", "{{slice .S 1 2}}", "y"},
      {"string out of range", "{{slice .S 1 5}}", "index out of range: 5", false},
      {"3-index slice of string", "{{slice .S 1 2 2}}", "cannot 3-index slice a string", false},
      {"slice of an interface field", "{{slice .Empty3 0 1}}", "[7]"},
      {"slice of bytes keeps type", "{{slice .Cert 1}} {{typeOf (slice .Cert 1)}}",
       "[0 1] manifest.Certificate"},
      {"slice of int", "{{slice 3}}", "can't slice item of type int", false},
      {"slice of nil", "{{slice nil}}", "slice of untyped nil", false},
      {"len slice", "{{len .SI}}", "3"},
      {"len map", "{{len .MSI }}", "3"},
      {"len string", "{{len .S}}", "3"},
      {"len bytes", "{{len .Bytes}}", "3"},
      {"len of int", "{{len 3}}", "error calling len: len of type int", false},
      {"len of nothing", "{{len .Empty0}}", "error calling len: len of nil pointer", false},
      {"len of missing", "{{len .MSI.none}}",
       "error calling len: reflect: call of reflect.Value.Type on zero Value", false},
      {"len of an interface field", "{{len .Empty3}}", "2"},
  });
}

TEST(Exec, Comparisons) {
  check({
      {"eq .True .True", "{{eq .True .True}}", "true"},
      {"eq .True false", "{{eq .True false}}", "false"},
      {"eq 1 1", "{{eq 1 1}}", "true"},
      {"eq 1 2", "{{eq 1 2}}", "false"},
      {"eq `xy` `xy`", "{{eq `xy` `xy`}}", "true"},
      {"eq `xy` `xyz`", "{{eq `xy` `xyz`}}", "false"},
      {"eq 1.5 1.5", "{{eq 1.5 1.5}}", "true"},
      {"eq multi true", "{{eq 1 2 3 1}}", "true"},
      {"eq multi false", "{{eq 1 2 3 4}}", "false"},
      {"eq int uint", "{{eq .U16 16}} {{eq 16 .U16}} {{eq -1 .U16}}", "true true false"},
      {"eq structs", "{{eq .U .U}} {{eq .U .Empty4}}", "true false"},
      {"eq nil", "{{eq .MSI.none nil}} {{eq nil nil}} {{eq .X nil}}", "true true false"},
      {"ne", "{{ne 1 1}} {{ne 1 2}} {{ne `a` `b`}}", "false true true"},
      {"lt", "{{lt 1 2}} {{lt 1 1}} {{lt 2 1}} {{lt 1.5 2.5}} {{lt `xy` `xyz`}}",
       "true false false true true"},
      {"le", "{{le 1 2}} {{le 1 1}} {{le 2 1}}", "true true false"},
      {"gt", "{{gt 1 2}} {{gt 1 1}} {{gt 2 1}}", "false false true"},
      {"ge", "{{ge 1 2}} {{ge 1 1}} {{ge 2 1}}", "false true true"},
      {"lt int uint", "{{lt .U16 17}} {{lt -1 .U16}} {{lt 20 .U16}}", "true true false"},
      {"eq string int", "{{eq `xy` 1}}",
       "error calling eq: incompatible types for comparison: string and int", false},
      {"eq int float", "{{eq 2 2.0}}", "incompatible types for comparison: int and float64", false},
      {"eq slices", "{{eq .SI .SI}}",
       "non-comparable type [%!s(int=3) %!s(int=4) %!s(int=5)]: []int", false},
      {"eq slice int", "{{eq .SI 1}}", "incompatible types for comparison: []int and int", false},
      {"eq one arg", "{{eq 1}}", "error calling eq: missing argument for comparison", false},
      {"ne one arg", "{{ne 1}}", "wrong number of args for ne: want 2 got 1", false},
      {"lt bool", "{{lt true true}}", "error calling lt: invalid type for comparison", false},
      {"lt missing", "{{lt .MSI.none 1}}", "invalid type for comparison", false},
      {"lt int string", "{{lt 1 `a`}}", "incompatible types for comparison: int and string", false},
      {"gt struct", "{{gt .U .U}}", "invalid type for comparison", false},
  });
}

TEST(Exec, IfWithElse) {
  check({
      {"if true", "{{if true}}TRUE{{end}}", "TRUE"},
      {"if false", "{{if false}}TRUE{{else}}FALSE{{end}}", "FALSE"},
      {"if nil", "{{if nil}}TRUE{{end}}", "nil is not a command", false},
      {"if 1", "{{if 1}}NON-ZERO{{else}}ZERO{{end}}", "NON-ZERO"},
      {"if 0", "{{if 0}}NON-ZERO{{else}}ZERO{{end}}", "ZERO"},
      {"if 1.5", "{{if 1.5}}NON-ZERO{{else}}ZERO{{end}}", "NON-ZERO"},
      {"if 0.0", "{{if .FloatZero}}NON-ZERO{{else}}ZERO{{end}}", "ZERO"},
      {"if uint", "{{if .U16}}NON-ZERO{{else}}ZERO{{end}}", "NON-ZERO"},
      {"if emptystring", "{{if ``}}NON-EMPTY{{else}}EMPTY{{end}}", "EMPTY"},
      {"if string", "{{if `notempty`}}NON-EMPTY{{else}}EMPTY{{end}}", "NON-EMPTY"},
      {"if emptyslice", "{{if .SIEmpty}}NON-EMPTY{{else}}EMPTY{{end}}", "EMPTY"},
      {"if slice", "{{if .SI}}NON-EMPTY{{else}}EMPTY{{end}}", "NON-EMPTY"},
      {"if emptymap", "{{if .MSIEmpty}}NON-EMPTY{{else}}EMPTY{{end}}", "EMPTY"},
      {"if map", "{{if .MSI}}NON-EMPTY{{else}}EMPTY{{end}}", "NON-EMPTY"},
      {"if struct", "{{if .U}}T{{else}}F{{end}}", "T"},
      {"if bytes", "{{if .Bytes}}T{{else}}F{{end}}", "T"},
      {"if nil interface", "{{if .Empty0}}T{{else}}F{{end}}", "F"},
      {"if map unset", "{{if .MXI.none}}NON-ZERO{{else}}ZERO{{end}}", "ZERO"},
      {"if map not unset", "{{if not .MXI.none}}ZERO{{else}}NON-ZERO{{end}}", "ZERO"},
      {"if else if", "{{if false}}FALSE{{else if true}}TRUE{{end}}", "TRUE"},
      {"if else chain", "{{if eq 1 3}}1{{else if eq 2 3}}2{{else if eq 3 3}}3{{end}}", "3"},
      {"if else chain else", "{{if false}}1{{else if false}}2{{else}}3{{end}}", "3"},
      {"with true", "{{with true}}{{.}}{{end}}", "true"},
      {"with false", "{{with false}}{{.}}{{else}}FALSE{{end}}", "FALSE"},
      {"with 1", "{{with 1}}{{.}}{{else}}ZERO{{end}}", "1"},
      {"with 0", "{{with 0}}{{.}}{{else}}ZERO{{end}}", "ZERO"},
      {"with 1.5", "{{with 1.5}}{{.}}{{else}}ZERO{{end}}", "1.5"},
      {"with 0.0", "{{with .FloatZero}}{{.}}{{else}}ZERO{{end}}", "ZERO"},
      {"with ``", "{{with ``}}{{.}}{{else}}EMPTY{{end}}", "EMPTY"},
      {"with string", "{{with `notempty`}}{{.}}{{else}}EMPTY{{end}}", "notempty"},
      {"with emptyslice", "{{with .SIEmpty}}{{.}}{{else}}EMPTY{{end}}", "EMPTY"},
      {"with slice", "{{with .SI}}{{.}}{{else}}EMPTY{{end}}", "[3 4 5]"},
      {"with emptymap", "{{with .MSIEmpty}}{{.}}{{else}}EMPTY{{end}}", "EMPTY"},
      {"with map", "{{with .MSIone}}{{.}}{{else}}EMPTY{{end}}", "map[one:1]"},
      {"with empty interface, struct field", "{{with .Empty4}}{{.V}}{{end}}", "UinEmpty"},
      {"with $x int", "{{with $x := .I}}{{$x}}{{end}}", "17"},
      {"with missing", "{{with .MSI.none}}{{.}}{{else}}none{{end}}", "none"},
      {"with else with", "{{with 0}}{{.}}{{else with true}}{{.}}{{end}}", "true"},
      {"with else with chain",
       "{{with 0}}{{.}}{{else with false}}{{.}}{{else with `notempty`}}{{.}}{{end}}", "notempty"},
      {"else uses outer dot", "{{with 0}}{{.}}{{else}}{{.X}}{{end}}", "x"},
  });
}

TEST(Exec, Range) {
  check({
      {"range []int", "{{range .SI}}-{{.}}-{{end}}", "-3--4--5-"},
      {"range empty no else", "{{range .SIEmpty}}-{{.}}-{{end}}", ""},
      {"range []int else", "{{range .SI}}-{{.}}-{{else}}EMPTY{{end}}", "-3--4--5-"},
      {"range empty else", "{{range .SIEmpty}}-{{.}}-{{else}}EMPTY{{end}}", "EMPTY"},
      {"range []int break else", "{{range .SI}}-{{.}}-{{break}}NOTREACHED{{else}}EMPTY{{end}}",
       "-3-"},
      {"range []int continue else",
       "{{range .SI}}-{{.}}-{{continue}}NOTREACHED{{else}}EMPTY{{end}}", "-3--4--5-"},
      {"break in if", "{{range .SI}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}", "3"},
      {"continue in if", "{{range .SI}}{{if eq . 4}}{{continue}}{{end}}{{.}}{{end}}", "35"},
      {"break inner only",
       "{{range .SI}}{{range $.SI}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}|{{end}}", "3|3|3|"},
      {"break in with",
       "{{range .SI}}{{with $x := .}}{{if eq $x 5}}{{break}}{{end}}{{$x}}{{end}}{{end}}", "34"},
      {"range []bool", "{{range .SB}}-{{.}}-{{end}}", "-true--false-"},
      {"range map", "{{range .MSI}}-{{.}}-{{end}}", "-1--3--2-"},
      {"range empty map no else", "{{range .MSIEmpty}}-{{.}}-{{end}}", ""},
      {"range map else", "{{range .MSI}}-{{.}}-{{else}}EMPTY{{end}}", "-1--3--2-"},
      {"range empty map else", "{{range .MSIEmpty}}-{{.}}-{{else}}EMPTY{{end}}", "EMPTY"},
      {"range empty interface", "{{range .Empty3}}-{{.}}-{{else}}EMPTY{{end}}", "-7--8-"},
      {"range empty nil", "{{range .Empty0}}-{{.}}-{{end}}", ""},
      {"range missing else", "{{range .MSI.none}}x{{else}}E{{end}}", "E"},
      {"range $x SI", "{{range $x := .SI}}<{{$x}}>{{end}}", "<3><4><5>"},
      {"range $x $y SI", "{{range $x, $y := .SI}}<{{$x}}={{$y}}>{{end}}", "<0=3><1=4><2=5>"},
      {"range $x MSIone", "{{range $x := .MSIone}}<{{$x}}>{{end}}", "<1>"},
      {"range $x $y MSIone", "{{range $x, $y := .MSIone}}<{{$x}}={{$y}}>{{end}}", "<one=1>"},
      {"range $x $y map sorted", "{{range $k, $v := .MSI}}{{$k}}={{$v}};{{end}}",
       "one=1;three=3;two=2;"},
      {"declare in range", "{{range $x := .SI}}<{{$foo:=$x}}{{$x}}>{{end}}", "<3><4><5>"},
      {"range count", "{{range $i, $x := count 5}}[{{$i}}]{{$x}}{{end}}", "[0]a[1]b[2]c[3]d[4]e"},
      {"range nil count", "{{range $i, $x := count 0}}{{else}}empty{{end}}", "empty"},
      {"range bytes", "{{range .Bytes}}{{.}},{{end}}", "1,2,3,"},
      {"range int", "{{range 3}}{{.}}{{end}}", "012"},
      {"range $i int", "{{range $i := 4}}{{$i}}{{end}}", "0123"},
      {"range uint", "{{range .U16}}{{end}}done", "done"},
      {"range zero int", "{{range 0}}x{{else}}none{{end}}", "none"},
      {"range negative int", "{{range -2}}x{{else}}none{{end}}", "none"},
      {"range int two vars", "{{range $i, $v := 3}}{{end}}",
       "can't use 3 to iterate over more than one variable", false},
      {"range string", "{{range .S}}{{end}}", "range can't iterate over xyz", false},
      {"range struct", "{{range .U}}{{end}}", "range can't iterate over {v}", false},
      {"dot restored after range", "{{range .SI}}{{end}}{{.X}}", "x"},
  });
  EXPECT_EQ(run("{{range .}}[{{.}}]{{end}}", Value::make_list({Value(1), Value::nil()})),
            "[1][<no value>]");
  EXPECT_EQ(run("{{range $i, $e := .}}{{print $e}}{{end}}", Value::make_list({Value::nil()})),
            "<nil>");
}

TEST(Exec, DefineTemplateBlock) {
  check({
      {"template calls",
       "{{define \"T1\"}}ONE{{end}}{{define \"T2\"}}TWO{{end}}"
       "{{define \"T3\"}}{{template \"T1\"}} {{template \"T2\"}}{{end}}{{template \"T3\"}}",
       "ONE TWO"},
      {"template with dot", "{{define \"T\"}}[{{.}}]{{end}}{{template \"T\" .I}}", "[17]"},
      {"template without pipeline", "{{define \"T\"}}{{.}}{{end}}{{template \"T\"}}", "<no value>"},
      {"template $ is new dot", "{{define \"T\"}}{{$}}{{end}}{{template \"T\" 7}}", "7"},
      {"define later", "{{template \"T\" .X}}{{define \"T\"}}<{{.}}>{{end}}", "<x>"},
      {"raw string name", "{{define `T`}}t{{end}}{{template `T`}}", "t"},
      {"block", "{{block \"B\" .U}}[{{.V}}]{{end}}", "[v]"},
      {"block reused", "{{block \"B\" .X}}<{{.}}>{{end}}{{template \"B\" .S}}", "<x><xyz>"},
      {"recursion terminates",
       "{{define \"down\"}}{{if .}}{{len .}}{{template \"down\" (slice . 1)}}{{end}}{{end}}"
       "{{template \"down\" .SI}}",
       "321"},
      {"pipeline variables persist", "{{template \"T\" $x := 5}}{{$x}}{{define \"T\"}}{{.}}{{end}}",
       "55"},
      {"undefined template", "{{template \"nope\"}}", "template \"nope\" not defined", false},
      {"infinite recursion", "{{define \"r\"}}{{template \"r\" .}}{{end}}{{template \"r\" .}}",
       "exceeded maximum template depth (1000)", false},
  });
  // A definition named like the template itself replaces an empty top level, as in Go.
  EXPECT_EQ(run("{{define \"t\"}}X{{end}}  "), "X");
}

TEST(Exec, TrimMarkersAndComments) {
  check({
      {"trim left", "x \r\n\t{{- 3}}", "x3"},
      {"trim right", "{{3 -}}\n\n\ty", "3y"},
      {"trim left and right", "x \r\n\t{{- 3 -}}\n\n\ty", "x3y"},
      {"trim with extra spaces", "x\n{{-  3   -}}\ny", "x3y"},
      {"trim only adjacent text", "a b {{- 3 -}} c d", "a b3c d"},
      {"trim newline marker", "x {{-\n3\n-}} y", "x3y"},
      {"trim tabs", "x\t{{-\t3\t-}}\ty", "x3y"},
      {"no trim without space", "a {{-3}} b", "a -3 b"},
      {"trim across actions", "{{range .SI}}\n  {{- .}}\n{{- end}}", "345"},
      {"trim everything", "  {{- \"\" -}}  ", ""},
      {"comment", "a{{/* hi */}}b", "ab"},
      {"multi-line comment", "a{{/* x\ny\n*/}}b", "ab"},
      {"comment trim left", "x \r\n\t{{- /* hi */}}", "x"},
      {"comment trim right", "{{/* hi */ -}}\n\n\ty", "y"},
      {"comment trim left and right", "x \r\n\t{{- /* */ -}}\n\n\ty", "xy"},
      {"multi-line action", "{{\n.X\n|\nprintf \"%s!\"\n}}", "x!"},
  });
}

TEST(Exec, NulBytesPassThrough) {
  const std::string text("a\0b{{.X}}\0", 10);
  EXPECT_EQ(run(text), std::string("a\0bx\0", 5));
  EXPECT_EQ(run("{{nul}}"), std::string("a\0b", 3));
  EXPECT_EQ(run("[{{raw .Cert}}]"), std::string("[\x30\x00\x01]", 5));
  EXPECT_EQ(run("{{printf \"%c\" 0}}"), std::string(1, '\0'));
  EXPECT_EQ(run("{{\"\\x00\"}}|{{`\x01`}}"), std::string("\0|\x01", 3));
  EXPECT_EQ(run("{{len nul}}"), "3");
}

// MarbleRun-like data: typed byte values dispatched by an injected pem function.
TEST(Exec, TypedBytesDispatch) {
  auto secret = [](Bytes cert, Bytes pub, Bytes priv) {
    return Value::make_struct(
        "manifest.Secret",
        {{"Type", Value("cert-ecdsa")},
         {"Size", Value(std::uint64_t{256})},
         {"Cert", Value::make_bytes("manifest.Certificate", std::move(cert))},
         {"Public", Value::make_bytes("manifest.PublicKey", std::move(pub))},
         {"Private", Value::make_bytes("manifest.PrivateKey", std::move(priv))}});
  };
  const Value data = Value::make_struct(
      "manifest.TemplateData",
      {{"Secrets",
        Value::make_map({{"web", secret({1, 2, 3}, {4}, {5, 6})}, {"empty", secret({}, {}, {})}},
                        "map[string]manifest.Secret")}});
  EXPECT_EQ(run("{{ pem .Secrets.web.Cert }}", data),
            "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n");
  EXPECT_EQ(run("{{ pem .Secrets.web.Public }}", data),
            "-----BEGIN PUBLIC KEY-----\nBA==\n-----END PUBLIC KEY-----\n");
  EXPECT_EQ(run("{{ .Secrets.web.Private | pem }}", data),
            "-----BEGIN PRIVATE KEY-----\nBQY=\n-----END PRIVATE KEY-----\n");
  EXPECT_EQ(run("{{ .Secrets.web.Size }} {{ .Secrets.web.Type }}", data), "256 cert-ecdsa");
  EXPECT_EQ(run("{{ .Secrets.ghost }}", data), "<no value>");
  EXPECT_EQ(
      run("{{ pem .Secrets.web }}", data),
      "ERROR: template: t:1:3: executing \"t\" at <pem .Secrets.web>: error calling pem: invalid "
      "secret type for pem encoding");
  EXPECT_EQ(
      run("{{ pem .Secrets.ghost.Cert }}", data),
      "ERROR: template: t:1:3: executing \"t\" at <pem .Secrets.ghost.Cert>: error calling pem: "
      "secret does not exist");
  EXPECT_EQ(
      run("{{ pem .Secrets.empty.Cert }}", data),
      "ERROR: template: t:1:3: executing \"t\" at <pem .Secrets.empty.Cert>: error calling pem: "
      "tried to parse secret with empty value");
  EXPECT_EQ(
      run("{{ .Secrets.web.Nope }}", data),
      "ERROR: template: t:1:11: executing \"t\" at <.Secrets.web.Nope>: can't evaluate field Nope "
      "in type manifest.Secret");
}

// Exact texts of the common execution errors, including line:col and the node.
TEST(Exec, ErrorMessages) {
  EXPECT_EQ(run("{{.Nope}}"),
            "ERROR: template: t:1:2: executing \"t\" at <.Nope>: can't evaluate field Nope in type "
            "template.T");
  EXPECT_EQ(
      run("{{ .U.Nope }}"),
      "ERROR: template: t:1:5: executing \"t\" at <.U.Nope>: can't evaluate field Nope in type "
      "template.U");
  EXPECT_EQ(run("{{die}}"),
            "ERROR: template: t:1:2: executing \"t\" at <die>: error calling die: die called");
  EXPECT_EQ(run("{{echo 1 2}}"),
            "ERROR: template: t:1:2: executing \"t\" at <echo>: wrong number of args for echo: "
            "want 1 got 2");
  EXPECT_EQ(run("a\nb {{ .X }}\n{{ join .X (die) }}"),
            "ERROR: template: t:3:12: executing \"t\" at <die>: error calling die: die called");
  EXPECT_EQ(
      run("{{define \"T\"}}{{.Nope}}{{end}}{{template \"T\" .}}"),
      "ERROR: template: t:1:16: executing \"T\" at <.Nope>: can't evaluate field Nope in type "
      "template.T");
  EXPECT_EQ(run("{{template \"T\"}}"),
            "ERROR: template: t:1:11: executing \"t\" at <{{template \"T\"}}>: template \"T\" not "
            "defined");
  EXPECT_EQ(
      run("{{index .SI 5}}"),
      "ERROR: template: t:1:2: executing \"t\" at <index .SI 5>: error calling index: index out of "
      "range: 5");
  EXPECT_EQ(
      run("{{printf \"%d\" (len 3)}}"),
      "ERROR: template: t:1:15: executing \"t\" at <len 3>: error calling len: len of type int");
  EXPECT_EQ(run("{{range .S}}{{end}}"),
            "ERROR: template: t:1:8: executing \"t\" at <.S>: range can't iterate over xyz");
  EXPECT_EQ(run("{{$x = 1}}"),
            "ERROR: template: t:1:7: executing \"t\" at <1>: undefined variable: $x");
  EXPECT_EQ(run("{{nil}}"),
            "ERROR: template: t:1:2: executing \"t\" at <nil>: nil is not a command");
  EXPECT_EQ(run("{{printf 1}}"),
            "ERROR: template: t:1:9: executing \"t\" at <1>: expected string; found 1");
  EXPECT_EQ(run("{{.MXI.nil.X}}"),
            "ERROR: template: t:1:6: executing \"t\" at <.MXI.nil.X>: nil pointer evaluating "
            "interface {}.X");
  EXPECT_EQ(run("{{define \"r\"}}{{template \"r\" .}}{{end}}{{template \"r\" .}}"),
            "ERROR: template: t:1:25: executing \"r\" at <{{template \"r\" .}}>: exceeded maximum "
            "template depth (1000)");
  auto t = Template::parse("t", "{{die}}", testing::test_funcs());
  ASSERT_TRUE(t);
  auto r = t->execute(tval());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST(Exec, TemplateIsReusableAndShareable) {
  auto t = Template::parse("data", "{{.X}}-{{range .SI}}{{.}}{{end}}", testing::test_funcs());
  ASSERT_TRUE(t);
  EXPECT_EQ(t->name(), "data");
  const Template copy = *t;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(*t->execute(tval()), "x-345");
    EXPECT_EQ(*copy.execute(tval()), "x-345");
  }
  EXPECT_EQ(*t->execute(Value::make_map({{"X", Value("y")}})), "y-");
}

TEST(Exec, FunctionMapOverridesBuiltins) {
  FuncMap f;
  f["len"] =
      FunctionSpec{[](std::span<const Value>) -> Result<Value> { return Value("mine"); }, 1, false};
  f["and"] = FunctionSpec{
      [](std::span<const Value> a) -> Result<Value> { return Value(a.size() == 2); }, 2, false};
  EXPECT_EQ(testing::run("{{len 3}} {{and 0 (len 1)}}", tval(), f),
            "mine true");  // no short-circuit
}

}  // namespace
}  // namespace mr::gotemplate
