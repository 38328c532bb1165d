// Acceptance: the quote validation of Activate (verify_marble_quote = DcapQuoteVerifier +
// check_tcb_status + check_report_data + check_package) on real signed simulated-DCAP quotes.
#include <gtest/gtest.h>

#include "attestation/policy.h"
#include "attestation/sgx_dcap/dcap_verifier.h"
#include "attestation/simulated/simulated_dcap.h"
#include "base/encoding.h"
#include "base/testing/fake_clock.h"
#include "crypto/hash.h"

namespace mr::attestation::simulated {
namespace {

const UnixTime kNow = *parse_rfc3339("2026-11-23T12:00:00Z");

class MarbleActivationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = SimulatedDcapPki::create({kNow, {}, {}});
    ASSERT_TRUE(pki) << pki.error().message;
    pki_ = std::move(*pki);
    auto v = pki_->verifier(&clock_);
    ASSERT_TRUE(v) << v.error().message;
    verifier_ = std::move(*v);
    marble_.mr_enclave.fill(0xa1);
    marble_.mr_signer.fill(0xb2);
    marble_.isv_prod_id = 7;
    marble_.isv_svn = 4;
    package_.unique_id = hex_encode(marble_.mr_enclave);
    package_.signer_id = hex_encode(marble_.mr_signer);
    package_.product_id = 7;
    package_.security_version = 4;
  }

  // quote_for returns what a Marble sends: an OE-framed quote over SHA-256(its TLS cert DER).
  Bytes quote_for(const SimulatedEnclave& e, ByteSpan cert_der) {
    const auto hash = crypto::sha256(cert_der);
    SimulatedDcapIssuer issuer(pki_, e);
    auto q = issuer.issue(hash);
    EXPECT_TRUE(q) << q.error().message;
    return *q;
  }
  Result<VerifiedQuote> activate(const Bytes& quote, const PackagePolicy& pkg) {
    return verify_marble_quote(*verifier_, quote, cert_, pkg);
  }

  mr::testing::FakeClock clock_{kNow};
  std::shared_ptr<SimulatedDcapPki> pki_;
  std::unique_ptr<dcap::DcapQuoteVerifier> verifier_;
  SimulatedEnclave marble_;
  PackagePolicy package_;
  const Bytes cert_ = to_bytes("DER of the Marble's self-signed TLS certificate");
};

TEST_F(MarbleActivationTest, CorrectMarbleIsAdmitted) {
  auto q = activate(quote_for(marble_, cert_), package_);
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->tcb_status, TcbStatus::kUpToDate);
  // SignerID + ProductID + SecurityVersion without UniqueID (the usual manifest) works too.
  PackagePolicy by_signer = package_;
  by_signer.unique_id.clear();
  EXPECT_TRUE(activate(quote_for(marble_, cert_), by_signer));
}

TEST_F(MarbleActivationTest, WrongMrEnclaveIsRefused) {
  SimulatedEnclave other = marble_;
  other.mr_enclave[31] ^= 1;
  auto q = activate(quote_for(other, cert_), package_);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(q.error().message, "package properties not compliant: UniqueID does not match");
}

TEST_F(MarbleActivationTest, LowerSvnIsRefused) {
  SimulatedEnclave old = marble_;
  old.isv_svn = 3;
  auto q = activate(quote_for(old, cert_), package_);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().message,
            "package properties not compliant: SecurityVersion is 3, package requires at least 4");
}

TEST_F(MarbleActivationTest, ReportDataForAnotherCertificateIsRefused) {
  auto q = activate(quote_for(marble_, to_bytes("some other certificate")), package_);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().message, "hash(cert) != report.Data");
}

TEST_F(MarbleActivationTest, DebugEnclaveAgainstNonDebugPackageIsRefused) {
  SimulatedEnclave debug = marble_;
  debug.debug = true;
  auto q = activate(quote_for(debug, cert_), package_);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().message,
            "package properties not compliant: Debug is true, package requires false");
  PackagePolicy debug_pkg = package_;
  debug_pkg.debug = true;
  EXPECT_TRUE(activate(quote_for(debug, cert_), debug_pkg));
}

TEST_F(MarbleActivationTest, TcbPolicyApplies) {
  CollateralOptions o;
  o.issue_date = kNow - std::chrono::hours(1);
  o.platform_status = TcbStatus::kConfigurationAndSWHardeningNeeded;
  o.advisory_ids = {"INTEL-SA-00289", "INTEL-SA-00615"};
  auto c = pki_->issue_collateral(o);
  ASSERT_TRUE(c);
  auto v = dcap::DcapQuoteVerifier::create(
      {std::make_shared<dcap::StaticCollateralProvider>(*c), &clock_, {pki_->root_ca_der()}});
  ASSERT_TRUE(v);
  const Bytes quote = quote_for(marble_, cert_);
  auto q = verify_marble_quote(**v, quote, cert_, package_);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().message, "TCB level invalid: ConfigurationAndSWHardeningNeeded");
  PackagePolicy tolerant = package_;
  tolerant.accepted_tcb_statuses = {"SWHardeningNeeded", "ConfigurationAndSWHardeningNeeded"};
  EXPECT_TRUE(verify_marble_quote(**v, quote, cert_, tolerant));
}

TEST_F(MarbleActivationTest, EmptyOrGarbageQuoteIsRefused) {
  auto q = activate(Bytes{}, package_);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, ErrorCode::kInvalidArgument);
  q = activate(to_bytes("garbage"), package_);
  ASSERT_FALSE(q);
}

}  // namespace
}  // namespace mr::attestation::simulated
