// PeerAttestation on real signed quotes of the simulated DCAP PKI, verified by the real
// DcapQuoteVerifier: what one Coordinator accepts from another (spec 13, key exchange security).
#include "attestation/peer_attestation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "attestation/sgx_dcap/dcap_verifier.h"
#include "attestation/simulated/simulated_dcap.h"
#include "base/testing/fake_clock.h"

namespace mr::attestation {
namespace {

using ::testing::HasSubstr;

const UnixTime kNow = *parse_rfc3339("2026-11-23T12:00:00Z");

// StatusOverride delegates to a verifier and reports another TCB status (the simulated PKI gives
// every quote of one verifier the same status).
class StatusOverride final : public QuoteVerifier {
 public:
  explicit StatusOverride(const QuoteVerifier& inner) : inner_(inner) {}
  Result<VerifiedQuote> verify(ByteSpan quote) const override {
    MR_ASSIGN_OR_RETURN(VerifiedQuote q, inner_.verify(quote));
    if (status_) q.tcb_status = *status_;
    return q;
  }
  std::optional<TcbStatus> status_;

 private:
  const QuoteVerifier& inner_;
};

class PeerAttestationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = simulated::SimulatedDcapPki::create({kNow, {}, {}});
    ASSERT_TRUE(pki) << pki.error().message;
    pki_ = std::move(*pki);
    auto v = pki_->verifier(&clock_);
    ASSERT_TRUE(v) << v.error().message;
    verifier_ = std::move(*v);
    enclave_.mr_enclave.fill(0xa1);
    enclave_.mr_signer.fill(0xb2);
    enclave_.isv_prod_id = 3;
    enclave_.isv_svn = 5;
  }

  // attestation makes the PeerAttestation of a Coordinator running |e|.
  std::unique_ptr<PeerAttestation> attestation(const simulated::SimulatedEnclave& e,
                                               const QuoteVerifier* verifier = nullptr) {
    issuers_.push_back(std::make_unique<simulated::SimulatedDcapIssuer>(pki_, e));
    auto a = PeerAttestation::create(
        {issuers_.back().get(), verifier ? verifier : verifier_.get(), false, false});
    EXPECT_TRUE(a) << a.error().message;
    return a ? std::move(*a) : nullptr;
  }

  mr::testing::FakeClock clock_{kNow};
  std::shared_ptr<simulated::SimulatedDcapPki> pki_;
  std::unique_ptr<dcap::DcapQuoteVerifier> verifier_;
  std::vector<std::unique_ptr<simulated::SimulatedDcapIssuer>> issuers_;
  simulated::SimulatedEnclave enclave_;
  const Bytes cert_ = to_bytes("DER of a Coordinator's TLS certificate");
};

TEST_F(PeerAttestationTest, CreateLearnsItsOwnIdentity) {
  auto self = attestation(enclave_);
  ASSERT_TRUE(self);
  EXPECT_EQ(self->self().unique_id, enclave_.mr_enclave);
  EXPECT_EQ(self->self().signer_id, enclave_.mr_signer);
  EXPECT_EQ(self->self().product_id, 3);
  EXPECT_EQ(self->self().security_version, 5);
  EXPECT_FALSE(self->self().debug);
  EXPECT_EQ(self->self().tcb_status, TcbStatus::kUpToDate);
  EXPECT_FALSE(self->simulation());
}

TEST_F(PeerAttestationTest, CreateFailsWithoutIssuerOrWhenItsOwnQuoteDoesNotVerify) {
  EXPECT_EQ(PeerAttestation::create({nullptr, verifier_.get(), false, false}).error().code,
            ErrorCode::kInvalidArgument);
  // A verifier that does not trust the issuer's PKI.
  auto other = simulated::SimulatedDcapPki::create({kNow, {}, {}});
  ASSERT_TRUE(other);
  auto v = (*other)->verifier(&clock_);
  ASSERT_TRUE(v);
  simulated::SimulatedDcapIssuer issuer(pki_, enclave_);
  auto a = PeerAttestation::create({&issuer, v->get(), false, false});
  ASSERT_FALSE(a);
  EXPECT_THAT(a.error().message, HasSubstr("attesting this Coordinator itself"));
}

TEST_F(PeerAttestationTest, SameEnclaveIsAccepted) {
  auto self = attestation(enclave_);
  auto peer = attestation(enclave_);
  auto q = peer->quote_for(cert_);
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_TRUE(self->check_peer(*q, cert_, true));
  EXPECT_TRUE(self->check_peer(*q, cert_, false));
}

TEST_F(PeerAttestationTest, HigherSvnIsAccepted) {
  auto self = attestation(enclave_);
  auto e = enclave_;
  e.isv_svn = 6;
  auto q = attestation(e)->quote_for(cert_);
  ASSERT_TRUE(q);
  EXPECT_TRUE(self->check_peer(*q, cert_, false));
}

