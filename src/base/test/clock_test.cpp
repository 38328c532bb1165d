#include "base/clock.h"

#include <gtest/gtest.h>

#include "base/testing/fake_clock.h"

namespace mr {
namespace {

TEST(Rfc3339, ParsesUtcOffsetsAndFractions) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z")->time_since_epoch().count(), 0);
  EXPECT_EQ(parse_rfc3339("2025-07-01T00:00:00Z")->time_since_epoch().count(), 1751328000);
  EXPECT_EQ(parse_rfc3339("2025-07-01T02:00:00+02:00")->time_since_epoch().count(), 1751328000);
  EXPECT_EQ(parse_rfc3339("2025-07-01T00:00:00.999999Z")->time_since_epoch().count(), 1751328000);
  EXPECT_EQ(parse_rfc3339("1969-12-31T23:59:59Z")->time_since_epoch().count(), -1);
}

TEST(Rfc3339, RejectsMalformed) {
  for (const char* s :
       {"", "2025-07-01", "2025-07-01 00:00:00Z", "2025-02-30T00:00:00Z", "2025-07-01T24:00:00Z",
        "2025-07-01T00:00:00", "2025-07-01T00:00:00Zx", "2025-07-01T00:00:00+0200"}) {
    EXPECT_FALSE(parse_rfc3339(s)) << s;
  }
}

TEST(Rfc3339, FormatsFarFutureBeyondNanosecondRange) {
  const UnixTime t{std::chrono::seconds(1751328000) + kGoMaxDuration};
  const std::string s = format_rfc3339(t);
  EXPECT_EQ(s.substr(0, 4), "2317");
  EXPECT_EQ(*parse_rfc3339(s), t);
}

TEST(CivilTime, RoundTripsAcrossCenturiesAndBeforeTheEpoch) {
  for (const char* s : {"1950-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "2000-02-29T12:34:56Z",
                        "2049-12-31T23:59:59Z", "2317-04-21T01:02:03Z", "9999-12-31T23:59:59Z"}) {
    const UnixTime t = *parse_rfc3339(s);
    EXPECT_EQ(from_civil(to_civil(t)), t) << s;
    EXPECT_EQ(format_rfc3339(t), s);
  }
  EXPECT_EQ(to_civil(*parse_rfc3339("2024-02-29T23:00:05Z")), (CivilTime{2024, 2, 29, 23, 0, 5}));
}

TEST(FakeClock, AdvancesOnlyWhenTold) {
  testing::FakeClock c(*parse_rfc3339("2026-01-01T00:00:00Z"));
  const UnixTime t0 = c.now();
  EXPECT_EQ(c.now(), t0);
  c.advance(std::chrono::hours(1));
  EXPECT_EQ(c.now() - t0, std::chrono::hours(1));
}

}  // namespace
}  // namespace mr
