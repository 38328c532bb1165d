#include "base/uuid.h"

#include <gtest/gtest.h>

namespace mr {
namespace {

TEST(Uuid, AcceptsGoogleForms) {
  const std::string canonical = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
  for (const char* s :
       {"6ba7b810-9dad-11d1-80b4-00c04fd430c8", "6BA7B810-9DAD-11D1-80B4-00C04FD430C8",
        "urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        "URN:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8", "{6ba7b810-9dad-11d1-80b4-00c04fd430c8}",
        "6ba7b8109dad11d180b400c04fd430c8"}) {
    auto u = Uuid::parse(s);
    ASSERT_TRUE(u) << s << ": " << u.error().message;
    EXPECT_EQ(u->to_string(), canonical) << s;
  }
}

TEST(Uuid, RejectsOtherForms) {
  EXPECT_EQ(Uuid::parse("").error().message, "invalid UUID length: 0");
  EXPECT_EQ(Uuid::parse("not-a-uuid").error().message, "invalid UUID length: 10");
  EXPECT_EQ(Uuid::parse("6ba7b810x9dad-11d1-80b4-00c04fd430c8").error().message,
            "invalid UUID format");
  EXPECT_FALSE(Uuid::parse("6ba7b810-9dad-11d1-80b4-00c04fd430cg"));
  EXPECT_FALSE(Uuid::parse("[6ba7b810-9dad-11d1-80b4-00c04fd430c8]"));
  EXPECT_FALSE(Uuid::parse("urx:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8"));
}

TEST(Uuid, RandomV4Bits) {
  std::array<std::uint8_t, 16> raw;
  raw.fill(0xff);
  const Uuid u = Uuid::from_random_bytes(raw);
  EXPECT_EQ(u.to_string(), "ffffffff-ffff-4fff-bfff-ffffffffffff");
  EXPECT_TRUE(Uuid().is_nil());
  EXPECT_FALSE(u.is_nil());
}

}  // namespace
}  // namespace mr
