#include "api/rest/wire.h"

#include "api/rest/body.h"
#include "base/encoding.h"

namespace mr::api::rest::wire {
namespace {

// key picks a field name by API flavour (v1 speaks Go field names, v2 JSON tags).
std::string_view key(ApiVersion version, std::string_view v1, std::string_view v2) {
  return version == ApiVersion::kV1 ? v1 : v2;
}

}  // namespace

Json bytes_json(ByteSpan b) {
  return b.empty() ? Json(nullptr) : Json(base64_encode(b));
}

Json names_json(const std::vector<std::string>& names) {
  return names.empty() ? Json(nullptr) : Json(names);
}

Json recovery_secrets_json(const std::map<std::string, Bytes>& secrets) {
  Json out = Json::object();
  for (const auto& [name, secret] : secrets)
    out[name] = bytes_json(secret);
  return out;
}

Json secret_json(const manifest::Secret& s) {
  Json j = Json::object();
  j["Type"] = s.type;
  j["Size"] = s.size;
  j["Shared"] = s.shared;
  j["UserDefined"] = s.user_defined;
  j["Cert"] = bytes_json(s.cert_der);
  j["ValidFor"] = s.valid_for;
  j["Private"] = bytes_json(s.private_key);
  j["Public"] = bytes_json(s.public_key);
  return j;
}

Json secrets_json(const core::SecretMap& secrets) {
  Json out = Json::object();
  for (const auto& [name, s] : secrets)
    out[name] = secret_json(s);
  return out;
}

Json status_json(const core::StatusInfo& status, ApiVersion version) {
  Json j = Json::object();
  j[key(version, "StatusCode", "code")] = status.code;
  j[key(version, "StatusMessage", "message")] = status.message;
  return j;
}

Json quote_json(const core::CertQuote& quote, ApiVersion version) {
  Json j = Json::object();
  j[key(version, "Cert", "cert")] = quote.cert_chain_pem;
  j[key(version, "Quote", "quote")] = bytes_json(quote.quote);
  return j;
}

Json manifest_json(const core::ManifestInfo& info, ApiVersion version) {
  Json j = Json::object();
  j[key(version, "ManifestSignatureRootECDSA", "manifestSignatureRootECDSA")] =
      bytes_json(info.signature);
  j[key(version, "ManifestSignature", "manifestFingerprint")] = info.fingerprint;
  j[key(version, "Manifest", "manifest")] = bytes_json(as_bytes(info.raw));
  return j;
}

Result<std::string> decode_manifest_request(std::string_view body, std::string_view go_type) {
  MR_ASSIGN_OR_RETURN(Json j, decode_json_body(body));
  Bytes raw;
  gojson::Decoder d;
  d.object(j, go_type, {{"manifest", [&](const Json& v) { d.bytes(v, raw); }}});
  if (d.failed()) return fail(d.take_error());
  return to_string(raw);
}

}  // namespace mr::api::rest::wire
