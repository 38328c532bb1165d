#pragma once
// The Coordinator's JSend envelope (spec 3.3) as the SDK reads it: the HTTP status, then
// "status", "data" and "message".
//
//   MR_ASSIGN_OR_RETURN(gojson::Json data, jsend_data(response));   // 200 → data

#include <string>

#include "base/result.h"
#include "client/http_transport.h"
#include "gojson/go_json.h"

namespace mr::client {

// JsendReply is a decoded envelope.
struct JsendReply {
  int http_status = 0;
  std::string status;   // "success", "fail" or "error"
  gojson::Json data;    // null when absent
  std::string message;  // empty when absent
};

// parse_jsend decodes |response|'s body, whatever the HTTP status. kInternal "unexpected answer
// from the Coordinator (HTTP <n>): <reason>" if the body is not a JSON object with a string
// "status".
[[nodiscard]] Result<JsendReply> parse_jsend(const HttpResponse& response);

// jsend_error turns a non-success reply into an Error carrying the Coordinator's message:
// 401 → kUnauthenticated "authorizing user: <message>"; 400 → kInvalidArgument; 403 →
// kPermissionDenied; 404 → kNotFound; 405 → kUnimplemented (the SDK's cue for the v1 fallback);
// 410 → kFailedPrecondition; anything else → kUnknown. Without a message the text is
// "the Coordinator answered HTTP <n>".
[[nodiscard]] Error jsend_error(const JsendReply& reply);

// jsend_data returns the data of a 200 "success" reply, or the error of any other reply (see
// parse_jsend and jsend_error; a 200 that is not "success" is kUnknown with its message).
[[nodiscard]] Result<gojson::Json> jsend_data(const HttpResponse& response);

}  // namespace mr::client
