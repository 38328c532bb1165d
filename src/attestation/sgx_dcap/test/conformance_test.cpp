// DcapQuoteVerifier against the shared QuoteVerifier conformance suite, with the real samples.
#include <gtest/gtest.h>

#include "attestation/oe_report.h"
#include "attestation/sgx_dcap/dcap_verifier.h"
#include "attestation/sgx_dcap/test/testdata.h"
#include "attestation/testing/quote_verifier_conformance.h"
#include "base/testing/fake_clock.h"

namespace mr::attestation::dcap {
namespace {

template <bool kTdx, bool kOeFramed>
class SampleEnv {
 public:
  SampleEnv() {
    auto c = load_collateral(testdata::dir() /
                             (kTdx ? "tdx_quote_collateral.json" : "sgx_quote_collateral.json"));
    verifier_ = std::move(*DcapQuoteVerifier::create(
        {std::make_shared<StaticCollateralProvider>(std::move(*c)), &clock_, {}}));
    quote_ = testdata::read(kTdx ? "tdx_quote" : "sgx_quote");
    // The TDX sample carries 70 bytes of zero padding after its signature data, which
    // verification ignores; the suite's truncation test needs the quote without it.
    if (kTdx) quote_.resize(4936);
    if (kOeFramed) quote_ = oe_wrap_sgx_quote(quote_);
  }
  const QuoteVerifier& verifier() const { return *verifier_; }
  Bytes good_quote() const { return quote_; }
  std::size_t report_data_offset() const {
    return (kOeFramed ? kOeHeaderSize : 0) + 48 + (kTdx ? 520 : 320);
  }
  ReportData report_data() const {
    ReportData rd{};
    std::copy_n(quote_.begin() + static_cast<std::ptrdiff_t>(report_data_offset()), 64, rd.begin());
    return rd;
  }

 private:
  mr::testing::FakeClock clock_{testdata::sample_time()};
  std::unique_ptr<DcapQuoteVerifier> verifier_;
  Bytes quote_;
};

}  // namespace
}  // namespace mr::attestation::dcap

namespace mr::attestation::testing {

using DcapSampleEnvs = ::testing::Types<dcap::SampleEnv<false, false>, dcap::SampleEnv<false, true>,
                                        dcap::SampleEnv<true, false>>;
INSTANTIATE_TYPED_TEST_SUITE_P(DcapSamples, QuoteVerifierConformance, DcapSampleEnvs);

}  // namespace mr::attestation::testing
