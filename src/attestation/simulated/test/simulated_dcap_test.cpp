#include "attestation/simulated/simulated_dcap.h"

#include <gtest/gtest.h>

#include "attestation/oe_report.h"
#include "attestation/sgx_dcap/collateral_cache.h"
#include "attestation/sgx_dcap/dcap_verifier.h"
#include "attestation/sgx_dcap/quote.h"
#include "attestation/simulated/no_tee_issuer.h"
#include "attestation/testing/quote_verifier_conformance.h"
#include "base/testing/fake_clock.h"

namespace mr::attestation::simulated {
namespace {

using dcap::Collateral;
using dcap::DcapQuoteVerifier;
using dcap::StaticCollateralProvider;
using mr::testing::FakeClock;

const UnixTime kNow = *parse_rfc3339("2026-11-23T12:00:00Z");

SimulatedEnclave enclave() {
  SimulatedEnclave e;
  e.mr_enclave.fill(0x11);
  e.mr_signer.fill(0x22);
  e.isv_prod_id = 3;
  e.isv_svn = 2;
  return e;
}

class SimulatedDcapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = SimulatedDcapPki::create({kNow, {}, {}});
    ASSERT_TRUE(pki) << pki.error().message;
    pki_ = std::move(*pki);
  }
  std::unique_ptr<DcapQuoteVerifier> verifier(const Collateral& c, bool trust_root = true) {
    std::vector<Bytes> roots;
    if (trust_root) roots.push_back(pki_->root_ca_der());
    auto v = DcapQuoteVerifier::create(
        {std::make_shared<StaticCollateralProvider>(c), &clock_, std::move(roots)});
    EXPECT_TRUE(v) << v.error().message;
    return std::move(*v);
  }
  Bytes quote(ByteSpan report_data = {}) {
    SimulatedDcapIssuer issuer(pki_, enclave());
    auto q = issuer.issue(report_data);
    EXPECT_TRUE(q) << q.error().message;
    return *q;
  }
  Collateral collateral(const CollateralOptions& o) {
    auto c = pki_->issue_collateral(o);
    EXPECT_TRUE(c) << c.error().message;
    return *c;
  }

  FakeClock clock_{kNow};
  std::shared_ptr<SimulatedDcapPki> pki_;
};

TEST_F(SimulatedDcapTest, QuoteVerifiesEndToEnd) {
  const Bytes report_data(64, 0x77);
  const Bytes q = quote(report_data);
  EXPECT_TRUE(has_oe_header(q));
  auto v = verifier(pki_->collateral())->verify(q);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->tee_type, TeeType::kSgx);
  EXPECT_EQ(v->tcb_status, TcbStatus::kUpToDate);
  EXPECT_TRUE(v->advisory_ids.empty());
  ASSERT_TRUE(v->sgx);
  EXPECT_EQ(v->sgx->mr_enclave, enclave().mr_enclave);
  EXPECT_EQ(v->sgx->mr_signer, enclave().mr_signer);
  EXPECT_EQ(v->sgx->isv_prod_id, 3);
  EXPECT_EQ(v->sgx->isv_svn, 2);
  EXPECT_FALSE(v->debug());
  EXPECT_TRUE(std::equal(report_data.begin(), report_data.end(), v->report_data().begin()));
  EXPECT_EQ(v->platform.fmspc, "5EC0DE000001");
  // The raw quote inside is detected by sign-quote's heuristic.
  EXPECT_TRUE(is_raw_sgx_quote(*oe_unwrap(q)));
}

TEST_F(SimulatedDcapTest, RootIsTrustedOnlyWhenConfigured) {
  auto v = verifier(pki_->collateral(), /*trust_root=*/false)->verify(quote());
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, ErrorCode::kPermissionDenied);
}

