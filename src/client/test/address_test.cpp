#include "client/address.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mr::client {
namespace {

using ::testing::HasSubstr;

TEST(CoordinatorAddress, ParsesHostAndPort) {
  auto a = parse_coordinator_address("localhost:4433");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->host, "localhost");
  EXPECT_EQ(a->port, 4433);
  EXPECT_EQ(a->to_string(), "localhost:4433");
}

TEST(CoordinatorAddress, DefaultsToTheClientApiPort) {
  auto a = parse_coordinator_address("coordinator.example");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->port, kDefaultClientApiPort);
}

TEST(CoordinatorAddress, AcceptsHttpsUrlsAndIpv6) {
  auto a = parse_coordinator_address("https://10.0.0.1:1234/");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "10.0.0.1");
  EXPECT_EQ(a->port, 1234);
  auto b = parse_coordinator_address("[::1]:4433");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->to_string(), "[::1]:4433");
}

TEST(CoordinatorAddress, RejectsNonsense) {
  for (const char* bad : {"", ":4433", "host:", "host:0", "host:65536", "host:x", "http://host:1",
                          "host:1/path", "::1:4433", "[::1"}) {
    auto a = parse_coordinator_address(bad);
    ASSERT_FALSE(a) << bad;
    EXPECT_EQ(a.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(a.error().message, HasSubstr("invalid Coordinator address"));
  }
}

}  // namespace
}  // namespace mr::client
