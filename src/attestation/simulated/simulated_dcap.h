#pragma once
// Simulated DCAP: a test PKI shaped like Intel's that signs REAL SGX v3 quotes and collateral, so
// tests and demos run the whole DcapQuoteVerifier path without SGX hardware.
//
//   MR_ASSIGN_OR_RETURN(auto pki, SimulatedDcapPki::create({.now = clock.now()}));
//   SimulatedDcapIssuer issuer(pki, SimulatedEnclave{.mr_enclave = ..., .isv_svn = 2});
//   MR_ASSIGN_OR_RETURN(Bytes quote, issuer.issue(sha256(cert_der)));      // OE-framed
//   // The simulated root is trusted only when the verifier is told so:
//   MR_ASSIGN_OR_RETURN(auto verifier, pki->verifier(&clock));
//
// The PKI: "Simulated SGX Root CA" (self-signed) → "Simulated SGX PCK Processor CA" → a PCK
// certificate "Simulated SGX PCK Certificate" with the SGX extension (FMSPC, PCE ID, TCB
// components, PCESVN, CPUSVN); the root also issues "Simulated SGX TCB Signing", which signs the
// TCB info and QE identity JSON. All keys are ECDSA P-256 as in Intel's PKI.

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attestation/claims.h"
#include "attestation/quote_issuer.h"
#include "attestation/sgx_dcap/collateral.h"
#include "attestation/sgx_dcap/dcap_verifier.h"
#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"

namespace mr::attestation::simulated {

// SimulatedPlatform is the TCB of the simulated machine as its PCK certificate states it.
struct SimulatedPlatform {
  std::array<std::uint8_t, 6> fmspc = {0x5e, 0xc0, 0xde, 0x00, 0x00, 0x01};
  std::array<std::uint8_t, 2> pce_id = {0x00, 0x00};
  std::array<std::uint8_t, 16> tcb_components = {7, 7, 2, 2, 3, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0};
  std::uint16_t pce_svn = 13;
  std::uint16_t qe_svn = 8;
};

// CollateralOptions shapes one issue of collateral (TCB info, QE identity, CRLs).
struct CollateralOptions {
  UnixTime issue_date{};                                        // issueDate and CRL thisUpdate
  std::chrono::seconds validity = std::chrono::hours(24 * 30);  // nextUpdate = issue_date + this
  // Status and advisories of the TCB level the platform matches (a lower OutOfDate level is
  // always listed after it).
  TcbStatus platform_status = TcbStatus::kUpToDate;
  std::vector<std::string> advisory_ids;
  bool revoke_pck = false;  // list the PCK certificate in the PCK CRL
  std::optional<std::array<std::uint8_t, 6>> fmspc_override;  // TCB info for another FMSPC
  // levels_above_platform lists only TCB levels above the platform (every TCB component one
  // higher), so no level matches: Intel's TCB_NOT_SUPPORTED case.
  bool levels_above_platform = false;
};

// SimulatedPkiOptions configures SimulatedDcapPki::create.
struct SimulatedPkiOptions {
  UnixTime now{};  // certificates are valid from now - 1 day for 10 years
  SimulatedPlatform platform;
  // collateral is issued at creation with these options; its issue_date defaults to |now| - 1h.
  std::optional<CollateralOptions> collateral;
};

// SimulatedEnclave is what the simulated quoting "hardware" measures.
struct SimulatedEnclave {
  Hash32 mr_enclave{};
  Hash32 mr_signer{};
  std::uint16_t isv_prod_id = 0;
  std::uint16_t isv_svn = 0;
  bool debug = false;
};

class SimulatedDcapPki {
 public:
  // create generates the keys and certificates and issues the initial collateral.
  // kInternal if OpenSSL fails. The result is shared (issuers keep a reference).
  [[nodiscard]] static Result<std::shared_ptr<SimulatedDcapPki>> create(
      const SimulatedPkiOptions& options);
  // from_json restores a PKI saved with to_json (same keys, certificates and platform) and issues
  // fresh collateral with |options|.collateral (default issue date: |options|.now - 1h; the
  // platform of |options| is ignored). kInvalidArgument if |json| is malformed.
  [[nodiscard]] static Result<std::shared_ptr<SimulatedDcapPki>> from_json(
      std::string_view json, const SimulatedPkiOptions& options);
  ~SimulatedDcapPki();
  SimulatedDcapPki(const SimulatedDcapPki&) = delete;
  SimulatedDcapPki& operator=(const SimulatedDcapPki&) = delete;

  // to_json serialises the keys (PKCS#8 PEM), certificates (PEM) and platform so another
  // process (a simulated Marble, an e2e test) can load the same PKI. TEST keys only.
  [[nodiscard]] std::string to_json() const;
  // root_ca_der returns the DER of the simulated root CA (configure it as a trusted root).
  [[nodiscard]] const Bytes& root_ca_der() const;
  // pck_chain_pem returns leaf ‖ intermediate ‖ root as PEM (what quotes embed).
  [[nodiscard]] const std::string& pck_chain_pem() const;
  // collateral returns the collateral issued at creation.
  [[nodiscard]] const dcap::Collateral& collateral() const;
  // verifier returns a DCAP verifier that trusts this PKI's root only, with collateral() as its
  // cached collateral; |clock| must outlive it.
  [[nodiscard]] Result<std::unique_ptr<dcap::DcapQuoteVerifier>> verifier(const Clock* clock) const;
  // issue_collateral signs a fresh set of collateral shaped by |options|.
  [[nodiscard]] Result<dcap::Collateral> issue_collateral(const CollateralOptions& options) const;
  // sgx_quote returns a raw (not OE-framed) SGX ECDSA quote v3 over |report_data| (<= 64 bytes,
  // zero-padded; kInvalidArgument if longer) for |enclave|, with the PCK chain embedded.
  [[nodiscard]] Result<Bytes> sgx_quote(const SimulatedEnclave& enclave,
                                        ByteSpan report_data) const;

  struct Impl;

 private:
  explicit SimulatedDcapPki(std::unique_ptr<Impl> impl);
  // finish derives the encoded forms of a PKI whose keys and certificates are set and issues
  // its first collateral.
  [[nodiscard]] static Result<std::shared_ptr<SimulatedDcapPki>> finish(
      std::unique_ptr<Impl> impl, const SimulatedPkiOptions& options);
  std::unique_ptr<Impl> impl_;
};

// SimulatedDcapIssuer is a QuoteIssuer for one simulated enclave: OE-framed SGX v3 quotes, the
// format a Marble sends.
class SimulatedDcapIssuer final : public QuoteIssuer {
 public:
  // SimulatedDcapIssuer quotes for |enclave| with |pki| (shared: the PKI outlives the issuer).
  SimulatedDcapIssuer(std::shared_ptr<const SimulatedDcapPki> pki, SimulatedEnclave enclave)
      : pki_(std::move(pki)), enclave_(enclave) {}
  // issue: see QuoteIssuer::issue. kInvalidArgument if |report_data| exceeds 64 bytes.
  [[nodiscard]] Result<Bytes> issue(ByteSpan report_data) override;

 private:
  std::shared_ptr<const SimulatedDcapPki> pki_;
  SimulatedEnclave enclave_;
};

}  // namespace mr::attestation::simulated