TEST_F(SimulatedDcapTest, WrongRoot) {
  // Quote and collateral from this PKI, but only another simulated PKI's root is trusted.
  auto other = SimulatedDcapPki::create({kNow, {}, {}});
  ASSERT_TRUE(other);
  auto v =
      DcapQuoteVerifier::create({std::make_shared<StaticCollateralProvider>(pki_->collateral()),
                                 &clock_,
                                 {(*other)->root_ca_der()}});
  auto r = (*v)->verify(quote());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  // With the other PKI's collateral, the quote's PCK chain is what fails.
  v = (*other)->verifier(&clock_);
  r = (*v)->verify(quote());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.rfind("PCK certificate chain: ", 0), 0u) << r.error().message;
}

TEST_F(SimulatedDcapTest, RevokedPck) {
  CollateralOptions o;
  o.issue_date = kNow - std::chrono::hours(1);
  o.revoke_pck = true;
  auto v = verifier(collateral(o))->verify(quote());
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(v.error().message, "PCK certificate chain: certificate revoked");
}

TEST_F(SimulatedDcapTest, FmspcMismatch) {
  CollateralOptions o;
  o.issue_date = kNow - std::chrono::hours(1);
  o.fmspc_override = std::array<std::uint8_t, 6>{0x00, 0x90, 0x6e, 0xd5, 0x00, 0x00};
  auto v = verifier(collateral(o))->verify(quote());
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().message,
            "FMSPC mismatch: PCK certificate 5EC0DE000001, TCB info 00906ED50000");
}

// Signed collateral in which every TCB level is above the platform: the quote is refused (Intel
// QVL's TCB_NOT_SUPPORTED), not verified with status Unknown.
TEST_F(SimulatedDcapTest, NoMatchingTcbLevelIsRefused) {
  CollateralOptions o;
  o.issue_date = kNow - std::chrono::hours(1);
  o.levels_above_platform = true;
  auto v = verifier(collateral(o))->verify(quote());
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(v.error().message,
            "TCB not supported: no matching TCB level found (the PCK certificate's TCB components "
            "and PCESVN are below every TCB level of the SGX TCB info for FMSPC 5EC0DE000001)");
  // The same platform with its own level listed verifies (and reports that level's tcbDate).
  o.levels_above_platform = false;
  auto ok = verifier(collateral(o))->verify(quote());
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->platform.tcb_date, "2024-03-13T00:00:00Z");
}

// CountingFetcher counts fetches and serves fixed collateral.
class CountingFetcher final : public dcap::CollateralFetcher {
 public:
  explicit CountingFetcher(Collateral c) : collateral_(std::move(c)) {}
  Result<Collateral> fetch(const dcap::CollateralKey& key) const override {
    ++calls;
    last_fmspc = key.fmspc;
    return collateral_;
  }
  mutable int calls = 0;
  mutable std::string last_fmspc;

 private:
  Collateral collateral_;
};

// A client that makes up its own PKI (any FMSPC it likes in a self-signed PCK chain) cannot make
// a verifier that trusts another root fetch collateral: the chain is refused first.
TEST_F(SimulatedDcapTest, SelfMadePckChainTriggersNoFetch) {
  SimulatedPkiOptions junk{kNow, {}, {}};
  junk.platform.fmspc = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01};
  auto attacker = SimulatedDcapPki::create(junk);
  ASSERT_TRUE(attacker);
  auto fetcher = std::make_shared<CountingFetcher>(pki_->collateral());
  dcap::CollateralCacheConfig cfg;
  cfg.fetcher = fetcher;
  cfg.clock = &clock_;
  auto cache = dcap::CachingCollateralProvider::create(cfg);
  ASSERT_TRUE(cache);
  std::shared_ptr<const dcap::CollateralProvider> provider = std::move(*cache);
  for (const std::vector<Bytes>& roots :
       {std::vector<Bytes>{}, std::vector<Bytes>{pki_->root_ca_der()}}) {  // Intel's; ours
    auto v = DcapQuoteVerifier::create({provider, &clock_, roots});
    ASSERT_TRUE(v);
    SimulatedDcapIssuer issuer(*attacker, enclave());
    for (int i = 0; i < 3; ++i) {
      auto r = (*v)->verify(*issuer.issue({}));
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
      EXPECT_EQ(r.error().message.rfind("PCK certificate chain: ", 0), 0u) << r.error().message;
    }
  }
  EXPECT_EQ(fetcher->calls, 0);
  // Control: our own PKI's quote, its root trusted, fetches once for its FMSPC.
  auto v = DcapQuoteVerifier::create({provider, &clock_, {pki_->root_ca_der()}});
  auto r = (*v)->verify(quote());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(fetcher->calls, 1);
  EXPECT_EQ(fetcher->last_fmspc, "5EC0DE000001");
}

