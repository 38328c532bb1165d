#include "core/ca.h"

#include <gtest/gtest.h>

#include "base/clock.h"

namespace mr::core {
namespace {

using crypto::ExtKeyUsage;

const UnixTime kNow = *parse_rfc3339("2026-11-23T12:00:00Z");

class CaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = new CaSet(*generate_ca({"localhost", "coordinator.example", "10.1.2.3"}, kNow));
  }
  static void TearDownTestSuite() { delete ca_; }
  static CaSet* ca_;
};
CaSet* CaTest::ca_ = nullptr;

TEST_F(CaTest, RootHasUpstreamSubjectExtensionsAndSans) {
  const auto& root = ca_->root;
  EXPECT_EQ(root.subject().common_name, "MarbleRun Coordinator");
  EXPECT_EQ(root.issuer(), root.subject());
  EXPECT_TRUE(root.is_ca());
  EXPECT_EQ(root.key_usage(), crypto::kKeyUsageDigitalSignature | crypto::kKeyUsageCertSign);
  EXPECT_EQ(root.ext_key_usage(),
            (std::vector<ExtKeyUsage>{ExtKeyUsage::kServerAuth, ExtKeyUsage::kClientAuth}));
  EXPECT_EQ(root.dns_names(), (std::vector<std::string>{"localhost", "coordinator.example"}));
  std::vector<std::string> ips;
  for (const auto& ip : root.ip_addresses())
    ips.push_back(ip.to_string());
  EXPECT_EQ(ips, (std::vector<std::string>{"127.0.0.1", "::1", "10.1.2.3"}));
  EXPECT_EQ(root.public_key().curve(), crypto::Curve::kP384);
  EXPECT_FALSE(root.subject_key_id().empty());
  EXPECT_EQ(root.not_before(), kNow);
  EXPECT_EQ(root.not_after(), kNow + kGoMaxDuration);
  EXPECT_TRUE(root.check_signature_from(root.public_key()));
  EXPECT_EQ(root.serial_number().size() <= 16, true);
}

TEST_F(CaTest, IntermediateAndMarbleRootAreSiblings) {
  const auto& inter = ca_->intermediate;
  const auto& mroot = ca_->marble_root;
  EXPECT_EQ(inter.subject().common_name, "MarbleRun Coordinator - Intermediate CA");
  EXPECT_EQ(inter.issuer(), ca_->root.subject());
  EXPECT_TRUE(inter.check_signature_from(ca_->root.public_key()));
  EXPECT_EQ(inter.authority_key_id(), ca_->root.subject_key_id());
  EXPECT_EQ(mroot.subject(), inter.subject());
  EXPECT_EQ(mroot.issuer(), mroot.subject());
  EXPECT_EQ(mroot.public_key(), inter.public_key());
  EXPECT_EQ(inter.public_key(), ca_->intermediate_key.public_key());
  EXPECT_TRUE(mroot.check_signature_from(inter.public_key()));
  EXPECT_TRUE(mroot.is_ca());
  EXPECT_NE(inter.serial_number(), mroot.serial_number());
}

TEST_F(CaTest, MarbleCertificateChainsToMarbleRootAndIntermediate) {
  auto csr_key = *crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP384));
  crypto::DistinguishedName subject;
  subject.organization = {"ignored org"};
  auto csr_der =
      *crypto::create_csr(csr_key, subject, {"web", "web.ns"}, {*IpAddress::parse("10.0.0.7")});
  auto csr = *crypto::parse_csr(csr_der);
  auto leaf_key = *crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP384));
  const Uuid uuid = *Uuid::parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
  auto leaf = issue_marble_certificate(*ca_, csr, uuid, "backend", leaf_key.public_key(), kNow);
  ASSERT_TRUE(leaf) << leaf.error().message;
  EXPECT_EQ(leaf->subject().common_name, uuid.to_string());
  EXPECT_TRUE(leaf->subject().organization.empty());
  EXPECT_EQ(leaf->issuer(), ca_->marble_root.subject());
  EXPECT_EQ(leaf->public_key(), leaf_key.public_key());  // the Coordinator's key, not the CSR's
  EXPECT_EQ(leaf->dns_names(), (std::vector<std::string>{"web", "web.ns"}));
  EXPECT_FALSE(leaf->is_ca());
  EXPECT_EQ(leaf->key_usage(), crypto::kKeyUsageDigitalSignature | crypto::kKeyUsageKeyAgreement);
  auto ext = leaf->extension("1.3.9903.2.1");
  ASSERT_TRUE(ext.has_value());
  EXPECT_FALSE(ext->critical);
  EXPECT_EQ(to_string(ext->value), "backend");
  EXPECT_TRUE(crypto::verify_chain(*leaf, {}, {ca_->marble_root}, kNow + std::chrono::hours(1)));
  EXPECT_TRUE(
      crypto::verify_chain(*leaf, {ca_->intermediate}, {ca_->root}, kNow + std::chrono::hours(1)));
}

TEST_F(CaTest, RotationKeepsRootAndChangesIntermediate) {
  auto rotated = rotate_intermediate(*ca_, RotationSans::kDnsOnly, kNow);
  ASSERT_TRUE(rotated) << rotated.error().message;
  EXPECT_EQ(rotated->root, ca_->root);
  EXPECT_NE(rotated->intermediate, ca_->intermediate);
  EXPECT_NE(rotated->intermediate.public_key(), ca_->intermediate.public_key());
  EXPECT_TRUE(rotated->intermediate.ip_addresses().empty());
  auto full = rotate_intermediate(*ca_, RotationSans::kDnsAndNonLoopbackIps, kNow);
  ASSERT_TRUE(full);
  ASSERT_EQ(full->intermediate.ip_addresses().size(), 1u);
  EXPECT_EQ(full->intermediate.ip_addresses()[0].to_string(), "10.1.2.3");
  EXPECT_TRUE(full->marble_root.check_signature_from(full->intermediate_key.public_key()));
}

TEST(SplitSans, IpsAndNames) {
  SanSet s = split_sans({"a.example", "10.0.0.1", "::2", " 1.2.3.4"});
  EXPECT_EQ(s.dns_names, (std::vector<std::string>{"a.example", " 1.2.3.4"}));
  EXPECT_EQ(s.ips.size(), 2u);
}

}  // namespace
}  // namespace mr::core
