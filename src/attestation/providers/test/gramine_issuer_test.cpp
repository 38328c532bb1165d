#include "attestation/providers/gramine_issuer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "attestation/oe_report.h"
#include "attestation/sgx_dcap/dcap_verifier.h"
#include "attestation/simulated/simulated_dcap.h"
#include "base/testing/fake_clock.h"
#include "base/testing/temp_dir.h"

namespace mr::attestation::providers {
namespace {

void write(const std::filesystem::path& p, ByteSpan data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

Bytes read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A fake /dev/attestation: the quote file holds a real simulated-DCAP quote.
class GramineIssuerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = simulated::SimulatedDcapPki::create({now_, {}, {}});
    ASSERT_TRUE(pki);
    pki_ = *pki;
    auto quote = pki_->sgx_quote({}, Bytes(64, 0x42));
    ASSERT_TRUE(quote);
    raw_quote_ = *quote;
    write(dir_ / "attestation_type", as_bytes("dcap\n"));
    write(dir_ / "user_report_data", {});
    write(dir_ / "quote", raw_quote_);
  }

  const UnixTime now_ = *parse_rfc3339("2026-11-23T12:00:00Z");
  mr::testing::TempDir dir_;
  std::shared_ptr<simulated::SimulatedDcapPki> pki_;
  Bytes raw_quote_;
};

TEST_F(GramineIssuerTest, WritesReportDataAndFramesTheQuote) {
  GramineQuoteIssuer issuer(dir_.path());
  auto q = issuer.issue(Bytes(32, 0x42));
  ASSERT_TRUE(q) << q.error().message;
  Bytes expected_rd(64, 0);
  std::fill(expected_rd.begin(), expected_rd.begin() + 32, 0x42);
  EXPECT_EQ(read(dir_ / "user_report_data"), expected_rd);
  ASSERT_TRUE(has_oe_header(*q));
  auto inner = oe_unwrap(*q);
  ASSERT_TRUE(inner);
  EXPECT_TRUE(std::equal(inner->begin(), inner->end(), raw_quote_.begin(), raw_quote_.end()));

  // What Gramine hands out verifies with the DCAP verifier.
  mr::testing::FakeClock clock(now_);
  auto v = pki_->verifier(&clock);
  ASSERT_TRUE(v);
  EXPECT_TRUE((*v)->verify(*q));
}

TEST_F(GramineIssuerTest, NoTeeOutsideGramine) {
  GramineQuoteIssuer issuer(dir_ / "does-not-exist");
  auto q = issuer.issue(Bytes(32, 0));
  ASSERT_FALSE(q);
  EXPECT_TRUE(is_no_tee(q.error()));
  EXPECT_EQ(q.error().message.rfind("OE_UNSUPPORTED", 0), 0u);

  write(dir_ / "attestation_type", as_bytes("none"));
  q = GramineQuoteIssuer(dir_.path()).issue(Bytes(32, 0));
  ASSERT_FALSE(q);
  EXPECT_TRUE(is_no_tee(q.error()));
}

TEST_F(GramineIssuerTest, Failures) {
  GramineQuoteIssuer issuer(dir_.path());
  EXPECT_EQ(issuer.issue(Bytes(65, 0)).error().code, ErrorCode::kInvalidArgument);
  write(dir_ / "quote", {});
  EXPECT_EQ(issuer.issue(Bytes(32, 0)).error().code, ErrorCode::kUnavailable);
  std::filesystem::remove(dir_ / "user_report_data");
  EXPECT_EQ(issuer.issue(Bytes(32, 0)).error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace mr::attestation::providers
