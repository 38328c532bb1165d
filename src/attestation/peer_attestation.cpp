#include "attestation/peer_attestation.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "attestation/policy.h"
#include "base/encoding.h"
#include "crypto/hash.h"

namespace mr::attestation {
namespace {

// identity_of reads the SGX identity of a verified quote; kFailedPrecondition for TDX.
Result<PeerIdentity> identity_of(const VerifiedQuote& q) {
  if (q.tee_type != TeeType::kSgx || !q.sgx) {
    return failf(ErrorCode::kFailedPrecondition,
                 "the quote is a {} quote; Coordinators attest each other with SGX quotes only",
                 tee_type_name(q.tee_type));
  }
  PeerIdentity id;
  id.unique_id = q.sgx->mr_enclave;
  id.signer_id = q.sgx->mr_signer;
  id.product_id = q.sgx->isv_prod_id;
  id.security_version = q.sgx->isv_svn;
  id.debug = q.sgx->debug();
  id.tcb_status = q.tcb_status;
  return id;
}

}  // namespace

Result<std::unique_ptr<PeerAttestation>> PeerAttestation::create(
    const PeerAttestationConfig& config) {
  if (config.simulation) {
    return std::unique_ptr<PeerAttestation>(new PeerAttestation(config, PeerIdentity{}));
  }
  if (config.issuer == nullptr || config.verifier == nullptr) {
    return fail(ErrorCode::kInvalidArgument,
                "peer attestation outside simulation needs a quote issuer and a verifier");
  }
  const ReportData zero{};
  const auto wrap = Wrap("attesting this Coordinator itself");
  MR_ASSIGN_OR_RETURN(Bytes quote, config.issuer->issue(zero).map_error(wrap));
  MR_ASSIGN_OR_RETURN(VerifiedQuote q, config.verifier->verify(quote).map_error(wrap));
  MR_ASSIGN_OR_RETURN(PeerIdentity self, identity_of(q).map_error(wrap));
  return std::unique_ptr<PeerAttestation>(new PeerAttestation(config, self));
}

Result<Bytes> PeerAttestation::quote_for(ByteSpan bound_der) {
  if (config_.simulation) return Bytes{};
  const crypto::Sha256Digest digest = crypto::sha256(bound_der);
  return config_.issuer->issue(digest).map_error(Wrap("quoting this Coordinator's certificate"));
}

Status PeerAttestation::check_peer(ByteSpan quote, ByteSpan bound_der,
                                   bool require_same_enclave) const {
  if (config_.simulation) {
    if (!quote.empty()) {
      return fail(ErrorCode::kPermissionDenied,
                  "the peer sent a quote, but this Coordinator runs in simulation mode and cannot "
                  "verify it (Coordinators in and out of simulation never share a state)");
    }
    if (!config_.accept_simulated_peers) {
      return fail(ErrorCode::kPermissionDenied,
                  "the peer sent no quote (it runs in simulation mode) and this Coordinator does "
                  "not accept unattested peers (accept_simulated_peers is off)");
    }
    return ok();
  }
  if (quote.empty()) {
    return fail(ErrorCode::kPermissionDenied,
                "the peer sent no quote (it runs in simulation mode); this Coordinator accepts "
                "only attested peers");
  }
  MR_ASSIGN_OR_RETURN(VerifiedQuote q, config_.verifier->verify(quote));
  MR_ASSIGN_OR_RETURN(PeerIdentity peer, identity_of(q).map_error([](Error e) {
    return Error{ErrorCode::kPermissionDenied, std::move(e.message)};
  }));
  const crypto::Sha256Digest digest = crypto::sha256(bound_der);
  if (!std::equal(digest.begin(), digest.end(), q.report_data().begin())) {
    return fail(ErrorCode::kPermissionDenied,
                "the peer's quote does not bind its TLS key: report data != SHA-256 of the "
                "certificate or key it presented (a quote replayed from another connection?)");
  }
  const PeerIdentity& self = self_;
  if (peer.signer_id != self.signer_id) {
    return failf(ErrorCode::kPermissionDenied,
                 "the peer's SignerID (MRSIGNER) {} differs from this Coordinator's {}",
                 hex_encode(peer.signer_id), hex_encode(self.signer_id));
  }
  if (peer.product_id != self.product_id) {
    return failf(ErrorCode::kPermissionDenied,
                 "the peer's ProductID {} differs from this Coordinator's {}", peer.product_id,
                 self.product_id);
  }
  if (peer.debug != self.debug) {
    return failf(ErrorCode::kPermissionDenied,
                 "the peer's enclave is {}a debug enclave, this Coordinator's is {}",
                 peer.debug ? "" : "not ", self.debug ? "one" : "not");
  }
  if (peer.security_version < self.security_version) {
    return failf(ErrorCode::kPermissionDenied,
                 "the peer's SecurityVersion (ISVSVN) {} is lower than this Coordinator's {}",
                 peer.security_version, self.security_version);
  }
  // Upstream: UpToDate, or the status this instance has itself (its "accepted list").
  if (const Status s = check_tcb_status(q.verdict(), q.tcb_status,
                                        {std::string(tcb_status_name(self.tcb_status))});
      !s) {
    return failf(ErrorCode::kPermissionDenied,
                 "the peer's TCB status is not acceptable (this Coordinator's is {}): {}",
                 tcb_status_name(self.tcb_status), s.error().message);
  }
  if (require_same_enclave && peer.unique_id != self.unique_id) {
    return failf(ErrorCode::kPermissionDenied,
                 "the peer's UniqueID (MRENCLAVE) {} differs from this Coordinator's {} (the state "
                 "is not sealed with the product key, so only the same enclave may receive it)",
                 hex_encode(peer.unique_id), hex_encode(self.unique_id));
  }
  return ok();
}

}  // namespace mr::attestation
