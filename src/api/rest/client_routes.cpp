#include "api/rest/client_routes.h"

#include <fmt/format.h>

#include <map>
#include <string>

#include "api/rest/body.h"
#include "base/encoding.h"
#include "gojson/go_json.h"

namespace mr::api::rest {
namespace {

using core::ClientApi;

// bytes_json is Go's encoding of a []byte: null when empty (MarbleRun's nil slices), else
// standard padded base64.
Json bytes_json(ByteSpan b) {
  if (b.empty()) return nullptr;
  return base64_encode(b);
}

// secrets_json encodes map[string][]byte (keys sorted, as Go does and std::map iterates).
Json secrets_json(const std::map<std::string, Bytes>& secrets) {
  Json out = Json::object();
  for (const auto& [name, secret] : secrets)
    out[name] = bytes_json(secret);
  return out;
}

// --- status ---

HandlerResult status_v2(ClientApi& api, const RequestContext&) {
  auto s = api.status();
  if (!s) return domain_error(std::move(s).error());
  Json data = Json::object();
  data["code"] = s->code;
  data["message"] = s->message;
  return data;
}

HandlerResult status_v1(ClientApi& api, const RequestContext&) {
  auto s = api.status();
  if (!s) return domain_error(std::move(s).error());
  Json data = Json::object();
  data["StatusCode"] = s->code;
  data["StatusMessage"] = s->message;
  return data;
}

// --- quote ---

HandlerResult quote_v2(ClientApi& api, const RequestContext& ctx) {
  std::optional<Bytes> nonce;
  if (const auto text = ctx.query_value("nonce"); text && !text->empty()) {
    auto decoded = base64url_decode(*text);
    if (!decoded) return input_error("invalid query: bad nonce format: " + decoded.error().message);
    nonce = std::move(*decoded);
  }
  auto q = api.cert_quote(nonce);
  if (!q) return domain_error(std::move(q).error());
  Json data = Json::object();
  data["cert"] = q->cert_chain_pem;
  data["quote"] = bytes_json(q->quote);
  return data;
}

HandlerResult quote_v1(ClientApi& api, const RequestContext&) {
  auto q = api.cert_quote(std::nullopt);
  if (!q) return domain_error(std::move(q).error());
  Json data = Json::object();
  data["Cert"] = q->cert_chain_pem;
  data["Quote"] = bytes_json(q->quote);
  return data;
}

// --- manifest ---

HandlerResult manifest_get_v2(ClientApi& api, const RequestContext&) {
  auto m = api.manifest();
  if (!m) return domain_error(std::move(m).error());
  Json data = Json::object();
  data["manifestSignatureRootECDSA"] = bytes_json(m->signature);
  data["manifestFingerprint"] = m->fingerprint;
  data["manifest"] = bytes_json(as_bytes(m->raw));
  return data;
}

HandlerResult manifest_get_v1(ClientApi& api, const RequestContext&) {
  auto m = api.manifest();
  Json data = Json::object();
  if (!m) {
    if (m.error().code != ErrorCode::kNotFound) return domain_error(std::move(m).error());
    // Upstream answers 200 with empty fields when no manifest is set.
    data["ManifestSignatureRootECDSA"] = nullptr;
    data["ManifestSignature"] = "";
    data["Manifest"] = nullptr;
    return data;
  }
  data["ManifestSignatureRootECDSA"] = bytes_json(m->signature);
  data["ManifestSignature"] = m->fingerprint;
  data["Manifest"] = bytes_json(as_bytes(m->raw));
  return data;
}

HandlerResult manifest_post_v2(ClientApi& api, const RequestContext& ctx) {
  auto body = decode_json_body(ctx.body);
  if (!body) return input_error(std::move(body).error().message);
  Bytes raw;
  gojson::Decoder d;
  d.object(*body, "ManifestSetRequest", {{"manifest", [&](const Json& v) { d.bytes(v, raw); }}});
  if (d.failed()) return input_error(d.take_error().message);

  auto secrets = api.set_manifest(to_string(raw));
  if (!secrets) return domain_error(std::move(secrets).error());
  Json data = Json::object();
  data["RecoverySecrets"] = secrets_json(*secrets);
  return data;
}

HandlerResult manifest_post_v1(ClientApi& api, const RequestContext& ctx) {
  auto secrets = api.set_manifest(std::string(ctx.body));
  if (!secrets) return domain_error(std::move(secrets).error());
  Json data = nullptr;
  if (!secrets->empty()) {
    data = Json::object();
    data["RecoverySecrets"] = secrets_json(*secrets);
  }
  return data;
}

// --- recovery ---

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
  data["ephemeralPublicKey"] = bytes_json(key->to_der());
  return data;
}

}  // namespace

std::vector<Route> update_and_secret_routes(const ClientServices& services);  // update_routes.cpp

std::vector<Route> client_routes(const ClientServices& services) {
  std::vector<Route> routes = client_api_routes(services.client);
  for (auto& r : update_and_secret_routes(services))
    routes.push_back(std::move(r));
  return routes;
}

Router client_router(const ClientServices& services) {
  core::ClientApi& client = services.client;
  return Router(client_routes(services), [&client](const std::optional<Bytes>& leaf) {
    return client.authenticate_user(leaf);
  });
}

std::vector<Route> client_api_routes(ClientApi& api) {
  auto bind = [&api](HandlerResult (*fn)(ClientApi&, const RequestContext&)) -> Handler {
    return [&api, fn](const RequestContext& ctx) { return fn(api, ctx); };
  };
  using namespace table;  // NOLINT(google-build-using-namespace): row aliases

  // clang-format off
  return {
    // method path                            auth   api  errors body limit          deprecation  handler
    {kGet,  "/api/v2/status",                 kOpen, kV2, k500,  kServer,            kCurrent,    bind(status_v2)},
    {kGet,  "/api/v2/quote",                  kOpen, kV2, k500,  kServer,            kCurrent,    bind(quote_v2)},
    {kGet,  "/api/v2/manifest",               kOpen, kV2, k500,  kServer,            kCurrent,    bind(manifest_get_v2)},
    {kPost, "/api/v2/manifest",               kOpen, kV2, k500,  kServer,            kCurrent,    bind(manifest_post_v2)},
    {kPost, "/api/v2/recover",                kOpen, kV2, k500,  kRecoverBodyLimit,  kCurrent,    bind(recover_v2)},
    {kGet,  "/api/v2/recover/public-key",     kOpen, kV2, k500,  kServer,            kCurrent,    bind(recovery_public_key_v2)},
    {kGet,  "/status",                        kOpen, kV1, k500,  kServer,            kDeprecated, bind(status_v1)},
    {kGet,  "/quote",                         kOpen, kV1, k500,  kServer,            kDeprecated, bind(quote_v1)},
    {kGet,  "/manifest",                      kOpen, kV1, k500,  kServer,            kDeprecated, bind(manifest_get_v1)},
    {kPost, "/manifest",                      kOpen, kV1, k400,  kServer,            kDeprecated, bind(manifest_post_v1)},
    {kPost, "/recover",                       kOpen, kV1, k410,  kServer,            kDeprecated, recover_v1},
  };
  // clang-format on
}

}  // namespace mr::api::rest
