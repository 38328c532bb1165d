#pragma once
// PEM armor (RFC 7468) with Go's encoding/pem behaviour. Pure code, no crypto library.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"

namespace mr::crypto {

struct PemBlock {
  std::string type;  // e.g. "CERTIFICATE"
  Bytes der;
};

// pem_encode returns "-----BEGIN <type>-----\n" + base64 in 64-column lines + "-----END...-----\n".
[[nodiscard]] std::string pem_encode(std::string_view type, ByteSpan der);
// pem_decode_first finds the first well-formed PEM block in |text| (text before it is skipped,
// as Go's pem.Decode does); |rest| (if given) receives the text after it. nullopt if none.
[[nodiscard]] std::optional<PemBlock> pem_decode_first(std::string_view text,
                                                       std::string_view* rest = nullptr);
// pem_decode_all returns every well-formed block in order.
[[nodiscard]] std::vector<PemBlock> pem_decode_all(std::string_view text);

}  // namespace mr::crypto
