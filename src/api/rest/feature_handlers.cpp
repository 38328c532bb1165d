// The handlers of the feature-gated endpoints sign-quote and monotonic-counter (spec 3.6).

#include "api/rest/body.h"
#include "api/rest/handlers.h"
#include "base/assert.h"
#include "base/encoding.h"
#include "gojson/go_json.h"

namespace mr::api::rest::handlers {

using core::FeatureApi;

namespace {

// sgx_quote_failure is a 400 fail whose data names the field: {"sgxQuote": |detail|}.
tl::unexpected<HandlerError> sgx_quote_failure(std::string message, std::string detail) {
  Json data = Json::object();
  data["sgxQuote"] = std::move(detail);
  return tl::unexpected<HandlerError>(HandlerError{
      Failure::kInput, Error{ErrorCode::kInvalidArgument, std::move(message)}, std::move(data)});
}

}  // namespace

HandlerResult sign_quote_v2(FeatureApi& api, const RequestContext& ctx) {
  auto body = decode_json_body(ctx.body);
  if (!body) {
    return sgx_quote_failure("bad request: " + body.error().message, "failed to parse JSON data");
  }
  Bytes quote;
  gojson::Decoder d;
  d.object(*body, "QuoteSignRequest", {{"sgxQuote", [&](const Json& v) { d.bytes(v, quote); }}});
  if (d.failed()) {
    return sgx_quote_failure("bad request: " + d.take_error().message, "failed to parse JSON data");
  }
  auto signed_quote = api.sign_quote(quote);
  if (!signed_quote) {
    if (signed_quote.error().code == ErrorCode::kInvalidArgument) {
      return sgx_quote_failure(std::string(core::kQuoteVerificationFailed),
                               std::move(signed_quote).error().message);
    }
    return domain_error(std::move(signed_quote).error());
  }
  Json data = Json::object();
  data["tcbStatus"] = signed_quote->tcb_status;
  data["verificationSignature"] = base64_encode(signed_quote->signature);
  return data;
}

HandlerResult monotonic_counter_v2(FeatureApi& api, const RequestContext& ctx) {
  MR_ASSERT(ctx.marble.has_value());  // Auth::kMarble: the Router authenticated the caller
  auto body = decode_json_body(ctx.body);
  if (!body) return input_error(std::move(body).error().message);
  std::string name;
  std::uint64_t value = 0;
  gojson::Decoder d;
  d.object(*body, "MonotonicCounterRequest",
           {{"name", [&](const Json& v) { d.string(v, name); }},
            {"value", [&](const Json& v) { d.uint64(v, value); }}});
  if (d.failed()) return input_error(d.take_error().message);
  auto previous = api.set_monotonic_counter(core::MarbleCaller{ctx.marble->type, ctx.marble->uuid},
                                            name, value);
  if (!previous) return domain_error(std::move(previous).error());
  Json data = Json::object();
  data["value"] = *previous;
  return data;
}

}  // namespace mr::api::rest::handlers
