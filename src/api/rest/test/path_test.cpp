#include "api/rest/path.h"

#include <gtest/gtest.h>

namespace mr::api::rest {
namespace {

TEST(CleanPath, FollowsGoServeMux) {
  EXPECT_EQ(clean_path(""), "/");
  EXPECT_EQ(clean_path("/"), "/");
  EXPECT_EQ(clean_path("//"), "/");
  EXPECT_EQ(clean_path("/api/v2/status"), "/api/v2/status");
  EXPECT_EQ(clean_path("//api//v2/status"), "/api/v2/status");
  EXPECT_EQ(clean_path("/a/../api/v2/status"), "/api/v2/status");
  EXPECT_EQ(clean_path("/../status"), "/status");
  EXPECT_EQ(clean_path("/./status/."), "/status");
  EXPECT_EQ(clean_path("/status/"), "/status/");
  EXPECT_EQ(clean_path("/status//"), "/status/");
  EXPECT_EQ(clean_path("/a/b/.."), "/a");
  EXPECT_EQ(clean_path("/a/b/../"), "/a/");
  EXPECT_EQ(clean_path("status"), "/status");
  EXPECT_EQ(clean_path("/..."), "/...");
}

TEST(EscapePath, FollowsGoUrlEscapedPath) {
  EXPECT_EQ(escape_path("/api/v2/status"), "/api/v2/status");
  EXPECT_EQ(escape_path("/a b?c#d%e"), "/a%20b%3Fc%23d%25e");
  EXPECT_EQ(escape_path("/-_.~$&+,:;=@"), "/-_.~$&+,:;=@");
  EXPECT_EQ(escape_path("/\xC3\xA9!"), "/%C3%A9%21");
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(ParseQuery, FollowsGoParseQuery) {
  EXPECT_EQ(parse_query(""), Pairs{});
  EXPECT_EQ(parse_query("nonce=YQ=="), (Pairs{{"nonce", "YQ=="}}));
  EXPECT_EQ(parse_query("a=1&a=2&b"), (Pairs{{"a", "1"}, {"a", "2"}, {"b", ""}}));
  EXPECT_EQ(parse_query("x=a+b%2Bc%3d&&y=%7e"), (Pairs{{"x", "a b+c="}, {"y", "~"}}));
  EXPECT_EQ(parse_query("bad=%zz&semi=1;2&ok=1&trunc=%4"), (Pairs{{"ok", "1"}}));
}

}  // namespace
}  // namespace mr::api::rest
