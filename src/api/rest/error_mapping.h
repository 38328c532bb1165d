#pragma once
// The one place where failures become HTTP responses (spec 3.3, 3.6, 3.7):
//
//   | Failure          | v2                          | v1                      |
//   |------------------|-----------------------------|-------------------------|
//   | kInput           | 400 fail, data (null unless set) | 400 error          |
//   | kUnauthenticated | 401 fail, data null         | 401 error               |
//   | kForbidden       | 403 error (a feature gate is off)                     |
//   | kDomain          | error, status by ErrorPolicy (kServerError 500, kBadRequest 400, kGone
//   410, kNotFoundElseServerError 404/500) |
//
// Messages are upstream's texts (core errors carry them, and never carry secrets or input).

#include <string_view>

#include "api/rest/reply.h"
#include "api/rest/route.h"
#include "base/result.h"

namespace mr::api::rest {

// kBodyTooLargeMessage is Go's http.MaxBytesReader error text.
inline constexpr std::string_view kBodyTooLargeMessage = "http: request body too large";

// http_status returns the status a domain error with |code| gets under |policy|.
[[nodiscard]] int http_status(ErrorPolicy policy, ErrorCode code);

// error_reply renders |e| for |route| per the table above, and logs it (path, code, message).
[[nodiscard]] Reply error_reply(const Route& route, const HandlerError& e);

// body_too_large_reply answers a body over |route|'s limit: a client input error for routes
// with an upstream limit (v2: 400 fail, as Go's decoder reports it), else 413 error. The
// connection is closed afterwards (the rest of the body is never read).
[[nodiscard]] Reply body_too_large_reply(const Route& route);

// method_not_allowed_reply is upstream's answer to unknown paths and unsupported methods:
// 405 {"status":"error","data":null}.
[[nodiscard]] Reply method_not_allowed_reply();

// unsupported_media_type_reply refuses multipart/form-data bodies (415), which the HTTP library
// cannot hand over as raw bytes. The connection is closed afterwards.
[[nodiscard]] Reply unsupported_media_type_reply();

// malformed_request_reply answers a request whose framing is broken (400 error, e.g. a bad
// Content-Length or a body cut short). The connection is closed afterwards.
[[nodiscard]] Reply malformed_request_reply(std::string_view message);

// internal_error_reply answers an unexpected adapter failure (500, generic message; the details
// go to the log).
[[nodiscard]] Reply internal_error_reply();

}  // namespace mr::api::rest
