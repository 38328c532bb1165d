#pragma once
// Fetching DCAP collateral from Intel PCS or a PCCS (the Provisioning Certificate Caching Service
// that most deployments run), API v3/v4:
//
//   PcsFetcher fetcher({.base_url = "https://pccs.example:8081"});
//   MR_ASSIGN_OR_RETURN(Collateral c, fetcher.fetch({TeeType::kSgx, "00A067110000",
//   PckCa::kProcessor}));
//
// Requests (|v| = api_version, TDX uses /tdx/ for the first two):
//   GET <base>/sgx/certification/<v>/tcb?fmspc=<FMSPC>           header TCB-Info-Issuer-Chain
//   GET <base>/sgx/certification/<v>/qe/identity                  header
//   SGX-Enclave-Identity-Issuer-Chain GET
//   <base>/sgx/certification/<v>/pckcrl?ca=<processor|platform>&encoding=der
//                                                                 header SGX-PCK-CRL-Issuer-Chain
//   GET <root_ca_crl_url>   (default: Intel's published CRL for Intel PCS,
//   <base>/sgx/certification/<v>/rootcacrl otherwise)

#include <chrono>
#include <string>

#include "attestation/sgx_dcap/collateral.h"
#include "base/result.h"

namespace mr::attestation::dcap {

inline constexpr std::string_view kIntelPcsBaseUrl = "https://api.trustedservices.intel.com";
inline constexpr std::string_view kIntelRootCaCrlUrl =
    "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der";

// CollateralFetcher obtains fresh collateral from the network (or anything else).
class CollateralFetcher {
 public:
  virtual ~CollateralFetcher() = default;
  // fetch returns collateral for |key|. kUnavailable for transport failures and non-200
  // responses; kInvalidArgument for malformed responses.
  [[nodiscard]] virtual Result<Collateral> fetch(const CollateralKey& key) const = 0;
};

// PcsConfig configures PcsFetcher.
struct PcsConfig {
  std::string base_url = std::string(kIntelPcsBaseUrl);  // http:// or https://, optional path
  std::string api_version = "v4";
  std::string root_ca_crl_url;  // empty = see the header comment
  std::chrono::seconds timeout{10};
  // verify_tls checks the server certificate (PCCS installs often use a self-signed one: their
  // USE_SECURE_CERT=FALSE corresponds to false here). Collateral is signed, so false is safe for
  // integrity; it only matters for availability.
  bool verify_tls = true;
  std::string ca_bundle_path;  // empty = the system's default CA store
  std::string api_key;         // Ocp-Apim-Subscription-Key, if the service needs one
};

// PcsFetcher fetches collateral over HTTP(S) with cpp-httplib. Thread-safe (one connection per
// request).
class PcsFetcher final : public CollateralFetcher {
 public:
  explicit PcsFetcher(PcsConfig config) : config_(std::move(config)) {}
  // fetch: see CollateralFetcher::fetch; kInvalidArgument also for a malformed base URL.
  [[nodiscard]] Result<Collateral> fetch(const CollateralKey& key) const override;

 private:
  PcsConfig config_;
};

}  // namespace mr::attestation::dcap
