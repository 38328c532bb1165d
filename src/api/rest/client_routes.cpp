#include "api/rest/client_routes.h"

#include <algorithm>

namespace mr::api::rest {
namespace {

// bind makes a row's Handler of |fn| over |api|; an empty Handler when the service is absent
// (route_table drops such rows).
template <class Api>
Handler bind(Api* api, HandlerResult (*fn)(Api&, const RequestContext&)) {
  if (api == nullptr) return nullptr;
  return [api, fn](const RequestContext& ctx) { return fn(*api, ctx); };
}

// route_table is THE table: every row of the client API. Rows of an absent service (|secrets|
// or |updates| null) are left out.
std::vector<Route> route_table(core::ClientApi& client, core::SecretApi* secrets,
                               core::UpdateApi* updates, core::FeatureApi* features = nullptr,
                               const std::string& version_text = {},
                               const std::string& commit = {}) {
  using namespace table;     // NOLINT(google-build-using-namespace): row aliases
  using namespace handlers;  // NOLINT(google-build-using-namespace): handler names
  auto c = [&client](auto fn) { return bind(&client, fn); };
  auto s = [secrets](auto fn) { return bind(secrets, fn); };
  auto u = [updates](auto fn) { return bind(updates, fn); };
  auto f = [features](auto fn) { return bind(features, fn); };

  Handler version;
  if (!version_text.empty()) {
    version = [version_text, commit](const RequestContext&) {
      return version_v2(version_text, commit);
    };
  }
  // clang-format off
  std::vector<Route> rows = {
    // method path                            auth   api  errors body limit          deprecation  handler
    {kGet,  "/api/v2/status",                 kOpen, kV2, k500,  kServer,            kCurrent,    c(status_v2)},
    {kGet,  "/api/v2/quote",                  kOpen, kV2, k500,  kServer,            kCurrent,    c(quote_v2)},
    {kGet,  "/api/v2/version",                kOpen, kV2, k500,  kServer,            kCurrent,    version},
    {kGet,  "/api/v2/manifest",               kOpen, kV2, k500,  kServer,            kCurrent,    c(manifest_get_v2)},
    {kPost, "/api/v2/manifest",               kOpen, kV2, k500,  kServer,            kCurrent,    c(manifest_post_v2)},
    {kPost, "/api/v2/recover",                kOpen, kV2, k500,  kRecoverBodyLimit,  kCurrent,    c(recover_v2)},
    {kGet,  "/api/v2/recover/public-key",     kOpen, kV2, k500,  kServer,            kCurrent,    c(recovery_public_key_v2)},
    {kGet,  "/api/v2/update",                 kOpen, kV2, k500,  kServer,            kCurrent,    u(update_log_v2)},
    {kPost, "/api/v2/update",                 kUser, kV2, k500,  kServer,            kCurrent,    u(update_post_v2)},
    {kGet,  "/api/v2/update-manifest",        kOpen, kV2, k404,  kServer,            kCurrent,    u(pending_get)},
    {kPost, "/api/v2/update-manifest",        kUser, kV2, k404,  kServer,            kCurrent,    u(acknowledge_v2)},
    {kPost, "/api/v2/update-cancel",          kUser, kV2, k404,  kServer,            kCurrent,    u(cancel_v2)},
    {kGet,  "/api/v2/secrets",                kUser, kV2, k500,  kServer,            kCurrent,    s(secrets_get_v2)},
    {kPost, "/api/v2/secrets",                kUser, kV2, k500,  kServer,            kCurrent,    s(secrets_post_v2)},
    {kPost, "/api/v2/sign-quote",             kOpen, kV2, k500,  kServer,            kCurrent,    f(sign_quote_v2),        core::kSignQuoteGate},
    {kPost, "/api/v2/monotonic-counter",    kMarble, kV2, k500,  kServer,            kCurrent,    f(monotonic_counter_v2), core::kMonotonicCounterGate},
    {kGet,  "/status",                        kOpen, kV1, k500,  kServer,            kDeprecated, c(status_v1)},
    {kGet,  "/quote",                         kOpen, kV1, k500,  kServer,            kDeprecated, c(quote_v1)},
    {kGet,  "/manifest",                      kOpen, kV1, k500,  kServer,            kDeprecated, c(manifest_get_v1)},
    {kPost, "/manifest",                      kOpen, kV1, k400,  kServer,            kDeprecated, c(manifest_post_v1)},
    {kPost, "/recover",                       kOpen, kV1, k410,  kServer,            kDeprecated, recover_v1},
    {kGet,  "/update",                        kOpen, kV1, k500,  kServer,            kDeprecated, u(update_log_v1)},
    {kPost, "/update",                        kUser, kV1, k400,  kServer,            kDeprecated, u(update_post_v1)},
    {kGet,  "/update-manifest",               kOpen, kV1, k404,  kServer,            kCurrent,    u(pending_get)},
    {kPost, "/update-manifest",               kUser, kV1, k404,  kServer,            kCurrent,    u(acknowledge_v1)},
    {kPost, "/update-cancel",                 kUser, kV1, k404,  kServer,            kCurrent,    u(cancel_v1)},
    {kGet,  "/secrets",                       kUser, kV1, k400,  kServer,            kDeprecated, s(secrets_get_v1)},
    {kPost, "/secrets",                       kUser, kV1, k400,  kServer,            kDeprecated, s(secrets_post_v1)},
  };
  // clang-format on
  std::erase_if(rows, [](const Route& r) { return !r.handler; });
  return rows;
}

}  // namespace

std::vector<Route> client_routes(const ClientServices& services) {
  return route_table(services.client, &services.secrets, &services.updates, services.features,
                     services.version, services.commit);
}

Router client_router(const ClientServices& services) {
  core::ClientApi& client = services.client;
  core::FeatureApi* features = services.features;
  RouterPolicies policies;
  policies.authenticate_user = [&client](const std::optional<Bytes>& leaf) {
    return client.authenticate_user(leaf);
  };
  if (features != nullptr) {
    policies.authenticate_marble = [features](const std::optional<Bytes>& leaf) {
      return features->authenticate_marble(leaf).map([](core::MarbleCaller m) {
        return MarblePeer{std::move(m.type), m.uuid};
      });
    };
    policies.feature_enabled = [features](std::string_view gate) {
      return features->enabled(gate);
    };
  }
  return Router(client_routes(services), std::move(policies));
}

std::vector<Route> client_api_routes(core::ClientApi& api) {
  return route_table(api, nullptr, nullptr);
}

}  // namespace mr::api::rest
