#include "api/rest/reply.h"

#include <gtest/gtest.h>

namespace mr::api::rest {
namespace {

TEST(JSend, SuccessIsApplicationJsonWithTrailingNewline) {
  Json data = Json::object();
  data["code"] = 2;
  data["message"] = "Coordinator is ready to accept a manifest.";
  const Reply r = jsend::success(data);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(
      r.body,
      "{\"status\":\"success\",\"data\":{\"code\":2,\"message\":\"Coordinator is ready to accept a "
      "manifest.\"}}\n");
  EXPECT_TRUE(r.headers.empty());
  EXPECT_EQ(jsend::success(nullptr).body, "{\"status\":\"success\",\"data\":null}\n");
}

TEST(JSend, ErrorIsTextPlainLikeGoHttpError) {
  const Reply r = jsend::error(500, "server is not in expected state");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "X-Content-Type-Options");
  EXPECT_EQ(r.headers[0].second, "nosniff");
  EXPECT_EQ(
      r.body,
      "{\"status\":\"error\",\"data\":null,\"message\":\"server is not in expected state\"}\n");
  EXPECT_EQ(jsend::error(405, "").body, "{\"status\":\"error\",\"data\":null}\n");
}

TEST(JSend, FailIsApplicationJson) {
  const Reply r = jsend::fail(400, nullptr, "invalid query: bad nonce format: <x> & y");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body,
            "{\"status\":\"fail\",\"data\":null,\"message\":\"invalid query: bad nonce format: "
            "\\u003cx\\u003e \\u0026 y\"}\n");
}

TEST(Redirect, LikeGoHttpRedirect) {
  const Reply get = redirect("GET", "/api/v2/status?a=1&b=2");
  EXPECT_EQ(get.status, 301);
  EXPECT_EQ(get.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(get.body, "<a href=\"/api/v2/status?a=1&amp;b=2\">Moved Permanently</a>.\n\n");
  ASSERT_EQ(get.headers.size(), 1u);
  EXPECT_EQ(get.headers[0].second, "/api/v2/status?a=1&b=2");

  const Reply head = redirect("HEAD", "/x");
  EXPECT_EQ(head.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(head.body, "");
  const Reply post = redirect("POST", "/x");
  EXPECT_EQ(post.content_type, "");
  EXPECT_EQ(post.body, "");
}

}  // namespace
}  // namespace mr::api::rest
