// Fuzz target: Go-JSON decoding. gojson::parse (with the nesting limit), Go's encoding of the
// result (which must parse again to an equal value), and a Decoder over a struct that uses every
// decoding rule: bool, string, unsigned/optional/signed integers, string lists, []byte, integer
// lists, maps and slices of the struct itself.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/json_depth.h"
#include "fuzz_util.h"
#include "gojson/encode.h"
#include "gojson/go_json.h"

namespace {

using mr::gojson::Decoder;
using mr::gojson::Json;

struct Node {
  bool b = false;
  std::string s;
  std::uint64_t u = 0;
  std::uint64_t u16 = 0;
  std::optional<std::uint64_t> opt;
  std::int64_t i = 0;
  std::vector<std::string> list;
  std::optional<std::vector<std::string>> opt_list;
  mr::Bytes bytes;
  std::vector<std::int64_t> ints;
  std::map<std::string, Node> children;
  std::vector<Node> items;
};

void decode(Decoder& d, const Json& v, Node& n) {
  d.object(v, "Node",
           {{"B", [&](const Json& x) { d.boolean(x, n.b); }},
            {"S", [&](const Json& x) { d.string(x, n.s); }},
            {"U", [&](const Json& x) { d.uint64(x, n.u); }},
            {"U16", [&](const Json& x) { d.unsigned_int(x, "uint16", 0xffff, n.u16); }},
            {"Opt", [&](const Json& x) { d.optional_uint(x, "uint", UINT32_MAX, n.opt); }},
            {"I", [&](const Json& x) { d.signed_int(x, "int", n.i); }},
            {"List", [&](const Json& x) { d.string_list(x, n.list); }},
            {"OptList", [&](const Json& x) { d.optional_string_list(x, n.opt_list); }},
            {"Bytes", [&](const Json& x) { d.bytes(x, n.bytes); }},
            {"Ints", [&](const Json& x) { d.int_list(x, "int", n.ints); }},
            {"Children",
             [&](const Json& x) {
               d.map(
                   x, "map[string]Node",
                   [&](const std::string& key, const Json& e) {
                     Node child;
                     decode(d, e, child);
                     n.children[key] = std::move(child);
                   },
                   [&] { n.children.clear(); });
             }},
            {"Items", [&](const Json& x) {
               d.array(
                   x, "[]Node",
                   [&](std::size_t, const Json& e) {
                     n.items.emplace_back();
                     decode(d, e, n.items.back());
                   },
                   [&] { n.items.clear(); });
             }}});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto j = mr::gojson::parse(text);
  if (!j) {
    MR_FUZZ_CHECK(!j.error().message.empty(), "parse error without a message");
    return 0;
  }
  MR_FUZZ_CHECK(mr::check_json_depth(text).has_value(),
                "parse accepted text deeper than the limit");

  // Go's encoding of what was parsed is valid JSON of the same depth and value. The value is
  // compared numerically, not by its text: the DOM keeps integer literals as integers, so a
  // float -0 (from "-0.0" or "-0e1"), which Go writes as "-0", reads back as the integer 0 (equal
  // to -0; regression/gojson/crash-e6873af6...). From there on the encoding is a fixed point.
  std::string encoded = mr::gojson::dump(*j);
  auto again = mr::gojson::parse(encoded);
  MR_FUZZ_CHECK(again.has_value(), "dump() output does not parse: " + again.error().message);
  MR_FUZZ_CHECK(*again == *j, "dump() output parses to a different value: " + encoded);
  const std::string encoded_again = mr::gojson::dump(*again);
  auto third = mr::gojson::parse(encoded_again);
  MR_FUZZ_CHECK(third.has_value() && mr::gojson::dump(*third) == encoded_again,
                "dump() is not stable: " + encoded_again);
  (void)mr::gojson::kind_name(*j);

  Decoder d;
  Node root;
  decode(d, *j, root);
  if (d.failed()) MR_FUZZ_CHECK(!d.take_error().message.empty(), "decode error without message");
  if (j->is_object()) {
    for (const char* name : {"b", "S", "children", "ITEMS", "x"}) {
      (void)mr::gojson::find_field(*j, name);
    }
  }
  return 0;
}
