#include "api/rest/router.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "api/rest/error_mapping.h"

namespace mr::api::rest {
namespace {

Handler returning(HandlerResult r) {
  return [r](const RequestContext&) { return r; };
}

Route route(Method m, std::string_view path, Handler h, ApiVersion v = ApiVersion::kV2,
            ErrorPolicy e = ErrorPolicy::kServerError, Auth a = Auth::kNone) {
  return Route{m, path, a, v, e, kServerBodyLimit, Deprecation::kNone, std::move(h)};
}

class RouterTest : public ::testing::Test {
 protected:
  Router router_{{
      route(Method::kGet, "/api/v2/status", returning(Json::object({{"code", 2}}))),
      route(Method::kPost, "/api/v2/status2", returning(Json(nullptr))),
      route(Method::kGet, "/api/v2/echo-query",
            [](const RequestContext& ctx) -> HandlerResult {
              return Json(std::string(ctx.query_value("nonce").value_or("<none>")));
            }),
      route(
          Method::kGet, "/api/v2/whoami",
          [](const RequestContext& ctx) -> HandlerResult { return Json(ctx.user); },
          ApiVersion::kV2, ErrorPolicy::kServerError, Auth::kUser),
      route(
          Method::kGet, "/whoami",
          [](const RequestContext& ctx) -> HandlerResult { return Json(ctx.user); },
          ApiVersion::kV1, ErrorPolicy::kServerError, Auth::kUser),
  }};

  Reply run(std::string_view method, std::string_view path, RequestContext ctx = {}) {
    const auto r = router_.resolve(method, path, "");
    if (!r.route) return *r.reply;
    return router_.dispatch(*r.route, std::move(ctx));
  }
};

TEST_F(RouterTest, KnownRouteRuns) {
  const Reply r = run("GET", "/api/v2/status");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"status\":\"success\",\"data\":{\"code\":2}}\n");
}

TEST_F(RouterTest, UnknownPathsAndMethodsAre405) {
  for (auto [method, path] : std::vector<std::pair<std::string_view, std::string_view>>{
           {"GET", "/api/v2/nonexistent"},
           {"GET", "/api/v2/status/"},
           {"GET", "/"},
           {"POST", "/api/v2/status"},
           {"PUT", "/api/v2/status"},
           {"HEAD", "/api/v2/status"},
           {"DELETE", "/api/v2/status2"},
           {"GET", "/API/V2/STATUS"},
       }) {
    SCOPED_TRACE(std::string(method) + " " + std::string(path));
    const Reply r = run(method, path);
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
    EXPECT_EQ(r.body, "{\"status\":\"error\",\"data\":null}\n");
  }
}

TEST_F(RouterTest, UncleanPathsRedirectWithQuery) {
  auto r = router_.resolve("GET", "//api/v2/status", "nonce=abc");
  ASSERT_FALSE(r.route);
  EXPECT_EQ(r.reply->status, 301);
  EXPECT_EQ(r.reply->headers.at(0).second, "/api/v2/status?nonce=abc");
  r = router_.resolve("POST", "/x/../api/v2/status2", "");
  EXPECT_EQ(r.reply->status, 301);
  EXPECT_EQ(r.reply->headers.at(0).second, "/api/v2/status2");
  // Unknown paths are cleaned too (Go's mux redirects before it matches).
  r = router_.resolve("GET", "/a//b", "");
  EXPECT_EQ(r.reply->status, 301);
  EXPECT_EQ(r.reply->headers.at(0).second, "/a/b");
}

TEST_F(RouterTest, QueryValueIsTheFirst) {
  RequestContext ctx;
  ctx.query = {{"nonce", "first"}, {"nonce", "second"}};
  EXPECT_EQ(run("GET", "/api/v2/echo-query", ctx).body,
            "{\"status\":\"success\",\"data\":\"first\"}\n");
  EXPECT_EQ(run("GET", "/api/v2/echo-query").body,
            "{\"status\":\"success\",\"data\":\"\\u003cnone\\u003e\"}\n");
}

TEST_F(RouterTest, UserRoutesWithoutAuthenticatorAre401) {
  Reply r = run("GET", "/api/v2/whoami");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, std::string("{\"status\":\"fail\",\"data\":null,\"message\":\"") +
                        std::string(kUnknownUserMessage) + "\"}\n");
  r = run("GET", "/whoami");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
}

