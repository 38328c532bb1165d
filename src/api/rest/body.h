#pragma once
// Decoding request bodies like Go's json.NewDecoder(r.Body).Decode(&v): only the first JSON
// value counts (trailing bytes are ignored), an empty body is "EOF", a truncated one
// "unexpected EOF".
//
//   MR_ASSIGN_OR_RETURN(Json j, decode_json_body(ctx.body));
//   gojson::Decoder d; d.object(j, "ManifestSetRequest", {...});

#include <string_view>

#include "base/result.h"
#include "gojson/go_json.h"

namespace mr::api::rest {

// decode_json_body parses the first JSON value of |body|. kInvalidArgument "EOF" (nothing but
// whitespace), "unexpected EOF" (the value is cut short), "JSON nesting exceeds the limit of 64
// levels (at byte N)" (checked over the whole body before any value is built) or the parser's
// syntax error (which never echoes the input).
[[nodiscard]] Result<gojson::Json> decode_json_body(std::string_view body);

}  // namespace mr::api::rest
