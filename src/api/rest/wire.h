#pragma once
// The client API's wire codec (spec 3.6, 3.7): the Go-compatible JSON of everything the REST
// handlers send or take about status, quotes, manifests, recovery secrets and secrets, built
// straight from the core's types. Go field names and order, []byte as standard padded base64,
// empty bytes and empty name lists as null (MarbleRun's nil slices).
//
//   data["secrets"] = wire::secrets_json(*secrets);              // GET /api/v2/secrets
//   return wire::manifest_json(*info, ApiVersion::kV1);          // GET /manifest
//   MR_ASSIGN_OR_RETURN(std::string raw, wire::decode_manifest_request(body,
//   "ManifestSetRequest"));

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/rest/route.h"
#include "base/bytes.h"
#include "base/result.h"
#include "core/client_api.h"
#include "core/secret_api.h"
#include "gojson/go_json.h"

namespace mr::api::rest::wire {

using Json = gojson::Json;

// bytes_json encodes a Go []byte: null when empty, else standard padded base64.
[[nodiscard]] Json bytes_json(ByteSpan b);

// names_json encodes a Go []string that is nil when empty: null, else an array.
[[nodiscard]] Json names_json(const std::vector<std::string>& names);

// recovery_secrets_json encodes map[string][]byte (keys sorted): {} when empty, never null.
[[nodiscard]] Json recovery_secrets_json(const std::map<std::string, Bytes>& secrets);

// secret_json encodes one secret as upstream's manifest.Secret:
// {"Type","Size","Shared","UserDefined","Cert","ValidFor","Private","Public"} (the certificate
// and keys as bytes_json).
[[nodiscard]] Json secret_json(const manifest::Secret& s);

// secrets_json encodes a secret map as {"<name>": secret_json, ...} (names sorted).
[[nodiscard]] Json secrets_json(const core::SecretMap& secrets);

// status_json is the status data: v2 {"code","message"}, v1 {"StatusCode","StatusMessage"}.
[[nodiscard]] Json status_json(const core::StatusInfo& status, ApiVersion version);

// quote_json is the quote data: v2 {"cert","quote"}, v1 {"Cert","Quote"}.
[[nodiscard]] Json quote_json(const core::CertQuote& quote, ApiVersion version);

// manifest_json is the manifest GET data: v2 {"manifestSignatureRootECDSA",
// "manifestFingerprint","manifest"}, v1 {"ManifestSignatureRootECDSA","ManifestSignature",
// "Manifest"}. A default ManifestInfo gives upstream's "no manifest yet" (null, "", null).
[[nodiscard]] Json manifest_json(const core::ManifestInfo& info, ApiVersion version);

// decode_manifest_request decodes a v2 body {"manifest": "<b64>"} (|go_type| names the Go
// request type in type errors) and returns the manifest bytes. kInvalidArgument with the body
// decoder's or Go's type error message.
[[nodiscard]] Result<std::string> decode_manifest_request(std::string_view body,
                                                          std::string_view go_type);

}  // namespace mr::api::rest::wire
