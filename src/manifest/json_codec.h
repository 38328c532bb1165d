#pragma once
// JSON codecs for manifest parts shared with other modules (secret values in REST bodies and
// the store use the same Go shapes as the manifest).

#include "crypto/x509.h"
#include "gojson/go_json.h"
#include "manifest/manifest.h"

namespace mr::manifest {

// decode_cert_template decodes a Go x509.Certificate JSON object into |out|, recording the first
// problem in |d| (bad RFC 3339 time, bad IP, bad OID, ...).
void decode_cert_template(gojson::Decoder& d, const gojson::Json& v, crypto::CertTemplate& out);

// decode_secret decodes a Secret object (spec 7.1 / 3.6 shape): `Cert` is a template object or
// a base64 DER certificate, Private/Public are base64.
void decode_secret(gojson::Decoder& d, const gojson::Json& v, Secret& out);

// oid_from_ints converts Go's asn1.ObjectIdentifier ([]int) to dotted form; empty if invalid.
[[nodiscard]] std::string oid_from_ints(const std::vector<std::int64_t>& arcs);

}  // namespace mr::manifest
