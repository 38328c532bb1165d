#pragma once
// QuoteIssuer: produces a quote over caller-chosen report data (one half of MarbleRun's
// 2-method attestation seam; QuoteVerifier is the other).
//
//   auto quote = issuer.issue(sha256(cert_der));
//   if (!quote && is_no_tee(quote.error())) { /* simulation mode: run without a quote */ }

#include <cstddef>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace mr::attestation {

// kMaxReportDataSize is the size of the report-data field of SGX and TDX reports.
inline constexpr std::size_t kMaxReportDataSize = 64;

// kNoTeeMessage is the error text of an issuer without a TEE: upstream's "OE_UNSUPPORTED".
inline constexpr std::string_view kNoTeeMessage = "OE_UNSUPPORTED";

class QuoteIssuer {
 public:
  virtual ~QuoteIssuer() = default;
  // issue returns a quote whose report data is |report_data| zero-padded to 64 bytes, in the
  // format MarbleRun exchanges (for SGX: the Open Enclave 16-byte header + DCAP quote; see
  // attestation/oe_report.h). kInvalidArgument if |report_data| exceeds 64 bytes;
  // kUnimplemented (message kNoTeeMessage or starting with it) when no TEE is available, which
  // callers treat as simulation mode; kUnavailable / kInternal when the TEE fails.
  [[nodiscard]] virtual Result<Bytes> issue(ByteSpan report_data) = 0;
};

// is_no_tee reports whether |e| is the "no TEE" error every issuer uses for simulation mode.
[[nodiscard]] inline bool is_no_tee(const Error& e) {
  return e.code == ErrorCode::kUnimplemented;
}

}  // namespace mr::attestation
