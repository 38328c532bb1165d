#pragma once
// QuoteVerifier: checks a quote's signature chain and collateral (the other half of the
// attestation seam; policy lives in attestation/policy.h, not in verifiers).
//
//   MR_ASSIGN_OR_RETURN(VerifiedQuote q, verifier.verify(quote_bytes));
//   MR_RETURN_IF_ERROR(check_package(q, package));

#include "attestation/claims.h"
#include "base/bytes.h"
#include "base/result.h"

namespace mr::attestation {

class QuoteVerifier {
 public:
  virtual ~QuoteVerifier() = default;
  // verify checks |quote| (an SGX quote, optionally inside the Open Enclave header, or a TDX
  // quote) at the time of the verifier's injected Clock and returns its claims. A quote whose
  // signatures and collateral verify is returned even when its TCB status is not UpToDate (EGo's
  // ErrTCBLevelInvalid model: the caller applies check_tcb_status). Errors, each with a reason:
  // kInvalidArgument for malformed or unsupported quotes; kPermissionDenied for a signature,
  // certificate chain, revocation, identity or TCB-info mismatch; kFailedPrecondition for
  // collateral that is expired or not yet valid; kUnavailable when collateral cannot be obtained.
  [[nodiscard]] virtual Result<VerifiedQuote> verify(ByteSpan quote) const = 0;
};

}  // namespace mr::attestation
