#include "client/cert_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "base/encoding.h"
#include "crypto/hash.h"
#include "crypto/pem.h"
#include "crypto/x509.h"

namespace mr::client {

Result<std::filesystem::path> default_cert_cache_path(
    const std::optional<std::string>& xdg_config_home, const std::optional<std::string>& home) {
  std::filesystem::path dir;
  if (xdg_config_home && !xdg_config_home->empty()) {
    dir = *xdg_config_home;
    if (!dir.is_absolute()) {
      return fail(ErrorCode::kFailedPrecondition,
                  "the path in $XDG_CONFIG_HOME is relative; set an absolute path or pass "
                  "--coordinator-cert");
    }
  } else if (home && !home->empty()) {
    dir = std::filesystem::path(*home) / ".config";
  } else {
    return fail(ErrorCode::kFailedPrecondition,
                "neither $XDG_CONFIG_HOME nor $HOME is set; pass --coordinator-cert");
  }
  return dir / "marblerun" / "coordinator-cert.pem";
}

std::string certificate_fingerprint(ByteSpan der) {
  return hex_encode(crypto::sha256(der));
}

Result<std::optional<CoordinatorCertificates>> CertificateCache::load() const {
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec)) return std::optional<CoordinatorCertificates>();
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    return failf(ErrorCode::kDataLoss, "the certificate cache {} cannot be read", path_.string());
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<Bytes> ders;
  for (crypto::PemBlock& block : crypto::pem_decode_all(text)) {
    if (block.type != "CERTIFICATE") continue;
    if (!crypto::Certificate::from_der(block.der)) {
      return failf(ErrorCode::kDataLoss,
                   "the certificate cache {} holds a malformed certificate; remove it to trust the "
                   "Coordinator anew",
                   path_.string());
    }
    ders.push_back(std::move(block.der));
  }
  if (ders.empty()) {
    return failf(ErrorCode::kDataLoss,
                 "the certificate cache {} holds no certificate; remove it to trust the "
                 "Coordinator anew",
                 path_.string());
  }
  CoordinatorCertificates certs;
  certs.root_der = std::move(ders.back());
  if (ders.size() > 1) certs.intermediate_der = std::move(ders.front());
  return std::optional<CoordinatorCertificates>(std::move(certs));
}

Status CertificateCache::store(const CoordinatorCertificates& certs) const {
  auto io_error = [&](std::string_view what) {
    return failf(ErrorCode::kInternal, "writing the certificate cache {}: {}: {}", path_.string(),
                 what, std::strerror(errno));
  };
  std::error_code ec;
  const std::filesystem::path dir = path_.has_parent_path() ? path_.parent_path() : ".";
  if (!std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return failf(ErrorCode::kInternal, "writing the certificate cache {}: creating {}: {}",
                   path_.string(), dir.string(), ec.message());
    }
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  std::string text;
  if (!certs.intermediate_der.empty())
    text += crypto::pem_encode("CERTIFICATE", certs.intermediate_der);
  text += crypto::pem_encode("CERTIFICATE", certs.root_der);

  std::string tmp = (dir / ("." + path_.filename().string() + ".XXXXXX")).string();
  const int fd = mkstemp(tmp.data());
  if (fd < 0) return io_error("creating a temporary file");
  bool written = fchmod(fd, 0644) == 0;
  std::size_t off = 0;
  while (written && off < text.size()) {
    const ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      written = false;
      break;
    }
    off += static_cast<std::size_t>(n);
  }
  written = written && fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!written) {
    errno = saved;
    auto e = io_error("writing");
    ::unlink(tmp.c_str());
    return e;
  }
  if (std::rename(tmp.c_str(), path_.c_str()) != 0) {
    auto e = io_error("renaming the temporary file");
    ::unlink(tmp.c_str());
    return e;
  }
  return ok();
}

Error root_changed_error(const std::filesystem::path& cache, ByteSpan cached_root,
                         ByteSpan presented_root, CacheOrigin origin) {
  const std::string advice =
      origin == CacheOrigin::kDefault
          ? fmt::format(
                "remove {} if this is expected (for example, the Coordinator was set "
                "up anew) and run the command again: it is the CLI's certificate cache "
                "and holds nothing else",
                cache.string())
          : fmt::format(
                "{} is the file given with --coordinator-cert; if the change is expected "
                "(for example, the Coordinator was set up anew), give --coordinator-cert "
                "a new file name (the new root is then verified and pinned there)",
                cache.string());
  return Error{ErrorCode::kPermissionDenied,
               fmt::format("the Coordinator's root certificate changed: it presents SHA-256 {}, "
                           "but {} pins SHA-256 {}; {}",
                           certificate_fingerprint(presented_root), cache.string(),
                           certificate_fingerprint(cached_root), advice)};
}

}  // namespace mr::client
