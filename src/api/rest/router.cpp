#include "api/rest/router.h"

#include <exception>

#include "api/rest/error_mapping.h"
#include "api/rest/path.h"
#include "base/assert.h"
#include "base/encoding.h"
#include "base/log.h"
#include "crypto/hash.h"

namespace mr::api::rest {
namespace {

const log::Logger kLog("rest");

std::optional<Method> parse_method(std::string_view m) {
  if (m == "GET") return Method::kGet;
  if (m == "POST") return Method::kPost;
  return std::nullopt;
}

// certificate_id names a client certificate in the log by its SHA-256 (hex), never its bytes.
std::string certificate_id(const std::optional<Bytes>& der) {
  if (!der || der->empty()) return "none";
  return hex_encode(crypto::sha256(*der));
}

}  // namespace

std::string feature_disabled_message(std::string_view feature) {
  return std::string(feature) + " feature is not enabled in the manifest";
}

Router::Router(std::vector<Route> routes, UserAuthenticator authenticate_user)
    : Router(std::move(routes), RouterPolicies{std::move(authenticate_user), nullptr, nullptr}) {}

Router::Router(std::vector<Route> routes, RouterPolicies policies)
    : routes_(std::move(routes)), policies_(std::move(policies)) {
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    MR_ASSERT(routes_[i].handler != nullptr);
    MR_ASSERT(clean_path(routes_[i].path) == routes_[i].path);
    for (std::size_t j = i + 1; j < routes_.size(); ++j) {
      MR_ASSERT(routes_[i].method != routes_[j].method || routes_[i].path != routes_[j].path);
    }
  }
}

Router::Resolution Router::resolve(std::string_view method, std::string_view path,
                                   std::string_view raw_query) const {
  if (method != "CONNECT") {
    const std::string clean = clean_path(path);
    if (clean != path) {
      std::string location = escape_path(clean);
      if (!raw_query.empty()) {
        location += '?';
        location += raw_query;
      }
      return {nullptr, redirect(method, location)};
    }
  }
  if (const auto m = parse_method(method)) {
    for (const Route& r : routes_) {
      if (r.method == *m && r.path == path) return {&r, std::nullopt};
    }
  }
  return {nullptr, method_not_allowed_reply()};
}

Reply Router::dispatch(const Route& route, RequestContext ctx) const {
  if (route.deprecation == Deprecation::kLogNotice) {
    kLog.warn("use of deprecated v1 API endpoint; use the /api/v2 endpoints instead",
              {{"path", route.path}});
  }
  try {
    if (!route.feature.empty() &&
        !(policies_.feature_enabled && policies_.feature_enabled(route.feature))) {
      return error_reply(
          route, HandlerError{Failure::kForbidden, Error{ErrorCode::kPermissionDenied,
                                                         feature_disabled_message(route.feature)}});
    }
    if (route.auth == Auth::kMarble) {
      Result<MarblePeer> marble =
          policies_.authenticate_marble
              ? policies_.authenticate_marble(ctx.peer_certificate)
              : fail(ErrorCode::kUnauthenticated, "unauthorized marble: no Marble authentication");
      if (!marble) {
        kLog.warn("request refused: not a Marble certificate of this Coordinator",
                  {{"path", route.path},
                   {"certificate_sha256", certificate_id(ctx.peer_certificate)},
                   {"reason", marble.error().message}});
        return error_reply(route,
                           HandlerError{Failure::kUnauthenticated, std::move(marble).error()});
      }
      ctx.marble = std::move(*marble);
    }
    if (route.auth == Auth::kUser) {
      Result<std::string> user =
          policies_.authenticate_user
              ? policies_.authenticate_user(ctx.peer_certificate)
              : fail(ErrorCode::kUnauthenticated, std::string(kUnknownUserMessage));
      if (!user) {
        kLog.warn(
            "request refused: unknown client certificate",
            {{"path", route.path}, {"certificate_sha256", certificate_id(ctx.peer_certificate)}});
        return error_reply(route, HandlerError{Failure::kUnauthenticated, std::move(user).error()});
      }
      ctx.user = std::move(*user);
    }
    HandlerResult result = route.handler(ctx);
    if (!result && route.auth == Auth::kUser &&
        result.error().error.code == ErrorCode::kPermissionDenied) {
      kLog.warn(
          "user refused: not permitted",
          {{"user", ctx.user}, {"path", route.path}, {"reason", result.error().error.message}});
    }
    if (!result) return error_reply(route, result.error());
    return jsend::success(*result);
  } catch (const std::exception& e) {
    kLog.error("handler threw", {{"path", route.path}, {"what", e.what()}});
  } catch (...) {
    kLog.error("handler threw", {{"path", route.path}});
  }
  return internal_error_reply();
}

}  // namespace mr::api::rest
