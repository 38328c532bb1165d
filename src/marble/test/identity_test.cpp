// Spec 2.3 steps 1 and 3: the self-signed certificate and the CSR a Marble sends.
#include "marble/identity.h"

#include <gtest/gtest.h>

namespace mr::marble {
namespace {

const UnixTime kNow = *parse_rfc3339("2026-11-23T12:00:00Z");

IpAddress ip(std::string_view s) {
  return *IpAddress::parse(s);
}

TEST(SplitSanNames, IpLookingEntriesBecomeIpsInOrder) {
  const SanNames s = split_san_names({"localhost", "10.0.0.7", "svc.ns", "fe80::1", "1.2.3"});
  EXPECT_EQ(s.dns, (std::vector<std::string>{"localhost", "svc.ns", "1.2.3"}));
  EXPECT_EQ(s.ips, (std::vector<IpAddress>{ip("10.0.0.7"), ip("fe80::1")}));
}

TEST(SplitSanNames, NoTrimming) {
  const SanNames s = split_san_names({" 10.0.0.7"});
  EXPECT_EQ(s.dns, (std::vector<std::string>{" 10.0.0.7"}));
  EXPECT_TRUE(s.ips.empty());
}

class IdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto id = create_identity({"localhost", "10.0.0.7", "marble.ns.svc", "2001:db8::5"}, kNow);
    ASSERT_TRUE(id) << id.error().message;
    id_ = std::make_unique<MarbleIdentity>(std::move(*id));
  }
  std::unique_ptr<MarbleIdentity> id_;
};

TEST_F(IdentityTest, KeyIsP384) {
  EXPECT_EQ(id_->key.type(), crypto::KeyType::kEc);
  EXPECT_EQ(id_->key.public_key().curve(), crypto::Curve::kP384);
  EXPECT_EQ(id_->cert.public_key(), id_->key.public_key());
}

TEST_F(IdentityTest, CertificateIsSelfSignedMarbleRunMarble) {
  const auto& c = id_->cert;
  crypto::DistinguishedName want;
  want.common_name = "MarbleRun Marble";
  EXPECT_EQ(c.subject(), want);
  EXPECT_EQ(c.issuer(), want);
  EXPECT_TRUE(c.check_signature_from(id_->key.public_key()));
}

TEST_F(IdentityTest, CertificateValidityIsGoMaxDuration) {
  EXPECT_EQ(id_->cert.not_before(), kNow);
  EXPECT_EQ(id_->cert.not_after(), kNow + kGoMaxDuration);
  // ≈ 292 years.
  EXPECT_GT(id_->cert.not_after() - kNow, std::chrono::hours(24 * 365 * 292));
}

TEST_F(IdentityTest, CertificateExtensions) {
  const auto& c = id_->cert;
  EXPECT_EQ(c.key_usage(), crypto::kKeyUsageDigitalSignature | crypto::kKeyUsageKeyAgreement);
  EXPECT_EQ(c.ext_key_usage(),
            (std::vector<crypto::ExtKeyUsage>{crypto::ExtKeyUsage::kServerAuth,
                                              crypto::ExtKeyUsage::kClientAuth}));
  EXPECT_TRUE(c.basic_constraints_valid());
  EXPECT_FALSE(c.is_ca());
  EXPECT_TRUE(c.extension("2.5.29.19").has_value());  // BasicConstraints present
}

TEST_F(IdentityTest, CertificateSansConfiguredIpsThenLoopbacks) {
  EXPECT_EQ(id_->cert.dns_names(), (std::vector<std::string>{"localhost", "marble.ns.svc"}));
  EXPECT_EQ(id_->cert.ip_addresses(), (std::vector<IpAddress>{ip("10.0.0.7"), ip("2001:db8::5"),
                                                              ip("127.0.0.1"), ip("::1")}));
}

TEST_F(IdentityTest, SerialIsRandom128Bit) {
  const Bytes serial = id_->cert.serial_number();
  EXPECT_LE(serial.size(), 16u);
  EXPECT_GE(serial.size(), 8u);  // all but astronomically unlikely
  auto other = create_identity({"localhost"}, kNow);
  ASSERT_TRUE(other);
  EXPECT_NE(other->cert.serial_number(), serial);
}

TEST_F(IdentityTest, CsrSameKeyEmptySubjectLoopbacksThenConfiguredIps) {
  auto csr = crypto::parse_csr(id_->csr_der);
  ASSERT_TRUE(csr) << csr.error().message;
  EXPECT_TRUE(csr->subject.empty());
  EXPECT_EQ(csr->public_key, id_->key.public_key());
  EXPECT_EQ(csr->dns_names, (std::vector<std::string>{"localhost", "marble.ns.svc"}));
  EXPECT_EQ(csr->ip_addresses, (std::vector<IpAddress>{ip("127.0.0.1"), ip("::1"), ip("10.0.0.7"),
                                                       ip("2001:db8::5")}));
}

TEST(Identity, DefaultLocalhost) {
  auto id = create_identity({"localhost"}, kNow);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->cert.dns_names(), (std::vector<std::string>{"localhost"}));
  EXPECT_EQ(id->cert.ip_addresses(), (std::vector<IpAddress>{ip("127.0.0.1"), ip("::1")}));
}

TEST(Identity, OnlyIps) {
  auto id = create_identity({"192.168.1.1"}, kNow);
  ASSERT_TRUE(id);
  EXPECT_TRUE(id->cert.dns_names().empty());
  auto csr = crypto::parse_csr(id->csr_der);
  ASSERT_TRUE(csr);
  EXPECT_EQ(csr->ip_addresses,
            (std::vector<IpAddress>{ip("127.0.0.1"), ip("::1"), ip("192.168.1.1")}));
}

TEST(Identity, EmptyEntryIsRefused) {
  auto id = create_identity({"localhost", ""}, kNow);
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().code, ErrorCode::kInvalidArgument);
}

TEST(Identity, EveryCallMakesANewKey) {
  auto a = create_identity({"localhost"}, kNow);
  auto b = create_identity({"localhost"}, kNow);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->key.public_key(), b->key.public_key());
}

}  // namespace
}  // namespace mr::marble
