#pragma once
// FeatureApi: the client API's feature-gated operations (spec 3.6), transport-free. Both are off
// unless the current manifest names their feature gate (api/rest checks enabled() per route):
//   SignQuoteEndpoint  POST /api/v2/sign-quote: verify an SGX quote, sign it with its TCB status;
//   MonotonicCounter   POST /api/v2/monotonic-counter: a Marble (authenticated by the certificate
//                      its activation gave it) raises a counter of its own.
//
//   FeatureApi features(core, verifier);
//   MR_ASSIGN_OR_RETURN(SignedQuote s, features.sign_quote(quote));
//   MR_ASSIGN_OR_RETURN(MarbleCaller m, features.authenticate_marble(leaf_der));
//   MR_ASSIGN_OR_RETURN(std::uint64_t previous, features.set_monotonic_counter(m, "db", 7));

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "attestation/quote_verifier.h"
#include "base/bytes.h"
#include "base/result.h"
#include "base/uuid.h"
#include "core/core.h"
#include "manifest/manifest.h"

namespace mr::core {

// The feature gates (manifest Config.FeatureGates) of the two operations.
inline constexpr std::string_view kSignQuoteGate = manifest::kFeatureSignQuoteEndpoint;
inline constexpr std::string_view kMonotonicCounterGate = manifest::kFeatureMonotonicCounter;

// kQuoteVerificationFailed prefixes every sign_quote verification error (upstream's text).
inline constexpr std::string_view kQuoteVerificationFailed = "quote verification failed";
// kUnauthorizedMarble prefixes every authenticate_marble error (upstream's text).
inline constexpr std::string_view kUnauthorizedMarble = "unauthorized marble";

// SignedQuote is sign-quote's answer.
struct SignedQuote {
  std::string tcb_status;  // EGo's spelling, e.g. "UpToDate", "OutOfDate"
  Bytes signature;         // ECDSA (root key, ASN.1) over SHA-256(base64std(quote) ‖ tcb_status)
};

// MarbleCaller is a Marble authenticated by its certificate.
struct MarbleCaller {
  std::string type;  // the raw value of the certificate's Marble type extension
  Uuid uuid;         // the certificate's subject CN
};

class FeatureApi {
 public:
  // |verifier| checks posted quotes; null when the Coordinator has none (simulation mode), and
  // then every quote fails verification. Both are borrowed.
  FeatureApi(Core& core, const attestation::QuoteVerifier* verifier)
      : core_(core), verifier_(verifier) {}

  // enabled reports whether the current manifest names feature gate |feature| (case-insensitive;
  // false without a manifest).
  [[nodiscard]] bool enabled(std::string_view feature) const;

  // sign_quote verifies |quote| (an SGX quote, OE-framed or raw as Gramine and Occlum produce
  // it) and signs it with its TCB status using the root key. Quotes whose TCB status is not
  // UpToDate are signed too, with that status. The package and manifest are not consulted.
  // Errors: kInvalidArgument "quote verification failed: <reason>" when the quote does not
  // verify (always in simulation mode); kFailedPrecondition without a CA; signing errors.
  [[nodiscard]] Result<SignedQuote> sign_quote(ByteSpan quote) const;

  // authenticate_marble maps the client's TLS leaf certificate to the Marble it was issued to:
  // it must chain to the current Marble root (no intermediates, now within its validity, server
  // auth usage), its CN must be a UUID and it must carry the Marble type extension. Only the
  // leaf counts (upstream tries every presented certificate). kUnauthenticated "unauthorized
  // marble: <reason>" otherwise, also outside state 3.
  [[nodiscard]] Result<MarbleCaller> authenticate_marble(
      const std::optional<Bytes>& leaf_der) const;

  // set_monotonic_counter raises |marble|'s counter |name| to |value| if that is greater and
  // returns the previous value (0 if unset); a lower or equal value changes nothing. Errors:
  // those of Core::raise_monotonic_counter.
  [[nodiscard]] Result<std::uint64_t> set_monotonic_counter(const MarbleCaller& marble,
                                                            std::string_view name,
                                                            std::uint64_t value);

 private:
  Core& core_;
  const attestation::QuoteVerifier* verifier_;
};

// monotonic_counter_id is the counter's store id (spec 9.4): base64std(type) ":"
// base64std(16 UUID bytes) ":" base64std(name), unambiguous whatever the names contain.
[[nodiscard]] std::string monotonic_counter_id(std::string_view marble_type, const Uuid& uuid,
                                               std::string_view name);

}  // namespace mr::core
