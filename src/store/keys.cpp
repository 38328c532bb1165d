#include "store/keys.h"

#include <fmt/format.h>

#include "base/assert.h"

namespace mr::store::keys {
namespace {

std::string join(std::string_view prefix, std::string_view name) {
  std::string key;
  key.reserve(prefix.size() + name.size());
  key.append(prefix).append(name);
  return key;
}

}  // namespace

std::string certificate(std::string_view name) {
  return join(kCertificatePrefix, name);
}
std::string private_key(std::string_view name) {
  return join(kPrivateKeyPrefix, name);
}
std::string package(std::string_view name) {
  return join(kPackagePrefix, name);
}
std::string infrastructure(std::string_view name) {
  return join(kInfrastructurePrefix, name);
}
std::string marble(std::string_view name) {
  return join(kMarblePrefix, name);
}
std::string tls(std::string_view tag) {
  return join(kTlsPrefix, tag);
}
std::string secret(std::string_view name) {
  return join(kSecretPrefix, name);
}
std::string previous_secret(std::string_view name) {
  return join(kPreviousSecretPrefix, name);
}
std::string activations(std::string_view marble_type) {
  return join(kActivationsPrefix, marble_type);
}
std::string monotonic_counter(std::string_view id) {
  return join(kMonotonicCounterPrefix, id);
}
std::string user(std::string_view name) {
  return join(kUserPrefix, name);
}

std::string update_log(std::uint64_t sequence) {
  return fmt::format("{}{:0{}}", kUpdateLogPrefix, sequence, kUpdateLogDigits);
}

std::string integrity_bucket(std::size_t bucket) {
  return fmt::format("{}{:04x}", kIntegrityBucketPrefix, bucket);
}
bool is_integrity(std::string_view key) {
  return key.starts_with(kIntegrityPrefix);
}

bool is_meta(std::string_view key) {
  return key.starts_with(kMetaPrefix);
}

std::string_view strip_prefix(std::string_view key, std::string_view prefix) {
  MR_ASSERT(key.starts_with(prefix));
  return key.substr(prefix.size());
}

std::optional<std::string> prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto c = static_cast<unsigned char>(end.back());
    if (c != 0xff) {
      end.back() = static_cast<char>(c + 1);
      return end;
    }
    end.pop_back();
  }
  return std::nullopt;
}

}  // namespace mr::store::keys
