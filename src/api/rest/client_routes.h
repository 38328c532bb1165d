#pragma once
// The client API's route table (spec 3.5-3.7): THE list of every REST endpoint with its auth
// policy, API flavour and error policy.
//
//   core::ClientApi api(*core);
//   Router router(client_api_routes(api));

#include <vector>

#include "api/rest/route.h"
#include "api/rest/router.h"
#include "core/client_api.h"
#include "core/secret_api.h"
#include "core/update_api.h"

namespace mr::api::rest {

// kRecoverBodyLimit is upstream's http.MaxBytesReader limit on POST /api/v2/recover.
inline constexpr std::size_t kRecoverBodyLimit = 20480;

// kV1RecoverDisabledMessage is upstream's 410 text for POST /recover.
inline constexpr std::string_view kV1RecoverDisabledMessage =
    "Recovering the Coordinator using the /recover API endpoint has been disabled. Use the "
    "/api/v2/recover endpoint instead.";

// ClientServices are the core services behind the client API (borrowed; they must outlive the
// routes).
struct ClientServices {
  core::ClientApi& client;
  core::SecretApi& secrets;
  core::UpdateApi& updates;
};

// client_routes returns the complete route table.
[[nodiscard]] std::vector<Route> client_routes(const ClientServices& services);

// client_router is the Router over client_routes, authenticating users by their TLS leaf
// certificate (core::ClientApi::authenticate_user).
[[nodiscard]] Router client_router(const ClientServices& services);

// client_api_routes returns the routes that need only |api| (status, quote, manifest,
// recovery); a subset of client_routes.
[[nodiscard]] std::vector<Route> client_api_routes(core::ClientApi& api);

}  // namespace mr::api::rest
