#pragma once
// Waiting for a Coordinator that is not reachable yet (starting, restarting, behind a slow
// network): retry an operation while it fails with kUnavailable.
//
//   WaitOptions w{.timeout = 30s, .on_wait = [](const Error& e) { std::cerr << "waiting...\n"; }};
//   MR_ASSIGN_OR_RETURN(CoordinatorQuote q, retry_while_unavailable(w, [&] { return c.quote({});
//   }));

#include <chrono>
#include <functional>
#include <thread>

#include "base/result.h"

namespace mr::client {

struct WaitOptions {
  std::chrono::milliseconds timeout{0};  // total time to keep retrying; 0 = try once
  std::chrono::milliseconds interval{500};
  // on_wait is called once, before the first retry, with the error that caused it.
  std::function<void(const Error&)> on_wait;
  // retry_if says which errors are worth waiting out; empty = code kUnavailable only.
  std::function<bool(const Error&)> retry_if;
};

// retry_while_unavailable calls |op| until it succeeds, fails with an error |w|.retry_if refuses
// (default: any code but kUnavailable), or |w|.timeout has passed since the first call; returns
// its last result. When it gives up after retrying, the error message gets " (gave up after
// <n>s)" appended.
template <class Op>
[[nodiscard]] auto retry_while_unavailable(const WaitOptions& w, Op&& op) -> decltype(op()) {
  const auto start = std::chrono::steady_clock::now();
  bool waited = false;
  for (;;) {
    auto r = op();
    if (r) return r;
    if (w.retry_if ? !w.retry_if(r.error()) : r.error().code != ErrorCode::kUnavailable) return r;
    const auto elapsed = std::chrono::steady_clock::now() - start;
    if (elapsed + w.interval > w.timeout) {
      if (!waited) return r;
      Error e = std::move(r).error();
      const auto waited_for = std::chrono::ceil<std::chrono::seconds>(elapsed);
      e.message += " (gave up after " + std::to_string(waited_for.count()) + "s)";
      return tl::unexpected<Error>(std::move(e));
    }
    if (!waited && w.on_wait) w.on_wait(r.error());
    waited = true;
    std::this_thread::sleep_for(w.interval);
  }
}

}  // namespace mr::client
