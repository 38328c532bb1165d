#include "marble/apply.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "base/file_util.h"
#include "base/log.h"

namespace mr::marble {
namespace {

const log::Logger kLog("marble");

constexpr std::string_view kGramineDir = "/dev/attestation/";
constexpr std::string_view kGramineKeysPrefix = "/dev/attestation/keys/";
constexpr std::string_view kGramineProtectedFilesKey = "/dev/attestation/protected_files_key";

using file::Fd;

Status write_error(const std::string& path, int err) {
  return failf(ErrorCode::kUnavailable, "writing file {}: {}", path, std::strerror(err));
}

// write_all writes |data| with as few write(2) calls as possible.
bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool is_gramine_key_file(std::string_view path) {
  return path.starts_with(kGramineKeysPrefix) || path == kGramineProtectedFilesKey;
}

// mkdir_p creates every missing directory of |dir| with mode 0700.
Status mkdir_p(const std::filesystem::path& dir, const std::string& for_path) {
  std::filesystem::path prefix;
  for (const auto& part : dir) {
    prefix /= part;
    if (part.empty() || part == "/" || part == "." || part == "..") continue;
    if (::mkdir(prefix.c_str(), 0700) == 0) {
      if (::chmod(prefix.c_str(), 0700) != 0) return write_error(for_path, errno);  // umask
      continue;
    }
    const int err = errno;
    struct stat st {};
    if (err == EEXIST && ::stat(prefix.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
    return write_error(for_path, err == EEXIST ? ENOTDIR : err);
  }
  return ok();
}

// write_gramine_key writes a Gramine pseudo-file in place with one write(2).
Status write_gramine_key(const std::string& path, std::string_view content,
                         const std::filesystem::path& attestation_dir) {
  const std::filesystem::path target =
      attestation_dir / std::string_view(path).substr(kGramineDir.size());
  Fd fd(::open(target.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0) return write_error(path, errno);
  const ssize_t n = ::write(fd.get(), content.data(), content.size());
  if (n != static_cast<ssize_t>(content.size())) return write_error(path, n < 0 ? errno : EIO);
  return ok();
}

// write_atomically writes |content| to a 0600 temporary file next to |path| and renames it.
Status write_atomically(const std::string& path, std::string_view content) {
  const std::filesystem::path p(path);
  if (p.filename().empty()) return write_error(path, EISDIR);
  std::filesystem::path dir = p.parent_path();
  if (dir.empty()) dir = ".";
  MR_RETURN_IF_ERROR(mkdir_p(dir, path));
  std::string tmp = (dir / ("." + p.filename().string() + ".tmp-XXXXXX")).string();
  Fd fd(::mkstemp(tmp.data()));
  if (fd.get() < 0) return write_error(path, errno);
  bool renamed = false;
  struct Cleanup {
    const std::string& tmp;
    const bool& renamed;
    ~Cleanup() {
      if (!renamed) ::unlink(tmp.c_str());
    }
  } cleanup{tmp, renamed};
  if (::fchmod(fd.get(), 0600) != 0) return write_error(path, errno);
  if (!write_all(fd.get(), content)) return write_error(path, errno);
  if (::fsync(fd.get()) != 0) return write_error(path, errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return write_error(path, errno);
  renamed = true;
  Fd dirfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dirfd.get() >= 0) (void)::fsync(dirfd.get());  // best effort: durability of the rename
  return ok();
}

}  // namespace

Status write_files(const Parameters::Map& files, const FileWriteOptions& options) {
  // Gramine's key pseudo-files first: encrypted mounts need their keys before any other file.
  for (const auto& [path, content] : files) {
    if (!is_gramine_key_file(path)) continue;
    MR_RETURN_IF_ERROR(write_gramine_key(path, content, options.attestation_dir));
    kLog.debug("wrote Gramine key file", {{"path", path}});
  }
  for (const auto& [path, content] : files) {
    if (path.empty()) return fail(ErrorCode::kInvalidArgument, "writing file: empty path");
    if (is_gramine_key_file(path)) continue;
    MR_RETURN_IF_ERROR(write_atomically(path, content));
    kLog.debug("wrote file",
               {{"path", path}, {"bytes", static_cast<std::uint64_t>(content.size())}});
  }
  return ok();
}

Status apply_env(const Parameters::Map& env) {
  for (const auto& [name, value] : env) {
    if (name.empty() || name.find('=') != std::string::npos) {
      return fail(ErrorCode::kInvalidArgument, "invalid environment variable name");
    }
  }
  for (const auto& [name, value] : env) {
    if (::setenv(name.c_str(), value.c_str(), 1) != 0) {
      return failf(ErrorCode::kInternal, "setting environment variable {}: {}", name,
                   std::strerror(errno));
    }
  }
  return ok();
}

Result<std::vector<std::string>> program_argv(const std::vector<std::string>& command_line,
                                              const std::vector<std::string>& argv) {
  if (!command_line.empty()) return command_line;
  if (!argv.empty()) return argv;
  return fail(ErrorCode::kInvalidArgument,
              "no program to run: the Coordinator sent no Argv for this Marble and no command "
              "was given after --");
}

}  // namespace mr::marble
