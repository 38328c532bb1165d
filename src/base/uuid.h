#pragma once
// Uuid: parsing like Google's github.com/google/uuid (which Marbles' UUIDs go through) and the
// canonical lower-case 36-character form.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace mr {

class Uuid {
 public:
  Uuid() = default;  // the nil UUID
  explicit Uuid(const std::array<std::uint8_t, 16>& b) : bytes_(b) {}

  // parse accepts "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", the same with a "urn:uuid:" prefix or
  // in braces, and 32 hex digits. kInvalidArgument "invalid UUID length: N" / "invalid UUID
  // format" otherwise (Google's messages).
  [[nodiscard]] static Result<Uuid> parse(std::string_view text);
  // from_random_bytes sets the version 4 and variant bits on 16 random bytes.
  [[nodiscard]] static Uuid from_random_bytes(std::array<std::uint8_t, 16> b);

  // to_string returns the canonical lower-case 36-character form.
  [[nodiscard]] std::string to_string() const;
  [[nodiscard]] const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
  [[nodiscard]] bool is_nil() const { return bytes_ == std::array<std::uint8_t, 16>{}; }
  friend bool operator==(const Uuid&, const Uuid&) = default;

 private:
  std::array<std::uint8_t, 16> bytes_{};
};

}  // namespace mr
