#pragma once
// raise_open_files_limit: the Coordinator's start-up raises its soft RLIMIT_NOFILE to the hard
// limit, as the Go runtime does for every Go program (upstream MarbleRun gets this for free).
// 1,000 idle Marble API connections plus the client API's cap of 4,096 connections need more
// than the usual soft limit of 1,024 descriptors.
//
//   auto limit = raise_open_files_limit();
//   if (limit) kLog.debug("open files limit", {{"soft", limit->soft}, {"hard", limit->hard}});
//
// Linux only (getrlimit/setrlimit). Child processes inherit the raised limit; the Coordinator
// starts none.

#include <cstdint>

#include "base/result.h"

namespace mr::app {

struct OpenFilesLimit {
  std::uint64_t soft_before = 0;  // the soft limit the process started with
  std::uint64_t soft = 0;         // the soft limit now
  std::uint64_t hard = 0;         // the hard limit (unchanged)
};

// raise_open_files_limit sets the soft RLIMIT_NOFILE to the hard limit (no change when they are
// equal) and returns both. kInternal if the limit cannot be read or set (the process keeps its
// limit; the caller logs a warning and carries on).
[[nodiscard]] Result<OpenFilesLimit> raise_open_files_limit();

}  // namespace mr::app
