#include "attestation/sgx_dcap/dcap_verifier.h"

#include <gtest/gtest.h>

#include "attestation/oe_report.h"
#include "attestation/sgx_dcap/test/testdata.h"
#include "base/encoding.h"
#include "base/testing/fake_clock.h"

namespace mr::attestation::dcap {
namespace {

using mr::testing::FakeClock;

// Offsets into the SGX v3 sample.
constexpr std::size_t kBody = 48;
constexpr std::size_t kSigData = 48 + 384 + 4;
constexpr std::size_t kQeReport = kSigData + 64 + 64;

class RealQuoteTest : public ::testing::Test {
 protected:
  std::unique_ptr<DcapQuoteVerifier> make(const std::string& collateral_file,
                                          std::vector<Bytes> roots = {}) {
    auto c = load_collateral(testdata::dir() / collateral_file);
    EXPECT_TRUE(c) << c.error().message;
    auto v = DcapQuoteVerifier::create(
        {std::make_shared<StaticCollateralProvider>(std::move(*c)), &clock_, std::move(roots)});
    EXPECT_TRUE(v) << v.error().message;
    return std::move(*v);
  }
  Result<VerifiedQuote> verify_sgx(const Bytes& quote) {
    return make("sgx_quote_collateral.json")->verify(quote);
  }

  FakeClock clock_{testdata::sample_time()};
};

TEST_F(RealQuoteTest, SgxSampleGivesConfigurationAndSWHardeningNeeded) {
  auto v = make("sgx_quote_collateral.json");
  auto q = v->verify(testdata::read("sgx_quote"));
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->tee_type, TeeType::kSgx);
  EXPECT_EQ(q->quote_version, 3);
  EXPECT_EQ(q->tcb_status, TcbStatus::kConfigurationAndSWHardeningNeeded);
  EXPECT_EQ(q->advisory_ids, (std::vector<std::string>{"INTEL-SA-00289", "INTEL-SA-00615"}));
  EXPECT_EQ(q->verdict(), TcbVerdict::kTcbLevelInvalid);
  EXPECT_EQ(q->platform.fmspc, "00A067110000");
  EXPECT_EQ(q->platform.pce_id, "0000");
  EXPECT_EQ(q->platform.tcb_date, "2024-03-13T00:00:00Z");
  EXPECT_EQ(format_rfc3339(q->collateral_expiry), "2025-07-19T10:01:18Z");
  ASSERT_TRUE(q->sgx);
  EXPECT_FALSE(q->td);
  // The same quote OE-framed (what a Marble sends) verifies identically.
  auto framed = v->verify(oe_wrap_sgx_quote(testdata::read("sgx_quote")));
  ASSERT_TRUE(framed) << framed.error().message;
  EXPECT_EQ(framed->sgx, q->sgx);
}

TEST_F(RealQuoteTest, TdxSampleIsUpToDate) {
  auto q = make("tdx_quote_collateral.json")->verify(testdata::read("tdx_quote"));
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->tee_type, TeeType::kTdx);
  EXPECT_EQ(q->quote_version, 4);
  EXPECT_EQ(q->tcb_status, TcbStatus::kUpToDate);
  EXPECT_TRUE(q->advisory_ids.empty());
  EXPECT_EQ(q->platform.fmspc, "B0C06F000000");
  EXPECT_EQ(q->platform.tcb_date, "2024-03-13T00:00:00Z");  // the matched TCB level's tcbDate
  EXPECT_EQ(format_rfc3339(q->collateral_expiry), "2025-07-19T10:00:35Z");
  ASSERT_TRUE(q->td);
  EXPECT_FALSE(q->sgx);
}

