#pragma once
// A nesting limit for JSON text, checked before any parser builds a DOM: DOM copies, dumps and
// the decoders recurse once per level, so the depth an attacker may choose is bounded here.
//
//   MR_RETURN_IF_ERROR(check_json_depth(body));   // then parse
//
// Every JSON entry point (REST bodies, manifests, collateral, recovery data, CLI inputs) goes
// through gojson::parse or calls this first.

#include <cstddef>
#include <string_view>

#include "base/result.h"

namespace mr {

// kMaxJsonDepth is the deepest nesting of arrays and objects any input may have. Manifests and
// collateral use at most 6 levels.
inline constexpr std::size_t kMaxJsonDepth = 64;

// check_json_depth scans |text| once, without recursion, and fails with kInvalidArgument
// "JSON nesting exceeds the limit of 64 levels (at byte N)" when arrays and objects nest deeper
// than |max_depth|. Brackets inside strings do not count; malformed text is left to the parser.
[[nodiscard]] Status check_json_depth(std::string_view text, std::size_t max_depth = kMaxJsonDepth);

}  // namespace mr
