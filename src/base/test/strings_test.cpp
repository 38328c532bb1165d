#include "base/strings.h"

#include <gtest/gtest.h>

namespace mr {
namespace {

TEST(Strings, EqualFoldFollowsGo) {
  EXPECT_TRUE(equal_fold("Packages", "packages"));
  EXPECT_TRUE(equal_fold("SEALMODE", "SealMode"));
  EXPECT_FALSE(equal_fold("Package", "Packages"));
  EXPECT_TRUE(
      equal_fold("\xE2\x84\xAA"
                 "ey",
                 "key"));  // KELVIN SIGN folds to k in Go
  EXPECT_TRUE(
      equal_fold("\xC5\xBF"
                 "ecrets",
                 "Secrets"));  // long s folds to s
}

TEST(Strings, SplitLikeGo) {
  EXPECT_EQ(split("", ","), std::vector<std::string>{""});
  EXPECT_EQ(split("a,,b", ","), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(split("a,", ","), (std::vector<std::string>{"a", ""}));
  EXPECT_EQ(join({"a", "b"}, ", "), "a, b");
}

TEST(Strings, TrimAndNul) {
  EXPECT_EQ(trim_space(" \t x y\n"), "x y");
  EXPECT_TRUE(contains_nul(std::string_view("a\0b", 3)));
  EXPECT_FALSE(contains_nul("ab"));
  EXPECT_EQ(ascii_lower("ReadSecret"), "readsecret");
}

}  // namespace
}  // namespace mr

#include "base/environment.h"
#include "base/listen_address.h"

namespace mr {
namespace {

TEST(Environment, ParsesTheBlock) {
  char a[] = "A=1", b[] = "B=x=y", c[] = "NOEQ", d[] = "A=2";
  char* envp[] = {a, b, c, d, nullptr};
  const auto env = environment_map(envp);
  EXPECT_EQ(env.size(), 2u);
  EXPECT_EQ(env.at("A"), "1");
  EXPECT_EQ(env.at("B"), "x=y");
  EXPECT_TRUE(environment_map(nullptr).empty());
}

TEST(ListenAddress, GoForms) {
  EXPECT_EQ(*parse_listen_address(":4433"), (ListenAddress{"", 4433}));
  EXPECT_EQ(parse_listen_address("[::1]:5")->to_string(), "[::1]:5");
  EXPECT_EQ(parse_listen_address("host").error().message, "missing port in address");
  EXPECT_EQ(parse_listen_address("::1:80").error().message, "too many colons in address");
  EXPECT_EQ(parse_listen_address("[::1:80").error().message, "missing ']' in address");
  EXPECT_EQ(parse_listen_address("h:65536").error().message, "invalid port");
}

}  // namespace
}  // namespace mr
