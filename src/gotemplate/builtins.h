#pragma once
// Internal: Go's predefined template functions (text/template/funcs.go) over template Values.
// Each returns the function's own error text; the executor adds "error calling <name>: ".
// and, or and call are handled by the executor itself (they need unevaluated arguments).

#include <cstddef>
#include <span>

#include "base/result.h"
#include "gotemplate/ast.h"
#include "gotemplate/template.h"
#include "gotemplate/value.h"

namespace mr::gotemplate::detail {

// BuiltinSignature is a builtin's Go arity: |fixed| parameters, then optionally variadic ones.
// A string-typed first parameter (printf's format) is checked like Go's reflect conversion.
struct BuiltinSignature {
  std::size_t fixed;
  bool variadic;
  bool first_is_string;
};

[[nodiscard]] BuiltinSignature builtin_signature(Builtin b);

// is_true is Go's template truth: false for invalid/nil, zero numbers, empty strings and
// collections, and false itself; structs are always true.
[[nodiscard]] bool is_true(const Value& v);

// call_builtin runs builtin |b| (not and/or/call) on evaluated arguments.
[[nodiscard]] Result<Value> call_builtin(Builtin b, std::span<const Value> args);

}  // namespace mr::gotemplate::detail
