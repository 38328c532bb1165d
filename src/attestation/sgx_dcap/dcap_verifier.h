#pragma once
// DcapQuoteVerifier: Intel DCAP quote verification (SGX v3, SGX/TDX v4 and v5) on OpenSSL.
//
//   SystemClock clock;
//   MR_ASSIGN_OR_RETURN(Collateral c, load_collateral(dir));
//   MR_ASSIGN_OR_RETURN(auto verifier, DcapQuoteVerifier::create(
//       {.collateral = std::make_shared<StaticCollateralProvider>(std::move(c)), .clock =
//       &clock}));
//   MR_ASSIGN_OR_RETURN(VerifiedQuote q, verifier->verify(quote));
//
// What verify() checks, in order (Intel's QVL numbering in brackets where it has one):
//   quote structure, version 3-5, ECDSA P-256 key, Intel QE vendor ID;
//   the PCK chain (from certification data type 5, else the collateral's pck_chain) chains to a
//   pinned root (signatures only) BEFORE collateral is requested for its FMSPC: a quote with an
//   untrusted chain never makes the collateral provider fetch anything;
//   the PCK chain again with the root CA CRL and the PCK CRL applied [4.1.2.4.7];
//   the TCB info and QE identity issuer chains chain to the same root, their signatures verify;
//   the PCK CRL is signed by its issuer chain;
//   every collateral item and certificate is valid at the clock's time;
//   TCB info is for the quote's TEE, its FMSPC and PCE ID equal the PCK certificate's
//   [4.1.2.4.9-10]; TDX: MRSIGNERSEAM and SEAM attributes match the TDX module (identity)
//   [4.1.2.4.11]; QE report signed by the PCK key [12]; QE report data = SHA-256(attestation key ‖
//   QE auth data) [13]; QE identity (QE / TD_QE) matches the QE report [14-15]; quote signed by the
//   attestation key [16]; TCB level matching and status convergence [17]: a platform that no TCB
//   level covers is refused ("TCB not supported: no matching TCB level found (...)").
// Work that depends only on collateral or on a PCK chain is cached (thread-safe), so repeated
// verifications cost two ECDSA verifications plus parsing.

#include <memory>
#include <vector>

#include "attestation/claims.h"
#include "attestation/quote_verifier.h"
#include "attestation/sgx_dcap/collateral.h"
#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"

namespace mr::attestation::dcap {

// intel_sgx_root_ca_der returns the DER of Intel's production SGX Root CA (the default anchor).
[[nodiscard]] ByteSpan intel_sgx_root_ca_der();

// DcapVerifierConfig configures a DcapQuoteVerifier.
struct DcapVerifierConfig {
  std::shared_ptr<const CollateralProvider> collateral;  // required
  const Clock* clock = nullptr;                          // required; must outlive the verifier
  // trusted_roots_der lists the root CAs (DER or PEM) the PCK chain and the collateral may chain
  // to. Empty = Intel's production SGX Root CA only. A simulated PKI's root is trusted only if
  // it is listed here.
  std::vector<Bytes> trusted_roots;
};

class DcapQuoteVerifier final : public QuoteVerifier {
 public:
  // create validates |config| and parses the roots. kInvalidArgument if the provider or clock is
  // missing or a root does not parse. The result is owned by the caller.
  [[nodiscard]] static Result<std::unique_ptr<DcapQuoteVerifier>> create(DcapVerifierConfig config);
  ~DcapQuoteVerifier() override;
  DcapQuoteVerifier(const DcapQuoteVerifier&) = delete;
  DcapQuoteVerifier& operator=(const DcapQuoteVerifier&) = delete;

  // verify: see QuoteVerifier::verify and the check list above.
  [[nodiscard]] Result<VerifiedQuote> verify(ByteSpan quote) const override;

  struct Impl;

 private:
  explicit DcapQuoteVerifier(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mr::attestation::dcap
