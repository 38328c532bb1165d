#pragma once
// The CLI's Coordinator certificate cache (upstream's --coordinator-cert file): the PEM
// intermediate followed by the PEM root of the Coordinator last trusted. Pinning the root here
// is what makes later commands refuse a Coordinator whose root changed.
//
//   CertificateCache cache(path);
//   MR_ASSIGN_OR_RETURN(std::optional<CoordinatorCertificates> cached, cache.load());
//   if (!cached) MR_RETURN_IF_ERROR(cache.store(verified.certs));   // trust on first use

#include <filesystem>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "client/verify.h"

namespace mr::client {

// default_cert_cache_path returns <config dir>/marblerun/coordinator-cert.pem, where the config
// dir is Go's os.UserConfigDir: |xdg_config_home| when set and non-empty (it must be absolute),
// else |home|/.config. kFailedPrecondition if neither is usable.
[[nodiscard]] Result<std::filesystem::path> default_cert_cache_path(
    const std::optional<std::string>& xdg_config_home, const std::optional<std::string>& home);

// certificate_fingerprint returns the lower-case hex SHA-256 of |der|.
[[nodiscard]] std::string certificate_fingerprint(ByteSpan der);

class CertificateCache {
 public:
  explicit CertificateCache(std::filesystem::path path) : path_(std::move(path)) {}

  // path returns the cache file's path.
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

  // load returns the cached certificates, or nullopt if the file does not exist. A file with one
  // certificate is taken as the root alone (empty intermediate); with more, the first is the
  // intermediate and the last the root. kDataLoss "the certificate cache <path> ..." if the file
  // cannot be read or holds no parsable certificate.
  [[nodiscard]] Result<std::optional<CoordinatorCertificates>> load() const;

  // store writes PEM(intermediate) ‖ PEM(root) to the file through a temporary file and a
  // rename, creating its directory (mode 0700) if needed. kInternal "writing the certificate
  // cache <path>: ..." on I/O errors.
  [[nodiscard]] Status store(const CoordinatorCertificates& certs) const;

 private:
  std::filesystem::path path_;
};

// CacheOrigin says whose file the cache is: the CLI's own default file, or one the user named
// with --coordinator-cert (which the CLI must never advise deleting).
enum class CacheOrigin { kDefault, kUserFile };

// root_changed_error is the refusal when a Coordinator presents another root than the cached
// one: kPermissionDenied naming both fingerprints and |cache|, the file that pins the root. For
// the default cache it tells the user to remove |cache| if the change is expected; for a
// --coordinator-cert file, to point --coordinator-cert at the new root instead.
[[nodiscard]] Error root_changed_error(const std::filesystem::path& cache, ByteSpan cached_root,
                                       ByteSpan presented_root,
                                       CacheOrigin origin = CacheOrigin::kDefault);

}  // namespace mr::client
