// Untrusted input: nesting limits, resource limits and a fuzz-style loop that must never crash.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pthread.h>

#include <chrono>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "gotemplate/template.h"
#include "test_data.h"

namespace mr::gotemplate {
namespace {

using ::testing::HasSubstr;
using testing::run;
using testing::tval;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;  // sanitizers slow execution down and inflate stack frames
#else
constexpr bool kSanitized = false;
#endif

std::string repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += s;
  return out;
}

// on_small_stack runs |fn| on a thread with a 1 MiB stack (a conservative worker-thread size) so
// that unbounded recursion would crash the test instead of passing silently. Sanitizers inflate
// stack frames, so those builds get more.
void on_small_stack(const std::function<void()>& fn) {
  constexpr std::size_t kStack = std::size_t{kSanitized ? 8 : 1} << 20;
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, kStack), 0);
  pthread_t thread;
  auto trampoline = [](void* arg) -> void* {
    (*static_cast<const std::function<void()>*>(arg))();
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&thread, &attr, trampoline, const_cast<std::function<void()>*>(&fn)), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
}

TEST(Limits, ParenthesisNesting) {
  on_small_stack([] {
    EXPECT_EQ(run("{{" + repeat("(", 150) + "1" + repeat(")", 150) + "}}"), "1");
    EXPECT_EQ(run("{{" + repeat("(", 5000) + "1" + repeat(")", 5000) + "}}"),
              "ERROR: template: t:1: max expression depth exceeded");
    EXPECT_EQ(run("{{" + repeat("(", 100000)),
              "ERROR: template: t:1: max expression depth exceeded");
    EXPECT_EQ(run("{{" + repeat("(", 100)), "ERROR: template: t:1: unclosed action");
  });
}

TEST(Limits, ControlNesting) {
  on_small_stack([] {
    EXPECT_EQ(run(repeat("{{if 1}}", 150) + "x" + repeat("{{end}}", 150)), "x");
    EXPECT_EQ(run(repeat("{{with 1}}{{range 1}}", 100) + "x" + repeat("{{end}}{{end}}", 100)), "x");
    EXPECT_EQ(run(repeat("{{if 1}}", 5000) + repeat("{{end}}", 5000)),
              "ERROR: template: t:1: max control nesting depth exceeded");
    EXPECT_EQ(run("{{if 0}}" + repeat("{{else if 0}}", 5000) + "{{end}}"),
              "ERROR: template: t:1: max control nesting depth exceeded");
    EXPECT_EQ(run(repeat("{{block \"b\" .}}", 5000)),
              "ERROR: template: t:1: max control nesting depth exceeded");
  });
}

TEST(Limits, TemplateRecursion) {
  on_small_stack([] {
    EXPECT_THAT(run("{{define \"r\"}}{{template \"r\" .}}{{end}}{{template \"r\" .}}"),
                HasSubstr("exceeded maximum template depth (1000)"));
    // Recursion below the template limit but through deeply nested bodies hits the total
    // nesting bound instead of the stack.
    const std::string body =
        repeat("{{if 1}}", 150) + "{{template \"r\" .}}" + repeat("{{end}}", 150);
    EXPECT_THAT(run("{{define \"r\"}}" + body + "{{end}}{{template \"r\" .}}"),
                HasSubstr("exceeded maximum execution nesting depth (1500)"));
    // Mutual recursion.
    EXPECT_THAT(
        run("{{define \"a\"}}{{template \"b\" .}}{{end}}{{define \"b\"}}{{template \"a\" .}}{{end}}"
            "{{template \"a\"}}"),
        HasSubstr("exceeded maximum template depth (1000)"));
  });
}

TEST(Limits, WorkAndOutputAreBounded) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(run("{{range $i := 1000000000}}{{end}}"),
              HasSubstr("exceeded maximum number of execution steps (1000000)"));
  EXPECT_THAT(run("{{range $i := 100000}}{{printf \"%1000000d\" 1}}{{end}}"),
              HasSubstr("output exceeds maximum size (16777216 bytes)"));
  EXPECT_THAT(run("{{$x := \"ab\"}}{{range $i := 100}}{{$x = printf \"%s%s\" $x $x}}{{end}}"),
              HasSubstr("error calling printf: result exceeds maximum size (16777216 bytes)"));
  if (!kSanitized) {
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  }
}

TEST(Limits, ABudgetIsSharedAndChargedAcrossExecutions) {
  auto t = Template::parse("data", "{{range $i := 10}}{{printf \"%100d\" 1}}{{end}}", {});
  ASSERT_TRUE(t) << t.error().message;
  Budget budget{2500, 1000};
  ASSERT_TRUE(t->execute(Value(), budget));
  EXPECT_EQ(budget.output_bytes, 1500u);  // 1000 bytes charged
  EXPECT_LT(budget.steps, 1000u);
  EXPECT_FALSE(budget.exhausted);
  ASSERT_TRUE(t->execute(Value(), budget));
  auto third = t->execute(Value(), budget);  // 1000 more do not fit in the 500 left
  ASSERT_FALSE(third);
  EXPECT_THAT(third.error().message, HasSubstr("output exceeds maximum size (500 bytes)"));
  EXPECT_TRUE(budget.exhausted);
  // Steps run out the same way.
  Budget few_steps{kMaxOutputBytes, 5};
  EXPECT_FALSE(t->execute(Value(), few_steps));
  EXPECT_TRUE(few_steps.exhausted);
  EXPECT_EQ(few_steps.steps, 0u);
  // The defaults are not a budget running out.
  Budget defaults;
  auto endless = Template::parse("data", "{{range $i := 100000000}}{{end}}", {});
  ASSERT_TRUE(endless);
  EXPECT_FALSE(endless->execute(Value(), defaults));
  EXPECT_FALSE(defaults.exhausted);
}

