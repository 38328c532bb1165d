#pragma once
// Decoding JSON with Go's encoding/json rules, for inputs Go clients produce or Go users write
// (manifests, REST bodies):
//   - object keys match struct fields exactly, else case-insensitively (strings.EqualFold);
//   - unknown keys are ignored; for repeated keys the last one wins;
//   - `null` leaves a value alone, but resets pointers (optional), slices and maps;
//   - integers reject fractions, exponents, signs and overflow; []byte takes base64 or an
//     array of numbers;
//   - the first type error is reported (decoding continues, as Go does), e.g.
//     "json: cannot unmarshal string into Go struct field Marble.Marbles.web.MaxActivations of type
//     uint".
//
//   gojson::Decoder d;
//   d.object(json, "PackageProperties", {
//       {"Debug", [&](const Json& v) { d.boolean(v, "bool", pkg.debug); }},
//       {"ProductID", [&](const Json& v) { d.optional_uint(v, "uint64", pkg.product_id); }}});
//   if (d.failed()) return fail(d.take_error());

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace mr::gojson {

using Json = nlohmann::ordered_json;

// parse parses |text| strictly (RFC 8259; no comments, no trailing garbage). kInvalidArgument
// "invalid JSON at byte N: <reason>" on syntax errors; the input is never echoed. Text nested
// deeper than kMaxJsonDepth (64) is refused before any DOM is built (base/json_depth.h).
[[nodiscard]] Result<Json> parse(std::string_view text);

// kind_name returns Go's name for a JSON value's kind in error messages: "string", "number",
// "bool", "array", "object", "null".
[[nodiscard]] std::string_view kind_name(const Json& v);

class Decoder {
 public:
  struct Field {
    std::string_view name;                    // the Go field name (exact spelling)
    std::function<void(const Json&)> decode;  // called with the value; path already pushed
  };

  // object decodes a JSON object into struct fields. null is a no-op; other kinds record a
  // type error for |go_type| (the struct's Go type name).
  void object(const Json& v, std::string_view go_type, std::initializer_list<Field> fields);
  // map decodes a JSON object into a map, one fresh element per key (Go's semantics); null
  // clears the map. |decode_element| receives the value and the key.
  void map(const Json& v, std::string_view go_type,
           const std::function<void(const std::string& key, const Json& value)>& decode_element,
           const std::function<void()>& clear);
  // array decodes a JSON array element by element; null calls |clear| (nil slice).
  void array(const Json& v, std::string_view go_type,
             const std::function<void(std::size_t index, const Json& value)>& decode_element,
             const std::function<void()>& clear);

  void boolean(const Json& v, bool& out);
  void string(const Json& v, std::string& out);
  // unsigned_int accepts integers in [0, max]; |go_type| is e.g. "uint", "uint16".
  void unsigned_int(const Json& v, std::string_view go_type, std::uint64_t max, std::uint64_t& out);
  void uint64(const Json& v, std::uint64_t& out) { unsigned_int(v, "uint", UINT64_MAX, out); }
  // optional_uint: null resets to nullopt (a Go pointer field).
  void optional_uint(const Json& v, std::string_view go_type, std::uint64_t max,
                     std::optional<std::uint64_t>& out);
  void signed_int(const Json& v, std::string_view go_type, std::int64_t& out);
  void string_list(const Json& v, std::vector<std::string>& out);
  // optional_string_list: null or absent stays nullopt; [] becomes an empty vector.
  void optional_string_list(const Json& v, std::optional<std::vector<std::string>>& out);
  // bytes: base64 (standard, padded) string or an array of numbers 0..255; null clears.
  void bytes(const Json& v, Bytes& out);
  // int_list decodes an array of integers (e.g. OIDs, enum lists).
  void int_list(const Json& v, std::string_view go_type, std::vector<std::int64_t>& out);

  // type_error records "json: cannot unmarshal <kind> into Go struct field <path> of type <t>".
  void type_error(const Json& v, std::string_view go_type);
  // error records a free-form error at the current path (first error wins).
  void error(std::string message);

  [[nodiscard]] bool failed() const { return error_.has_value(); }
  // take_error returns the first recorded error (kInvalidArgument).
  [[nodiscard]] Error take_error() const;

  // Path bookkeeping for messages: the innermost struct type and the field path.
  void push(std::string_view segment) { path_.emplace_back(segment); }
  void pop() { path_.pop_back(); }

 private:
  [[nodiscard]] std::string where() const;
  std::vector<std::string> path_;
  std::vector<std::string> structs_;
  std::optional<std::string> error_;
};

// find_field returns the value of |name| in object |obj| by Go's matching rule (the last key
// equal to |name| exactly or case-insensitively), or nullptr.
[[nodiscard]] const Json* find_field(const Json& obj, std::string_view name);

}  // namespace mr::gojson
