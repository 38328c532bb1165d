#include "gojson/go_json.h"

#include <gtest/gtest.h>

namespace mr::gojson {
namespace {

struct Pkg {
  bool debug = false;
  std::string id;
  std::optional<std::uint64_t> svn;
  std::uint64_t max = 0;
  std::vector<std::string> list;
  Bytes raw;
};

Result<Pkg> decode(std::string_view text) {
  MR_ASSIGN_OR_RETURN(Json j, parse(text));
  Pkg p;
  Decoder d;
  d.object(
      j, "Pkg",
      {{"Debug", [&](const Json& v) { d.boolean(v, p.debug); }},
       {"UniqueID", [&](const Json& v) { d.string(v, p.id); }},
       {"SecurityVersion", [&](const Json& v) { d.optional_uint(v, "uint", UINT64_MAX, p.svn); }},
       {"MaxActivations", [&](const Json& v) { d.uint64(v, p.max); }},
       {"List", [&](const Json& v) { d.string_list(v, p.list); }},
       {"Raw", [&](const Json& v) { d.bytes(v, p.raw); }}});
  if (d.failed()) return fail(d.take_error());
  return p;
}

TEST(GoJson, KeysMatchCaseInsensitivelyAndUnknownKeysAreIgnored) {
  auto p = decode(R"({"debug":true,"UNIQUEID":"ab","securityVersion":3,"whatever":[1,2]})");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_TRUE(p->debug);
  EXPECT_EQ(p->id, "ab");
  EXPECT_EQ(p->svn, 3u);
}

TEST(GoJson, LastDuplicateWins) {
  auto p = decode(R"({"UniqueID":"first","uniqueid":"second"})");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->id, "second");
}

TEST(GoJson, NullKeepsValuesButResetsPointersAndSlices) {
  auto p = decode(R"({"Debug":null,"SecurityVersion":null,"List":null,"MaxActivations":null})");
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->debug);
  EXPECT_FALSE(p->svn.has_value());
  auto zero = decode(R"({"SecurityVersion":0})");
  ASSERT_TRUE(zero);
  ASSERT_TRUE(zero->svn.has_value());  // 0 is not "absent"
  EXPECT_EQ(*zero->svn, 0u);
}

TEST(GoJson, IntegersRejectSignsFractionsAndExponents) {
  for (const char* bad :
       {R"({"MaxActivations":-1})", R"({"MaxActivations":1.5})", R"({"MaxActivations":1e2})",
        R"({"MaxActivations":1.0})", R"({"MaxActivations":"1"})",
        R"({"MaxActivations":18446744073709551616})"}) {
    auto p = decode(bad);
    ASSERT_FALSE(p) << bad;
    EXPECT_NE(p.error().message.find("into Go struct field Pkg.MaxActivations of type uint"),
              std::string::npos)
        << p.error().message;
  }
  EXPECT_EQ(
      decode(R"({"MaxActivations":-1})").error().message,
      "json: cannot unmarshal number -1 into Go struct field Pkg.MaxActivations of type uint");
}

TEST(GoJson, TypeMismatchNamesFieldAndType) {
  auto p = decode(R"({"Debug":"yes"})");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message,
            "json: cannot unmarshal string into Go struct field Pkg.Debug of type bool");
  EXPECT_EQ(decode("[1]").error().message,
            "json: cannot unmarshal array into Go value of type Pkg");
}

TEST(GoJson, BytesAcceptBase64OrNumberArrays) {
  auto a = decode(R"({"Raw":"AQID"})");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->raw, (Bytes{1, 2, 3}));
  auto b = decode(R"({"Raw":[1,2,255]})");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->raw, (Bytes{1, 2, 255}));
  EXPECT_FALSE(decode(R"({"Raw":[256]})"));
  EXPECT_EQ(decode(R"({"Raw":"A"})").error().message, "illegal base64 data at input byte 0");
}

TEST(GoJson, SyntaxErrorsDoNotEchoInput) {
  auto r = parse(R"({"secret":"hunter2" oops})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos);
  EXPECT_EQ(r.error().message.find("oops"), std::string::npos);
  EXPECT_NE(r.error().message.find("invalid JSON at byte"), std::string::npos);
  EXPECT_EQ(parse("").error().message, "unexpected end of JSON input");
  EXPECT_FALSE(parse("{} x"));
  EXPECT_FALSE(parse("{/*c*/}"));
}

TEST(GoJson, DeepNestingIsRefusedBeforeAnyDomIsBuilt) {
  // The issue's request body: 60 000 levels crashed the DOM copy; now a clean error.
  const std::string body =
      R"({"x":)" + std::string(60000, '[') + std::string(60000, ']') + R"(,"y":1,"z":1})";
  auto r = parse(body);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, "JSON nesting exceeds the limit of 64 levels (at byte 68)");
  EXPECT_TRUE(parse(std::string(64, '[') + std::string(64, ']')).has_value());
}

TEST(GoJson, FindFieldUsesGoMatching) {
  auto j = *parse(R"({"Manifest":"a","manifest":"b"})");
  ASSERT_NE(find_field(j, "manifest"), nullptr);
  EXPECT_EQ(*find_field(j, "manifest"), "b");
  EXPECT_EQ(find_field(j, "other"), nullptr);
}

}  // namespace
}  // namespace mr::gojson
