#pragma once
// Verifying a Coordinator before trusting it (spec 11.3): its quote must verify and bind its
// root certificate, and its enclave must match the attestation policy (the era config).
//
//   MR_ASSIGN_OR_RETURN(CoordinatorQuote q, insecure_client.quote(nonce));
//   MR_ASSIGN_OR_RETURN(VerifiedCoordinator v,
//                       verify_coordinator(q, {.verifier = &dcap, .era = era, .nonce = nonce}));
//   // v.root_der is now the only trust anchor for this Coordinator.

#include <optional>

#include "attestation/claims.h"
#include "attestation/policy.h"
#include "attestation/quote_verifier.h"
#include "base/bytes.h"
#include "base/result.h"
#include "client/coordinator_client.h"

namespace mr::client {

// CoordinatorCertificates are the two certificates of GET quote's chain (intermediate first).
struct CoordinatorCertificates {
  Bytes intermediate_der;
  Bytes root_der;
  friend bool operator==(const CoordinatorCertificates&, const CoordinatorCertificates&) = default;
};

// split_certificate_chain parses |chain_pem| as the SDK does: the first CERTIFICATE block is the
// intermediate, the second the root. kInvalidArgument if there are fewer than two or one does
// not parse as a certificate.
[[nodiscard]] Result<CoordinatorCertificates> split_certificate_chain(std::string_view chain_pem);

// SimulationPolicy says whether a Coordinator without a quote (simulation mode) is acceptable.
enum class SimulationPolicy { kRefuse, kAccept };

struct VerifyOptions {
  const attestation::QuoteVerifier* verifier = nullptr;  // required for a Coordinator with a quote
  std::optional<attestation::EraConfig> era;             // required for a Coordinator with a quote
  Bytes nonce;                                           // the nonce the quote was requested with
  SimulationPolicy simulation = SimulationPolicy::kRefuse;
};

// VerifiedCoordinator is what verify_coordinator established.
struct VerifiedCoordinator {
  CoordinatorCertificates certs;
  Bytes quote;  // empty for a simulation-mode Coordinator
  bool simulated = false;
  std::optional<attestation::VerifiedQuote> claims;  // set when a quote was verified
};

// verify_coordinator checks |quote| (as fetched with |options|.nonce): the chain splits; an
// empty quote is accepted only with SimulationPolicy::kAccept (else kFailedPrecondition "the
// Coordinator runs in simulation mode: it sent no quote to verify"); otherwise |options| must
// carry a verifier and an era config (kFailedPrecondition "no attestation policy for the
// Coordinator" otherwise), the verifier must accept the quote (its error, wrapped "verifying the
// Coordinator's quote"), and attestation::check_coordinator_quote must accept it against the root
// and nonce (kPermissionDenied/kInvalidArgument wrapped "the Coordinator does not match the
// attestation policy").
[[nodiscard]] Result<VerifiedCoordinator> verify_coordinator(const CoordinatorQuote& quote,
                                                             const VerifyOptions& options);

}  // namespace mr::client
