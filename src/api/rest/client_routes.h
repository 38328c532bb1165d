#pragma once
// The client API's route table (spec 3.5-3.7): THE list of every REST endpoint with its auth
// policy, API flavour and error policy.
//
//   core::ClientApi api(*core);
//   Router router(client_api_routes(api));

#include <vector>

#include "api/rest/route.h"
#include "core/client_api.h"

namespace mr::api::rest {

// kRecoverBodyLimit is upstream's http.MaxBytesReader limit on POST /api/v2/recover.
inline constexpr std::size_t kRecoverBodyLimit = 20480;

// kV1RecoverDisabledMessage is upstream's 410 text for POST /recover.
inline constexpr std::string_view kV1RecoverDisabledMessage =
    "Recovering the Coordinator using the /recover API endpoint has been disabled. Use the "
    "/api/v2/recover endpoint instead.";

// client_api_routes returns the route table over |api| (borrowed; it must outlive the routes).
[[nodiscard]] std::vector<Route> client_api_routes(core::ClientApi& api);

}  // namespace mr::api::rest