TEST_F(RealQuoteTest, ExpiredAtToday) {
  clock_.set(testdata::today());
  for (auto [quote, coll] : {std::pair{"sgx_quote", "sgx_quote_collateral.json"},
                             std::pair{"tdx_quote", "tdx_quote_collateral.json"}}) {
    auto q = make(coll)->verify(testdata::read(quote));
    ASSERT_FALSE(q) << quote;
    EXPECT_EQ(q.error().code, ErrorCode::kFailedPrecondition);
    EXPECT_NE(q.error().message.find("collateral expired at 2025-07-19T10:0"), std::string::npos)
        << q.error().message;
  }
}

TEST_F(RealQuoteTest, NotYetValid) {
  clock_.set(*parse_rfc3339("2025-06-19T10:00:00Z"));
  auto q = verify_sgx(testdata::read("sgx_quote"));
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(q.error().message, "collateral is not yet valid (valid from 2025-06-19T10:56:11Z)");
}

TEST_F(RealQuoteTest, ValidityWindowEdges) {
  clock_.set(*parse_rfc3339("2025-06-19T10:56:11Z"));
  EXPECT_TRUE(verify_sgx(testdata::read("sgx_quote")));
  clock_.set(*parse_rfc3339("2025-07-19T10:01:18Z"));
  EXPECT_TRUE(verify_sgx(testdata::read("sgx_quote")));
  clock_.set(*parse_rfc3339("2025-07-19T10:01:19Z"));
  EXPECT_FALSE(verify_sgx(testdata::read("sgx_quote")));
}

TEST_F(RealQuoteTest, TruncatedQuote) {
  const Bytes raw = testdata::read("sgx_quote");
  auto q = verify_sgx(Bytes(raw.begin(), raw.begin() + 1000));
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(q.error().message.find("malformed quote"), std::string::npos);
}

TEST_F(RealQuoteTest, UnsupportedVersionAndKeyType) {
  Bytes raw = testdata::read("sgx_quote");
  raw[0] = 6;
  EXPECT_EQ(verify_sgx(raw).error().message, "unsupported quote version 6");
  raw = testdata::read("sgx_quote");
  raw[2] = 3;
  EXPECT_EQ(verify_sgx(raw).error().message, "unsupported attestation key type 3");
}

TEST_F(RealQuoteTest, FlippedByteInReportBody) {
  Bytes raw = testdata::read("sgx_quote");
  raw[kBody + 64] ^= 0x01;  // MRENCLAVE
  auto q = verify_sgx(raw);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(q.error().message, "quote signature verification failed");
  raw = testdata::read("tdx_quote");
  raw[48 + 136] ^= 0x80;  // MRTD
  q = make("tdx_quote_collateral.json")->verify(raw);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().message, "quote signature verification failed");
}

TEST_F(RealQuoteTest, FlippedByteInQeReport) {
  Bytes raw = testdata::read("sgx_quote");
  raw[kQeReport + 320] ^= 0x01;  // QE report data
  auto q = verify_sgx(raw);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().message, "QE report signature verification failed");
}

TEST_F(RealQuoteTest, FlippedByteInSignatures) {
  Bytes raw = testdata::read("sgx_quote");
  raw[kSigData + 10] ^= 0x01;  // quote signature r
  EXPECT_EQ(verify_sgx(raw).error().message, "quote signature verification failed");
  raw = testdata::read("sgx_quote");
  raw[kQeReport + 384 + 5] ^= 0x01;  // QE report signature
  EXPECT_EQ(verify_sgx(raw).error().message, "QE report signature verification failed");
  raw = testdata::read("sgx_quote");
  raw[kSigData + 64 + 3] ^= 0x01;  // attestation key: QE report data no longer matches it
  auto q = verify_sgx(raw);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().message,
            "QE report data does not match SHA-256(attestation key ‖ QE auth data)");
  EXPECT_EQ(q.error().code, ErrorCode::kPermissionDenied);
}

