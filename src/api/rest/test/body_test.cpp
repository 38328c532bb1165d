#include "api/rest/body.h"

#include <gtest/gtest.h>

#include <string>

namespace mr::api::rest {
namespace {

TEST(DecodeJsonBody, LikeGoDecoder) {
  EXPECT_EQ(decode_json_body("").error().message, "EOF");
  EXPECT_EQ(decode_json_body(" \n\t").error().message, "EOF");
  EXPECT_EQ(decode_json_body("{\"manifest\":").error().message, "unexpected EOF");
  EXPECT_EQ(decode_json_body("{\"a\":1} trailing garbage")->at("a"), 1);
  EXPECT_EQ(decode_json_body("[1,2]")->size(), 2u);
  const auto bad = decode_json_body("{\"a\" 1}");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message.find("1}"), std::string::npos);  // input never echoed
}

// The issue-11 body: 60 000 levels used to overflow the stack in the DOM parser and its copies.
TEST(DecodeJsonBody, DeepNestingIsRefusedBeforeAnyValueIsBuilt) {
  const std::string deep =
      "{\"x\":" + std::string(60000, '[') + std::string(60000, ']') + ",\"y\":1,\"z\":1}";
  const auto r = decode_json_body(deep);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, "JSON nesting exceeds the limit of 64 levels (at byte 68)");
  // 64 levels are fine, the 65th is not.
  const auto at = [](int n) { return std::string(n, '[') + std::string(n, ']'); };
  EXPECT_TRUE(decode_json_body(at(64)));
  EXPECT_FALSE(decode_json_body(at(65)));
}

}  // namespace
}  // namespace mr::api::rest
