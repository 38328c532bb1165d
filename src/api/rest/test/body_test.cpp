#include "api/rest/body.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace mr::api::rest
