#include "base/file_util.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace mr::file {

std::filesystem::path parent_dir(const std::filesystem::path& p) {
  auto parent = p.parent_path();
  return parent.empty() ? std::filesystem::path(".") : parent;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

Error errno_error(std::string_view what, const std::filesystem::path& path) {
  return Error{ErrorCode::kUnavailable,
               fmt::format("{} {}: {}", what, path.string(), std::strerror(errno))};
}

Status fsync_dir(const std::filesystem::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return fail(errno_error("opening directory", dir));
  if (::fsync(fd.get()) != 0) return fail(errno_error("syncing directory", dir));
  return ok();
}

Status ensure_dir(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0) return fsync_dir(parent_dir(dir));
  if (errno == ENOENT) {
    std::error_code ec;
    std::filesystem::create_directories(parent_dir(dir), ec);
    if (ec) {
      return failf(ErrorCode::kUnavailable, "creating directory {}: {}", parent_dir(dir).string(),
                   ec.message());
    }
    if (::mkdir(dir.c_str(), 0700) == 0) return fsync_dir(parent_dir(dir));
  }
  if (errno != EEXIST) return fail(errno_error("creating directory", dir));
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return failf(ErrorCode::kUnavailable, "{} exists and is not a directory", dir.string());
  }
  return ok();
}

Status ensure_file(const std::filesystem::path& file) {
  Fd fd(::open(file.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) {
    if (errno == EEXIST) return ok();
    return fail(errno_error("creating", file));
  }
  if (::fsync(fd.get()) != 0) return fail(errno_error("syncing", file));
  return fsync_dir(parent_dir(file));
}

Result<SecretBytes> read_up_to(int fd, std::size_t limit, const std::filesystem::path& path) {
  SecretBytes buf(limit + 1);
  std::size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(errno_error("reading", path));
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  SecretBytes out(buf.span().first(got));
  return out;
}

Status write_all(int fd, ByteSpan data, const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(errno_error("writing", path));
    }
    done += static_cast<std::size_t>(n);
  }
  return ok();
}

}  // namespace mr::file
