#pragma once
// Encoding JSON exactly as Go's encoding/json.Marshal does, for wire-compatible responses:
//
//   Json data = Json::object();
//   data["code"] = 2;
//   data["message"] = "a <b> & c";
//   std::string text = gojson::dump(data);  // {"code":2,"message":"a \u003cb\u003e \u0026 c"}
//
// Rules (Go 1.22+ with the default SetEscapeHTML(true)):
//   - no whitespace; object members in the Json's own order (Json is an ordered_json, so build
//     Go structs in field order, and Go maps from sorted keys, e.g. by iterating a std::map);
//   - strings: `"` and `\` escaped; \b \f \n \r \t short forms; other bytes < 0x20 and the HTML
//     characters < > & as \u00XX (lower-case hex); U+2028 and U+2029 as \u2028 / \u2029; each byte
//     of invalid UTF-8 becomes \ufffd;
//   - floats: shortest round-trip form, exponent notation below 1e-6 and from 1e21 on, with
//     "e-07" shortened to "e-7"; NaN and infinities (which Go refuses) become null;
//   - binary values (Json::binary) become standard padded base64 strings, like Go's []byte.

#include <string>
#include <string_view>

#include "gojson/go_json.h"

namespace mr::gojson {

// dump returns the Go encoding of |v| (no trailing newline).
[[nodiscard]] std::string dump(const Json& v);

// append_string appends |s| as a Go-escaped JSON string literal, quotes included.
void append_string(std::string& out, std::string_view s);

// quote returns |s| as a Go-escaped JSON string literal, quotes included.
[[nodiscard]] inline std::string quote(std::string_view s) {
  std::string out;
  append_string(out, s);
  return out;
}

}  // namespace mr::gojson
