#include "core/shamir.h"

#include <algorithm>
#include <array>
#include <numeric>

#include "crypto/hash.h"

namespace mr::core::shamir {
namespace {

// Arithmetic in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1. Multiplication is a constant-time
// shift-and-add so that share values do not leak through table lookups.
std::uint8_t mul(std::uint8_t a, std::uint8_t b) {
  std::uint8_t r = 0;
  for (int i = 0; i < 8; ++i) {
    r ^= static_cast<std::uint8_t>(-(b & 1) & a);
    const std::uint8_t carry = static_cast<std::uint8_t>(-(a >> 7));
    a = static_cast<std::uint8_t>((a << 1) ^ (carry & 0x1b));
    b >>= 1;
  }
  return r;
}

// a^254 = a^-1 for a != 0 (Fermat); returns 0 for 0.
std::uint8_t inv(std::uint8_t a) {
  std::uint8_t result = 1, base = a;
  for (int e = 254; e > 0; e >>= 1) {
    if (e & 1) result = mul(result, base);
    base = mul(base, base);
  }
  return result;
}

std::uint8_t div(std::uint8_t a, std::uint8_t b) {
  return mul(a, inv(b));
}

std::uint8_t evaluate(const std::vector<std::uint8_t>& coeffs, std::uint8_t x) {
  std::uint8_t y = 0;
  for (auto it = coeffs.rbegin(); it != coeffs.rend(); ++it)
    y = static_cast<std::uint8_t>(mul(y, x) ^ *it);
  return y;
}

}  // namespace

Result<std::vector<SecretBytes>> split(ByteSpan secret, std::size_t parts, std::size_t threshold) {
  if (secret.empty()) return fail(ErrorCode::kInvalidArgument, "cannot split an empty secret");
  if (threshold < 2 || parts < threshold || parts > 255) {
    return fail(ErrorCode::kInvalidArgument,
                "invalid shamir parameters: need 2 <= threshold <= parts <= 255");
  }
  // Distinct non-zero x-coordinates from a random permutation of 1..255.
  std::array<std::uint8_t, 255> xs;
  std::iota(xs.begin(), xs.end(), std::uint8_t{1});
  const Bytes rnd = crypto::random_bytes(xs.size() * 2);
  for (std::size_t i = xs.size() - 1; i > 0; --i) {
    const std::size_t j = (rnd[2 * i] << 8 | rnd[2 * i + 1]) % (i + 1);
    std::swap(xs[i], xs[j]);
  }
  std::vector<SecretBytes> shares;
  for (std::size_t p = 0; p < parts; ++p) {
    SecretBytes s(secret.size() + 1);
    s.data()[secret.size()] = xs[p];
    shares.push_back(std::move(s));
  }
  std::vector<std::uint8_t> coeffs(threshold);
  for (std::size_t i = 0; i < secret.size(); ++i) {
    const SecretBytes random = crypto::random_secret(threshold - 1);
    coeffs[0] = secret[i];
    std::copy(random.span().begin(), random.span().end(), coeffs.begin() + 1);
    for (std::size_t p = 0; p < parts; ++p)
      shares[p].data()[i] = evaluate(coeffs, xs[p]);
  }
  secure_wipe(coeffs.data(), coeffs.size());
  return shares;
}

Result<SecretBytes> combine(const std::vector<SecretBytes>& shares) {
  if (shares.size() < 2)
    return fail(ErrorCode::kInvalidArgument, "at least two shares are required");
  const std::size_t len = shares.front().size();
  if (len < 2) return fail(ErrorCode::kInvalidArgument, "shares are too short");
  std::vector<std::uint8_t> xs;
  for (const auto& s : shares) {
    if (s.size() != len)
      return fail(ErrorCode::kInvalidArgument, "all shares must be the same length");
    const std::uint8_t x = s.data()[len - 1];
    if (std::find(xs.begin(), xs.end(), x) != xs.end()) {
      return fail(ErrorCode::kInvalidArgument, "duplicate share detected");
    }
    xs.push_back(x);
  }
  SecretBytes out(len - 1);
  for (std::size_t i = 0; i < len - 1; ++i) {
    std::uint8_t acc = 0;
    for (std::size_t j = 0; j < shares.size(); ++j) {
      std::uint8_t basis = 1;  // Lagrange basis polynomial l_j(0)
      for (std::size_t k = 0; k < shares.size(); ++k) {
        if (k != j) basis = mul(basis, div(xs[k], static_cast<std::uint8_t>(xs[k] ^ xs[j])));
      }
      acc ^= mul(shares[j].data()[i], basis);
    }
    out.data()[i] = acc;
  }
  return out;
}

}  // namespace mr::core::shamir
