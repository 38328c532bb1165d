#pragma once
// JSON encodings of the records the Coordinator stores (and of secrets as the REST API shows
// them, spec 3.6): Go field names, []byte as standard base64, empty bytes as null.

#include <string>

#include "base/result.h"
#include "manifest/manifest.h"

namespace mr::core {

// encode_secret renders
// {"Type","Size","Shared","UserDefined","Cert","ValidFor","Private","Public"}.
[[nodiscard]] std::string encode_secret(const manifest::Secret& s);
// decode_secret parses encode_secret's output (and upstream's). kDataLoss when malformed.
[[nodiscard]] Result<manifest::Secret> decode_secret(std::string_view json);

// encode_package / decode_package: {"Debug","UniqueID","SignerID","ProductID","SecurityVersion",
// "AcceptedTCBStatuses","AcceptedAdvisories"} with null for absent optional values.
[[nodiscard]] std::string encode_package(const manifest::PackageProperties& p);
[[nodiscard]] Result<manifest::PackageProperties> decode_package(std::string_view json);

}  // namespace mr::core
