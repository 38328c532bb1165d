// The handlers of secrets (spec 3.6 secrets, 3.7).

#include "api/rest/body.h"
#include "api/rest/handlers.h"
#include "api/rest/wire.h"
#include "gojson/go_json.h"

namespace mr::api::rest::handlers {
namespace {

using core::SecretApi;

// secret_names reads ?s=a&s=b; the messages are upstream's.
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

// read_secrets is the secrets map of a GET, the same for v1 and v2.
HandlerResult read_secrets(SecretApi& api, const RequestContext& ctx) {
  auto names = secret_names(ctx);
  if (!names) return input_error(std::move(names).error().message);
  auto secrets = api.get(ctx.user, *names);
  if (!secrets) return domain_error(std::move(secrets).error());
  return wire::secrets_json(*secrets);
}

// write_secrets stores the uploads of |uploads_json| (a map of UserSecret).
HandlerResult write_secrets(SecretApi& api, const RequestContext& ctx, const Json& uploads_json) {
  auto uploads = core::parse_user_secrets(uploads_json);
  if (!uploads) return input_error(std::move(uploads).error().message);
  auto r = api.set(ctx.user, *uploads);
  if (!r) return domain_error(std::move(r).error());
  return Json(nullptr);
}

}  // namespace

HandlerResult secrets_get_v2(SecretApi& api, const RequestContext& ctx) {
  auto secrets = read_secrets(api, ctx);
  if (!secrets) return secrets;
  Json data = Json::object();
  data["secrets"] = std::move(*secrets);
  return data;
}

HandlerResult secrets_get_v1(SecretApi& api, const RequestContext& ctx) {
  return read_secrets(api, ctx);
}

HandlerResult secrets_post_v2(SecretApi& api, const RequestContext& ctx) {
  auto body = decode_json_body(ctx.body);
  if (!body) return input_error(std::move(body).error().message);
  // v2 wraps the map in {"secrets": ...}.
  const Json* map = gojson::find_field(*body, "secrets");
  return write_secrets(api, ctx, map ? *map : Json(nullptr));
}

HandlerResult secrets_post_v1(SecretApi& api, const RequestContext& ctx) {
  auto body = decode_json_body(ctx.body);
  if (!body) return input_error(std::move(body).error().message);
  return write_secrets(api, ctx, *body);
}

}  // namespace mr::api::rest::handlers
