#pragma once
// Internal: the state shared by all copies of a parsed Template.

#include <string>

#include "base/result.h"
#include "gotemplate/ast.h"
#include "gotemplate/template.h"

namespace mr::gotemplate {

struct Template::Impl {
  std::string name;
  std::string text;  // the parsed text; error locations are computed from it
  FuncMap funcs;     // identifier nodes point into this map
  detail::TreeSet trees;
};

namespace detail {

// Execution limits. Go allows 100000 nested template calls; each walk level costs stack, so we
// bound template calls, total recursion and total work.
inline constexpr int kMaxExecDepth = 1000;
inline constexpr int kMaxNesting = 1500;        // about 700 KiB of stack at most
inline constexpr int kPipelineNestingCost = 3;  // a pipeline level costs more stack than a walk

// execute runs |impl|'s top-level template on |data|, charging |budget| (template.h).
[[nodiscard]] Result<std::string> execute(const Template::Impl& impl, const Value& data,
                                          Budget& budget);

}  // namespace detail

}  // namespace mr::gotemplate
