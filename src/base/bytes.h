#pragma once
// Byte buffers. Bytes is for public data; SecretBytes for key material and secrets:
//
//   mr::SecretBytes key = crypto::random_secret(32);
//   aead_seal(key.span(), ...);      // borrow as a span
//   // no operator<<, no formatter: a SecretBytes cannot end up in a log line by accident.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mr {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;

// to_bytes copies the characters of |s| into a byte vector.
[[nodiscard]] inline Bytes to_bytes(std::string_view s) {
  return Bytes(s.begin(), s.end());
}
// as_bytes views the characters of |s| as bytes (no copy).
[[nodiscard]] inline ByteSpan as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
// to_string copies bytes into a std::string (which may hold NULs).
[[nodiscard]] inline std::string to_string(ByteSpan b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}
// concat returns a ‖ b.
[[nodiscard]] Bytes concat(ByteSpan a, ByteSpan b);

// secure_wipe overwrites |n| bytes at |p| with zeros in a way the compiler cannot elide.
void secure_wipe(void* p, std::size_t n) noexcept;

// constant_time_equal compares two buffers without data-dependent early exit (false on size
// mismatch).
[[nodiscard]] bool constant_time_equal(ByteSpan a, ByteSpan b) noexcept;

// SecretBytes owns secret material: move-only, wiped on destruction and overwrite, never printed.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t n) : data_(n) {}
  explicit SecretBytes(ByteSpan b) : data_(b.begin(), b.end()) {}
  // Takes ownership of |b|'s buffer (no copy is left behind).
  explicit SecretBytes(Bytes&& b) noexcept : data_(std::move(b)) {}
  ~SecretBytes() { wipe(); }

  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& o) noexcept : data_(std::move(o.data_)) { o.data_.clear(); }
  SecretBytes& operator=(SecretBytes&& o) noexcept {
    if (this != &o) {
      wipe();
      data_ = std::move(o.data_);
      o.data_.clear();
    }
    return *this;
  }

  // clone makes an explicit copy (copies are never implicit).
  [[nodiscard]] SecretBytes clone() const { return SecretBytes(span()); }
  [[nodiscard]] ByteSpan span() const { return {data_.data(), data_.size()}; }
  [[nodiscard]] std::span<std::uint8_t> mutable_span() { return {data_.data(), data_.size()}; }
  [[nodiscard]] const std::uint8_t* data() const { return data_.data(); }
  [[nodiscard]] std::uint8_t* data() { return data_.data(); }
  [[nodiscard]] std::size_t size() const { return data_.size(); }
  [[nodiscard]] bool empty() const { return data_.empty(); }
  // view returns the bytes as characters (for PEM text and the like); do not log it.
  [[nodiscard]] std::string_view view() const {
    return {reinterpret_cast<const char*>(data_.data()), data_.size()};
  }
  // equals compares in constant time.
  [[nodiscard]] bool equals(ByteSpan other) const { return constant_time_equal(span(), other); }

 private:
  void wipe() noexcept {
    if (!data_.empty()) secure_wipe(data_.data(), data_.size());
  }
  Bytes data_;
};

}  // namespace mr
