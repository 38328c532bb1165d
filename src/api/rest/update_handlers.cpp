// The handlers of manifest updates (spec 3.6 update, update-manifest, update-cancel; 3.7).

#include <fmt/format.h>

#include "api/rest/handlers.h"
#include "api/rest/wire.h"
#include "base/strings.h"

namespace mr::api::rest::handlers {
namespace {

using core::UpdateApi;
using core::UpdateResult;

constexpr std::string_view kAllAcknowledged =
    "All users have acknowledged the update manifest. Update successfully applied";

std::string missing_message(std::uint64_t n) {
  return n == 1 ? std::string("1 user still needs to acknowledge the update manifest")
                : fmt::format("{} users still need to acknowledge the update manifest", n);
}

std::string acknowledge_message(const UpdateResult& r) {
  if (r.missing_acknowledgments == 0) return std::string(kAllAcknowledged);
  return fmt::format("{}.\nThe following users have not yet accepted: {}",
                     missing_message(r.missing_acknowledgments), join(r.missing_users, ", "));
}

// with_recovery_secrets adds "recoverySecrets" to |data| when |r| applied an update that made
// new ones (upstream's omitzero).
Json with_recovery_secrets(Json data, const UpdateResult& r) {
  if (r.recovery_secrets)
    data["recoverySecrets"] = wire::recovery_secrets_json(*r.recovery_secrets);
  return data;
}

}  // namespace

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
  auto raw = wire::decode_manifest_request(ctx.body, "UpdateManifestRequest");
  if (!raw) return input_error(raw.error().message);
  auto r = api.update(ctx.user, *raw);
  if (!r) return domain_error(std::move(r).error());
  Json data = Json::object();
  data["missingAcknowledgments"] = r->missing_acknowledgments;
  data["missingUsers"] = wire::names_json(r->missing_users);
  return with_recovery_secrets(std::move(data), *r);
}

HandlerResult update_post_v1(UpdateApi& api, const RequestContext& ctx) {
  auto r = api.update(ctx.user, std::string(ctx.body));
  if (!r) return domain_error(std::move(r).error());
  return Json(nullptr);
}

HandlerResult pending_get(UpdateApi& api, const RequestContext&) {
  auto p = api.pending();
  if (!p) return domain_error(std::move(p).error());
  Json data = Json::object();
  data["manifest"] = wire::bytes_json(as_bytes(p->manifest_raw));
  data["message"] = missing_message(p->missing_acknowledgments);
  data["missingUsers"] = wire::names_json(p->missing_users);
  return data;
}

HandlerResult acknowledge_v2(UpdateApi& api, const RequestContext& ctx) {
  auto raw = wire::decode_manifest_request(ctx.body, "UpdateManifestRequest");
  if (!raw) return input_error(raw.error().message);
  auto r = api.acknowledge(ctx.user, *raw);
  if (!r) return domain_error(std::move(r).error());
  Json data = Json::object();
  data["message"] = acknowledge_message(*r);
  data["missingUsers"] = wire::names_json(r->missing_users);
  data["missingAcknowledgments"] = r->missing_acknowledgments;
  return with_recovery_secrets(std::move(data), *r);
}

HandlerResult acknowledge_v1(UpdateApi& api, const RequestContext& ctx) {
  auto r = api.acknowledge(ctx.user, std::string(ctx.body));
  if (!r) return domain_error(std::move(r).error());
  if (r->missing_acknowledgments == 0) return Json(kAllAcknowledged);
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

}  // namespace mr::api::rest::handlers
