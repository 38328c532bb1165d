#pragma once
// The client API's route table (spec 3.5-3.7): THE list of every REST endpoint, v1 and v2, with
// its auth policy, API flavour, error policy, body limit and deprecation, all in
// client_routes.cpp. The handlers are in handlers.h, the JSON they speak in wire.h.
//
//   Router router = client_router({client_api, secret_api, update_api});

#include <vector>

#include "api/rest/handlers.h"
#include "api/rest/route.h"
#include "api/rest/router.h"
#include "core/client_api.h"
#include "core/feature_api.h"
#include "core/secret_api.h"
#include "core/update_api.h"

namespace mr::api::rest {

// kRecoverBodyLimit is upstream's http.MaxBytesReader limit on POST /api/v2/recover.
inline constexpr std::size_t kRecoverBodyLimit = 20480;

// ClientServices are the core services behind the client API (borrowed; they must outlive the
// routes).
struct ClientServices {
  core::ClientApi& client;
  core::SecretApi& secrets;
  core::UpdateApi& updates;
  // features: sign-quote and monotonic-counter; null leaves their rows out (405).
  core::FeatureApi* features = nullptr;
  // version: what GET /api/v2/version answers (this build's version and commit); empty leaves
  // the row out. Not upstream's: its CLI reads the version from Kubernetes.
  std::string version;
  std::string commit;
};

// client_routes returns the complete route table.
[[nodiscard]] std::vector<Route> client_routes(const ClientServices& services);

// client_router is the Router over client_routes, authenticating users by their TLS leaf
// certificate (core::ClientApi::authenticate_user), Marbles by theirs and checking feature gates
// against the current manifest (core::FeatureApi).
[[nodiscard]] Router client_router(const ClientServices& services);

// client_api_routes returns the rows of the table that need only |api| (status, quote,
// manifest, recovery); a subset of client_routes.
[[nodiscard]] std::vector<Route> client_api_routes(core::ClientApi& api);

}  // namespace mr::api::rest
