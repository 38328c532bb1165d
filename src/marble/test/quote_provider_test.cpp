// Choosing the quote provider (Gramine / simulated DCAP / none), and that each produces what the
// Coordinator's quote validation expects.
#include "marble/quote_provider.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "attestation/oe_report.h"
#include "attestation/policy.h"
#include "attestation/sgx_dcap/dcap_verifier.h"
#include "base/encoding.h"
#include "base/testing/fake_clock.h"
#include "base/testing/temp_dir.h"
#include "crypto/hash.h"

namespace mr::marble {
namespace {

const UnixTime kNow = *parse_rfc3339("2026-11-23T12:00:00Z");

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// fake_gramine lays out what Gramine-SGX (DCAP) shows under /dev/attestation.
void fake_gramine(const std::filesystem::path& dir, const std::string& quote,
                  const std::string& type = "dcap") {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "attestation_type") << type;
  std::ofstream(dir / "user_report_data") << "";
  std::ofstream(dir / "quote", std::ios::binary) << quote;
}

TEST(QuoteProvider, NoAttestationDirMeansNoTee) {
  mr::testing::TempDir dir;
  auto p = select_quote_provider({.attestation_dir = dir / "missing"}, kNow);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->kind, QuoteProviderKind::kNone);
  EXPECT_EQ(quote_provider_name(p->kind), "none");
  auto q = p->issuer->issue(Bytes(32, 1));
  ASSERT_FALSE(q);
  EXPECT_TRUE(attestation::is_no_tee(q.error()));
}

TEST(QuoteProvider, GramineFromAFakeAttestationDir) {
  mr::testing::TempDir dir;
  const std::string raw_quote = "raw SGX quote bytes";
  fake_gramine(dir / "attestation", raw_quote);
  auto p = select_quote_provider({.attestation_dir = dir / "attestation"}, kNow);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->kind, QuoteProviderKind::kGramine);
  EXPECT_EQ(quote_provider_name(p->kind), "gramine");

  const auto hash = crypto::sha256(to_bytes("self-signed cert DER"));
  auto q = p->issuer->issue(hash);
  ASSERT_TRUE(q) << q.error().message;
  // The 32-byte hash, zero-padded to 64 bytes, went to user_report_data ...
  Bytes want(64, 0);
  std::copy(hash.begin(), hash.end(), want.begin());
  EXPECT_EQ(to_bytes(read(dir / "attestation" / "user_report_data")), want);
  // ... and the quote came back OE-framed.
  auto inner = attestation::oe_unwrap(*q);
  ASSERT_TRUE(inner) << inner.error().message;
  EXPECT_EQ(to_string(*inner), raw_quote);
}

TEST(QuoteProvider, GramineWithoutDcapGivesNoQuote) {
  mr::testing::TempDir dir;
  fake_gramine(dir / "attestation", "q", "none");
  auto p = select_quote_provider({.attestation_dir = dir / "attestation"}, kNow);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, QuoteProviderKind::kGramine);
  auto q = p->issuer->issue(Bytes(32, 1));
  ASSERT_FALSE(q);
  EXPECT_TRUE(attestation::is_no_tee(q.error()));  // → the Marble sends an empty quote
}

class SimulatedProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = attestation::simulated::SimulatedDcapPki::create({kNow, {}, {}});
    ASSERT_TRUE(pki) << pki.error().message;
    pki_ = std::move(*pki);
    enclave_.mr_enclave.fill(0x11);
    enclave_.mr_signer.fill(0x22);
    enclave_.isv_prod_id = 3;
    enclave_.isv_svn = 5;
  }
  std::shared_ptr<attestation::simulated::SimulatedDcapPki> pki_;
  attestation::simulated::SimulatedEnclave enclave_;
};

TEST_F(SimulatedProviderTest, QuotesVerifyAgainstThatPki) {
  mr::testing::TempDir dir;
  auto p = select_quote_provider({.attestation_dir = dir / "missing",
                                  .simulated_dcap_pki_json = pki_->to_json(),
                                  .simulated_enclave = enclave_},
                                 kNow);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->kind, QuoteProviderKind::kSimulatedDcap);
  EXPECT_NE(p->description.find("SIMULATED"), std::string::npos);

  const Bytes cert_der = to_bytes("the Marble's self-signed certificate");
  auto quote = p->issuer->issue(crypto::sha256(cert_der));
  ASSERT_TRUE(quote) << quote.error().message;

  // What the Coordinator does with it (spec 2.5), with the simulated root trusted.
  mr::testing::FakeClock clock(kNow);
  auto verifier = pki_->verifier(&clock);
  ASSERT_TRUE(verifier) << verifier.error().message;
  attestation::PackagePolicy pkg;
  pkg.signer_id = hex_encode(enclave_.mr_signer);
  pkg.product_id = 3;
  pkg.security_version = 5;
  auto verified = attestation::verify_marble_quote(**verifier, *quote, cert_der, pkg);
  ASSERT_TRUE(verified) << verified.error().message;

  // Another certificate, or a higher required SVN, is refused.
  EXPECT_FALSE(attestation::verify_marble_quote(**verifier, *quote, to_bytes("other"), pkg));
  pkg.security_version = 6;
  EXPECT_FALSE(attestation::verify_marble_quote(**verifier, *quote, cert_der, pkg));
}

TEST_F(SimulatedProviderTest, RefusedNextToARealTee) {
  mr::testing::TempDir dir;
  fake_gramine(dir / "attestation", "q");
  auto p = select_quote_provider({.attestation_dir = dir / "attestation",
                                  .simulated_dcap_pki_json = pki_->to_json(),
                                  .simulated_enclave = enclave_},
                                 kNow);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kFailedPrecondition);
}

TEST(QuoteProvider, MalformedPkiJsonIsAnError) {
  mr::testing::TempDir dir;
  auto p = select_quote_provider(
      {.attestation_dir = dir / "missing", .simulated_dcap_pki_json = std::string("{\"x\":1}")},
      kNow);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(p.error().message.find("loading the simulated DCAP PKI"), std::string::npos);
}

}  // namespace
}  // namespace mr::marble
