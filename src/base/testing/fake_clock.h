#pragma once
// FakeClock: a settable Clock for tests.

#include <atomic>

#include "base/clock.h"

namespace mr::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(UnixTime start) : now_(start.time_since_epoch().count()) {}
  [[nodiscard]] UnixTime now() const override {
    return UnixTime(std::chrono::seconds(now_.load()));
  }
  void set(UnixTime t) { now_ = t.time_since_epoch().count(); }
  void advance(std::chrono::seconds d) { now_ += d.count(); }

 private:
  std::atomic<long long> now_;
};

}  // namespace mr::testing
