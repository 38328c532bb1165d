#pragma once
// NoTeeVerifier: the verifier of a build without quote verification support (upstream's
// FailValidator). Every verify() fails with kUnimplemented "cannot validate quote".
//
//   std::unique_ptr<QuoteVerifier> verifier = std::make_unique<NoTeeVerifier>();

#include "attestation/quote_verifier.h"

namespace mr::attestation::simulated {

class NoTeeVerifier final : public QuoteVerifier {
 public:
  // verify always fails: kUnimplemented "cannot validate quote".
  [[nodiscard]] Result<VerifiedQuote> verify(ByteSpan) const override {
    return fail(ErrorCode::kUnimplemented, "cannot validate quote");
  }
};

}  // namespace mr::attestation::simulated
