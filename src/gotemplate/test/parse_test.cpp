// Parser and lexer: tree shapes (Go's Node.String) and parse error texts, in the spirit of Go's
// text/template/parse parse_test.go and lex_test.go.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gotemplate/lexer.h"
#include "gotemplate/parser.h"
#include "gotemplate/template.h"
#include "test_data.h"

namespace mr::gotemplate {
namespace {

using ::testing::HasSubstr;

// tree_string parses |text| and renders the tree named |name| (default: the top level).
std::string tree_string(std::string_view text, std::string_view name = "t") {
  static const FuncMap funcs = testing::test_funcs();
  auto trees = detail::parse_templates("t", text, funcs);
  if (!trees) return "ERROR: " + trees.error().message;
  auto it = trees->find(name);
  if (it == trees->end()) return "NO TREE";
  return it->second->root->to_string();
}

std::string parse_error(std::string_view text) {
  auto t = Template::parse("t", text, testing::test_funcs());
  if (t) return "OK";
  EXPECT_EQ(t.error().code, ErrorCode::kInvalidArgument);
  return t.error().message;
}

struct ParseCase {
  const char* name;
  std::string input;
  std::string result;
};

TEST(Parse, TreeShapes) {
  const std::vector<ParseCase> cases = {
      {"empty", "", ""},
      {"spaces", " \t\n", " \t\n"},
      {"text", "some text", "some text"},
      {"emptyAction", "{{printf}}", "{{printf}}"},
      {"field", "{{.X}}", "{{.X}}"},
      {"simple command", "{{printf}}", "{{printf}}"},
      {"$ invocation", "{{$}}", "{{$}}"},
      {"variable invocation", "{{with $x := 3}}{{$x 23}}{{end}}",
       "{{with $x := 3}}{{$x 23}}{{end}}"},
      {"variable with fields", "{{$.I}}", "{{$.I}}"},
      {"multi-word command", "{{printf `%d` 23}}", "{{printf `%d` 23}}"},
      {"pipeline", "{{.X|.Y}}", "{{.X | .Y}}"},
      {"pipeline with decl", "{{$x := .X|.Y}}", "{{$x := .X | .Y}}"},
      {"assignment", "{{$x := 1}}{{$x = 2}}", "{{$x := 1}}{{$x = 2}}"},
      {"nested pipeline", "{{.X (.Y .Z) (.A | .B .C) (.E)}}", "{{.X (.Y .Z) (.A | .B .C) (.E)}}"},
      {"field applied to parentheses", "{{(.Y .Z).Field}}", "{{(.Y .Z).Field}}"},
      {"simple if", "{{if .X}}hello{{end}}", "{{if .X}}hello{{end}}"},
      {"if with else", "{{if .X}}true{{else}}false{{end}}", "{{if .X}}true{{else}}false{{end}}"},
      {"if with else if", "{{if .X}}true{{else if .Y}}false{{end}}",
       "{{if .X}}true{{else}}{{if .Y}}false{{end}}{{end}}"},
      {"if else chain", "+{{if .X}}X{{else if .Y}}Y{{else if .Z}}Z{{end}}+",
       "+{{if .X}}X{{else}}{{if .Y}}Y{{else}}{{if .Z}}Z{{end}}{{end}}{{end}}+"},
      {"simple range", "{{range .X}}hello{{end}}", "{{range .X}}hello{{end}}"},
      {"chained field range", "{{range .X.Y.Z}}hello{{end}}", "{{range .X.Y.Z}}hello{{end}}"},
      {"nested range", "{{range .X}}hello{{range .Y}}goodbye{{end}}{{end}}",
       "{{range .X}}hello{{range .Y}}goodbye{{end}}{{end}}"},
      {"range with else", "{{range .X}}true{{else}}false{{end}}",
       "{{range .X}}true{{else}}false{{end}}"},
      {"range over pipeline", "{{range .X|.M}}true{{else}}false{{end}}",
       "{{range .X | .M}}true{{else}}false{{end}}"},
      {"range []int", "{{range .SI}}{{.}}{{end}}", "{{range .SI}}{{.}}{{end}}"},
      {"range 1 var", "{{range $x := .SI}}{{.}}{{end}}", "{{range $x := .SI}}{{.}}{{end}}"},
      {"range 2 vars", "{{range $x, $y := .SI}}{{.}}{{end}}",
       "{{range $x, $y := .SI}}{{.}}{{end}}"},
      {"range with break", "{{range .SI}}{{.}}{{break}}{{end}}",
       "{{range .SI}}{{.}}{{break}}{{end}}"},
      {"range with continue", "{{range .SI}}{{.}}{{continue}}{{end}}",
       "{{range .SI}}{{.}}{{continue}}{{end}}"},
      {"constants", "{{range .SI 1 -3.2i true false 'a' nil}}{{end}}", "ERROR"},
      {"template", "{{template `x`}}", "{{template \"x\"}}"},
      {"template with arg", "{{template `x` .Y}}", "{{template \"x\" .Y}}"},
      {"with", "{{with .X}}hello{{end}}", "{{with .X}}hello{{end}}"},
      {"with with else", "{{with .X}}hello{{else}}goodbye{{end}}",
       "{{with .X}}hello{{else}}goodbye{{end}}"},
      {"with with else with", "{{with .X}}hello{{else with .Y}}goodbye{{end}}",
       "{{with .X}}hello{{else}}{{with .Y}}goodbye{{end}}{{end}}"},
      {"trim left", "x \r\n\t{{- 3}}", "x{{3}}"},
      {"trim right", "{{3 -}}\n\n\ty", "{{3}}y"},
      {"trim left and right", "x \r\n\t{{- 3 -}}\n\n\ty", "x{{3}}y"},
      {"trim with extra spaces", "x\n{{-  3   -}}\ny", "x{{3}}y"},
      {"comment", "x{{/* hi */}}y", "xy"},
      {"comment trim left", "x \r\n\t{{- /* hi */}}", "x"},
      {"comment trim right", "{{/* hi */ -}}\n\n\ty", "y"},
      {"comment trim left and right", "x \r\n\t{{- /* */ -}}\n\n\ty", "xy"},
      {"block definition", "{{block \"foo\" .}}hello{{end}}", "{{template \"foo\" .}}"},
      {"newline in assignment", "{{ $x \n := \n 1 \n }}", "{{$x := 1}}"},
      {"newline in empty action", "{{\n}}", "ERROR"},
      {"newline in pipeline", "{{\n\"x\"\n|\nprintf\n}}", "{{\"x\" | printf}}"},
      {"spaces around operands", "{{printf   \"%d\"   ( 1 )  }}", "{{printf \"%d\" (1)}}"},
      {"numbers keep their text", "{{0x1_0}} {{1e3}} {{'a'}} {{.5}}",
       "{{0x1_0}} {{1e3}} {{'a'}} {{.5}}"},
      {"strings keep their quotes", "{{`raw`}} {{\"q\\n\"}}", "{{`raw`}} {{\"q\\n\"}}"},
      {"chained fields merge", "{{.X.Y.Z}} {{$.A.B}}", "{{.X.Y.Z}} {{$.A.B}}"},
      {"break as identifier when defined", "{{range .SI}}{{end}}", "{{range .SI}}{{end}}"},
  };
  for (const auto& c : cases) {
    const std::string got = tree_string(c.input);
    if (c.result == "ERROR") {
      EXPECT_THAT(got, HasSubstr("ERROR")) << c.name;
    } else {
      EXPECT_EQ(got, c.result) << c.name;
    }
  }
  EXPECT_EQ(tree_string("{{block \"foo\" .}}hello{{end}}", "foo"), "hello");
  EXPECT_EQ(tree_string("{{define \"a\"}}A{{.}}{{end}}x", "a"), "A{{.}}");
  EXPECT_EQ(tree_string("{{define \"a\"}}A{{end}}x"), "x");
}

TEST(Parse, ErrorMessages) {
  const std::vector<ParseCase> cases = {
      {"unknown function", "{{ foo }}", "template: t:1: function \"foo\" not defined"},
      {"unknown function later line", "a\nb\n{{ .X | foo }}",
       "template: t:3: function \"foo\" not defined"},
      {"unclosed action", "{{.X", "template: t:1: unclosed action"},
      {"unclosed action multi-line", "{{.X\n\n", "template: t:3: unclosed action started at t:1"},
      {"bad character", "{{.X}", "template: t:1: bad character U+007D '}'"},
      {"unexpected brace", "{{ .X }", "template: t:1: unexpected \"}\" in operand"},
      {"unexpected EOF", "{{if .X}}a", "template: t:1: unexpected EOF"},
      {"unexpected EOF later", "{{range .X}}\n\n", "template: t:3: unexpected EOF"},
      {"stray end", "{{end}}", "template: t:1: unexpected {{end}}"},
      {"stray else", "{{else}}", "template: t:1: unexpected {{else}}"},
      {"double else", "{{range .X}}{{else}}{{else}}{{end}}",
       "template: t:1: expected end; found {{else}}"},
      {"undefined variable", "{{$x}}", "template: t:1: undefined variable \"$x\""},
      {"variable out of scope", "{{with $x := 4}}{{end}}{{$x}}",
       "template: t:1: undefined variable \"$x\""},
      {"range variable out of scope", "{{range $i, $v := .SI}}{{end}}{{$i}}",
       "template: t:1: undefined variable \"$i\""},
      {"variable not visible in define", "{{$x := 1}}{{define \"a\"}}{{$x}}{{end}}",
       "template: t:1: undefined variable \"$x\""},
      {"break outside range", "{{break}}", "template: t:1: {{break}} outside {{range}}"},
      {"continue outside range", "{{if true}}{{continue}}{{end}}",
       "template: t:1: {{continue}} outside {{range}}"},
      {"break in range else", "{{range .SI}}{{else}}{{break}}{{end}}",
       "template: t:1: {{break}} outside {{range}}"},
      {"break with argument", "{{range .SI}}{{break 1}}{{end}}",
       "template: t:1: unexpected \"1\" in {{break}}"},
      {"non executable stage", "{{.X | 3}}",
       "template: t:1: non executable command in pipeline stage 2"},
      {"non executable dot", "{{.X | printf | .}}",
       "template: t:1: non executable command in pipeline stage 3"},
      {"empty action", "{{}}", "template: t:1: missing value for command"},
      {"empty if", "{{if}}{{end}}", "template: t:1: missing value for if"},
      {"empty parens", "{{()}}", "template: t:1: missing value for parenthesized pipeline"},
      {"field after string", "{{\"x\".Y}}", "template: t:1: unexpected . after term \"\\\"x\\\"\""},
      {"field after dot", "{{..X}}", "template: t:1: unexpected . after term \".\""},
      {"field after nil", "{{nil.X}}", "template: t:1: unexpected . after term \"nil\""},
      {"multiple definition", "{{define \"a\"}}x{{end}}{{define \"a\"}}y{{end}}",
       "template: t:1: template: multiple definition of template \"a\""},
      {"definition clashes with top level", "{{define \"t\"}}x{{end}}y",
       "template: t:1: template: multiple definition of template \"t\""},
      {"block clashes with define", "{{define \"b\"}}x{{end}}{{block \"b\" .}}y{{end}}",
       "template: t:1: template: multiple definition of template \"b\""},
      {"template with field name", "{{template .X}}",
       "template: t:1: unexpected \".X\" in template clause"},
      {"template with dot name", "{{template .}}",
       "template: t:1: unexpected <.> in template clause"},
      {"define without name", "{{define}}{{end}}",
       "template: t:1: unexpected \"}}\" in define clause"},
      {"define with else", "{{define \"a\"}}{{else}}{{end}}",
       "template: t:1: unexpected {{else}} in define clause"},
      {"define not at top level", "{{if 1}}{{define \"a\"}}{{end}}{{end}}",
       "template: t:1: unexpected <define> in command"},
      {"too many decls", "{{with $x, $y := .}}{{end}}",
       "template: t:1: too many declarations in with"},
      {"too many range decls", "{{range $x, $y, $z := .}}{{end}}",
       "template: t:1: too many declarations in range"},
      {"range decl not variable", "{{range $x, 3}}{{end}}",
       "template: t:1: range can only initialize variables"},
      {"unclosed paren", "{{(1}}", "template: t:1: unclosed left paren"},
      {"unexpected right paren", "{{1)}}", "template: t:1: unexpected right paren"},
      {"unmatched paren in pipeline", "{{(1 | printf}}", "template: t:1: unclosed left paren"},
      {"malformed char", "{{'ab'}}", "template: t:1: malformed character constant: 'ab'"},
      {"empty char", "{{''}}", "template: t:1: invalid syntax"},
      {"unterminated char", "{{'a}}", "template: t:1: unterminated character constant"},
      {"unterminated string", "{{\"abc}}", "template: t:1: unterminated quoted string"},
      {"unterminated raw string", "{{`abc}}", "template: t:1: unterminated raw quoted string"},
      {"bad escape", "{{\"\\z\"}}", "template: t:1: invalid syntax"},
      {"integer overflow", "{{99999999999999999999}}",
       "template: t:1: integer overflow: \"99999999999999999999\""},
      {"bad number", "{{3k}}", "template: t:1: bad number syntax: \"3k\""},
      {"illegal number", "{{1__0}}", "template: t:1: illegal number syntax: \"1__0\""},
      {"octal float", "{{089}}", "template: t:1: integer overflow: \"089\""},
      {"complex", "{{1+2i}}", "template: t:1: complex constants are not supported: \"1+2i\""},
      {"unclosed comment", "{{/* x", "template: t:1: unclosed comment"},
      {"comment before delimiter", "{{/* x */ .X}}",
       "template: t:1: comment ends before closing delimiter"},
      {"expected :=", "{{$x := 1}}{{$x : 1}}", "template: t:1: expected :="},
      {"undeclared before lexer error", "{{$x : 1}}", "template: t:1: undefined variable \"$x\""},
      {"unrecognized character", std::string("{{\x01}}"),
       "template: t:1: unrecognized character in action: U+0001"},
      {"invalid utf-8 in action", "{{\xff}}",
       "template: t:1: unrecognized character in action: U+FFFD '\xEF\xBF\xBD'"},
      {"unexpected in input", "{{.X}}{{else with .Y}}", "template: t:1: unexpected {{else}}"},
      {"pipe at start", "{{| .X}}", "template: t:1: unexpected \"|\" in command"},
      {"long token quoted", "{{define \"a\" \"abcdefghijklmn\"}}{{end}}",
       "template: t:1: unexpected \"\\\"abcdefghi\"... in define clause"},
      {"long token in error", "{{define \"abcdefghijkl\" 1}}{{end}}",
       "template: t:1: unexpected \"1\" in define clause"},
      {"keyword in error", "{{if .X}}{{end}}{{template if}}",
       "template: t:1: unexpected <if> in template clause"},
      {"error on later line", "line1\nline2 {{.X}}\n{{if}}", "template: t:3: missing value for if"},
      {"multi-line action error", "{{\n.X\n|\n3\n}}",
       "template: t:5: non executable command in pipeline stage 2"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(parse_error(c.input), c.result) << c.name << ": " << c.input;
}

TEST(Parse, FunctionMapValidation) {
  FuncMap bad_name;
  bad_name["1x"] = testing::unary([](std::span<const Value> a) -> Result<Value> { return a[0]; });
  auto t = Template::parse("t", "x", bad_name);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().message, "function name \"1x\" is not a valid identifier");

  FuncMap no_fn;
  no_fn["f"] = FunctionSpec{};
  t = Template::parse("t", "x", no_fn);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().message, "value for f not a function");

  // Functions named like keywords turn the keyword into an identifier, as in Go.
  FuncMap brk;
  brk["break"] =
      FunctionSpec{[](std::span<const Value>) -> Result<Value> { return Value("B"); }, 0, false};
  EXPECT_EQ(testing::run("{{break}}", Value(), brk), "B");
}

TEST(Parse, FunctionSetsDifferByContext) {
  FuncMap env = testing::test_funcs();
  env.erase("raw");
  auto t = Template::parse("data", "{{ raw .Secrets.x }}", env);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().message, "template: data:1: function \"raw\" not defined");
}

TEST(Lexer, LineNumbersAndTrim) {
  detail::Lexer lex("a\n{{- .X -}}\n b{{/* c\n */}}\n{{`r\naw` 1}}", true, true);
  std::vector<std::pair<detail::ItemType, int>> items;
  std::vector<std::string> vals;
  for (;;) {
    detail::Item i = lex.next_item();
    items.emplace_back(i.type, i.line);
    vals.push_back(i.val);
    if (i.type == detail::ItemType::kEOF || i.type == detail::ItemType::kError) break;
  }
  using T = detail::ItemType;
  const std::vector<std::pair<T, int>> want = {
      {T::kText, 1},  {T::kLeftDelim, 2}, {T::kField, 2},      {T::kRightDelim, 2},
      {T::kText, 3},  {T::kText, 4},      {T::kLeftDelim, 5},  {T::kRawString, 5},
      {T::kSpace, 6}, {T::kNumber, 6},    {T::kRightDelim, 6}, {T::kEOF, 6}};
  EXPECT_EQ(items, want);
  EXPECT_EQ(vals[0], "a");
  EXPECT_EQ(vals[4], "b");
  EXPECT_EQ(vals[5], "\n");
  EXPECT_EQ(vals[7], "`r\naw`");
}

TEST(Lexer, ItemStrings) {
  detail::Item eof{detail::ItemType::kEOF, 0, "", 1};
  EXPECT_EQ(eof.to_string(), "EOF");
  detail::Item kw{detail::ItemType::kRange, 0, "range", 1};
  EXPECT_EQ(kw.to_string(), "<range>");
  detail::Item lng{detail::ItemType::kString, 0, "\"abcdefghijklmn\"", 1};
  EXPECT_EQ(lng.to_string(), "\"\\\"abcdefghi\"...");
  detail::Item sh{detail::ItemType::kChar, 0, ",", 1};
  EXPECT_EQ(sh.to_string(), "\",\"");
}

}  // namespace
}  // namespace mr::gotemplate