TEST_F(SimulatedDcapTest, ExpiredAndNotYetValidCollateral) {
  CollateralOptions o;
  o.issue_date = kNow - std::chrono::hours(24 * 31);  // nextUpdate a day ago
  auto v = verifier(collateral(o))->verify(quote());
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(v.error().message.rfind("collateral expired at ", 0), 0u);

  o.issue_date = kNow + std::chrono::hours(2);
  v = verifier(collateral(o))->verify(quote());
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(v.error().message.rfind("collateral is not yet valid", 0), 0u);
}

TEST_F(SimulatedDcapTest, TamperedCollateral) {
  Collateral c = pki_->collateral();
  c.tcb_info.replace(c.tcb_info.find("\"UpToDate\""), 10, "\"Revoked\" ");
  EXPECT_EQ(verifier(c)->verify(quote()).error().message, "TCB info signature verification failed");
  c = pki_->collateral();
  c.qe_identity_signature[0] ^= 0x80;
  EXPECT_EQ(verifier(c)->verify(quote()).error().message,
            "QE identity signature verification failed");
  c = pki_->collateral();
  c.pck_crl.back() ^= 0x01;  // inside the CRL signature
  EXPECT_FALSE(verifier(c)->verify(quote()));
}

TEST_F(SimulatedDcapTest, NonUpToDateStatusesAreReported) {
  CollateralOptions o;
  o.issue_date = kNow - std::chrono::hours(1);
  o.platform_status = TcbStatus::kSWHardeningNeeded;
  o.advisory_ids = {"INTEL-SA-00615"};
  auto v = verifier(collateral(o))->verify(quote());
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->tcb_status, TcbStatus::kSWHardeningNeeded);
  EXPECT_EQ(v->advisory_ids, std::vector<std::string>{"INTEL-SA-00615"});
  EXPECT_EQ(v->verdict(), TcbVerdict::kOk);
  o.platform_status = TcbStatus::kOutOfDate;
  v = verifier(collateral(o))->verify(quote());
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->tcb_status, TcbStatus::kOutOfDate);
  EXPECT_EQ(v->verdict(), TcbVerdict::kTcbLevelInvalid);
}

TEST_F(SimulatedDcapTest, FlippedBytesAreRejected) {
  const Bytes good = quote();
  const std::size_t base = kOeHeaderSize;
  for (std::size_t off : {base + 48 + 64, base + 48 + 384 + 4 + 5, base + 436 + 128 + 100,
                          base + 436 + 128 + 384 + 1}) {
    Bytes bad = good;
    bad[off] ^= 0x04;
    auto v = verifier(pki_->collateral())->verify(bad);
    ASSERT_FALSE(v) << off;
    EXPECT_EQ(v.error().code, ErrorCode::kPermissionDenied) << off;
  }
}

TEST_F(SimulatedDcapTest, ReportDataLongerThan64BytesIsRefused) {
  SimulatedDcapIssuer issuer(pki_, enclave());
  auto q = issuer.issue(Bytes(65, 1));
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, ErrorCode::kInvalidArgument);
}

TEST(NoTeeIssuer, AlwaysUnimplemented) {
  NoTeeIssuer issuer;
  auto q = issuer.issue(Bytes(32, 0));
  ASSERT_FALSE(q);
  EXPECT_TRUE(is_no_tee(q.error()));
  EXPECT_EQ(q.error().message, "OE_UNSUPPORTED");
}

}  // namespace
}  // namespace mr::attestation::simulated

