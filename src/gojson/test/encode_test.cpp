#include "gojson/encode.h"

#include <gtest/gtest.h>

namespace mr::gojson {
namespace {

TEST(GoJsonEncode, EscapesHtmlAndControlCharactersLikeGo) {
  EXPECT_EQ(quote("a<b>&c"), R"("a\u003cb\u003e\u0026c")");
  EXPECT_EQ(quote("q\"b\\s/"), R"("q\"b\\s/")");
  EXPECT_EQ(quote("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(quote(std::string_view("\x00\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\x7f\"");
}

TEST(GoJsonEncode, LineSeparatorsAndInvalidUtf8) {
  EXPECT_EQ(quote("a\u2028b\u2029c"), R"("a\u2028b\u2029c")");
  EXPECT_EQ(quote("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "\"h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  EXPECT_EQ(quote("\xff"), R"("\ufffd")");
  EXPECT_EQ(quote("a\xC3"), R"("a\ufffd")");                              // truncated sequence
  EXPECT_EQ(quote("\xC0\xAF"), R"("\ufffd\ufffd")");                      // overlong
  EXPECT_EQ(quote("\xED\xA0\x80"), R"("\ufffd\ufffd\ufffd")");            // surrogate
  EXPECT_EQ(quote("\xF4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // > U+10FFFF
}

TEST(GoJsonEncode, ValuesKeepOrderAndUseGoForms) {
  Json j = Json::object();
  j["z"] = 1;
  j["a"] = nullptr;
  j["list"] = Json::array({true, false, -3, std::uint64_t{18446744073709551615ULL}});
  j["obj"] = Json::object();
  j["bin"] = Json::binary({0x00, 0xff, 0x10});
  j["<k>"] = "v";
  EXPECT_EQ(
      dump(j),
      R"({"z":1,"a":null,"list":[true,false,-3,18446744073709551615],"obj":{},"bin":"AP8Q","\u003ck\u003e":"v"})");
}

TEST(GoJsonEncode, FloatsLikeStrconv) {
  EXPECT_EQ(dump(Json(1.5)), "1.5");
  EXPECT_EQ(dump(Json(100.0)), "100");
  EXPECT_EQ(dump(Json(0.000001)), "0.000001");
  EXPECT_EQ(dump(Json(0.0000001)), "1e-7");
  EXPECT_EQ(dump(Json(1.5e-10)), "1.5e-10");
  EXPECT_EQ(dump(Json(1e21)), "1e+21");
  EXPECT_EQ(dump(Json(123456789012345680000.0)), "123456789012345680000");
  EXPECT_EQ(dump(Json(0.0)), "0");
  EXPECT_EQ(dump(Json(-0.0)), "-0");
  EXPECT_EQ(dump(Json(-2.5)), "-2.5");
  EXPECT_EQ(dump(Json(0.1)), "0.1");
  EXPECT_EQ(dump(Json(0.00012)), "0.00012");
  EXPECT_EQ(dump(Json(-1e-7)), "-1e-7");
  EXPECT_EQ(dump(Json(1e20)), "100000000000000000000");
}

// A parsed float -0 is written as Go writes it ("-0"); read back, that text is the integer
// literal 0 (the DOM keeps integer literals as integers), numerically equal, written "0" from then
// on (fuzz/regression/gojson/crash-e6873af6...).
TEST(GoJsonEncode, NegativeZeroRoundTripsToAnEqualValue) {
  auto parsed = parse("[-0e1,-0.0,-0]");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(dump(*parsed), "[-0,-0,0]");
  auto again = parse(dump(*parsed));
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->at(0).is_number_integer());
  EXPECT_EQ(*again, *parsed);
  EXPECT_EQ(dump(*again), "[0,0,0]");
}

}  // namespace
}  // namespace mr::gojson
