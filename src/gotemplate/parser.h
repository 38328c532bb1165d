#pragma once
// Internal: the template parser, a port of Go's text/template/parse/parse.go.

#include <string_view>

#include "base/result.h"
#include "gotemplate/ast.h"
#include "gotemplate/template.h"

namespace mr::gotemplate::detail {

// Nesting limits (Go allows 10000 nested parentheses; we stay well within small thread stacks).
inline constexpr int kMaxParseDepth = 200;
inline constexpr std::size_t kMaxPipelineCmds = 100000;

// builtin_named returns the builtin called |name|, or Builtin::kNone.
[[nodiscard]] Builtin builtin_named(std::string_view name);

// parse_templates parses |text| as template |name| plus the templates it defines. |funcs| must
// outlive the returned trees (identifier nodes point into it). Errors are kInvalidArgument with
// Go's text, "template: <name>:<line>: <msg>".
[[nodiscard]] Result<TreeSet> parse_templates(std::string_view name, std::string_view text,
                                              const FuncMap& funcs);

}  // namespace mr::gotemplate::detail
