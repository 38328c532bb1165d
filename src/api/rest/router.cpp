#include "api/rest/router.h"

#include <exception>

#include "api/rest/error_mapping.h"
#include "api/rest/path.h"
#include "base/assert.h"
#include "base/log.h"

namespace mr::api::rest {
namespace {

const log::Logger kLog("rest");

std::optional<Method> parse_method(std::string_view m) {
  if (m == "GET") return Method::kGet;
  if (m == "POST") return Method::kPost;
  return std::nullopt;
}

}  // namespace

Router::Router(std::vector<Route> routes, UserAuthenticator authenticate_user)
    : routes_(std::move(routes)), authenticate_user_(std::move(authenticate_user)) {
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
    if (route.auth == Auth::kUser) {
      Result<std::string> user =
          authenticate_user_ ? authenticate_user_(ctx.peer_certificate)
                             : fail(ErrorCode::kUnauthenticated, std::string(kUnknownUserMessage));
      if (!user) {
        return error_reply(route, HandlerError{Failure::kUnauthenticated, std::move(user).error()});
      }
      ctx.user = std::move(*user);
    }
    HandlerResult result = route.handler(ctx);
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
