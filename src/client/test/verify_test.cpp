// verify_coordinator with real (simulated-DCAP) quotes and the DCAP verifier.

#include "client/verify.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "attestation/sgx_dcap/dcap_verifier.h"
#include "attestation/simulated/simulated_dcap.h"
#include "base/encoding.h"
#include "client/test/fakes.h"
#include "crypto/hash.h"

namespace mr::client {
namespace {

namespace sim = attestation::simulated;
namespace dcap = attestation::dcap;
using ::testing::HasSubstr;
using testing::make_cert;
using testing::TestCa;

class VerifyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new std::shared_ptr<sim::SimulatedDcapPki>(
        *sim::SimulatedDcapPki::create({SystemClock().now(), {}, {}}));
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }

  void SetUp() override {
    enclave_.mr_enclave.fill(0x11);
    enclave_.mr_signer.fill(0x22);
    enclave_.isv_prod_id = 3;
    enclave_.isv_svn = 3;
    auto v = (*pki_)->verifier(&clock_);
    ASSERT_TRUE(v) << v.error().message;
    verifier_ = std::move(*v);
    era_.unique_id = hex_encode(enclave_.mr_enclave);
    era_.product_id = 3;
    era_.security_version = 3;
  }

  // quote_for returns GET quote's answer: the chain and a quote over SHA-256(root ‖ nonce).
  CoordinatorQuote quote_for(const TestCa& root, ByteSpan nonce = {},
                             std::shared_ptr<sim::SimulatedDcapPki> pki = nullptr) {
    crypto::Sha256 h;
    h.update(root.cert.der());
    h.update(nonce);
    const auto digest = h.finish();
    sim::SimulatedDcapIssuer issuer(pki ? pki : *pki_, enclave_);
    auto q = issuer.issue(digest);
    EXPECT_TRUE(q) << q.error().message;
    return CoordinatorQuote{intermediate_.cert.pem() + root.cert.pem(), q.value_or(Bytes{})};
  }

  VerifyOptions options() {
    return VerifyOptions{verifier_.get(), era_, {}, SimulationPolicy::kRefuse};
  }

  static std::shared_ptr<sim::SimulatedDcapPki>* pki_;
  SystemClock clock_;
  sim::SimulatedEnclave enclave_;
  std::unique_ptr<dcap::DcapQuoteVerifier> verifier_;
  attestation::EraConfig era_;
  TestCa root_ = make_cert("MarbleRun Coordinator", nullptr, true);
  TestCa intermediate_ = make_cert("MarbleRun Coordinator - Intermediate CA", &root_, true);
};

std::shared_ptr<sim::SimulatedDcapPki>* VerifyTest::pki_ = nullptr;

TEST_F(VerifyTest, AcceptsAMatchingCoordinator) {
  auto v = verify_coordinator(quote_for(root_), options());
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->certs.root_der, root_.cert.der());
  EXPECT_EQ(v->certs.intermediate_der, intermediate_.cert.der());
  EXPECT_FALSE(v->simulated);
  ASSERT_TRUE(v->claims);
  EXPECT_EQ(v->claims->sgx->isv_svn, 3);
}

TEST_F(VerifyTest, SignerIdProductIdAndSecurityVersionWork) {
  era_.unique_id.clear();
  era_.signer_id = hex_encode(enclave_.mr_signer);
  auto v = verify_coordinator(quote_for(root_), options());
  ASSERT_TRUE(v) << v.error().message;
}

TEST_F(VerifyTest, RefusesAnotherEnclave) {
  era_.unique_id = std::string(64, 'a');
  auto v = verify_coordinator(quote_for(root_), options());
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(v.error().message,
            "the Coordinator does not match the attestation policy: invalid UniqueID");
}

TEST_F(VerifyTest, RefusesAnOlderSecurityVersion) {
  era_.security_version = 4;
  auto v = verify_coordinator(quote_for(root_), options());
  ASSERT_FALSE(v);
  EXPECT_THAT(v.error().message, HasSubstr("invalid SecurityVersion: 3, want at least 4"));
}

TEST_F(VerifyTest, RefusesAQuoteForAnotherRoot) {
  const TestCa other = make_cert("MarbleRun Coordinator", nullptr, true);
  CoordinatorQuote q = quote_for(other);
  q.cert_chain_pem = intermediate_.cert.pem() + root_.cert.pem();
  auto v = verify_coordinator(q, options());
  ASSERT_FALSE(v);
  EXPECT_THAT(v.error().message, HasSubstr("report data does not match"));
}

TEST_F(VerifyTest, NonceIsBound) {
  const Bytes nonce = to_bytes("fresh");
  VerifyOptions o = options();
  o.nonce = nonce;
  ASSERT_TRUE(verify_coordinator(quote_for(root_, nonce), o));
  auto stale = verify_coordinator(quote_for(root_), o);
  ASSERT_FALSE(stale);
  EXPECT_THAT(stale.error().message, HasSubstr("report data does not match"));
}

TEST_F(VerifyTest, RefusesAQuoteFromAnUntrustedPki) {
  auto foreign = sim::SimulatedDcapPki::create({SystemClock().now(), {}, {}});
  ASSERT_TRUE(foreign);
  auto v = verify_coordinator(quote_for(root_, {}, *foreign), options());
  ASSERT_FALSE(v);
  EXPECT_THAT(v.error().message, HasSubstr("verifying the Coordinator's quote: "));
}

TEST_F(VerifyTest, SimulationModeNeedsConsent) {
  CoordinatorQuote q{intermediate_.cert.pem() + root_.cert.pem(), {}};
  auto refused = verify_coordinator(q, options());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(refused.error().message,
            "the Coordinator runs in simulation mode: it sent no quote to verify");
  VerifyOptions o;  // no verifier or policy needed
  o.simulation = SimulationPolicy::kAccept;
  auto accepted = verify_coordinator(q, o);
  ASSERT_TRUE(accepted) << accepted.error().message;
  EXPECT_TRUE(accepted->simulated);
  EXPECT_EQ(accepted->certs.root_der, root_.cert.der());
}

TEST_F(VerifyTest, AQuoteNeedsAPolicy) {
  VerifyOptions o;
  o.simulation = SimulationPolicy::kAccept;
  auto v = verify_coordinator(quote_for(root_), o);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(v.error().message, "no attestation policy for the Coordinator");
}

TEST(SplitCertificateChain, NeedsIntermediateAndRoot) {
  const TestCa root = make_cert("root", nullptr, true);
  auto one = split_certificate_chain(root.cert.pem());
  ASSERT_FALSE(one);
  EXPECT_THAT(one.error().message, HasSubstr("has 1 certificate(s)"));
  auto garbage = split_certificate_chain(
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" + root.cert.pem());
  ASSERT_FALSE(garbage);
  EXPECT_THAT(garbage.error().message, HasSubstr("intermediate"));
}

}  // namespace
}  // namespace mr::client
