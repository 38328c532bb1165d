#pragma once
// NoTeeIssuer: the issuer of a process without a TEE (upstream's FailIssuer). Every issue() fails
// with kUnimplemented "OE_UNSUPPORTED", which the Coordinator and Marbles treat as simulation
// mode (spec 15).
//
//   std::unique_ptr<QuoteIssuer> issuer = std::make_unique<NoTeeIssuer>();

#include <string>

#include "attestation/quote_issuer.h"

namespace mr::attestation::simulated {

class NoTeeIssuer final : public QuoteIssuer {
 public:
  // issue always fails: kUnimplemented with message kNoTeeMessage.
  [[nodiscard]] Result<Bytes> issue(ByteSpan) override {
    return fail(ErrorCode::kUnimplemented, std::string(kNoTeeMessage));
  }
};

}  // namespace mr::attestation::simulated