// One verifier, warm caches (PCK chain, collateral, the genuine QE report's certification of its
// attestation key): a quote signed with that cached key but altered still fails, a quote whose
// attestation key was swapped is refused before any key is cached for it, and an altered QE
// report, QE report signature or QE auth data is checked, not looked up.
TEST_F(RealQuoteTest, WarmCachesNeverVouchForAlteredQuotes) {
  auto v = make("sgx_quote_collateral.json");
  const Bytes genuine = testdata::read("sgx_quote");
  ASSERT_TRUE(v->verify(genuine));
  Bytes body = genuine;
  body[48 + 64] ^= 0x01;  // report body (MRENCLAVE), signed with the cached attestation key
  EXPECT_EQ(v->verify(body).error().message, "quote signature verification failed");
  Bytes sig = genuine;
  sig[kSigData + 40] ^= 0x01;  // quote signature s
  EXPECT_EQ(v->verify(sig).error().message, "quote signature verification failed");
  Bytes key = genuine;
  key[kSigData + 64 + 7] ^= 0x01;  // another attestation key, not certified by the QE report
  EXPECT_EQ(v->verify(key).error().message,
            "QE report data does not match SHA-256(attestation key ‖ QE auth data)");
  // The QE report's certification of the genuine key is cached: any other QE report, QE report
  // signature or QE auth data is checked in full.
  Bytes report = genuine;
  report[kQeReport + 256] ^= 0x01;  // QE report: ISV product ID
  EXPECT_EQ(v->verify(report).error().message, "QE report signature verification failed");
  Bytes report_sig = genuine;
  report_sig[kQeReport + 384 + 40] ^= 0x01;  // QE report signature s
  EXPECT_EQ(v->verify(report_sig).error().message, "QE report signature verification failed");
  Bytes auth = genuine;
  auth[kQeReport + 384 + 64 + 2] ^= 0x01;  // QE auth data
  EXPECT_EQ(v->verify(auth).error().message,
            "QE report data does not match SHA-256(attestation key ‖ QE auth data)");
  EXPECT_TRUE(v->verify(genuine));
}

TEST_F(RealQuoteTest, FlippedByteInQeAuthData) {
  Bytes raw = testdata::read("sgx_quote");
  raw[kQeReport + 384 + 64 + 2] ^= 0x01;
  EXPECT_EQ(verify_sgx(raw).error().message,
            "QE report data does not match SHA-256(attestation key ‖ QE auth data)");
}

TEST_F(RealQuoteTest, WrongRoot) {
  // Trust only the TDX sample's PCK intermediate as a "root": Intel's real root is untrusted.
  auto c = load_collateral(testdata::dir() / "sgx_quote_collateral.json");
  ASSERT_TRUE(c);
  const std::string other_root = c->pck_crl_issuer_chain.substr(
      0, c->pck_crl_issuer_chain.find("-----END CERTIFICATE-----") + 25);
  auto v = make("sgx_quote_collateral.json", {to_bytes(other_root)});
  auto q = v->verify(testdata::read("sgx_quote"));
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, ErrorCode::kPermissionDenied);
  // Refused on the PCK chain alone, before any collateral is looked at.
  EXPECT_EQ(q.error().message, "PCK certificate chain: unable to get issuer certificate");
}

TEST_F(RealQuoteTest, CollateralOfAnotherPlatform) {
  // TDX collateral (Platform CA CRL, FMSPC B0C06F000000) for the SGX quote (Processor CA PCK).
  // The FMSPC check itself is exercised with the simulated PKI (simulated_dcap_test).
  auto q = make("tdx_quote_collateral.json")->verify(testdata::read("sgx_quote"));
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(q.error().message, "PCK certificate chain: unable to get certificate CRL");
}

