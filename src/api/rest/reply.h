#pragma once
// Reply: an HTTP response as the route layer produces it (status, headers, body), and the JSend
// envelopes of MarbleRun's client API (spec 3.3), all transport-free:
//
//   Reply r = jsend::success(data);                   // 200 application/json
//   Reply e = jsend::error(500, "server is not in expected state");  // text/plain (as Go's
//   http.Error) Reply f = jsend::fail(400, nullptr, "invalid query: bad nonce format: ...");
//
// Bodies are Go encoding/json output (gojson::dump) followed by a newline, byte for byte.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gojson/go_json.h"

namespace mr::api::rest {

using Json = gojson::Json;

struct Reply {
  int status = 200;
  std::string content_type;  // empty: no Content-Type header
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, in order
  // close_connection: the connection must not serve another request (e.g. an unread body).
  bool close_connection = false;
};

namespace jsend {

inline constexpr std::string_view kJsonContentType = "application/json";
inline constexpr std::string_view kErrorContentType = "text/plain; charset=utf-8";

// success is handler.WriteJSON: 200, application/json, {"status":"success","data":<data>}\n.
[[nodiscard]] Reply success(const Json& data);
// error is handler.WriteJSONError (Go's http.Error): |status|, text/plain; charset=utf-8,
// X-Content-Type-Options: nosniff, {"status":"error","data":null,"message":"..."}\n with the
// message omitted when empty.
[[nodiscard]] Reply error(int status, std::string_view message);
// fail is handler.WriteJSONFailure (v2 client input problems): |status|, application/json,
// {"status":"fail","data":<data>,"message":"..."}\n (message omitted when empty).
[[nodiscard]] Reply fail(int status, const Json& data, std::string_view message);

}  // namespace jsend

// redirect is Go's http.Redirect(w, r, location, 301) for |method|: Location header; GET and
// HEAD get Content-Type text/html; GET also the body <a href="...">Moved Permanently</a>.\n\n.
[[nodiscard]] Reply redirect(std::string_view method, std::string_view location);

}  // namespace mr::api::rest
