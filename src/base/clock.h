#pragma once
// Time: an injectable Clock and a seconds-resolution time type wide enough for certificates.
//
//   SystemClock clock;                 // production
//   FakeClock fake(parse_rfc3339(...)) // tests (base/testing/fake_clock.h)
//   UnixTime t = clock.now();

#include <chrono>
#include <string>
#include <string_view>

#include "base/result.h"

namespace mr {

// UnixTime is seconds since the epoch in 64 bits. Certificates valid for "292 years" (Go's
// maximal time.Duration) end after 2262, beyond std::chrono::system_clock's nanosecond range.
using UnixTime = std::chrono::time_point<std::chrono::system_clock, std::chrono::seconds>;

// kGoMaxDuration is Go's math.MaxInt64 nanoseconds rounded down to seconds (≈ 292 years): the
// validity MarbleRun gives its CA and Marble certificates.
inline constexpr std::chrono::seconds kGoMaxDuration{9'223'372'036};

// Clock is the source of "now" for domain code (never call system_clock::now() there).
class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual UnixTime now() const = 0;
};

// SystemClock reads the real wall clock.
class SystemClock final : public Clock {
 public:
  [[nodiscard]] UnixTime now() const override {
    return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  }
};

// CivilTime is a UTC calendar date and time of day (proleptic Gregorian).
struct CivilTime {
  long long year = 1970;
  unsigned month = 1, day = 1, hour = 0, minute = 0, second = 0;
  friend bool operator==(const CivilTime&, const CivilTime&) = default;
};

// to_civil converts |t| to UTC calendar fields; from_civil converts back (fields are taken as
// given: day 31 of a 30-day month rolls over).
[[nodiscard]] CivilTime to_civil(UnixTime t);
[[nodiscard]] UnixTime from_civil(const CivilTime& c);

// format_rfc3339 formats |t| in UTC as "2006-01-02T15:04:05Z".
[[nodiscard]] std::string format_rfc3339(UnixTime t);
// parse_rfc3339 parses Go's time.RFC3339 layout ("2006-01-02T15:04:05Z" or with a ±hh:mm
// offset; fractional seconds are accepted and truncated). kInvalidArgument on anything else.
[[nodiscard]] Result<UnixTime> parse_rfc3339(std::string_view text);

}  // namespace mr
