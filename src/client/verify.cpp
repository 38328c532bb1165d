#include "client/verify.h"

#include "crypto/pem.h"
#include "crypto/x509.h"

namespace mr::client {

Result<CoordinatorCertificates> split_certificate_chain(std::string_view chain_pem) {
  std::vector<Bytes> ders;
  for (crypto::PemBlock& block : crypto::pem_decode_all(chain_pem)) {
    if (block.type == "CERTIFICATE") ders.push_back(std::move(block.der));
  }
  if (ders.size() < 2) {
    return failf(ErrorCode::kInvalidArgument,
                 "the Coordinator's certificate chain has {} certificate(s), want the "
                 "intermediate and the root",
                 ders.size());
  }
  for (std::size_t i = 0; i < 2; ++i) {
    auto cert = crypto::Certificate::from_der(ders[i]);
    if (!cert) {
      return fail(
          std::move(cert).error().wrap(i == 0 ? "parsing the Coordinator's intermediate certificate"
                                              : "parsing the Coordinator's root certificate"));
    }
  }
  return CoordinatorCertificates{std::move(ders[0]), std::move(ders[1])};
}

Result<VerifiedCoordinator> verify_coordinator(const CoordinatorQuote& quote,
                                               const VerifyOptions& options) {
  VerifiedCoordinator v;
  MR_ASSIGN_OR_RETURN(v.certs, split_certificate_chain(quote.cert_chain_pem));
  if (quote.quote.empty()) {
    if (options.simulation != SimulationPolicy::kAccept) {
      return fail(ErrorCode::kFailedPrecondition,
                  "the Coordinator runs in simulation mode: it sent no quote to verify");
    }
    v.simulated = true;
    return v;
  }
  if (options.verifier == nullptr || !options.era) {
    return fail(ErrorCode::kFailedPrecondition, "no attestation policy for the Coordinator");
  }
  MR_ASSIGN_OR_RETURN(
      attestation::VerifiedQuote claims,
      options.verifier->verify(quote.quote).map_error(Wrap("verifying the Coordinator's quote")));
  MR_RETURN_IF_ERROR(
      attestation::check_coordinator_quote(claims, v.certs.root_der, options.nonce, *options.era)
          .map_error(Wrap("the Coordinator does not match the attestation policy")));
  v.quote = quote.quote;
  v.claims = std::move(claims);
  return v;
}

}  // namespace mr::client
