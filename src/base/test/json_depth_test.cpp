#include "base/json_depth.h"

#include <gtest/gtest.h>

#include <string>

namespace mr {
namespace {

std::string nested(std::size_t levels, char open = '[', char close = ']') {
  return std::string(levels, open) + std::string(levels, close);
}

TEST(JsonDepth, AcceptsUpToTheLimit) {
  EXPECT_TRUE(check_json_depth(nested(64)).has_value());
  EXPECT_TRUE(check_json_depth(nested(64, '{', '}')).has_value());
  EXPECT_TRUE(check_json_depth(R"({"a":[{"b":[1,2,{"c":{}}]}],"d":"x"})").has_value());
  EXPECT_TRUE(check_json_depth("").has_value());
}

TEST(JsonDepth, RefusesOneLevelMoreAndNamesTheLimit) {
  auto r = check_json_depth(nested(65));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, "JSON nesting exceeds the limit of 64 levels (at byte 64)");
}

TEST(JsonDepth, TheIssuesAttackIsRefusedWithoutRecursion) {
  // {"x":[[[…60 000 levels…]]],"y":1,"z":1} and a million levels: a linear scan either way.
  const std::string body = R"({"x":)" + nested(60000) + R"(,"y":1,"z":1})";
  EXPECT_FALSE(check_json_depth(body).has_value());
  EXPECT_FALSE(check_json_depth(std::string(1'000'000, '[')).has_value());
}

TEST(JsonDepth, MixedBracketsCountTogether) {
  std::string s;
  for (int i = 0; i < 40; ++i)
    s += R"({"a":[)";
  EXPECT_FALSE(check_json_depth(s).has_value());  // 80 levels, closers never come
}

TEST(JsonDepth, BracketsInsideStringsDoNotCount) {
  const std::string s = R"({"k":")" + std::string(1000, '[') + R"(\"[[[\\"})";
  EXPECT_TRUE(check_json_depth(s).has_value());
  // An escaped quote does not end the string: the brackets after it are still inside.
  EXPECT_TRUE(
      check_json_depth(R"(["\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["])")
          .has_value());
}

TEST(JsonDepth, ClosersDoNotGoBelowZero) {
  // Stray closers cannot buy extra depth later.
  EXPECT_FALSE(check_json_depth(std::string(100, ']') + nested(65)).has_value());
}

}  // namespace
}  // namespace mr
