#pragma once
// Hashes, MACs, KDFs and randomness.

#include <array>
#include <cstdint>
#include <memory>

#include "base/bytes.h"
#include "base/result.h"

namespace mr::crypto {

using Sha256Digest = std::array<std::uint8_t, 32>;
using Sha384Digest = std::array<std::uint8_t, 48>;

enum class HashAlg { kSha256, kSha384, kSha512 };

// sha256 / sha384 hash |data| in one call.
[[nodiscard]] Sha256Digest sha256(ByteSpan data);
[[nodiscard]] Sha384Digest sha384(ByteSpan data);
// digest hashes |data| with |alg| (32, 48 or 64 bytes).
[[nodiscard]] Bytes digest(HashAlg alg, ByteSpan data);

// Sha256 hashes incrementally: Sha256 h; h.update(a); h.update(b); auto d = h.finish();
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(ByteSpan data);
  // finish returns the digest; the object must not be used afterwards.
  [[nodiscard]] Sha256Digest finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// hmac_sha256 returns HMAC-SHA256(key, data).
[[nodiscard]] Sha256Digest hmac_sha256(ByteSpan key, ByteSpan data);

// hkdf_sha256 derives |length| bytes (RFC 5869, extract-and-expand). kInvalidArgument if
// |length| exceeds 255*32.
[[nodiscard]] Result<SecretBytes> hkdf_sha256(ByteSpan ikm, ByteSpan salt, ByteSpan info,
                                              std::size_t length);

// random_bytes returns |n| bytes from the OS-seeded CSPRNG (aborts if it is unavailable).
[[nodiscard]] Bytes random_bytes(std::size_t n);
// random_secret is random_bytes into a SecretBytes.
[[nodiscard]] SecretBytes random_secret(std::size_t n);

}  // namespace mr::crypto
