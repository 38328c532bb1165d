// The handlers of status, quote, manifest and recovery (spec 3.6, 3.7).

#include <fmt/format.h>

#include "api/rest/body.h"
#include "api/rest/handlers.h"
#include "api/rest/wire.h"
#include "base/encoding.h"
#include "gojson/go_json.h"

namespace mr::api::rest::handlers {

using core::ClientApi;

namespace {

// encoded is the data of a successful |r| in |version|'s JSON, or |r|'s domain error.
template <class T>
HandlerResult encoded(Result<T> r, Json (*encode)(const T&, ApiVersion), ApiVersion version) {
  if (!r) return domain_error(std::move(r).error());
  return encode(*r, version);
}

}  // namespace

HandlerResult version_v2(const std::string& version, const std::string& commit) {
  Json data = Json::object();
  data["version"] = version;
  data["commit"] = commit;
  return data;
}

HandlerResult status_v2(ClientApi& api, const RequestContext&) {
  return encoded(api.status(), wire::status_json, ApiVersion::kV2);
}

HandlerResult status_v1(ClientApi& api, const RequestContext&) {
  return encoded(api.status(), wire::status_json, ApiVersion::kV1);
}

HandlerResult quote_v2(ClientApi& api, const RequestContext& ctx) {
  std::optional<Bytes> nonce;
  if (const auto text = ctx.query_value("nonce"); text && !text->empty()) {
    auto decoded = base64url_decode(*text);
    if (!decoded) return input_error("invalid query: bad nonce format: " + decoded.error().message);
    nonce = std::move(*decoded);
  }
  return encoded(api.cert_quote(nonce), wire::quote_json, ApiVersion::kV2);
}

HandlerResult quote_v1(ClientApi& api, const RequestContext&) {
  return encoded(api.cert_quote(std::nullopt), wire::quote_json, ApiVersion::kV1);
}

HandlerResult manifest_get_v2(ClientApi& api, const RequestContext&) {
  return encoded(api.manifest(), wire::manifest_json, ApiVersion::kV2);
}

HandlerResult manifest_get_v1(ClientApi& api, const RequestContext&) {
  auto m = api.manifest();
  if (!m && m.error().code == ErrorCode::kNotFound) {
    // Upstream answers 200 with empty fields when no manifest is set.
    m = core::ManifestInfo{};
  }
  return encoded(std::move(m), wire::manifest_json, ApiVersion::kV1);
}

HandlerResult manifest_post_v2(ClientApi& api, const RequestContext& ctx) {
  auto raw = wire::decode_manifest_request(ctx.body, "ManifestSetRequest");
  if (!raw) return input_error(std::move(raw).error().message);
  auto secrets = api.set_manifest(std::move(*raw));
  if (!secrets) return domain_error(std::move(secrets).error());
  Json data = Json::object();
  data["RecoverySecrets"] = wire::recovery_secrets_json(*secrets);
  return data;
}

HandlerResult manifest_post_v1(ClientApi& api, const RequestContext& ctx) {
  auto secrets = api.set_manifest(std::string(ctx.body));
  if (!secrets) return domain_error(std::move(secrets).error());
  Json data = nullptr;
  if (!secrets->empty()) {
    data = Json::object();
    data["RecoverySecrets"] = wire::recovery_secrets_json(*secrets);
  }
  return data;
}

HandlerResult recover_v2(ClientApi& api, const RequestContext& ctx) {
  auto body = decode_json_body(ctx.body);
  if (!body) return input_error(std::move(body).error().message);
  Bytes secret;
  Bytes signature;
  gojson::Decoder d;
  d.object(*body, "RecoveryRequest",
           {{"recoverySecret", [&](const Json& v) { d.bytes(v, secret); }},
            {"recoverySecretSignature", [&](const Json& v) { d.bytes(v, signature); }}});
  if (d.failed()) return input_error(d.take_error().message);

  SecretBytes plain(std::move(secret));
  if (!core::is_plain_recovery_secret_size(plain.size())) {
    // Encrypted to the ephemeral key of GET /api/v2/recover/public-key (spec 9.6).
    auto decrypted = api.decrypt_recovery_secret(plain.span());
    if (!decrypted) {
      return input_error("failed to decrypt recovery secret: " + decrypted.error().message);
    }
    plain = std::move(*decrypted);
  }
  auto result = api.recover(std::move(plain), std::move(signature));
  if (!result) return domain_error(std::move(result).error());
  Json data = Json::object();
  data["remaining"] = result->remaining;
  data["message"] =
      result->remaining == 0
          ? std::string("Recovery successful.")
          : fmt::format(
                "Secret was processed successfully. Upload the next secret. Remaining secrets: {}",
                result->remaining);
  return data;
}

HandlerResult recover_v1(const RequestContext&) {
  return domain_error(Error{ErrorCode::kUnimplemented, std::string(kV1RecoverDisabledMessage)});
}

HandlerResult recovery_public_key_v2(ClientApi& api, const RequestContext&) {
  auto key = api.recovery_public_key();
  if (!key) return domain_error(std::move(key).error());
  Json data = Json::object();
  data["algorithm"] = "RSA";
  data["ephemeralPublicKey"] = wire::bytes_json(key->to_der());
  return data;
}

}  // namespace mr::api::rest::handlers
