#pragma once
// FakeQuoteVerifier: a QuoteVerifier for tests of code that consumes verified quotes.
//
//   FakeQuoteVerifier v;
//   v.add(quote_bytes, claims);            // verify(quote_bytes) returns claims
//   v.set_error(Error{ErrorCode::kPermissionDenied, "bad"});   // every verify fails

#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "attestation/quote_verifier.h"

namespace mr::attestation::testing {

class FakeQuoteVerifier final : public QuoteVerifier {
 public:
  // add registers the claims verify() returns for |quote|.
  void add(Bytes quote, VerifiedQuote claims) {
    std::scoped_lock lock(mu_);
    quotes_[std::move(quote)] = std::move(claims);
  }
  // set_error makes every verify() fail with |e| (nullopt restores normal behaviour).
  void set_error(std::optional<Error> e) {
    std::scoped_lock lock(mu_);
    error_ = std::move(e);
  }
  // verify returns the registered claims, or kPermissionDenied "unknown quote".
  [[nodiscard]] Result<VerifiedQuote> verify(ByteSpan quote) const override {
    std::scoped_lock lock(mu_);
    if (error_) return fail(*error_);
    auto it = quotes_.find(Bytes(quote.begin(), quote.end()));
    if (it == quotes_.end()) return fail(ErrorCode::kPermissionDenied, "unknown quote");
    return it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<Bytes, VerifiedQuote> quotes_;  // guarded by mu_
  std::optional<Error> error_;             // guarded by mu_
};

}  // namespace mr::attestation::testing
