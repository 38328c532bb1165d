#include "api/rest/body.h"

#include <nlohmann/json.hpp>

#include "base/json_depth.h"
#include "base/strings.h"

namespace mr::api::rest {
namespace {

// DomParser builds the value; sax_parse with strict=false stops after the first complete value
// (as Go's Decoder does).
using DomParser = nlohmann::detail::json_sax_dom_parser<gojson::Json>;

}  // namespace

Result<gojson::Json> decode_json_body(std::string_view body) {
  if (trim_space(body).empty()) return fail(ErrorCode::kInvalidArgument, "EOF");
  // The DOM parser recurses per level (and so do copies of its value): bound the depth first.
  MR_RETURN_IF_ERROR(check_json_depth(body));
  gojson::Json out;
  bool ok = false;
  try {
    DomParser sax(out, /*allow_exceptions=*/false);
    ok = gojson::Json::sax_parse(body.begin(), body.end(), &sax, gojson::Json::input_format_t::json,
                                 /*strict=*/false);
    ok = ok && !out.is_discarded();
  } catch (const std::exception&) {
    ok = false;
  }
  if (ok) return out;
  // Explain the failure with the strict parser's message (byte offset and category only).
  auto strict = gojson::parse(body);
  if (strict) return fail(ErrorCode::kInvalidArgument, "invalid JSON");
  if (strict.error().message.find("unexpected end of JSON input") != std::string::npos) {
    return fail(ErrorCode::kInvalidArgument, "unexpected EOF");
  }
  return fail(std::move(strict).error());
}

}  // namespace mr::api::rest