TEST_F(PeerAttestationTest, DifferentSignerIsRefused) {
  auto self = attestation(enclave_);
  auto e = enclave_;
  e.mr_signer.fill(0xee);
  auto q = attestation(e)->quote_for(cert_);
  ASSERT_TRUE(q);
  const Status s = self->check_peer(*q, cert_, false);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kPermissionDenied);
  EXPECT_THAT(s.error().message, HasSubstr("SignerID"));
}

TEST_F(PeerAttestationTest, DifferentProductIsRefused) {
  auto self = attestation(enclave_);
  auto e = enclave_;
  e.isv_prod_id = 4;
  auto q = attestation(e)->quote_for(cert_);
  ASSERT_TRUE(q);
  EXPECT_THAT(self->check_peer(*q, cert_, false).error().message, HasSubstr("ProductID 4"));
}

TEST_F(PeerAttestationTest, DebugEnclaveIsRefusedByAProductionOne) {
  auto self = attestation(enclave_);
  auto e = enclave_;
  e.debug = true;
  auto q = attestation(e)->quote_for(cert_);
  ASSERT_TRUE(q);
  EXPECT_THAT(self->check_peer(*q, cert_, false).error().message, HasSubstr("debug"));
}

TEST_F(PeerAttestationTest, LowerSvnIsRefused) {
  auto self = attestation(enclave_);
  auto e = enclave_;
  e.isv_svn = 4;
  auto q = attestation(e)->quote_for(cert_);
  ASSERT_TRUE(q);
  const Status s = self->check_peer(*q, cert_, false);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kPermissionDenied);
  EXPECT_THAT(s.error().message, HasSubstr("SecurityVersion (ISVSVN) 4 is lower"));
}

TEST_F(PeerAttestationTest, DifferentEnclaveIsRefusedOnlyWhenTheSameEnclaveIsRequired) {
  auto self = attestation(enclave_);
  auto e = enclave_;
  e.mr_enclave.fill(0x99);
  auto q = attestation(e)->quote_for(cert_);
  ASSERT_TRUE(q);
  const Status s = self->check_peer(*q, cert_, true);
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message, HasSubstr("UniqueID (MRENCLAVE) 9999"));
  EXPECT_TRUE(self->check_peer(*q, cert_, false));  // product key: same signer and product
}

TEST_F(PeerAttestationTest, QuoteOverAnotherCertificateIsRefused) {
  auto self = attestation(enclave_);
  auto q = attestation(enclave_)->quote_for(cert_);
  ASSERT_TRUE(q);
  const Status s = self->check_peer(*q, to_bytes("the attacker's certificate"), false);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kPermissionDenied);
  EXPECT_THAT(s.error().message, HasSubstr("report data"));
}

TEST_F(PeerAttestationTest, EmptyOrGarbageQuoteIsRefused) {
  auto self = attestation(enclave_);
  const Status empty = self->check_peer({}, cert_, false);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kPermissionDenied);
  EXPECT_THAT(empty.error().message, HasSubstr("simulation"));
  EXPECT_FALSE(self->check_peer(to_bytes("not a quote"), cert_, false));
  auto q = attestation(enclave_)->quote_for(cert_);
  ASSERT_TRUE(q);
  Bytes flipped = *q;
  flipped[flipped.size() / 2] ^= 1;
  EXPECT_FALSE(self->check_peer(flipped, cert_, false));
}

TEST_F(PeerAttestationTest, TcbStatusMustBeUpToDateOrThisInstancesOwn) {
  StatusOverride verifier(*verifier_);
  auto self = attestation(enclave_, &verifier);  // UpToDate
  auto q = attestation(enclave_)->quote_for(cert_);
  ASSERT_TRUE(q);
  verifier.status_ = TcbStatus::kOutOfDate;
  const Status s = self->check_peer(*q, cert_, false);
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message, HasSubstr("TCB status"));
  // An instance that is OutOfDate itself accepts a peer that is OutOfDate too.
  auto out_of_date_self = attestation(enclave_, &verifier);
  EXPECT_EQ(out_of_date_self->self().tcb_status, TcbStatus::kOutOfDate);
  EXPECT_TRUE(out_of_date_self->check_peer(*q, cert_, false));
  verifier.status_ = TcbStatus::kRevoked;
  EXPECT_FALSE(out_of_date_self->check_peer(*q, cert_, false));
}

TEST_F(PeerAttestationTest, SimulationAcceptsOnlyEmptyQuotesAndOnlyWhenAllowed) {
  auto strict = PeerAttestation::create({nullptr, nullptr, true, false});
  auto lax = PeerAttestation::create({nullptr, nullptr, true, true});
  ASSERT_TRUE(strict && lax);
  auto q = (*lax)->quote_for(cert_);
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->empty());
  EXPECT_TRUE((*lax)->check_peer({}, cert_, true));
  const Status refused = (*strict)->check_peer({}, cert_, true);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_THAT(refused.error().message, HasSubstr("accept_simulated_peers"));
  // A real quote is never accepted by a simulation Coordinator, however valid.
  auto real = attestation(enclave_)->quote_for(cert_);
  ASSERT_TRUE(real);
  const Status s = (*lax)->check_peer(*real, cert_, false);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kPermissionDenied);
}

}  // namespace
}  // namespace mr::attestation
