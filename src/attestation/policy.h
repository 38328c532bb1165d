#pragma once
// Attestation policy: what MarbleRun accepts from a verified quote (spec 2.5 for Marbles, 11.3
// for the CLI's check of a Coordinator). Verifiers report facts; these functions decide.
//
//   // Activate (spec 2.4 step 5c): verify + TCB policy + report data + package, in upstream order.
//   MR_ASSIGN_OR_RETURN(VerifiedQuote q,
//                       verify_marble_quote(verifier, quote, peer_cert_der, package));
//
//   // CLI: after fetching the Coordinator's quote and certificate chain.
//   MR_ASSIGN_OR_RETURN(EraConfig era, parse_era_config(json_text));
//   MR_RETURN_IF_ERROR(check_coordinator_quote(q, root_der, nonce, era));
//
// Every refusal is kPermissionDenied with upstream's message where the spec gives one.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attestation/claims.h"
#include "attestation/quote_verifier.h"
#include "base/bytes.h"
#include "base/result.h"

namespace mr::attestation {

// PackagePolicy mirrors the manifest's PackageProperties (spec 5.2).
struct PackagePolicy {
  bool debug = false;
  std::string unique_id;  // hex MRENCLAVE; empty = not checked
  std::string signer_id;  // hex MRSIGNER; empty = not checked
  std::optional<std::uint64_t> product_id;
  std::optional<std::uint64_t> security_version;
  std::vector<std::string> accepted_tcb_statuses;  // empty = {"SWHardeningNeeded"}
  std::vector<std::string> accepted_advisories;    // empty = every advisory accepted
  friend bool operator==(const PackagePolicy&, const PackagePolicy&) = default;
};

// kDefaultAcceptedTcbStatuses is what a package without AcceptedTCBStatuses accepts besides the
// always-accepted UpToDate.
inline const std::vector<std::string> kDefaultAcceptedTcbStatuses = {"SWHardeningNeeded"};

// check_tcb_status applies upstream's TCB decision table (internal/tcb.CheckStatus) to a
// verifier's (verdict, status) pair; |accepted| empty means kDefaultAcceptedTcbStatuses.
//   kOk + UpToDate                       → ok
//   kOk + anything but SWHardeningNeeded → "unexpected: got no error, but TCB status is <s>"
//   kTcbLevelInvalid + UpToDate          → "unexpected: got ErrTCBLevelInvalid, but TCB status is
//   UpToDate" otherwise                            → ok iff <s> is in |accepted| (exact spelling),
//   else
//                                          "TCB level invalid: <s>"
// All refusals are kPermissionDenied.
[[nodiscard]] Status check_tcb_status(TcbVerdict verdict, TcbStatus status,
                                      const std::vector<std::string>& accepted);

// check_advisories applies upstream's CheckAdvisories: only when |status| is SWHardeningNeeded and
// |accepted| is non-empty, every ID in |advisories| must be in |accepted| (case-insensitive).
// kPermissionDenied "TCB status SWHardeningNeeded contains advisories not accepted by
// configuration: [A B]" otherwise, or "no valid TCB advisory list in report" when |advisories| is
// nullopt (the verifier could not provide them) in that case.
[[nodiscard]] Status check_advisories(TcbStatus status,
                                      const std::optional<std::vector<std::string>>& advisories,
                                      const std::vector<std::string>& accepted);

// check_report_data checks that the first 32 bytes of |report_data| are SHA-256(|cert_der|), the
// binding of a Marble's quote to its TLS certificate. kPermissionDenied "hash(cert) !=
// report.Data".
[[nodiscard]] Status check_report_data(const ReportData& report_data, ByteSpan cert_der);

// check_package is upstream's PackageProperties.IsCompliant for an SGX quote: Debug must equal the
// DEBUG attribute exactly, UniqueID/SignerID (when set) equal hex(MRENCLAVE)/hex(MRSIGNER)
// case-insensitively, ProductID (when set) equal ISVPRODID, SecurityVersion (when set) <= ISVSVN.
// The TCB fields of |pkg| are not looked at here. kPermissionDenied "package properties not
// compliant: <field> ..." naming the first mismatch; also for a TDX quote (no SGX enclave).
[[nodiscard]] Status check_package(const VerifiedQuote& quote, const PackagePolicy& pkg);

// verify_marble_quote is the quote validation of Activate (spec 2.5) in upstream order:
// verifier.verify(quote), check_tcb_status with pkg.accepted_tcb_statuses, check_advisories with
// pkg.accepted_advisories, check_report_data against |peer_cert_der| (the DER of the TLS peer's
// leaf certificate), then check_package. Returns the claims (accepted non-UpToDate statuses are
// logged as warnings). Errors: the verifier's error unchanged, or a kPermissionDenied refusal.
[[nodiscard]] Result<VerifiedQuote> verify_marble_quote(const QuoteVerifier& verifier,
                                                        ByteSpan quote, ByteSpan peer_cert_der,
                                                        const PackagePolicy& pkg);

// EraConfig is the CLI's attestation policy for a Coordinator (api.VerifyOptions, the
// `--era-config` JSON, spec 11.1).
struct EraConfig {
  std::uint64_t security_version = 0;
  std::string unique_id;  // hex
  std::string signer_id;  // hex
  std::uint16_t product_id = 0;
  bool debug = false;
  bool insecure_skip_verify = false;
  std::vector<std::string> accepted_tcb_statuses;
  std::vector<std::string> accepted_advisories;
  Bytes nonce;
  friend bool operator==(const EraConfig&, const EraConfig&) = default;
};

// check_accepted_tcb_statuses refuses a name that is not one of Intel's TCB status names
// (kIntelTcbStatuses, exact case, as check_tcb_status compares them; the manifest check uses the
// same names): kInvalidArgument 'AcceptedTCBStatuses value "x" is not a TCB status (did you mean
// "Y"? names are case-sensitive: UpToDate, ...)'. A typo would otherwise never match any quote.
[[nodiscard]] Status check_accepted_tcb_statuses(const std::vector<std::string>& names);

// parse_era_config decodes era-config JSON with Go's encoding/json rules (gojson: case-insensitive
// keys, unknown keys ignored, last duplicate wins, null leaves a field alone, "Nonce" as base64).
// kInvalidArgument "invalid era config: <Go's message>" for malformed JSON (nesting deeper than
// base/json_depth.h's limit included) or a value of the wrong type or range, and
// "invalid era config: <check_accepted_tcb_statuses' message>" for an unknown status name.
[[nodiscard]] Result<EraConfig> parse_era_config(std::string_view json);

// check_coordinator_quote is the CLI's check of a Coordinator's verified quote (spec 11.3):
// report data[0:32] == SHA-256(|root_der| ‖ |nonce|); without UniqueID the config must set
// SecurityVersion and ProductID; ISVSVN >= SecurityVersion; ISVPRODID == ProductID; a debug
// enclave only if cfg.debug; UniqueID/SignerID byte-equal when set; then check_tcb_status and
// check_advisories with the config's lists (the CLI fills them from its flags). kInvalidArgument
// for an incomplete or non-hex config; kPermissionDenied for a refused quote.
[[nodiscard]] Status check_coordinator_quote(const VerifiedQuote& quote, ByteSpan root_der,
                                             ByteSpan nonce, const EraConfig& cfg);

}  // namespace mr::attestation
