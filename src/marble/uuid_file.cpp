#include "marble/uuid_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

#include "base/file_util.h"
#include "base/strings.h"
#include "crypto/hash.h"

namespace mr::marble {
namespace {

std::string errno_text(int err) {
  return std::strerror(err);
}

using file::Fd;

// read_uuid reads and parses an existing UUID file; kNotFound if it does not exist.
Result<Uuid> read_uuid(const std::filesystem::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    if (err == ENOENT) return fail(ErrorCode::kNotFound, "no UUID file");
    return failf(ErrorCode::kUnavailable, "reading UUID file {}: {}", path.string(),
                 errno_text(err));
  }
  std::string text;
  std::array<char, 256> buf;
  while (true) {
    const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return failf(ErrorCode::kUnavailable, "reading UUID file {}: {}", path.string(),
                   errno_text(errno));
    }
    if (n == 0) break;
    text.append(buf.data(), static_cast<std::size_t>(n));
    if (text.size() > 4096) break;  // no UUID is that long; parse() reports the length
  }
  return Uuid::parse(trim_space(text)).map_error([&](Error e) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("UUID file {} does not hold a UUID: {}", path.string(), e.message)};
  });
}

// write_new writes |text| to a fresh temporary file next to |path| (mode 0600, fsynced) and
// links it to |path|. Returns false (no error) if |path| appeared in the meantime.
Result<bool> write_new(const std::filesystem::path& path, const std::string& text) {
  const auto fail_write = [&](int err) {
    return failf(ErrorCode::kUnavailable, "writing UUID file {}: {}", path.string(),
                 errno_text(err));
  };
  std::string tmpl =
      (path.parent_path() / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  if (path.parent_path().empty()) tmpl = "." + path.filename().string() + ".tmp-XXXXXX";
  Fd fd(::mkstemp(tmpl.data()));
  if (fd.get() < 0) return fail_write(errno);
  const std::string tmp = tmpl;
  struct Unlink {
    const std::string& p;
    ~Unlink() { ::unlink(p.c_str()); }
  } unlink_tmp{tmp};
  if (::fchmod(fd.get(), 0600) != 0) return fail_write(errno);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return fail_write(errno ? errno : EIO);
  }
  if (::fsync(fd.get()) != 0) return fail_write(errno);
  if (::link(tmp.c_str(), path.c_str()) == 0) return true;
  const int err = errno;
  if (err == EEXIST) return false;
  if (err == EPERM || err == EOPNOTSUPP || err == EXDEV || err == ENOSYS) {
    // File systems without hard links: rename (atomic, but a concurrent creator may lose).
    if (::rename(tmp.c_str(), path.c_str()) == 0) return true;
    return fail_write(errno);
  }
  return fail_write(err);
}

}  // namespace

Result<UuidFile> load_or_create_uuid(const std::filesystem::path& path) {
  if (path.empty()) return fail(ErrorCode::kInvalidArgument, "no UUID file path given");
  auto existing = read_uuid(path);
  if (existing) return UuidFile{*existing, false};
  if (existing.error().code != ErrorCode::kNotFound) return fail(std::move(existing).error());

  std::array<std::uint8_t, 16> raw{};
  const Bytes random = crypto::random_bytes(raw.size());
  std::copy(random.begin(), random.end(), raw.begin());
  const Uuid fresh = Uuid::from_random_bytes(raw);
  MR_ASSIGN_OR_RETURN(const bool created, write_new(path, fresh.to_string()));
  if (created) return UuidFile{fresh, true};
  MR_ASSIGN_OR_RETURN(Uuid theirs, read_uuid(path));  // another process created it first
  return UuidFile{theirs, false};
}

}  // namespace mr::marble
