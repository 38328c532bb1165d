#include "marble/quote_provider.h"

#include <system_error>

#include "attestation/providers/gramine_issuer.h"
#include "attestation/simulated/no_tee_issuer.h"

namespace mr::marble {

std::string_view quote_provider_name(QuoteProviderKind kind) {
  switch (kind) {
    case QuoteProviderKind::kGramine:
      return "gramine";
    case QuoteProviderKind::kSimulatedDcap:
      return "simulated-dcap";
    case QuoteProviderKind::kNone:
      return "none";
  }
  return "none";
}

Result<QuoteProvider> select_quote_provider(const QuoteProviderConfig& config, UnixTime now) {
  std::error_code ec;
  const bool gramine = std::filesystem::is_directory(config.attestation_dir, ec);
  QuoteProvider p;
  if (config.simulated_dcap_pki_json) {
    if (gramine) {
      return failf(ErrorCode::kFailedPrecondition,
                   "a simulated DCAP PKI is configured, but {} exists (a real TEE): refusing to "
                   "send simulated quotes from a real enclave",
                   config.attestation_dir.string());
    }
    attestation::simulated::SimulatedPkiOptions options;
    options.now = now;
    MR_ASSIGN_OR_RETURN(auto pki, attestation::simulated::SimulatedDcapPki::from_json(
                                      *config.simulated_dcap_pki_json, options)
                                      .map_error(Wrap("loading the simulated DCAP PKI")));
    p.kind = QuoteProviderKind::kSimulatedDcap;
    p.issuer = std::make_unique<attestation::simulated::SimulatedDcapIssuer>(
        std::move(pki), config.simulated_enclave);
    p.description =
        "SIMULATED DCAP quotes from a test PKI: no TEE protects this Marble; only a Coordinator "
        "told to trust that PKI accepts them. Never use this in production.";
    return p;
  }
  if (gramine) {
    p.kind = QuoteProviderKind::kGramine;
    p.issuer = std::make_unique<attestation::providers::GramineQuoteIssuer>(config.attestation_dir);
    p.description = "Gramine-SGX quotes from " + config.attestation_dir.string();
    return p;
  }
  p.kind = QuoteProviderKind::kNone;
  p.issuer = std::make_unique<attestation::simulated::NoTeeIssuer>();
  p.description = "no TEE (" + config.attestation_dir.string() +
                  " does not exist): the quote will be empty; only a Coordinator in simulation "
                  "mode accepts this Marble";
  return p;
}

}  // namespace mr::marble