TEST(Router, UserAuthenticatorSeesTheLeafAndSetsTheUser) {
  Router router({route(
                    Method::kGet, "/api/v2/whoami",
                    [](const RequestContext& ctx) -> HandlerResult { return Json(ctx.user); },
                    ApiVersion::kV2, ErrorPolicy::kServerError, Auth::kUser)},
                [](const std::optional<Bytes>& leaf) -> Result<std::string> {
                  if (leaf && *leaf == Bytes{1, 2, 3}) return std::string("admin");
                  return fail(ErrorCode::kUnauthenticated, "unauthorized user: nope");
                });
  const Route& r = router.routes().front();
  RequestContext ctx;
  ctx.peer_certificate = Bytes{1, 2, 3};
  EXPECT_EQ(router.dispatch(r, ctx).body, "{\"status\":\"success\",\"data\":\"admin\"}\n");
  ctx.peer_certificate = Bytes{9};
  const Reply denied = router.dispatch(r, ctx);
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(denied.body,
            "{\"status\":\"fail\",\"data\":null,\"message\":\"unauthorized user: nope\"}\n");
}

TEST(ErrorMapping, MatrixPerFailureVersionAndPolicy) {
  const Error e{ErrorCode::kFailedPrecondition, "server is not in expected state"};
  struct Case {
    Failure kind;
    ApiVersion version;
    ErrorPolicy policy;
    int status;
    std::string_view content_type;
    std::string_view status_word;
  };
  for (const Case& c : std::vector<Case>{
           {Failure::kInput, ApiVersion::kV2, ErrorPolicy::kServerError, 400, "application/json",
            "fail"},
           {Failure::kInput, ApiVersion::kV1, ErrorPolicy::kServerError, 400,
            "text/plain; charset=utf-8", "error"},
           {Failure::kUnauthenticated, ApiVersion::kV2, ErrorPolicy::kServerError, 401,
            "application/json", "fail"},
           {Failure::kUnauthenticated, ApiVersion::kV1, ErrorPolicy::kServerError, 401,
            "text/plain; charset=utf-8", "error"},
           {Failure::kDomain, ApiVersion::kV2, ErrorPolicy::kServerError, 500,
            "text/plain; charset=utf-8", "error"},
           {Failure::kDomain, ApiVersion::kV1, ErrorPolicy::kBadRequest, 400,
            "text/plain; charset=utf-8", "error"},
           {Failure::kDomain, ApiVersion::kV1, ErrorPolicy::kGone, 410, "text/plain; charset=utf-8",
            "error"},
       }) {
    const Route r = route(Method::kPost, "/x", returning(Json()), c.version, c.policy);
    const Reply reply = error_reply(r, HandlerError{c.kind, e});
    EXPECT_EQ(reply.status, c.status);
    EXPECT_EQ(reply.content_type, c.content_type);
    EXPECT_EQ(reply.body,
              "{\"status\":\"" + std::string(c.status_word) +
                  "\",\"data\":null,\"message\":\"server is not in expected state\"}\n");
  }
}

TEST(ErrorMapping, BodyTooLarge) {
  Route upstream = route(Method::kPost, "/api/v2/recover", returning(Json()));
  upstream.upstream_body_limit = 20480;
  Reply r = body_too_large_reply(upstream);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            "{\"status\":\"fail\",\"data\":null,\"message\":\"http: request body too large\"}\n");
  EXPECT_TRUE(r.close_connection);
  r = body_too_large_reply(route(Method::kPost, "/api/v2/manifest", returning(Json())));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  EXPECT_TRUE(r.close_connection);
}

TEST(Router, HandlerExceptionsBecome500) {
  Router router({route(Method::kGet, "/boom", [](const RequestContext&) -> HandlerResult {
    throw std::runtime_error("boom");
  })});
  const Reply r = router.dispatch(router.routes().front(), {});
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "{\"status\":\"error\",\"data\":null,\"message\":\"internal server error\"}\n");
}

}  // namespace
}  // namespace mr::api::rest
