#pragma once
// Shamir secret sharing over GF(2^8) with the AES polynomial 0x11B, byte-wise, in HashiCorp
// Vault's layout: each share is the polynomial values followed by one x-coordinate byte.

#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace mr::core::shamir {

// split divides |secret| into |parts| shares, any |threshold| of which recover it.
// kInvalidArgument unless 2 <= threshold <= parts <= 255 and the secret is non-empty.
[[nodiscard]] Result<std::vector<SecretBytes>> split(ByteSpan secret, std::size_t parts,
                                                     std::size_t threshold);

// combine recovers the secret from at least |threshold| distinct shares (Lagrange interpolation
// at 0). With fewer (or wrong) shares it returns some other value: callers must test the result.
// kInvalidArgument if fewer than two shares, unequal lengths or duplicate x-coordinates.
[[nodiscard]] Result<SecretBytes> combine(const std::vector<SecretBytes>& shares);

}  // namespace mr::core::shamir
