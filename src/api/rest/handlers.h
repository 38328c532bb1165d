#pragma once
// The client API's handlers (spec 3.6, 3.7), one per route-table row (client_routes.cpp binds
// them to the services). A handler does the work and returns the JSend data; it never builds an
// error response (error_mapping.h does, by the row's policies) and never checks auth (the Router
// does, by the row's Auth).
//
//   Handler h = [&api](const RequestContext& ctx) { return handlers::status_v2(api, ctx); };

#include <string_view>

#include "api/rest/route.h"
#include "core/client_api.h"
#include "core/feature_api.h"
#include "core/secret_api.h"
#include "core/update_api.h"

namespace mr::api::rest {

// kV1RecoverDisabledMessage is upstream's 410 text for POST /recover.
inline constexpr std::string_view kV1RecoverDisabledMessage =
    "Recovering the Coordinator using the /recover API endpoint has been disabled. Use the "
    "/api/v2/recover endpoint instead.";

namespace handlers {

// --- ClientApi (client_handlers.cpp) ---

// version_v2 answers {"version": |version|, "commit": |commit|} (GET /api/v2/version).
[[nodiscard]] HandlerResult version_v2(const std::string& version, const std::string& commit);
// status_v2 / status_v1 answer the Coordinator's state code and message.
[[nodiscard]] HandlerResult status_v2(core::ClientApi& api, const RequestContext& ctx);
[[nodiscard]] HandlerResult status_v1(core::ClientApi& api, const RequestContext& ctx);
// quote_v2 answers the certificate chain and a quote over the optional base64url ?nonce= (input
// error "invalid query: bad nonce format: ..." when it does not decode); quote_v1 takes no nonce.
[[nodiscard]] HandlerResult quote_v2(core::ClientApi& api, const RequestContext& ctx);
[[nodiscard]] HandlerResult quote_v1(core::ClientApi& api, const RequestContext& ctx);
// manifest_get_v2 / manifest_get_v1 answer the manifest, its fingerprint and signature; v1
// answers empty fields when no manifest is set.
[[nodiscard]] HandlerResult manifest_get_v2(core::ClientApi& api, const RequestContext& ctx);
[[nodiscard]] HandlerResult manifest_get_v1(core::ClientApi& api, const RequestContext& ctx);
// manifest_post_v2 sets the manifest of a {"manifest": "<b64>"} body; manifest_post_v1 of the raw
// body. Both answer the encrypted recovery secrets (v1: null when there are none).
[[nodiscard]] HandlerResult manifest_post_v2(core::ClientApi& api, const RequestContext& ctx);
[[nodiscard]] HandlerResult manifest_post_v1(core::ClientApi& api, const RequestContext& ctx);
// recover_v2 takes one recovery secret (plain, or encrypted to the ephemeral key) and its
// signature; input error "failed to decrypt recovery secret: ..." when it does not decrypt.
[[nodiscard]] HandlerResult recover_v2(core::ClientApi& api, const RequestContext& ctx);
// recover_v1 always fails with upstream's "disabled" text (kV1RecoverDisabledMessage).
[[nodiscard]] HandlerResult recover_v1(const RequestContext& ctx);
// recovery_public_key_v2 answers the ephemeral RSA key for encrypted recovery secrets.
[[nodiscard]] HandlerResult recovery_public_key_v2(core::ClientApi& api, const RequestContext& ctx);

// --- UpdateApi (update_handlers.cpp) ---

// update_log_v2 answers the update log as lines; update_log_v1 as one newline-joined string.
[[nodiscard]] HandlerResult update_log_v2(core::UpdateApi& api, const RequestContext& ctx);
[[nodiscard]] HandlerResult update_log_v1(core::UpdateApi& api, const RequestContext& ctx);
// update_post_v2 proposes an update of a {"manifest": "<b64>"} body and answers the missing
// acknowledgments; update_post_v1 takes the raw body and answers null.
[[nodiscard]] HandlerResult update_post_v2(core::UpdateApi& api, const RequestContext& ctx);
[[nodiscard]] HandlerResult update_post_v1(core::UpdateApi& api, const RequestContext& ctx);
// pending_get answers the pending update manifest and who has yet to acknowledge it (v1 = v2).
[[nodiscard]] HandlerResult pending_get(core::UpdateApi& api, const RequestContext& ctx);
// acknowledge_v2 / acknowledge_v1 acknowledge the pending update (v2 body {"manifest": "<b64>"},
// v1 the raw manifest) and answer upstream's progress message.
[[nodiscard]] HandlerResult acknowledge_v2(core::UpdateApi& api, const RequestContext& ctx);
[[nodiscard]] HandlerResult acknowledge_v1(core::UpdateApi& api, const RequestContext& ctx);
// cancel_v2 / cancel_v1 cancel the pending update.
[[nodiscard]] HandlerResult cancel_v2(core::UpdateApi& api, const RequestContext& ctx);
[[nodiscard]] HandlerResult cancel_v1(core::UpdateApi& api, const RequestContext& ctx);

// --- SecretApi (secret_handlers.cpp) ---

// secrets_get_v2 answers {"secrets": {...}} for ?s=a&s=b; secrets_get_v1 the map itself. Input
// errors (upstream's texts) for a missing or empty s parameter.
[[nodiscard]] HandlerResult secrets_get_v2(core::SecretApi& api, const RequestContext& ctx);
[[nodiscard]] HandlerResult secrets_get_v1(core::SecretApi& api, const RequestContext& ctx);
// secrets_post_v2 stores the user-defined secrets of {"secrets": {...}}; secrets_post_v1 of the
// map itself. Both answer null; a body that does not decode is an input error.
[[nodiscard]] HandlerResult secrets_post_v2(core::SecretApi& api, const RequestContext& ctx);
[[nodiscard]] HandlerResult secrets_post_v1(core::SecretApi& api, const RequestContext& ctx);

// --- FeatureApi (feature_handlers.cpp; the Router checks the feature gates) ---

// sign_quote_v2 verifies and signs the quote of {"sgxQuote": "<b64>"} and answers {"tcbStatus",
// "verificationSignature"}. Input errors (400 fail) with upstream's data: {"sgxQuote": "failed
// to parse JSON data"} and message "bad request: ..." for a body that does not decode,
// {"sgxQuote": "quote verification failed: ..."} and message "quote verification failed" for a
// quote that does not verify.
[[nodiscard]] HandlerResult sign_quote_v2(core::FeatureApi& api, const RequestContext& ctx);
// monotonic_counter_v2 raises the calling Marble's counter of {"name", "value"} and answers
// {"value": <previous value>}; a body that does not decode is an input error.
[[nodiscard]] HandlerResult monotonic_counter_v2(core::FeatureApi& api, const RequestContext& ctx);

}  // namespace handlers
}  // namespace mr::api::rest
