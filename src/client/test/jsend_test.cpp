#include "client/jsend.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mr::client {
namespace {

using ::testing::HasSubstr;

TEST(Jsend, SuccessReturnsData) {
  auto d = jsend_data({200, "{\"status\":\"success\",\"data\":{\"code\":3}}\n"});
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ((*d)["code"], 3);
}

TEST(Jsend, NullDataIsNull) {
  auto d = jsend_data({200, R"({"status":"success","data":null})"});
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->is_null());
}

TEST(Jsend, ErrorCarriesTheCoordinatorsMessage) {
  auto d = jsend_data(
      {500, R"({"status":"error","data":null,"message":"server is not in expected state"})"});
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ErrorCode::kUnknown);
  EXPECT_EQ(d.error().message, "server is not in expected state");
}

TEST(Jsend, FailCarriesItsMessageAndCode) {
  auto d = jsend_data(
      {400, R"({"status":"fail","data":null,"message":"invalid query: bad nonce format"})"});
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(d.error().message, "invalid query: bad nonce format");
}

TEST(Jsend, UnauthorizedIsAuthorizingUser) {
  auto d = jsend_data(
      {401,
       R"({"status":"fail","data":null,"message":"unauthorized user: client certificate did not match any MarbleRun users"})"});
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(d.error().message,
            "authorizing user: unauthorized user: client certificate did not match any MarbleRun "
            "users");
}

TEST(Jsend, StatusCodesMapToErrorCodes) {
  EXPECT_EQ(
      jsend_data({404, R"({"status":"error","message":"no update in progress"})"}).error().code,
      ErrorCode::kNotFound);
  EXPECT_EQ(jsend_data({405, R"({"status":"error","data":null})"}).error().code,
            ErrorCode::kUnimplemented);
  EXPECT_EQ(jsend_data({410, R"({"status":"error","message":"gone"})"}).error().code,
            ErrorCode::kFailedPrecondition);
}

TEST(Jsend, EmptyMessageNamesTheStatus) {
  auto d = jsend_data({503, R"({"status":"error","data":null})"});
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message, "the Coordinator answered HTTP 503");
}

TEST(Jsend, KeysMatchCaseInsensitivelyLikeGo) {
  auto d = jsend_data({200, R"({"Status":"success","Data":{"x":1}})"});
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ((*d)["x"], 1);
}

TEST(Jsend, NonJsendBodiesAreUnexpected) {
  for (const char* body : {"<html>nope</html>", "[1,2]", R"({"data":1})", ""}) {
    auto d = jsend_data({502, body});
    ASSERT_FALSE(d) << body;
    EXPECT_EQ(d.error().code, ErrorCode::kInternal);
    EXPECT_THAT(d.error().message, HasSubstr("unexpected answer from the Coordinator (HTTP 502)"));
  }
}

TEST(Jsend, SuccessStatusWithAnotherJsendStatusIsAnError) {
  auto d = jsend_data({200, R"({"status":"error","message":"odd"})"});
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message, "odd");
}

}  // namespace
}  // namespace mr::client
