#include "base/log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mr::log {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    configure(Format::kJson, Level::kInfo);
    set_capture_for_test([this](std::string_view l) { lines.emplace_back(l); });
  }
  void TearDown() override { set_capture_for_test(nullptr); }
  std::vector<std::string> lines;
};

TEST_F(LogTest, WritesOneJsonObjectPerLineWithFields) {
  const Logger log("core");
  log.info("state \"changed\"", {{"from", 2}, {"to", 3}, {"sim", true}, {"who", "a\nb"}});
  ASSERT_EQ(lines.size(), 1u);
  const std::string& l = lines[0];
  EXPECT_EQ(l.front(), '{');
  EXPECT_EQ(l.back(), '}');
  EXPECT_NE(
      l.find(
          R"("level":"info","component":"core","msg":"state \"changed\"","from":2,"to":3,"sim":true,"who":"a\nb")"),
      std::string::npos)
      << l;
}

TEST_F(LogTest, DebugIsFilteredByLevel) {
  const Logger log("x");
  log.debug("hidden");
  EXPECT_TRUE(lines.empty());
  configure(Format::kJson, Level::kDebug);
  log.debug("shown");
  EXPECT_EQ(lines.size(), 1u);
}

TEST(JsonEscape, EscapesControlCharacters) {
  EXPECT_EQ(json_escape(std::string_view("\x01", 1)), "\"\\u0001\"");
}

}  // namespace
}  // namespace mr::log
