#include "base/result.h"

#include <gtest/gtest.h>

#include "base/bytes.h"

namespace mr {
namespace {

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return failf(ErrorCode::kInvalidArgument, "not a digit at {}", 0);
  return c - '0';
}

Result<int> sum_two(const char* s) {
  MR_ASSIGN_OR_RETURN(int a, parse_digit(s[0]));
  MR_ASSIGN_OR_RETURN(int b, parse_digit(s[1]).map_error(Wrap("second digit")));
  return a + b;
}

Status check_even(int v) {
  if (v % 2) return fail(ErrorCode::kFailedPrecondition, "odd");
  return ok();
}

Status chain(int v) {
  MR_RETURN_IF_ERROR(check_even(v));
  return ok();
}

TEST(Result, PropagatesAndWraps) {
  EXPECT_EQ(*sum_two("34"), 7);
  auto r = sum_two("3x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, "second digit: not a digit at 0");
  EXPECT_TRUE(chain(2));
  EXPECT_EQ(chain(3).error().code, ErrorCode::kFailedPrecondition);
}

TEST(Result, CodeNamesFollowGrpc) {
  EXPECT_EQ(error_code_name(ErrorCode::kPermissionDenied), "PERMISSION_DENIED");
  EXPECT_EQ(static_cast<int>(ErrorCode::kUnauthenticated), 16);
  EXPECT_EQ(static_cast<int>(ErrorCode::kFailedPrecondition), 9);
}

TEST(SecretBytes, MoveLeavesSourceEmptyAndCloneIsExplicit) {
  SecretBytes a(as_bytes("key"));
  SecretBytes b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): documented moved-from state
  EXPECT_EQ(b.view(), "key");
  SecretBytes c = b.clone();
  EXPECT_TRUE(c.equals(b.span()));
  EXPECT_FALSE(c.equals(as_bytes("kez")));
  static_assert(!std::is_copy_constructible_v<SecretBytes>);
}

TEST(SecretBytes, SecureWipeZeroes) {
  std::uint8_t buf[4] = {1, 2, 3, 4};
  secure_wipe(buf, sizeof buf);
  for (auto v : buf)
    EXPECT_EQ(v, 0);
}

}  // namespace
}  // namespace mr
