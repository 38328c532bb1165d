#pragma once
// DCAP quote parsing: SGX quote v3, SGX/TDX quote v4 and v5 (Intel "SGX ECDSA Quote Library API"
// appendix, "TDX DCAP Quoting Library API" appendix 3). Parsing checks every length and offset
// and copies what it needs; it verifies nothing.
//
//   MR_ASSIGN_OR_RETURN(ByteSpan raw, strip_oe_header(bytes));   // attestation/oe_report.h
//   MR_ASSIGN_OR_RETURN(ParsedQuote q, parse_quote(raw));
//   verify_signature(attestation_key, raw.first(q.signed_size), q.signature);
//
// Layout (all integers little-endian):
//   header (48): version u16, att. key type u16, TEE type u32, QE SVN u16, PCE SVN u16,
//                QE vendor ID [16], user data [20]
//   v3/v4 body : SGX report body (384) or TD report 1.0 (584), by TEE type
//   v5 body    : type u16 (1 SGX, 2 TD 1.0, 3 TD 1.5), size u32, body
//   signature data length u32, then
//   v3 : signature [64], attestation key [64], QE report [384], QE report signature [64],
//        QE auth data (u16 size + data), certification data (type u16, size u32, data)
//   v4+: signature [64], attestation key [64], certification data of type 6 whose data is
//        QE report [384], QE report signature [64], QE auth data, certification data (type 5)

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "attestation/claims.h"
#include "base/bytes.h"
#include "base/result.h"

namespace mr::attestation::dcap {

inline constexpr std::size_t kQuoteHeaderSize = 48;
inline constexpr std::size_t kSgxReportBodySize = 384;
inline constexpr std::size_t kTdReport10Size = 584;
inline constexpr std::size_t kTdReport15Size = 648;
inline constexpr std::uint16_t kAttestationKeyEcdsaP256 = 2;
inline constexpr std::uint32_t kTeeTypeSgx = 0x00000000;
inline constexpr std::uint32_t kTeeTypeTdx = 0x00000081;
inline constexpr std::uint16_t kCertDataPckChain = 5;  // PEM PCK leaf ‖ intermediate ‖ root
inline constexpr std::uint16_t kCertDataQeReport = 6;  // QE report certification data
inline constexpr std::uint16_t kBodyTypeSgx = 1;
inline constexpr std::uint16_t kBodyTypeTd10 = 2;
inline constexpr std::uint16_t kBodyTypeTd15 = 3;
// Intel's QE vendor ID (939A7233-F79C-4CA9-940A-0DB3957F0607).
inline constexpr std::array<std::uint8_t, 16> kIntelQeVendorId = {
    0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

struct QuoteHeader {
  std::uint16_t version = 0;
  std::uint16_t attestation_key_type = 0;
  std::uint32_t tee_type = 0;
  std::uint16_t qe_svn = 0;
  std::uint16_t pce_svn = 0;
  std::array<std::uint8_t, 16> qe_vendor_id{};
  std::array<std::uint8_t, 20> user_data{};
};

// ParsedQuote holds copies of every field verification needs.
struct ParsedQuote {
  QuoteHeader header;
  TeeType tee_type = TeeType::kSgx;
  std::uint16_t body_type = kBodyTypeSgx;
  std::optional<SgxReportBody> sgx;  // body_type == kBodyTypeSgx
  std::optional<TdReportBody> td;    // body_type == kBodyTypeTd10 / kBodyTypeTd15
  std::size_t signed_size = 0;       // header ‖ body: the bytes the quote signature covers
  std::array<std::uint8_t, 64> signature{};        // r ‖ s, ECDSA P-256 over SHA-256
  std::array<std::uint8_t, 64> attestation_key{};  // x ‖ y of the P-256 attestation key
  std::array<std::uint8_t, kSgxReportBodySize> qe_report_raw{};
  SgxReportBody qe_report;
  std::array<std::uint8_t, 64> qe_report_signature{};
  Bytes qe_auth_data;
  std::uint16_t cert_data_type = 0;  // of the innermost certification data
  Bytes cert_data;
};

// parse_sgx_report_body decodes a 384-byte SGX report body. kInvalidArgument on another size.
[[nodiscard]] Result<SgxReportBody> parse_sgx_report_body(ByteSpan body);
// encode_sgx_report_body is the inverse of parse_sgx_report_body (reserved bytes zero).
[[nodiscard]] std::array<std::uint8_t, kSgxReportBodySize> encode_sgx_report_body(
    const SgxReportBody& body);

// parse_quote parses a raw DCAP quote (without the OE header). Trailing bytes after the
// signature data are ignored (some quote providers pad). kInvalidArgument "malformed quote: ..."
// when truncated or inconsistent, "unsupported quote version N", "unsupported attestation key
// type N" (only ECDSA P-256 is defined for verification), or "unsupported TEE type".
[[nodiscard]] Result<ParsedQuote> parse_quote(ByteSpan raw);

}  // namespace mr::attestation::dcap
