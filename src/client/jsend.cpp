#include "client/jsend.h"

#include <fmt/format.h>

namespace mr::client {
namespace {

ErrorCode code_for_status(int http_status) {
  switch (http_status) {
    case 400:
      return ErrorCode::kInvalidArgument;
    case 401:
      return ErrorCode::kUnauthenticated;
    case 403:
      return ErrorCode::kPermissionDenied;
    case 404:
      return ErrorCode::kNotFound;
    case 405:
      return ErrorCode::kUnimplemented;
    case 410:
      return ErrorCode::kFailedPrecondition;
    default:
      return ErrorCode::kUnknown;
  }
}

}  // namespace

Result<JsendReply> parse_jsend(const HttpResponse& response) {
  auto unexpected = [&](std::string_view reason) {
    return failf(ErrorCode::kInternal, "unexpected answer from the Coordinator (HTTP {}): {}",
                 response.status, reason);
  };
  auto json = gojson::parse(response.body);
  if (!json) return unexpected("the body is not JSON");
  if (!json->is_object()) return unexpected("the body is not a JSON object");
  const gojson::Json* status = gojson::find_field(*json, "status");
  if (status == nullptr || !status->is_string()) {
    return unexpected("the body has no JSend \"status\"");
  }
  JsendReply reply;
  reply.http_status = response.status;
  reply.status = status->get<std::string>();
  if (const gojson::Json* data = gojson::find_field(*json, "data")) reply.data = *data;
  if (const gojson::Json* message = gojson::find_field(*json, "message");
      message != nullptr && message->is_string()) {
    reply.message = message->get<std::string>();
  }
  return reply;
}

Error jsend_error(const JsendReply& reply) {
  std::string message = reply.message.empty()
                            ? fmt::format("the Coordinator answered HTTP {}", reply.http_status)
                            : reply.message;
  if (reply.http_status == 401)
    return Error{ErrorCode::kUnauthenticated, "authorizing user: " + message};
  return Error{code_for_status(reply.http_status), std::move(message)};
}

Result<gojson::Json> jsend_data(const HttpResponse& response) {
  MR_ASSIGN_OR_RETURN(JsendReply reply, parse_jsend(response));
  if (reply.http_status != 200) return fail(jsend_error(reply));
  if (reply.status != "success") {
    return fail(ErrorCode::kUnknown,
                reply.message.empty() ? fmt::format("the Coordinator answered \"{}\"", reply.status)
                                      : reply.message);
  }
  return std::move(reply.data);
}

}  // namespace mr::client
