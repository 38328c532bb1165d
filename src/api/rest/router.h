#pragma once
// Router: resolves a request to a row of the route table and runs it (transport-free). The HTTP
// adapter (rest_server.h) calls resolve() when the request line and headers are in, reads the
// body within the route's limit, then calls dispatch().
//
//   Router router(client_api_routes(api));
//   Router::Resolution r = router.resolve("GET", "/api/v2/status", "");
//   Reply reply = r.route ? router.dispatch(*r.route, std::move(ctx)) : *r.reply;

#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "api/rest/reply.h"
#include "api/rest/route.h"
#include "base/result.h"

namespace mr::api::rest {

// UserAuthenticator maps a client's TLS leaf certificate (DER; nullopt without one) to a
// MarbleRun user name. Its error message is sent to the client as is (401).
using UserAuthenticator = std::function<Result<std::string>(const std::optional<Bytes>& leaf_der)>;

// MarbleAuthenticator maps a client's TLS leaf certificate to the Marble it was issued to. Its
// error message is sent to the client as is (401).
using MarbleAuthenticator = std::function<Result<MarblePeer>(const std::optional<Bytes>& leaf_der)>;

// FeatureGate reports whether the current manifest enables a feature gate.
using FeatureGate = std::function<bool(std::string_view feature)>;

// RouterPolicies are what the Router checks before a handler runs; a missing one refuses every
// route that needs it (401, or 403 for a feature gate).
struct RouterPolicies {
  UserAuthenticator authenticate_user;
  MarbleAuthenticator authenticate_marble;
  FeatureGate feature_enabled;
};

// feature_disabled_message is upstream's 403 text for a route whose feature gate is off.
[[nodiscard]] std::string feature_disabled_message(std::string_view feature);

// kUnknownUserMessage is upstream's 401 text.
inline constexpr std::string_view kUnknownUserMessage =
    "unauthorized user: client certificate did not match any MarbleRun users";

class Router {
 public:
  // |routes| must have unique (method, path) pairs. Without |authenticate_user|, every
  // Auth::kUser route answers 401.
  explicit Router(std::vector<Route> routes, UserAuthenticator authenticate_user = nullptr);
  // Router with every policy (Auth::kMarble routes and feature gates need theirs).
  Router(std::vector<Route> routes, RouterPolicies policies);

  struct Resolution {
    const Route* route = nullptr;  // set when the request goes to a handler
    std::optional<Reply> reply;    // set otherwise: 301 to the clean path, or 405
  };
  // resolve follows Go's ServeMux: a path that is not clean (spec 3.2) is redirected with 301
  // to the clean path (|raw_query| kept); an unknown path or a method without a handler
  // answers 405. |path| is the decoded URL path.
  [[nodiscard]] Resolution resolve(std::string_view method, std::string_view path,
                                   std::string_view raw_query) const;

  // dispatch checks |route|'s feature gate, then its auth policy, runs its handler and renders the
  // result. Never throws: an exception escaping a handler becomes a logged 500.
  [[nodiscard]] Reply dispatch(const Route& route, RequestContext ctx) const;

  [[nodiscard]] const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
  RouterPolicies policies_;
};

}  // namespace mr::api::rest
