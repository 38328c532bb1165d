// The routes of users, secrets and updates (spec 3.6 update, update-manifest, update-cancel,
// secrets; 3.7 v1 rows).

#include <fmt/format.h>

#include "api/rest/body.h"
#include "api/rest/client_routes.h"
#include "base/encoding.h"
#include "base/strings.h"
#include "core/records.h"
#include "gojson/go_json.h"

namespace mr::api::rest {
namespace {

using core::SecretApi;
using core::UpdateApi;
using core::UpdateResult;

Json bytes_json(ByteSpan b) {
  return b.empty() ? Json(nullptr) : Json(base64_encode(b));
}

Json names_json(const std::vector<std::string>& names) {
  return names.empty() ? Json(nullptr) : Json(names);
}

Json recovery_secrets_json(const std::map<std::string, Bytes>& secrets) {
  Json out = Json::object();
  for (const auto& [name, s] : secrets)
    out[name] = bytes_json(s);
  return out;
}

// Decodes {"manifest": "<b64>"} as upstream's v2 bodies.
Result<std::string> manifest_from_body(std::string_view body, std::string_view go_type) {
  MR_ASSIGN_OR_RETURN(Json j, decode_json_body(body));
  Bytes raw;
  gojson::Decoder d;
  d.object(j, go_type, {{"manifest", [&](const Json& v) { d.bytes(v, raw); }}});
  if (d.failed()) return fail(d.take_error());
  return to_string(raw);
}

std::string missing_message(std::uint64_t n) {
  return n == 1 ? std::string("1 user still needs to acknowledge the update manifest")
                : fmt::format("{} users still need to acknowledge the update manifest", n);
}

// --- update ---

HandlerResult update_log_v2(UpdateApi& api, const RequestContext&) {
  auto lines = api.log();
  if (!lines) return domain_error(std::move(lines).error());
  Json data = Json::object();
  data["updateLog"] = *lines;
  return data;
}

HandlerResult update_log_v1(UpdateApi& api, const RequestContext&) {
  auto lines = api.log();
  if (!lines) return domain_error(std::move(lines).error());
  std::string joined;
  for (const auto& l : *lines)
    joined += l + "\n";
  return Json(joined);
}

HandlerResult update_post_v2(UpdateApi& api, const RequestContext& ctx) {
  auto raw = manifest_from_body(ctx.body, "UpdateManifestRequest");
  if (!raw) return input_error(raw.error().message);
  auto r = api.update(ctx.user, *raw);
  if (!r) return domain_error(std::move(r).error());
  Json data = Json::object();
  data["missingAcknowledgments"] = r->missing_acknowledgments;
  data["missingUsers"] = names_json(r->missing_users);
  if (r->recovery_secrets) data["recoverySecrets"] = recovery_secrets_json(*r->recovery_secrets);
  return data;
}

HandlerResult update_post_v1(UpdateApi& api, const RequestContext& ctx) {
  auto r = api.update(ctx.user, std::string(ctx.body));
  if (!r) return domain_error(std::move(r).error());
  return Json(nullptr);
}

// --- update-manifest, update-cancel ---

HandlerResult pending_get(UpdateApi& api, const RequestContext&) {
  auto p = api.pending();
  if (!p) return domain_error(std::move(p).error());
  Json data = Json::object();
  data["manifest"] = bytes_json(as_bytes(p->manifest_raw));
  data["message"] = missing_message(p->missing_acknowledgments);
  data["missingUsers"] = names_json(p->missing_users);
  return data;
}

std::string acknowledge_message(const UpdateResult& r) {
  if (r.missing_acknowledgments == 0) {
    return "All users have acknowledged the update manifest. Update successfully applied";
  }
  return fmt::format("{}.\nThe following users have not yet accepted: {}",
                     missing_message(r.missing_acknowledgments), join(r.missing_users, ", "));
}

HandlerResult acknowledge_v2(UpdateApi& api, const RequestContext& ctx) {
  auto raw = manifest_from_body(ctx.body, "UpdateManifestRequest");
  if (!raw) return input_error(raw.error().message);
  auto r = api.acknowledge(ctx.user, *raw);
  if (!r) return domain_error(std::move(r).error());
  Json data = Json::object();
  data["message"] = acknowledge_message(*r);
  data["missingUsers"] = names_json(r->missing_users);
  data["missingAcknowledgments"] = r->missing_acknowledgments;
  if (r->recovery_secrets) data["recoverySecrets"] = recovery_secrets_json(*r->recovery_secrets);
  return data;
}

HandlerResult acknowledge_v1(UpdateApi& api, const RequestContext& ctx) {
  auto r = api.acknowledge(ctx.user, std::string(ctx.body));
  if (!r) return domain_error(std::move(r).error());
  if (r->missing_acknowledgments == 0) {
    return Json("All users have acknowledged the update manifest. Update successfully applied");
  }
  return Json(missing_message(r->missing_acknowledgments));
}

HandlerResult cancel_v2(UpdateApi& api, const RequestContext& ctx) {
  auto r = api.cancel(ctx.user);
  if (!r) return domain_error(std::move(r).error());
  Json data = Json::object();
  data["message"] = "Update successfully cancelled";
  return data;
}

HandlerResult cancel_v1(UpdateApi& api, const RequestContext& ctx) {
  auto r = api.cancel(ctx.user);
  if (!r) return domain_error(std::move(r).error());
  return Json("Update successfully cancelled");
}

// --- secrets ---

// Reads ?s=a&s=b; the messages are upstream's.
Result<std::vector<std::string>> secret_names(const RequestContext& ctx) {
  std::vector<std::string> names;
  for (const auto& [k, v] : ctx.query) {
    if (k != "s") continue;
    if (v.empty())
      return fail(ErrorCode::kInvalidArgument, "malformed query string: empty query parameter");
    names.push_back(v);
  }
  if (names.empty())
    return fail(ErrorCode::kInvalidArgument,
                "invalid query: endpoint requires at least one query parameter");
  return names;
}

Result<Json> secrets_json(SecretApi& api, const RequestContext& ctx, bool& input_problem) {
  auto names = secret_names(ctx);
  if (!names) {
    input_problem = true;
    return fail(names.error());
  }
  MR_ASSIGN_OR_RETURN(auto secrets, api.get(ctx.user, *names));
  Json out = Json::object();
  for (const auto& [name, s] : secrets) {
    auto encoded = gojson::parse(core::encode_secret(s));
    if (!encoded) return fail(encoded.error());
    out[name] = std::move(*encoded);
  }
  return out;
}

HandlerResult secrets_get_v2(SecretApi& api, const RequestContext& ctx) {
  bool input_problem = false;
  auto secrets = secrets_json(api, ctx, input_problem);
  if (!secrets)
    return input_problem ? input_error(secrets.error().message)
                         : domain_error(std::move(secrets).error());
  Json data = Json::object();
  data["secrets"] = std::move(*secrets);
  return data;
}

HandlerResult secrets_get_v1(SecretApi& api, const RequestContext& ctx) {
  bool input_problem = false;
  auto secrets = secrets_json(api, ctx, input_problem);
  if (!secrets)
    return input_problem ? input_error(secrets.error().message)
                         : domain_error(std::move(secrets).error());
  return std::move(*secrets);
}

}  // namespace

std::vector<Route> update_and_secret_routes(const ClientServices& services);

std::vector<Route> update_and_secret_routes(const ClientServices& services) {
  UpdateApi& updates = services.updates;
  SecretApi& secrets = services.secrets;
  auto up = [&updates](HandlerResult (*fn)(UpdateApi&, const RequestContext&)) -> Handler {
    return [&updates, fn](const RequestContext& ctx) { return fn(updates, ctx); };
  };
  auto sec = [&secrets](HandlerResult (*fn)(SecretApi&, const RequestContext&)) -> Handler {
    return [&secrets, fn](const RequestContext& ctx) { return fn(secrets, ctx); };
  };
  // POST secrets: v2 wraps the map in {"secrets": ...}; v1 sends the map itself.
  Handler secrets_post_v2 = [&secrets](const RequestContext& ctx) -> HandlerResult {
    auto body = decode_json_body(ctx.body);
    if (!body) return input_error(body.error().message);
    const Json* map = gojson::find_field(*body, "secrets");
    auto uploads = core::parse_user_secrets(map ? *map : Json(nullptr));
    if (!uploads) return input_error(uploads.error().message);
    auto r = secrets.set(ctx.user, *uploads);
    if (!r) return domain_error(std::move(r).error());
    return Json(nullptr);
  };
  Handler secrets_post_v1 = [&secrets](const RequestContext& ctx) -> HandlerResult {
    auto body = decode_json_body(ctx.body);
    if (!body) return input_error(body.error().message);
    auto uploads = core::parse_user_secrets(*body);
    if (!uploads) return input_error(uploads.error().message);
    auto r = secrets.set(ctx.user, *uploads);
    if (!r) return domain_error(std::move(r).error());
    return Json(nullptr);
  };

  using namespace table;  // NOLINT(google-build-using-namespace): row aliases

  // clang-format off
  return {
    // method path                       auth   api  errors body     deprecation  handler
    {kGet,  "/api/v2/update",            kOpen, kV2, k500,  kServer, kCurrent,    up(update_log_v2)},
    {kPost, "/api/v2/update",            kUser, kV2, k500,  kServer, kCurrent,    up(update_post_v2)},
    {kGet,  "/api/v2/update-manifest",   kOpen, kV2, k404,  kServer, kCurrent,    up(pending_get)},
    {kPost, "/api/v2/update-manifest",   kUser, kV2, k404,  kServer, kCurrent,    up(acknowledge_v2)},
    {kPost, "/api/v2/update-cancel",     kUser, kV2, k404,  kServer, kCurrent,    up(cancel_v2)},
    {kGet,  "/api/v2/secrets",           kUser, kV2, k500,  kServer, kCurrent,    sec(secrets_get_v2)},
    {kPost, "/api/v2/secrets",           kUser, kV2, k500,  kServer, kCurrent,    secrets_post_v2},
    {kGet,  "/update",                   kOpen, kV1, k500,  kServer, kDeprecated, up(update_log_v1)},
    {kPost, "/update",                   kUser, kV1, k400,  kServer, kDeprecated, up(update_post_v1)},
    {kGet,  "/update-manifest",          kOpen, kV1, k404,  kServer, kCurrent,    up(pending_get)},
    {kPost, "/update-manifest",          kUser, kV1, k404,  kServer, kCurrent,    up(acknowledge_v1)},
    {kPost, "/update-cancel",            kUser, kV1, k404,  kServer, kCurrent,    up(cancel_v1)},
    {kGet,  "/secrets",                  kUser, kV1, k400,  kServer, kDeprecated, sec(secrets_get_v1)},
    {kPost, "/secrets",                  kUser, kV1, k400,  kServer, kDeprecated, secrets_post_v1},
  };
  // clang-format on
}

}  // namespace mr::api::rest