TEST_F(RealQuoteTest, TamperedTcbInfoAndQeIdentity) {
  auto c = load_collateral(testdata::dir() / "sgx_quote_collateral.json");
  ASSERT_TRUE(c);
  Collateral tampered = *c;
  const auto pos = tampered.tcb_info.find("ConfigurationAndSWHardeningNeeded");
  tampered.tcb_info.replace(pos, 33, "UpToDate\",\"x\":\"xxxxxxxxxxxxxxxxx");
  auto v = DcapQuoteVerifier::create(
      {std::make_shared<StaticCollateralProvider>(tampered), &clock_, {}});
  auto q = (*v)->verify(testdata::read("sgx_quote"));
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().message, "TCB info signature verification failed");

  tampered = *c;
  tampered.qe_identity[tampered.qe_identity.find("\"isvprodid\":1") + 12] = '2';
  v = DcapQuoteVerifier::create(
      {std::make_shared<StaticCollateralProvider>(tampered), &clock_, {}});
  q = (*v)->verify(testdata::read("sgx_quote"));
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().message, "QE identity signature verification failed");

  tampered = *c;
  tampered.tcb_info_signature[3] ^= 1;
  v = DcapQuoteVerifier::create(
      {std::make_shared<StaticCollateralProvider>(tampered), &clock_, {}});
  EXPECT_EQ((*v)->verify(testdata::read("sgx_quote")).error().message,
            "TCB info signature verification failed");
}

TEST_F(RealQuoteTest, CachedVerificationIsRepeatable) {
  auto v = make("sgx_quote_collateral.json");
  const Bytes raw = testdata::read("sgx_quote");
  for (int i = 0; i < 3; ++i) {
    auto q = v->verify(raw);
    ASSERT_TRUE(q) << q.error().message;
  }
  clock_.set(testdata::today());
  EXPECT_FALSE(v->verify(raw));  // cached work never skips the time check
  clock_.set(testdata::sample_time());
  Bytes bad = raw;
  bad[kBody + 100] ^= 1;
  EXPECT_FALSE(v->verify(bad));
  EXPECT_TRUE(v->verify(raw));
}

TEST(DcapQuoteVerifierCreate, NeedsProviderAndClock) {
  FakeClock clock(testdata::sample_time());
  EXPECT_FALSE(DcapQuoteVerifier::create({nullptr, &clock, {}}));
  auto c = load_collateral(testdata::dir() / "sgx_quote_collateral.json");
  EXPECT_FALSE(
      DcapQuoteVerifier::create({std::make_shared<StaticCollateralProvider>(*c), nullptr, {}}));
  EXPECT_FALSE(DcapQuoteVerifier::create(
      {std::make_shared<StaticCollateralProvider>(*c), &clock, {to_bytes("not a cert")}}));
}

}  // namespace
}  // namespace mr::attestation::dcap

namespace mr::attestation::dcap {
namespace {

// Random single- and multi-byte corruptions: never a crash, and never claims other than the
// original quote's.
TEST_F(RealQuoteTest, RandomCorruptionsNeverYieldOtherClaims) {
  for (auto [quote_file, coll] : {std::pair{"sgx_quote", "sgx_quote_collateral.json"},
                                  std::pair{"tdx_quote", "tdx_quote_collateral.json"}}) {
    auto v = make(coll);
    const Bytes good = testdata::read(quote_file);
    auto original = v->verify(good);
    ASSERT_TRUE(original);
    std::uint32_t seed = 12345;
    auto next = [&seed] {
      seed = seed * 1103515245u + 12345u;
      return seed >> 8;
    };
    for (int i = 0; i < 600; ++i) {
      Bytes bad = good;
      const int flips = 1 + static_cast<int>(next() % 3);
      for (int f = 0; f < flips; ++f) {
        bad[next() % bad.size()] ^= static_cast<std::uint8_t>(1 + next() % 255);
      }
      if (next() % 4 == 0) bad.resize(next() % bad.size());
      auto r = v->verify(bad);
      if (r) {
        EXPECT_EQ(r->sgx, original->sgx) << i;
        EXPECT_EQ(r->td, original->td) << i;
        EXPECT_EQ(r->tcb_status, original->tcb_status) << i;
      }
    }
  }
}

}  // namespace
}  // namespace mr::attestation::dcap
