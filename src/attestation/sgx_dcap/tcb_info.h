#pragma once
// Intel PCS collateral bodies: TCB info (v2, v3 for SGX and TDX) and enclave identity (QE / TD_QE,
// v2), plus the TCB level matching of Intel's QVL ("TcbLevelCheck"):
//
//   MR_ASSIGN_OR_RETURN(TcbInfo info, parse_tcb_info(signed_json_text));
//   MR_ASSIGN_OR_RETURN(QeIdentity qe, parse_qe_identity(signed_json_text));
//   MR_ASSIGN_OR_RETURN(QeMatch qe_match, match_qe_identity(qe, quote.qe_report));
//   MR_ASSIGN_OR_RETURN(TcbMatch m, match_tcb(info, pck_extensions, quote, qe_match));
//
// Pure functions over parsed values; signatures are checked elsewhere (dcap_verifier).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attestation/claims.h"
#include "attestation/sgx_dcap/pck_extensions.h"
#include "attestation/sgx_dcap/quote.h"
#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"

namespace mr::attestation::dcap {

struct TcbLevel {
  std::array<std::uint8_t, 16> sgx_components{};
  std::uint16_t pce_svn = 0;
  std::optional<std::array<std::uint8_t, 16>> tdx_components;  // TDX TCB info only
  std::string tcb_date;
  std::string status;  // as written; unrecognised values fail only when a level is selected
  std::vector<std::string> advisory_ids;
};

struct TdxModuleTcbLevel {
  std::uint8_t isv_svn = 0;
  std::string tcb_date;
  std::string status;
  std::vector<std::string> advisory_ids;
};

struct TdxModuleIdentity {
  std::string id;   // "TDX_01", ...
  Bytes mr_signer;  // 48 bytes
  std::array<std::uint8_t, 8> attributes{};
  std::array<std::uint8_t, 8> attributes_mask{};
  std::vector<TdxModuleTcbLevel> tcb_levels;
};

struct TcbInfo {
  std::string id;  // "SGX" or "TDX" (v3); empty for v2
  int version = 0;
  UnixTime issue_date{};
  UnixTime next_update{};
  std::array<std::uint8_t, 6> fmspc{};
  std::array<std::uint8_t, 2> pce_id{};
  int tcb_type = 0;
  std::uint64_t tcb_evaluation_data_number = 0;
  std::optional<TdxModuleIdentity> tdx_module;  // "tdxModule" (id empty, no levels)
  std::vector<TdxModuleIdentity> tdx_module_identities;
  std::vector<TcbLevel> tcb_levels;
};

struct QeTcbLevel {
  std::uint16_t isv_svn = 0;
  std::string tcb_date;
  std::string status;  // UpToDate, OutOfDate, Revoked
  std::vector<std::string> advisory_ids;
};

struct QeIdentity {
  std::string id;  // "QE", "TD_QE", "QVE"
  int version = 0;
  UnixTime issue_date{};
  UnixTime next_update{};
  std::uint64_t tcb_evaluation_data_number = 0;
  std::array<std::uint8_t, 4> miscselect{};
  std::array<std::uint8_t, 4> miscselect_mask{};
  std::array<std::uint8_t, 16> attributes{};
  std::array<std::uint8_t, 16> attributes_mask{};
  std::array<std::uint8_t, 32> mr_signer{};
  std::uint16_t isv_prod_id = 0;
  std::vector<QeTcbLevel> tcb_levels;
};

// parse_tcb_info parses the signed "tcbInfo" JSON object (v2 or v3). kInvalidArgument
// "invalid TCB info: ..." for malformed JSON (nesting deeper than 64 levels included), a missing or
// mistyped field, or another version.
[[nodiscard]] Result<TcbInfo> parse_tcb_info(std::string_view json);
// parse_qe_identity parses the signed "enclaveIdentity" JSON object (v2). kInvalidArgument
// "invalid QE identity: ..." as above.
[[nodiscard]] Result<QeIdentity> parse_qe_identity(std::string_view json);

// QeMatch is the QE identity's verdict on the quoting enclave's report.
struct QeMatch {
  TcbStatus status = TcbStatus::kUnknown;  // kUpToDate, kOutOfDate or kRevoked
  std::vector<std::string> advisory_ids;
};

// match_qe_identity checks the QE report against |identity| (MISCSELECT and attributes under
// their masks, MRSIGNER, ISVPRODID) and selects the TCB level for its ISVSVN.
// kPermissionDenied "QE identity mismatch: <field>" if a field does not match, and
// "TCB not supported: no matching TCB level found (...)" if the ISVSVN is below every level.
[[nodiscard]] Result<QeMatch> match_qe_identity(const QeIdentity& identity,
                                                const SgxReportBody& qe_report);

// TcbMatch is the result of TCB level matching.
struct TcbMatch {
  TcbStatus status = TcbStatus::kUnknown;  // never kUnknown in a returned match
  std::vector<std::string> advisory_ids;
  std::string tcb_date;  // tcbDate of the selected TCB level (SGX and TDX)
};

// match_tcb selects the TCB level(s) for the platform (PCK SVNs; for TDX also the TEE TCB SVN
// and the TDX module identity) and converges the status with the TDX module's and the QE's.
// kPermissionDenied "TCB not supported: no matching TCB level found (<why>)" when no TCB level
// covers the platform (Intel QVL's TCB_NOT_SUPPORTED; SGX: PCK components and PCESVN; TDX: also
// the TEE TCB SVN, and the TDX module SVN against its identity's levels), as for a QE below every
// QE identity level;
// kPermissionDenied for a TDX module mismatch (MRSIGNERSEAM / SEAM attributes / no identity);
// kInvalidArgument for a TDX quote against SGX TCB info (or vice versa) or an unrecognised
// status string in a selected level.
[[nodiscard]] Result<TcbMatch> match_tcb(const TcbInfo& info, const PckExtensions& pck,
                                         const ParsedQuote& quote, const QeMatch& qe);

}  // namespace mr::attestation::dcap
