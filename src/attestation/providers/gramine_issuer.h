#pragma once
// GramineQuoteIssuer: quotes from Gramine's /dev/attestation pseudo-files (DCAP mode):
// write the 64-byte report data to <root>/user_report_data, read the SGX quote from
// <root>/quote, and frame it with the Open Enclave header as MarbleRun's premain does.
//
//   GramineQuoteIssuer issuer;                        // root "/dev/attestation"
//   auto quote = issuer.issue(sha256(cert_der));      // kUnimplemented outside Gramine
//
// Tests point |root| at a temporary directory holding the same files.

#include <filesystem>
#include <mutex>

#include "attestation/quote_issuer.h"

namespace mr::attestation::providers {

inline constexpr const char* kGramineAttestationDir = "/dev/attestation";

class GramineQuoteIssuer final : public QuoteIssuer {
 public:
  explicit GramineQuoteIssuer(std::filesystem::path root = kGramineAttestationDir)
      : root_(std::move(root)) {}

  // issue: see QuoteIssuer::issue. kUnimplemented ("OE_UNSUPPORTED: ...") when <root> does not
  // exist or <root>/attestation_type is not "dcap" (no TEE, or Gramine without remote
  // attestation); kInvalidArgument for more than 64 bytes of report data; kUnavailable when the
  // pseudo-files cannot be written or read or the quote is empty.
  [[nodiscard]] Result<Bytes> issue(ByteSpan report_data) override;

 private:
  std::filesystem::path root_;
  std::mutex mu_;  // one report-data/quote exchange at a time
};

}  // namespace mr::attestation::providers
