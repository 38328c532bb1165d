#pragma once
// What a verified quote tells us: the TEE's measurements plus the platform's TCB status.
//
//   MR_ASSIGN_OR_RETURN(VerifiedQuote q, verifier.verify(quote));
//   if (q.tee_type == TeeType::kSgx) use(q.sgx->mr_enclave, q.sgx->isv_svn);
//   MR_RETURN_IF_ERROR(check_tcb_status(q.verdict(), q.tcb_status, accepted));
//
// A QuoteVerifier returns a VerifiedQuote whenever the signature chain and the collateral verify,
// whatever the TCB status; the policy functions (attestation/policy.h) decide what is acceptable.
// A platform that no TCB level of its collateral covers is refused by the verifier (Intel's
// TCB_NOT_SUPPORTED), so a VerifiedQuote from DCAP never carries kUnknown.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"

namespace mr::attestation {

using Hash32 = std::array<std::uint8_t, 32>;
using Hash48 = std::array<std::uint8_t, 48>;
using ReportData = std::array<std::uint8_t, 64>;

// TeeType is the kind of trusted execution environment that produced a quote.
enum class TeeType { kSgx, kTdx };

// tee_type_name returns "SGX" or "TDX".
[[nodiscard]] std::string_view tee_type_name(TeeType t);

// TcbStatus is the platform's TCB level status as Intel's collateral names it.
enum class TcbStatus {
  kUpToDate,
  kSWHardeningNeeded,
  kConfigurationNeeded,
  kConfigurationAndSWHardeningNeeded,
  kOutOfDate,
  kOutOfDateConfigurationNeeded,
  kRevoked,
  kUnknown,
};

// kIntelTcbStatuses are the statuses Intel's collateral can give (every TcbStatus but kUnknown),
// in declaration order; their names are the only valid AcceptedTCBStatuses values.
inline constexpr std::array<TcbStatus, 7> kIntelTcbStatuses = {
    TcbStatus::kUpToDate,
    TcbStatus::kSWHardeningNeeded,
    TcbStatus::kConfigurationNeeded,
    TcbStatus::kConfigurationAndSWHardeningNeeded,
    TcbStatus::kOutOfDate,
    TcbStatus::kOutOfDateConfigurationNeeded,
    TcbStatus::kRevoked};

// tcb_status_name returns Intel's (and EGo's) spelling, e.g. "SWHardeningNeeded".
[[nodiscard]] std::string_view tcb_status_name(TcbStatus s);
// parse_tcb_status maps Intel's spelling (exact case) to the enum; nullopt for anything else.
[[nodiscard]] std::optional<TcbStatus> parse_tcb_status(std::string_view s);

// TcbVerdict is EGo's (error, status) model: kOk when the status is UpToDate or
// SWHardeningNeeded (OE returns no error), kTcbLevelInvalid (ErrTCBLevelInvalid) otherwise.
enum class TcbVerdict { kOk, kTcbLevelInvalid };

// verdict_for returns the TcbVerdict EGo would report together with |s|.
[[nodiscard]] TcbVerdict verdict_for(TcbStatus s);

// SgxReportBody is the 384-byte SGX REPORT body (sgx_report_body_t), fields in host order.
struct SgxReportBody {
  std::array<std::uint8_t, 16> cpu_svn{};
  std::uint32_t misc_select = 0;
  std::array<std::uint8_t, 16> isv_ext_prod_id{};
  std::array<std::uint8_t, 16> attributes{};  // flags (LE u64) ‖ xfrm (LE u64)
  Hash32 mr_enclave{};
  Hash32 mr_signer{};
  std::array<std::uint8_t, 64> config_id{};
  std::uint16_t isv_prod_id = 0;
  std::uint16_t isv_svn = 0;
  std::uint16_t config_svn = 0;
  std::array<std::uint8_t, 16> isv_family_id{};
  ReportData report_data{};

  // debug reports the DEBUG attribute (bit 1 of the flags).
  [[nodiscard]] bool debug() const { return (attributes[0] & 0x02) != 0; }
  friend bool operator==(const SgxReportBody&, const SgxReportBody&) = default;
};

// TdReportBody is the TD report of a TDX quote (TD report 1.0, 584 bytes; 1.5 adds the last two).
struct TdReportBody {
  std::array<std::uint8_t, 16> tee_tcb_svn{};
  Hash48 mr_seam{};
  Hash48 mr_signer_seam{};
  std::array<std::uint8_t, 8> seam_attributes{};
  std::array<std::uint8_t, 8> td_attributes{};
  std::array<std::uint8_t, 8> xfam{};
  Hash48 mr_td{};
  Hash48 mr_config_id{};
  Hash48 mr_owner{};
  Hash48 mr_owner_config{};
  std::array<Hash48, 4> rtmr{};
  ReportData report_data{};
  std::optional<std::array<std::uint8_t, 16>> tee_tcb_svn2;  // TD report 1.5 only
  std::optional<Hash48> mr_service_td;                       // TD report 1.5 only

  // debug reports the TUD.DEBUG bit of the TD attributes.
  [[nodiscard]] bool debug() const { return (td_attributes[0] & 0x01) != 0; }
  friend bool operator==(const TdReportBody&, const TdReportBody&) = default;
};

// PlatformInfo describes the attested platform as its PCK certificate and quote header state it.
struct PlatformInfo {
  std::string fmspc;   // upper-case hex, 12 digits
  std::string pce_id;  // upper-case hex, 4 digits
  std::array<std::uint8_t, 16> cpu_svn{};
  std::uint16_t pce_svn = 0;
  std::uint16_t qe_svn = 0;  // ISVSVN of the quoting enclave's report
  std::string tcb_date;      // tcbDate of the matched TCB level (RFC 3339), may be empty
};

// VerifiedQuote is the result of a successful signature-chain and collateral verification.
struct VerifiedQuote {
  TeeType tee_type = TeeType::kSgx;
  std::uint16_t quote_version = 0;
  std::optional<SgxReportBody> sgx;  // set iff tee_type == kSgx
  std::optional<TdReportBody> td;    // set iff tee_type == kTdx
  TcbStatus tcb_status = TcbStatus::kUnknown;
  std::vector<std::string> advisory_ids;  // TCB level's, then the QE identity level's, no dups
  PlatformInfo platform;
  // collateral_expiry is the earliest nextUpdate / notAfter of everything the verification used.
  UnixTime collateral_expiry{};

  // report_data returns the 64 bytes of user data bound into the quote.
  [[nodiscard]] const ReportData& report_data() const;
  // debug reports whether the enclave or TD runs in debug mode.
  [[nodiscard]] bool debug() const;
  // verdict returns EGo's view of tcb_status (see TcbVerdict).
  [[nodiscard]] TcbVerdict verdict() const { return verdict_for(tcb_status); }
};

}  // namespace mr::attestation