namespace mr::attestation::simulated {
namespace {

TEST_F(SimulatedDcapTest, PckChainFromCollateralWhenTheQuoteDoesNotEmbedIt) {
  // Replace certification data type 5 (PCK chain) by type 3 (encrypted PPID); neither the quote
  // signature nor the QE report covers the certification data.
  auto raw = pki_->sgx_quote(enclave(), Bytes(4, 9));
  ASSERT_TRUE(raw);
  const std::size_t cert_type_at = 436 + 64 + 64 + 384 + 64 + 2 + 32;
  Bytes q(raw->begin(), raw->begin() + static_cast<std::ptrdiff_t>(cert_type_at));
  const Bytes tail = {3, 0, 16, 0, 0, 0};
  q.insert(q.end(), tail.begin(), tail.end());
  q.insert(q.end(), 16, 0xee);
  const std::uint32_t sig_len = static_cast<std::uint32_t>(q.size() - 436);
  for (int i = 0; i < 4; ++i)
    q[432 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(sig_len >> (8 * i));

  auto v = verifier(pki_->collateral())->verify(q);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, ErrorCode::kInvalidArgument);
  Collateral with_chain = pki_->collateral();
  with_chain.pck_chain = pki_->pck_chain_pem();
  v = verifier(with_chain)->verify(q);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->sgx->mr_enclave, enclave().mr_enclave);
}

TEST_F(SimulatedDcapTest, SavedPkiSignsQuotesAnotherProcessCanVerify) {
  const std::string saved = pki_->to_json();
  auto loaded = SimulatedDcapPki::from_json(saved, {kNow, {}, {}});
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ((*loaded)->root_ca_der(), pki_->root_ca_der());
  EXPECT_EQ((*loaded)->pck_chain_pem(), pki_->pck_chain_pem());
  // A quote from the loaded PKI verifies against the original's root and collateral.
  SimulatedDcapIssuer issuer(*loaded, enclave());
  auto q = issuer.issue(Bytes(8, 1));
  ASSERT_TRUE(q);
  auto v = verifier(pki_->collateral())->verify(*q);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->platform.fmspc, "5EC0DE000001");
  EXPECT_FALSE(SimulatedDcapPki::from_json("{}", {kNow, {}, {}}));
  EXPECT_FALSE(SimulatedDcapPki::from_json("nope", {kNow, {}, {}}));
  EXPECT_EQ(SimulatedDcapPki::from_json(std::string(65, '[') + std::string(65, ']'), {kNow, {}, {}})
                .error()
                .message,
            "simulated PKI: JSON nesting exceeds the limit of 64 levels (at byte 64)");
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  auto nested = SimulatedDcapPki::from_json(deep, {kNow, {}, {}});
  ASSERT_FALSE(nested);
  EXPECT_EQ(nested.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(nested.error().message,
            "simulated PKI: JSON nesting exceeds the limit of 64 levels (at byte 64)");
}

}  // namespace
}  // namespace mr::attestation::simulated

// The simulated-DCAP verifier path against the shared QuoteVerifier conformance suite.
namespace mr::attestation::testing {

class SimulatedDcapEnv {
 public:
  SimulatedDcapEnv() {
    pki_ = *simulated::SimulatedDcapPki::create({simulated::kNow, {}, {}});
    verifier_ = std::move(*pki_->verifier(&clock_));
    rd_.fill(0x3c);
    simulated::SimulatedDcapIssuer issuer(pki_, simulated::enclave());
    quote_ = *issuer.issue(rd_);
  }
  const QuoteVerifier& verifier() const { return *verifier_; }
  Bytes good_quote() const { return quote_; }
  ReportData report_data() const { return rd_; }
  std::size_t report_data_offset() const { return kOeHeaderSize + 48 + 320; }

 private:
  mr::testing::FakeClock clock_{simulated::kNow};
  std::shared_ptr<simulated::SimulatedDcapPki> pki_;
  std::unique_ptr<dcap::DcapQuoteVerifier> verifier_;
  ReportData rd_{};
  Bytes quote_;
};

INSTANTIATE_TYPED_TEST_SUITE_P(SimulatedDcap, QuoteVerifierConformance, SimulatedDcapEnv);

}  // namespace mr::attestation::testing
