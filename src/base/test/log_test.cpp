#include "base/log.h"

#include <gtest/gtest.h>

#include <regex>
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

// Format::kZap: upstream's zap production keys, in zap's order, with the level strings zap uses
// and the time as seconds since the epoch.
TEST_F(LogTest, ZapFormatUsesUpstreamKeys) {
  configure(Format::kZap, Level::kDebug);
  const Logger log("rest");
  log.debug("d", {{"n", 1}});
  log.info("i \"q\"");
  log.warn("w");
  log.error("e", {{"who", "a\nb"}});
  ASSERT_EQ(lines.size(), 4u);
  const std::regex shape(
      R"re(^\{"level":"(debug|info|warn|error)","ts":([0-9]{10}\.[0-9]{6}),"caller":"rest","msg":.*\}$)re");
  const char* const levels[] = {"debug", "info", "warn", "error"};
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(lines[i], m, shape)) << lines[i];
    EXPECT_EQ(m[1], levels[i]);
    const double ts = std::stod(m[2]);
    const double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    EXPECT_NEAR(ts, now, 60.0) << lines[i];
    EXPECT_EQ(lines[i].find("\"component\""), std::string::npos) << lines[i];
  }
  EXPECT_NE(lines[0].find(R"("msg":"d","n":1})"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find(R"("msg":"i \"q\""})"), std::string::npos) << lines[1];
  EXPECT_NE(lines[3].find(R"("who":"a\nb"})"), std::string::npos) << lines[3];
}

TEST_F(LogTest, TextFormat) {
  configure(Format::kText, Level::kInfo);
  Logger("core").warn("hello", {{"k", "v"}});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("warn  [core] hello"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find(R"(k="v")"), std::string::npos) << lines[0];
}

// Each level lets through itself and the levels above it.
TEST_F(LogTest, MinimumLevelFiltersBelowIt) {
  const Logger log("x");
  const Level all[] = {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError};
  for (const Level min : all) {
    configure(Format::kJson, min);
    lines.clear();
    for (const Level l : all)
      log.write(l, "m", {});
    EXPECT_EQ(lines.size(), 4u - static_cast<std::size_t>(min));
    for (const Level l : all)
      EXPECT_EQ(enabled(l), l >= min);
  }
}

TEST(ParseFormat, KnownNamesOnly) {
  EXPECT_EQ(parse_format("json"), Format::kJson);
  EXPECT_EQ(parse_format("text"), Format::kText);
  EXPECT_EQ(parse_format("zap"), Format::kZap);
  EXPECT_EQ(parse_format("Zap"), std::nullopt);
  EXPECT_EQ(parse_format(""), std::nullopt);
  EXPECT_EQ(parse_format("console"), std::nullopt);
}

TEST(JsonEscape, EscapesControlCharacters) {
  EXPECT_EQ(json_escape(std::string_view("\x01", 1)), "\"\\u0001\"");
}

}  // namespace
}  // namespace mr::log
