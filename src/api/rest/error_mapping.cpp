#include "api/rest/error_mapping.h"

#include <array>

#include "base/log.h"

namespace mr::api::rest {
namespace {

const log::Logger kLog("rest");

struct PolicyRow {
  ErrorPolicy policy;
  int status;            // for every ErrorCode...
  int not_found_status;  // ...except kNotFound
};

constexpr std::array<PolicyRow, 4> kPolicies{{
    {ErrorPolicy::kServerError, 500, 500},
    {ErrorPolicy::kBadRequest, 400, 400},
    {ErrorPolicy::kGone, 410, 410},
    {ErrorPolicy::kNotFoundElseServerError, 500, 404},
}};

}  // namespace

int http_status(ErrorPolicy policy, ErrorCode code) {
  for (const PolicyRow& row : kPolicies) {
    if (row.policy == policy)
      return code == ErrorCode::kNotFound ? row.not_found_status : row.status;
  }
  return 500;
}

Reply error_reply(const Route& route, const HandlerError& e) {
  const bool v2 = route.version == ApiVersion::kV2;
  Reply reply;
  switch (e.kind) {
    case Failure::kInput:
      reply = v2 ? jsend::fail(400, e.data, e.error.message) : jsend::error(400, e.error.message);
      break;
    case Failure::kUnauthenticated:
      reply = v2 ? jsend::fail(401, e.data, e.error.message) : jsend::error(401, e.error.message);
      break;
    case Failure::kForbidden:
      reply = jsend::error(403, e.error.message);
      break;
    case Failure::kDomain:
      reply = jsend::error(http_status(route.errors, e.error.code), e.error.message);
      break;
  }
  // The per-request line (rest_server.cpp) has method, path and status; this one the reason.
  kLog.write(reply.status >= 500 ? log::Level::kWarn : log::Level::kDebug, "request failed",
             {{"method", method_name(route.method)},
              {"path", route.path},
              {"status", reply.status},
              {"code", error_code_name(e.error.code)},
              {"error", e.error.message}});
  return reply;
}

Reply body_too_large_reply(const Route& route) {
  Reply reply = route.upstream_body_limit
                    ? error_reply(route, HandlerError{Failure::kInput,
                                                      Error{ErrorCode::kResourceExhausted,
                                                            std::string(kBodyTooLargeMessage)}})
                    : jsend::error(413, kBodyTooLargeMessage);
  reply.close_connection = true;
  return reply;
}

Reply method_not_allowed_reply() {
  return jsend::error(405, "");
}

Reply unsupported_media_type_reply() {
  Reply reply = jsend::error(415, "multipart/form-data request bodies are not supported");
  reply.close_connection = true;
  return reply;
}

Reply malformed_request_reply(std::string_view message) {
  Reply reply = jsend::error(400, message);
  reply.close_connection = true;
  return reply;
}

Reply internal_error_reply() {
  return jsend::error(500, "internal server error");
}

}  // namespace mr::api::rest
