#pragma once
// A Go text/template engine: lexer, parser and executor with Go's semantics and error texts.
//
//   FuncMap funcs = manifest::file_functions();          // injected, e.g. pem/hex/base64/raw
//   MR_ASSIGN_OR_RETURN(Template t, Template::parse("data", "{{ pem .Secrets.web.Cert }}", funcs));
//   MR_ASSIGN_OR_RETURN(std::string out, t.execute(data)); // out may contain NUL bytes
//
// Supported: text and {{ }} actions with {{- / -}} trim markers, comments, pipelines, variables
// ($x := ..., $x = ...), field chains on maps and structs, if/else if/else, range (with
// $i, $v := and else), with/else, define/template/block, break/continue, parenthesised
// pipelines, string/raw-string/char/number/bool/nil literals, and Go's builtins (and or not len
// index slice print printf println html js urlquery eq ne lt le gt ge call).
// Missing map keys yield the invalid value (printed "<no value>"), as missingkey=default.
//
// Error texts follow Go: parse errors "template: <name>:<line>: <msg>", execution errors
// "template: <name>:<line>:<col>: executing \"<name>\" at <<node>>: <msg>".

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "gotemplate/value.h"

namespace mr::gotemplate {

// Function is a template function. An error it returns aborts execution and is reported as
// "error calling <name>: <message>".
using Function = std::function<Result<Value>(std::span<const Value> args)>;

// FunctionSpec declares a function's arity, checked when the call executes as in Go ("wrong
// number of args for <name>: want N got M"). variadic = at least min_args. Arguments that are
// Go's nil interface (a missing map key, a nil element, the nil keyword) arrive as Value().
struct FunctionSpec {
  Function fn;
  std::size_t min_args = 1;
  bool variadic = false;
};
using FuncMap = std::map<std::string, FunctionSpec, std::less<>>;

// Default limits of one execution: the largest output (also the largest string a builtin may
// build) and the most execution steps.
inline constexpr std::size_t kMaxOutputBytes = std::size_t{16} << 20;
inline constexpr std::uint64_t kMaxSteps = 1'000'000;

// Budget is what executions may still spend. execute(data, budget) charges its output bytes and
// steps to it, so several templates (all of one Marble's) can share one; |exhausted| is set when
// an execution stopped because the budget, not the per-execution default, ran out.
struct Budget {
  std::size_t output_bytes = kMaxOutputBytes;
  std::uint64_t steps = kMaxSteps;
  bool exhausted = false;
};

class Template {
 public:
  struct Impl;
  // parse parses |text| as template |name|. Functions named in the text must be in |funcs| or
  // be builtins, else kInvalidArgument `template: <name>:<line>: function "<f>" not defined`.
  [[nodiscard]] static Result<Template> parse(std::string_view name, std::string_view text,
                                              FuncMap funcs);
  // execute runs the template against |data| and returns the output bytes (binary safe).
  // kInvalidArgument with Go's message on any execution error.
  [[nodiscard]] Result<std::string> execute(const Value& data) const;
  // execute with a shared |budget|: output and steps beyond it fail like the defaults do
  // ("output exceeds maximum size (N bytes)", N the smaller limit) and are charged to it.
  [[nodiscard]] Result<std::string> execute(const Value& data, Budget& budget) const;

  [[nodiscard]] const std::string& name() const;

  explicit Template(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

 private:
  std::shared_ptr<const Impl> impl_;
};

// format_value prints |v| the way Go's fmt "%v" (and template printing) does: "<no value>" for
// invalid, "[1 2 3]" for byte slices, "{a b}" for structs, "map[k:v]" for maps, "<nil>" for nil.
[[nodiscard]] std::string format_value(const Value& v);

}  // namespace mr::gotemplate
