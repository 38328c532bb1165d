#include "seal/file_seal_key_provider.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/file_util.h"
#include "base/log.h"
#include "crypto/hash.h"

namespace mr::seal {

using file::errno_error;
using file::Fd;

namespace {
const log::Logger kLog("seal");
}  // namespace

FileSealKeyProvider::FileSealKeyProvider(std::filesystem::path seal_dir)
    : dir_(std::move(seal_dir)), path_(dir_ / std::string(kFileName)) {}

Result<SecretBytes> FileSealKeyProvider::seal_key(KeyKind /*kind*/) {
  auto key = read_key();
  if (key || key.error().code != ErrorCode::kNotFound) return key;
  return create_key();
}

// read_key returns kNotFound if the file does not exist.
Result<SecretBytes> FileSealKeyProvider::read_key() {
  Fd fd(::open(path_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return failf(ErrorCode::kNotFound, "{} does not exist", path_.string());
    if (errno == ELOOP) {
      return failf(ErrorCode::kFailedPrecondition,
                   "seal key file {} is a symbolic link; it must be a regular file",
                   path_.string());
    }
    return fail(errno_error("opening seal key file", path_));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail(errno_error("inspecting seal key file", path_));
  if (!S_ISREG(st.st_mode)) {
    return failf(ErrorCode::kFailedPrecondition, "seal key file {} is not a regular file",
                 path_.string());
  }
  const unsigned mode = st.st_mode & 07777;
  if ((mode & ~0600U) != 0) {
    return failf(ErrorCode::kFailedPrecondition,
                 "seal key file {} has mode {:04o}; it must not be accessible to anyone but its "
                 "owner (run: chmod 600 {})",
                 path_.string(), mode, path_.string());
  }
  MR_ASSIGN_OR_RETURN(SecretBytes key, file::read_up_to(fd.get(), kKeySize, path_));
  if (key.size() != kKeySize) {
    return failf(ErrorCode::kFailedPrecondition,
                 "seal key file {} holds {}{} bytes, want {} (if it is damaged, remove it: the "
                 "Coordinator then creates a new one and starts in recovery mode)",
                 path_.string(), key.size() > kKeySize ? "more than " : "",
                 std::min(key.size(), kKeySize), kKeySize);
  }
  return key;
}

Result<SecretBytes> FileSealKeyProvider::create_key() {
  MR_RETURN_IF_ERROR(file::ensure_dir(dir_));
  // Write a temporary file, then link() it into place: the key file appears complete or not at
  // all, and link() never replaces a key another process created meanwhile.
  const std::filesystem::path tmp =
      dir_ / fmt::format("{}.tmp.{}", kFileName, static_cast<long>(::getpid()));
  ::unlink(tmp.c_str());
  SecretBytes key = crypto::random_secret(kKeySize);
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.get() < 0) return fail(errno_error("creating", tmp));
    Status st = file::write_all(fd.get(), key.span(), tmp);
    if (st && ::fchmod(fd.get(), 0600) != 0) st = fail(errno_error("setting mode of", tmp));
    if (st && ::fsync(fd.get()) != 0) st = fail(errno_error("syncing", tmp));
    if (!st) {
      ::unlink(tmp.c_str());
      return fail(std::move(st).error());
    }
  }
  const int linked = ::link(tmp.c_str(), path_.c_str());
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (linked != 0) {
    if (link_errno == EEXIST) return read_key();  // another process won the race
    errno = link_errno;
    return fail(errno_error("creating seal key file", path_));
  }
  MR_RETURN_IF_ERROR(file::fsync_dir(dir_));
  kLog.info("created a new seal key", {{"path", path_.string()}});
  return key;
}

}  // namespace mr::seal
