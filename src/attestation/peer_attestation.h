#pragma once
// PeerAttestation: how two Coordinators sharing one state attest each other before one hands the
// other the state's data key (spec 2b and 13, the key server of api/grpc/key_server.h).
//
//   MR_ASSIGN_OR_RETURN(auto self, PeerAttestation::create({.issuer = issuer.get(),
//                                                           .verifier = verifier.get()}));
//   MR_ASSIGN_OR_RETURN(Bytes quote, self->quote_for(my_cert_der));      // to the peer
//   MR_RETURN_IF_ERROR(self->check_peer(peer_quote, peer_cert_der,       // from the peer
//                                       /*require_same_enclave=*/true));
//
// Upstream's rule (EGo attested TLS and keyserver): the peer must run the same product as this
// instance, measured by this instance's own quote: SignerID, ProductID and Debug equal, SVN not
// lower, TCB status UpToDate or the one this instance has itself, and, unless the state is sealed
// with the product key, the same UniqueID (MRENCLAVE). A quote binds a peer's key by carrying
// SHA-256 of a DER structure (a certificate, or a certificate's SubjectPublicKeyInfo) in the first
// 32 bytes of its report data.
//
// Simulation: a Coordinator without a TEE has no quote. It offers an empty quote and accepts a
// peer's empty quote only when accept_simulated_peers is set (development: anyone who can reach
// it then gets the key); it never accepts a non-empty quote (it cannot judge one), and a
// Coordinator outside simulation never accepts an empty one.

#include <memory>
#include <string>

#include "attestation/claims.h"
#include "attestation/quote_issuer.h"
#include "attestation/quote_verifier.h"
#include "base/bytes.h"
#include "base/result.h"

namespace mr::attestation {

struct PeerAttestationConfig {
  QuoteIssuer* issuer = nullptr;            // borrowed; unused (may be null) in simulation
  const QuoteVerifier* verifier = nullptr;  // borrowed; unused (may be null) in simulation
  bool simulation = false;
  // accept_simulated_peers: in simulation, accept a peer that sends no quote. Development only.
  bool accept_simulated_peers = false;
};

// PeerIdentity is what this instance learned about itself from its own verified quote.
struct PeerIdentity {
  Hash32 unique_id{};  // MRENCLAVE
  Hash32 signer_id{};  // MRSIGNER
  std::uint16_t product_id = 0;
  std::uint16_t security_version = 0;
  bool debug = false;
  TcbStatus tcb_status = TcbStatus::kUnknown;
};

class PeerAttestation {
 public:
  // create makes the attestation of one Coordinator. Outside simulation it issues a quote over
  // 64 zero bytes and verifies it with the verifier to learn its own identity: kInvalidArgument
  // without issuer or verifier; the issuer's or verifier's error, wrapped ("attesting this
  // Coordinator itself: ..."), if that fails; kFailedPrecondition for a TDX quote (SGX only).
  // The issuer and verifier are borrowed and must outlive the result.
  [[nodiscard]] static Result<std::unique_ptr<PeerAttestation>> create(
      const PeerAttestationConfig& config);

  // quote_for returns a quote whose report data is SHA-256(|bound_der|) zero-padded to 64 bytes,
  // or an empty quote in simulation. The issuer's error, wrapped, if it fails.
  [[nodiscard]] Result<Bytes> quote_for(ByteSpan bound_der);

  // check_peer decides whether the peer that sent |quote| over |bound_der| (the DER its quote
  // must bind: its certificate, or its certificate's SubjectPublicKeyInfo) runs this product.
  // In simulation: ok iff |quote| is empty and accept_simulated_peers is set. Outside: the
  // verifier's error unchanged (kInvalidArgument malformed, kPermissionDenied bad signature,
  // kFailedPrecondition or kUnavailable collateral), else kPermissionDenied naming what differs:
  // no quote, not SGX, report data, SignerID, ProductID, Debug, SVN, TCB status, or UniqueID when
  // |require_same_enclave|. Messages carry measurements, never key material. Thread-safe.
  [[nodiscard]] Status check_peer(ByteSpan quote, ByteSpan bound_der,
                                  bool require_same_enclave) const;

  // simulation reports whether this instance runs without a quote.
  [[nodiscard]] bool simulation() const { return config_.simulation; }
  // self returns this instance's own identity (all zero in simulation).
  [[nodiscard]] const PeerIdentity& self() const { return self_; }

 private:
  PeerAttestation(PeerAttestationConfig config, PeerIdentity self) : config_(config), self_(self) {}
  PeerAttestationConfig config_;
  PeerIdentity self_;
};

}  // namespace mr::attestation
