#include "base/bytes.h"

#include <cstring>

namespace mr {

Bytes concat(ByteSpan a, ByteSpan b) {
  Bytes out;
  out.reserve(a.size() + b.size());
  out.insert(out.end(), a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

void secure_wipe(void* p, std::size_t n) noexcept {
  explicit_bzero(p, n);
}

bool constant_time_equal(ByteSpan a, ByteSpan b) noexcept {
  if (a.size() != b.size()) return false;
  volatile std::uint8_t acc = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    acc = acc | (a[i] ^ b[i]);
  return acc == 0;
}

}  // namespace mr
