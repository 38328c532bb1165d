#pragma once
// The Intel SGX extension of PCK certificates (OID 1.2.840.113741.1.13.1), per Intel's "SGX PCK
// Certificate and Certificate Revocation List Profile":
//
//   SEQUENCE {
//     { .1 PPID OCTET STRING(16) }
//     { .2 TCB SEQUENCE { {.2.1..16 comp SVN INTEGER} {.2.17 PCESVN INTEGER} {.2.18 CPUSVN OCTET
//     STRING(16)} } } { .3 PCE-ID OCTET STRING(2) }  { .4 FMSPC OCTET STRING(6) }  { .5 SGX Type
//     ENUMERATED } [ { .6 PlatformInstanceID OCTET STRING(16) }  { .7 Configuration SEQUENCE {...}
//     } ]  // platform CA
//   }
//
//   MR_ASSIGN_OR_RETURN(PckExtensions ext, parse_pck_extensions(extension_value));
//   if (ext.fmspc != tcb_info.fmspc) ...

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace mr::attestation::dcap {

inline constexpr std::string_view kSgxExtensionOid = "1.2.840.113741.1.13.1";

// PckExtensions holds the values of the SGX extension that verification uses.
struct PckExtensions {
  Bytes ppid;                                     // 16 bytes
  std::array<std::uint8_t, 16> tcb_components{};  // SGX TCB component SVNs 1..16
  std::uint16_t pce_svn = 0;
  std::array<std::uint8_t, 16> cpu_svn{};
  std::array<std::uint8_t, 2> pce_id{};
  std::array<std::uint8_t, 6> fmspc{};
  std::uint32_t sgx_type = 0;  // 0 Standard, 1 Scalable, 2 Scalable with integrity
  std::optional<Bytes> platform_instance_id;
  friend bool operator==(const PckExtensions&, const PckExtensions&) = default;
};

// parse_pck_extensions decodes the extension's value (the contents of extnValue). Unknown
// elements are skipped. kInvalidArgument if the structure is malformed or a required element
// (TCB with all 18 entries, PCE-ID, FMSPC, SGX type) is missing or has the wrong size.
[[nodiscard]] Result<PckExtensions> parse_pck_extensions(ByteSpan value);

// encode_pck_extensions builds the extension value for |ext| (used by the simulated PKI).
[[nodiscard]] Bytes encode_pck_extensions(const PckExtensions& ext);

}  // namespace mr::attestation::dcap
