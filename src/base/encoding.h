#pragma once
// Hex and base64 codecs with Go's semantics (encoding/hex, encoding/base64).
//
//   std::string h = mr::hex_encode(digest);                  // lower-case
//   MR_ASSIGN_OR_RETURN(Bytes raw, mr::base64_decode(text));  // standard alphabet, padded

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace mr {

// hex_encode returns lower-case hex.
[[nodiscard]] std::string hex_encode(ByteSpan data);
// hex_decode accepts upper or lower case; fails (kInvalidArgument) on odd length or a non-hex
// character, naming its position but not echoing the input.
[[nodiscard]] Result<Bytes> hex_decode(std::string_view text);

enum class Base64Alphabet { kStandard, kUrlSafe };
enum class Base64Padding { kPadded, kUnpadded };

// base64_encode encodes |data|; defaults are Go's base64.StdEncoding.
[[nodiscard]] std::string base64_encode(ByteSpan data,
                                        Base64Alphabet alphabet = Base64Alphabet::kStandard,
                                        Base64Padding padding = Base64Padding::kPadded);
// base64_decode decodes like Go's Encoding.DecodeString: '\r' and '\n' are skipped anywhere,
// padding must be exactly right for a padded encoding (and absent for an unpadded one), and
// non-zero unused bits in the last character are tolerated (Go's non-strict mode). Fails with
// kInvalidArgument "illegal base64 data at input byte N" (the input itself is never echoed).
[[nodiscard]] Result<Bytes> base64_decode(std::string_view text,
                                          Base64Alphabet alphabet = Base64Alphabet::kStandard,
                                          Base64Padding padding = Base64Padding::kPadded);
// base64url_encode / base64url_decode: Go's base64.URLEncoding (URL-safe alphabet, padded).
[[nodiscard]] inline std::string base64url_encode(ByteSpan data) {
  return base64_encode(data, Base64Alphabet::kUrlSafe);
}
[[nodiscard]] inline Result<Bytes> base64url_decode(std::string_view text) {
  return base64_decode(text, Base64Alphabet::kUrlSafe);
}

}  // namespace mr