// A manifest-style template executes quickly once parsed.
TEST(Limits, ExecuteIsFast) {
  auto t = Template::parse("data",
                           "cert: {{ pem .Cert }}\nkey: {{ raw .Cert | printf \"%x\" }}\n"
                           "{{ range $i, $v := .SI }}{{ $i }}={{ $v }} {{ end }}{{ .U.V }}",
                           testing::test_funcs());
  ASSERT_TRUE(t);
  const Value data = tval();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 10000; ++i)
    ASSERT_TRUE(t->execute(data));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// Templates built from a grammar-ish token soup, plus byte-level mutations of valid templates.
TEST(Fuzz, RandomTemplatesNeverCrash) {
  const std::vector<std::string> tokens = {"{{",
                                           "}}",
                                           "{{- ",
                                           " -}}",
                                           " ",
                                           "\n",
                                           ".X",
                                           ".U.V",
                                           ".MSI.one",
                                           ".SI",
                                           ".Nope",
                                           "$",
                                           "$x",
                                           "$y",
                                           ":=",
                                           "=",
                                           "|",
                                           "(",
                                           ")",
                                           ",",
                                           "if",
                                           "else",
                                           "end",
                                           "range",
                                           "with",
                                           "define",
                                           "template",
                                           "block",
                                           "break",
                                           "continue",
                                           "\"T\"",
                                           "`r`",
                                           "\"%d\"",
                                           "\"\\x00\"",
                                           "'a'",
                                           "1",
                                           "-2",
                                           "0x1p3",
                                           "3.5",
                                           "1e400",
                                           "nil",
                                           "true",
                                           "printf",
                                           "print",
                                           "index",
                                           "slice",
                                           "len",
                                           "eq",
                                           "lt",
                                           "and",
                                           "or",
                                           "not",
                                           "call",
                                           "html",
                                           "js",
                                           "urlquery",
                                           "echo",
                                           "join",
                                           "die",
                                           "pem",
                                           "/*",
                                           "*/",
                                           ".",
                                           "text",
                                           "\xff",
                                           "\x00",
                                           "{{template \"T\" .}}",
                                           "{{define \"T\"}}",
                                           "{{end}}",
                                           "{{range .SI}}",
                                           "{{if .X}}",
                                           "{{else}}",
                                           "{{break}}"};
  const std::vector<std::string> seeds = {
      "{{range $i, $v := .SI}}{{if eq $i 1}}{{break}}{{end}}{{printf \"%d-%s\" $v .X}}{{end}}",
      "{{define \"T\"}}{{.}}{{end}}{{template \"T\" (index .SMSI 1)}}{{with .U}}{{.V}}{{end}}",
      "a {{- /* c */ -}} b {{ .MSI.one | printf \"%05d\" }} {{ slice .S 1 2 }} {{ len .MXI }}",
  };
  std::mt19937 rng(12345);
  const FuncMap funcs = testing::test_funcs();
  const Value data = tval();
  int parsed = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string text;
    if (iter % 3 == 0) {
      text = seeds[static_cast<std::size_t>(iter) % seeds.size()];
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < flips && !text.empty(); ++k) {
        const std::size_t pos = rng() % text.size();
        switch (rng() % 3) {
          case 0:
            text[pos] = static_cast<char>(rng() % 256);
            break;
          case 1:
            text.erase(pos, 1 + rng() % 3);
            break;
          default:
            text.insert(pos, tokens[rng() % tokens.size()]);
            break;
        }
      }
    } else {
      const int n = 1 + static_cast<int>(rng() % 25);
      for (int k = 0; k < n; ++k)
        text += tokens[rng() % tokens.size()];
    }
    auto t = Template::parse("fuzz", text, funcs);
    if (!t) {
      EXPECT_THAT(t.error().message, HasSubstr("template: fuzz:")) << text;
      continue;
    }
    ++parsed;
    auto out = t->execute(data);
    if (!out) {
      EXPECT_THAT(out.error().message, HasSubstr("template: fuzz")) << text;
    }
  }
  EXPECT_GT(parsed, 100);
}

TEST(Fuzz, RandomBytesNeverCrash) {
  std::mt19937 rng(777);
  const FuncMap funcs = testing::test_funcs();
  for (int iter = 0; iter < 5000; ++iter) {
    std::string text(rng() % 64, '\0');
    static constexpr char kAlphabet[] = "{}()|$.:=\"'` -\n\\abc019xp_";
    for (char& c : text)
      c = kAlphabet[rng() % (sizeof kAlphabet - 1)];
    auto t = Template::parse("fuzz", text, funcs);
    if (t) (void)t->execute(tval());
  }
}

}  // namespace
}  // namespace mr::gotemplate
