#pragma once
// Route: one row of the client API's route table (client_routes.h), transport-free. Each row
// declares its method, exact path, auth policy, API flavour and error policy; handlers only do
// the work and never build error responses themselves (error_mapping.h does, in one place).
//
//   Route{Method::kGet, "/api/v2/status", Auth::kNone, ApiVersion::kV2, ErrorPolicy::kServerError,
//         kServerBodyLimit, Deprecation::kNone, [&api](const RequestContext&) -> HandlerResult
//         {...}};

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/rest/reply.h"
#include "base/bytes.h"
#include "base/result.h"
#include "base/uuid.h"

namespace mr::api::rest {

enum class Method { kGet, kPost };

// Auth is who may call a route. kUser: the client's TLS leaf certificate must belong to a
// MarbleRun user; kMarble: it must be a Marble certificate of this Coordinator (both checked by
// the Router before the handler runs; 401 otherwise).
enum class Auth { kNone, kUser, kMarble };

// ApiVersion selects how client errors are reported: v2 answers input and auth problems with a
// JSend "fail" (application/json), v1 with a JSend "error" (text/plain).
enum class ApiVersion { kV1, kV2 };

// ErrorPolicy is how a route's domain errors become HTTP statuses (see error_mapping.h).
enum class ErrorPolicy {
  kServerError,              // 500 for every domain error (upstream's v2 handlers and v1 GETs)
  kBadRequest,               // 400 for every domain error (upstream's v1 POST /manifest)
  kGone,                     // 410 (upstream's disabled v1 POST /recover)
  kNotFoundElseServerError,  // 404 for "no update in progress", 500 otherwise (update-manifest)
};

// Deprecation: v1 routes log upstream's deprecation notice on every call.
enum class Deprecation { kNone, kLogNotice };

// kServerBodyLimit: the route accepts bodies up to the server's configured limit; exceeding it
// answers 413 before the body is read whole.
inline constexpr std::optional<std::size_t> kServerBodyLimit = std::nullopt;

// MarblePeer is the Marble an Auth::kMarble route's caller authenticated as.
struct MarblePeer {
  std::string type;
  Uuid uuid;
};

// RequestContext is what a handler sees of a request.
struct RequestContext {
  std::string_view body;
  std::vector<std::pair<std::string, std::string>> query;  // decoded parameters, in order
  std::optional<Bytes> peer_certificate;  // DER of the client's TLS leaf certificate, if any
  std::string user;                       // the authenticated user of an Auth::kUser route
  std::optional<MarblePeer> marble;       // the authenticated Marble of an Auth::kMarble route

  // query_value returns the first value of parameter |name| (Go's r.URL.Query().Get), or
  // nullopt if absent.
  [[nodiscard]] std::optional<std::string_view> query_value(std::string_view name) const {
    for (const auto& [k, v] : query) {
      if (k == name) return std::string_view(v);
    }
    return std::nullopt;
  }
};

// Failure classifies a handler error for error_mapping.h.
enum class Failure {
  kInput,            // the request itself is malformed (bad body, bad query): 400
  kUnauthenticated,  // the caller is not a known user: 401
  kForbidden,        // the route's feature gate is off: 403 error (v1 and v2)
  kDomain,           // the operation failed: status by the route's ErrorPolicy
};

struct HandlerError {
  Failure kind = Failure::kDomain;
  Error error;  // message as clients see it (upstream's texts); never secrets or raw input
  Json data;    // the JSend "data" of a v2 fail (null unless a handler sets it)
};

// HandlerResult is the JSend "data" of a successful call, or the error to report.
using HandlerResult = tl::expected<Json, HandlerError>;
using Handler = std::function<HandlerResult(const RequestContext&)>;

// input_error / domain_error build the two common failures.
[[nodiscard]] inline tl::unexpected<HandlerError> input_error(std::string message) {
  return tl::unexpected<HandlerError>(
      HandlerError{Failure::kInput, Error{ErrorCode::kInvalidArgument, std::move(message)}});
}
[[nodiscard]] inline tl::unexpected<HandlerError> domain_error(Error e) {
  return tl::unexpected<HandlerError>(HandlerError{Failure::kDomain, std::move(e)});
}

struct Route {
  Method method = Method::kGet;
  std::string_view path;  // exact, clean path
  Auth auth = Auth::kNone;
  ApiVersion version = ApiVersion::kV2;
  ErrorPolicy errors = ErrorPolicy::kServerError;
  // upstream_body_limit: a limit upstream itself applies (http.MaxBytesReader). A larger body
  // is a client input error as upstream reports it ("http: request body too large"), not 413.
  std::optional<std::size_t> upstream_body_limit = kServerBodyLimit;
  Deprecation deprecation = Deprecation::kNone;
  Handler handler;
  // feature: the manifest feature gate the route needs (e.g. "SignQuoteEndpoint"), checked by
  // the Router before auth: 403 "<feature> feature is not enabled in the manifest" when off.
  // Empty: none.
  std::string_view feature;
};

// Short names for the route table (client_routes.cpp), so that each row fits on
// one line.
namespace table {
inline constexpr Method kGet = Method::kGet;
inline constexpr Method kPost = Method::kPost;
inline constexpr Auth kOpen = Auth::kNone;
inline constexpr Auth kUser = Auth::kUser;
inline constexpr Auth kMarble = Auth::kMarble;
inline constexpr ApiVersion kV1 = ApiVersion::kV1;
inline constexpr ApiVersion kV2 = ApiVersion::kV2;
inline constexpr ErrorPolicy k500 = ErrorPolicy::kServerError;
inline constexpr ErrorPolicy k400 = ErrorPolicy::kBadRequest;
inline constexpr ErrorPolicy k410 = ErrorPolicy::kGone;
inline constexpr ErrorPolicy k404 = ErrorPolicy::kNotFoundElseServerError;
inline constexpr std::optional<std::size_t> kServer = kServerBodyLimit;
inline constexpr Deprecation kCurrent = Deprecation::kNone;
inline constexpr Deprecation kDeprecated = Deprecation::kLogNotice;
}  // namespace table

// method_name returns "GET" or "POST".
[[nodiscard]] constexpr std::string_view method_name(Method m) {
  return m == Method::kGet ? "GET" : "POST";
}

}  // namespace mr::api::rest
