#pragma once
// Choosing where a Marble's quote comes from (spec 2.3 step 4, 15.3), without ifdefs:
//   1. a simulated DCAP issuer when a simulated PKI is configured (demos and tests: real signed
//      SGX quotes from a test PKI that only a Coordinator told to trust it accepts);
//   2. Gramine's /dev/attestation when that directory exists;
//   3. otherwise no TEE: every quote fails and the Marble sends an empty one.
//
//   MR_ASSIGN_OR_RETURN(QuoteProvider p, select_quote_provider(config, clock.now()));
//   MR_ASSIGN_OR_RETURN(Parameters params, activate(options, *p.issuer));

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "attestation/quote_issuer.h"
#include "attestation/simulated/simulated_dcap.h"
#include "base/clock.h"
#include "base/result.h"

namespace mr::marble {

enum class QuoteProviderKind { kGramine, kSimulatedDcap, kNone };

// quote_provider_name returns "gramine", "simulated-dcap" or "none".
[[nodiscard]] std::string_view quote_provider_name(QuoteProviderKind kind);

struct QuoteProviderConfig {
  std::filesystem::path attestation_dir = "/dev/attestation";
  // The JSON of a SimulatedDcapPki (SimulatedDcapPki::to_json), if the simulated issuer is wanted.
  std::optional<std::string> simulated_dcap_pki_json;
  attestation::simulated::SimulatedEnclave simulated_enclave;  // what the simulated quotes claim
};

struct QuoteProvider {
  QuoteProviderKind kind = QuoteProviderKind::kNone;
  std::unique_ptr<attestation::QuoteIssuer> issuer;  // never null
  std::string description;                           // one line for the log
};

// select_quote_provider picks the provider as the header comment says. |now| dates the simulated
// PKI's collateral (unused by quotes). Errors: kFailedPrecondition when a simulated PKI is
// configured but <attestation_dir> exists (a real TEE must never send simulated quotes);
// kInvalidArgument when the PKI JSON is malformed.
[[nodiscard]] Result<QuoteProvider> select_quote_provider(const QuoteProviderConfig& config,
                                                          UnixTime now);

}  // namespace mr::marble
