#include "app/coordinator/fd_limit.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace mr::app {

Result<OpenFilesLimit> raise_open_files_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return failf(ErrorCode::kInternal, "getrlimit(RLIMIT_NOFILE): {}", std::strerror(errno));
  }
  OpenFilesLimit out{lim.rlim_cur, lim.rlim_cur, lim.rlim_max};
  if (lim.rlim_cur == lim.rlim_max) return out;
  lim.rlim_cur = lim.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return failf(ErrorCode::kInternal, "setrlimit(RLIMIT_NOFILE, {}): {}", lim.rlim_max,
                 std::strerror(errno));
  }
  out.soft = lim.rlim_max;
  return out;
}

}  // namespace mr::app
