#pragma once
// Small POSIX file helpers with durable (fsync'd) directory changes, used by the seal key
// files and the SQLite store.

#include <filesystem>

#include "base/bytes.h"
#include "base/result.h"

namespace mr::file {

// Fd closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd();
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

// errno_error returns kUnavailable "<what> <path>: <strerror(errno)>".
[[nodiscard]] Error errno_error(std::string_view what, const std::filesystem::path& path);

// ensure_dir creates |dir| with mode 0700 (parents with default modes) unless it exists.
[[nodiscard]] Status ensure_dir(const std::filesystem::path& dir);

// fsync_dir makes directory entries in |dir| durable.
[[nodiscard]] Status fsync_dir(const std::filesystem::path& dir);

// parent_dir returns the directory holding |p| ("." for a relative name without one).
[[nodiscard]] std::filesystem::path parent_dir(const std::filesystem::path& p);

// ensure_file creates an empty |file| with mode 0600 unless it exists (durably).
[[nodiscard]] Status ensure_file(const std::filesystem::path& file);

// read_up_to reads |fd| until EOF or until more than |limit| bytes were read (then it returns
// limit + 1 bytes, so callers can tell "too long"). kUnavailable on read errors.
[[nodiscard]] Result<SecretBytes> read_up_to(int fd, std::size_t limit,
                                             const std::filesystem::path& path);

// write_all writes |data| to |fd|. kUnavailable on errors.
[[nodiscard]] Status write_all(int fd, ByteSpan data, const std::filesystem::path& path);

}  // namespace mr::file
