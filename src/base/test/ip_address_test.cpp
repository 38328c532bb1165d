#include "base/ip_address.h"

#include <gtest/gtest.h>

namespace mr {
namespace {

TEST(IpAddress, ParsesV4AndV6) {
  auto v4 = IpAddress::parse("127.0.0.1");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->is_v4());
  EXPECT_EQ(v4->bytes().size(), 4u);
  EXPECT_EQ(v4->to_string(), "127.0.0.1");
  EXPECT_TRUE(v4->is_loopback());
  auto v6 = IpAddress::parse("::1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->bytes().size(), 16u);
  EXPECT_EQ(v6->to_string(), "::1");
  EXPECT_TRUE(v6->is_loopback());
  EXPECT_EQ(IpAddress::parse("2001:DB8::1")->to_string(), "2001:db8::1");
  EXPECT_FALSE(IpAddress::parse("10.0.0.1")->is_loopback());
}

TEST(IpAddress, NamesAreNotAddresses) {
  for (const char* s : {"localhost", "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "[::1]", " 1.2.3.4"}) {
    EXPECT_FALSE(IpAddress::parse(s)) << s;
  }
}

TEST(IpAddress, FromBytesPrintsMappedV4AsV4) {
  const Bytes mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3};
  auto ip = IpAddress::from_bytes(mapped);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->to_string(), "10.1.2.3");
  EXPECT_FALSE(IpAddress::from_bytes(Bytes{1, 2, 3}));
}

}  // namespace
}  // namespace mr
