#pragma once
// Internal: Go's fmt printing (Sprint, Sprintln, Sprintf) over template Values, including fmt's
// error forms ("%!d(string=x)", "%!d(MISSING)", "%!(EXTRA int=1)", "%!(NOVERB)", ...).
// A top-level argument that is kInvalid or kNil is Go's nil interface and prints "<nil>".

#include <span>
#include <string>
#include <string_view>

#include "gotemplate/value.h"

namespace mr::gotemplate::detail {

// sprint is fmt.Sprint: spaces between operands when neither is a string.
[[nodiscard]] std::string sprint(std::span<const Value> args);
// sprintln is fmt.Sprintln: spaces between all operands and a trailing newline.
[[nodiscard]] std::string sprintln(std::span<const Value> args);
// sprintf is fmt.Sprintf.
[[nodiscard]] std::string sprintf(std::string_view format, std::span<const Value> args);
// sprint_verb formats one value with a plain verb and no flags, e.g. fmt.Sprintf("%s", v).
[[nodiscard]] std::string sprint_verb(const Value& v, char verb);

}  // namespace mr::gotemplate::detail
