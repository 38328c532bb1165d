#pragma once
// A conformance suite every QuoteVerifier implementation runs (SPIRE's shared-suite pattern):
//
//   struct MyEnv {
//     MyEnv();                                          // builds verifier + a good quote
//     const QuoteVerifier& verifier() const;
//     Bytes good_quote() const;                         // verifies successfully
//     ReportData report_data() const;                   // what good_quote() binds
//     std::size_t report_data_offset() const;           // where it sits in good_quote()
//   };
//   using Envs = ::testing::Types<MyEnv>;
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, QuoteVerifierConformance, Envs);

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "attestation/quote_verifier.h"

namespace mr::attestation::testing {

template <class Env>
class QuoteVerifierConformance : public ::testing::Test {
 protected:
  Env env_;
};

TYPED_TEST_SUITE_P(QuoteVerifierConformance);

TYPED_TEST_P(QuoteVerifierConformance, VerifiesGoodQuoteAndReturnsItsClaims) {
  auto q = this->env_.verifier().verify(this->env_.good_quote());
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->report_data(), this->env_.report_data());
  EXPECT_EQ(q->sgx.has_value(), q->tee_type == TeeType::kSgx);
  EXPECT_EQ(q->td.has_value(), q->tee_type == TeeType::kTdx);
  EXPECT_NE(q->collateral_expiry, UnixTime{});
}

TYPED_TEST_P(QuoteVerifierConformance, RejectsEmptyAndTruncatedQuotes) {
  EXPECT_FALSE(this->env_.verifier().verify({}));
  const Bytes good = this->env_.good_quote();
  for (std::size_t n = 1; n < good.size(); n += 97) {
    EXPECT_FALSE(this->env_.verifier().verify(ByteSpan(good).first(n))) << n;
  }
}

TYPED_TEST_P(QuoteVerifierConformance, NeverReturnsClaimsForAlteredReportData) {
  Bytes bad = this->env_.good_quote();
  bad[this->env_.report_data_offset()] ^= 0x01;
  auto q = this->env_.verifier().verify(bad);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, ErrorCode::kPermissionDenied);
}

TYPED_TEST_P(QuoteVerifierConformance, IsSafeForConcurrentUse) {
  const Bytes good = this->env_.good_quote();
  Bytes bad = good;
  bad[this->env_.report_data_offset()] ^= 0x01;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const bool want_ok = (i + t) % 2 == 0;
        if (static_cast<bool>(this->env_.verifier().verify(want_ok ? good : bad)) != want_ok) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(failures, 0);
}

REGISTER_TYPED_TEST_SUITE_P(QuoteVerifierConformance, VerifiesGoodQuoteAndReturnsItsClaims,
                            RejectsEmptyAndTruncatedQuotes, NeverReturnsClaimsForAlteredReportData,
                            IsSafeForConcurrentUse);

}  // namespace mr::attestation::testing
