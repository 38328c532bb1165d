// verify_chain: Go's Certificate.Verify semantics with a fixed time and one required EKU.

#include <gtest/gtest.h>

#include "crypto/openssl/test/test_util.h"
#include "crypto/x509.h"

namespace mr::crypto {
namespace {

using namespace std::chrono_literals;

const UnixTime kNow = *parse_rfc3339("2024-05-01T12:00:00Z");

CertTemplate ca(std::string cn) {
  CertTemplate t;
  t.subject.common_name = std::move(cn);
  t.not_before = kNow;
  t.not_after = kNow + kGoMaxDuration;
  t.key_usage = kKeyUsageDigitalSignature | kKeyUsageCertSign;
  t.ext_key_usage = {{ExtKeyUsage::kServerAuth, ExtKeyUsage::kClientAuth}};
  t.basic_constraints_valid = true;
  t.is_ca = true;
  return t;
}

CertTemplate leaf_template(std::optional<std::vector<ExtKeyUsage>> eku) {
  CertTemplate t;
  t.subject.common_name = "leaf";
  t.not_before = kNow;
  t.not_after = kNow + 48h;
  t.key_usage = kKeyUsageDigitalSignature;
  t.ext_key_usage = std::move(eku);
  t.basic_constraints_valid = true;
  t.dns_names = {{"leaf.example"}};
  return t;
}

Certificate issue(const CertTemplate& t, const PrivateKey& subject, const Certificate* parent,
                  const PrivateKey& signer) {
  auto c = create_certificate(t, subject.public_key(), parent, signer);
  if (!c) {
    ADD_FAILURE() << c.error().message;
    std::abort();
  }
  return std::move(*c);
}

class VerifyChain : public ::testing::Test {
 protected:
  void SetUp() override {
    root_.emplace(issue(ca("root"), testing::p384(), nullptr, testing::p384()));
    inter_.emplace(issue(ca("intermediate"), testing::p384_other(), &*root_, testing::p384()));
  }
  Certificate leaf(std::optional<std::vector<ExtKeyUsage>> eku) {
    return issue(leaf_template(std::move(eku)), testing::p256(), &*inter_, testing::p384_other());
  }
  static void expect_denied(const Status& s, std::string_view fragment) {
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::kPermissionDenied);
    EXPECT_NE(s.error().message.find(fragment), std::string::npos) << s.error().message;
  }
  std::optional<Certificate> root_, inter_;
};

TEST_F(VerifyChain, RootIntermediateLeafPasses) {
  const Certificate l = leaf({{ExtKeyUsage::kServerAuth, ExtKeyUsage::kClientAuth}});
  EXPECT_TRUE(verify_chain(l, {*inter_}, {*root_}, kNow + 1h));
  EXPECT_TRUE(verify_chain(l, {*inter_}, {*root_}, kNow + 1h, ExtKeyUsage::kClientAuth));
  EXPECT_TRUE(verify_chain(l, {*inter_}, {*root_}, kNow + 1h, ExtKeyUsage::kAny));
  // Validity bounds are inclusive, like Go.
  EXPECT_TRUE(verify_chain(l, {*inter_}, {*root_}, kNow));
  EXPECT_TRUE(verify_chain(l, {*inter_}, {*root_}, kNow + 48h));
}

TEST_F(VerifyChain, WrongRootFails) {
  const Certificate l = leaf({{ExtKeyUsage::kServerAuth}});
  const Certificate other_root = issue(ca("root"), testing::p521(), nullptr, testing::p521());
  expect_denied(verify_chain(l, {*inter_}, {other_root}, kNow + 1h), "verification failed");
  expect_denied(verify_chain(l, {}, {*root_}, kNow + 1h), "unable to get local issuer");
  expect_denied(verify_chain(l, {*inter_}, {}, kNow + 1h), "verification failed");
}

TEST_F(VerifyChain, ExpiredAndNotYetValidFail) {
  const Certificate l = leaf({{ExtKeyUsage::kServerAuth}});
  expect_denied(verify_chain(l, {*inter_}, {*root_}, kNow + 48h + 1s), "expired");
  expect_denied(verify_chain(l, {*inter_}, {*root_}, kNow - 1s), "not yet valid");
}

TEST_F(VerifyChain, ExtendedKeyUsageFollowsGo) {
  const Certificate server_only = leaf({{ExtKeyUsage::kServerAuth}});
  expect_denied(verify_chain(server_only, {*inter_}, {*root_}, kNow + 1h, ExtKeyUsage::kClientAuth),
                "incompatible key usage");
  EXPECT_TRUE(verify_chain(server_only, {*inter_}, {*root_}, kNow + 1h, ExtKeyUsage::kAny));
  // Without EKU restrictions on the CAs, a leaf without EKU allows any usage and a leaf with
  // ExtKeyUsageAny allows everything.
  CertTemplate open_ca = ca("unrestricted root");
  open_ca.ext_key_usage.reset();
  const Certificate open_root = issue(open_ca, testing::p521(), nullptr, testing::p521());
  const Certificate no_eku =
      issue(leaf_template(std::nullopt), testing::p256(), &open_root, testing::p521());
  EXPECT_TRUE(verify_chain(no_eku, {}, {open_root}, kNow + 1h, ExtKeyUsage::kCodeSigning));
  const Certificate any =
      issue(leaf_template({{ExtKeyUsage::kAny}}), testing::p256(), &open_root, testing::p521());
  EXPECT_TRUE(verify_chain(any, {}, {open_root}, kNow + 1h, ExtKeyUsage::kTimeStamping));
  // Under CAs restricted to serverAuth/clientAuth, the same leaf cannot sign code (Go walks the
  // whole chain).
  const Certificate restricted_no_eku = leaf(std::nullopt);
  expect_denied(
      verify_chain(restricted_no_eku, {*inter_}, {*root_}, kNow + 1h, ExtKeyUsage::kCodeSigning),
      "incompatible key usage");
  EXPECT_TRUE(
      verify_chain(restricted_no_eku, {*inter_}, {*root_}, kNow + 1h, ExtKeyUsage::kClientAuth));
  // Go also checks the CAs: an intermediate restricted to clientAuth cannot vouch for serverAuth.
  CertTemplate restricted = ca("client-only intermediate");
  restricted.ext_key_usage = {{ExtKeyUsage::kClientAuth}};
  const Certificate client_ca = issue(restricted, testing::p384_other(), &*root_, testing::p384());
  const Certificate l = issue(leaf_template({{ExtKeyUsage::kServerAuth, ExtKeyUsage::kClientAuth}}),
                              testing::p256(), &client_ca, testing::p384_other());
  expect_denied(verify_chain(l, {client_ca}, {*root_}, kNow + 1h, ExtKeyUsage::kServerAuth),
                "incompatible key usage");
  EXPECT_TRUE(verify_chain(l, {client_ca}, {*root_}, kNow + 1h, ExtKeyUsage::kClientAuth));
}

TEST_F(VerifyChain, MarbleRootSiblingAndIntermediateAsAnchor) {
  // MarbleRun's Marble root: self-signed by the intermediate key with the intermediate's subject.
  const Certificate marble_root =
      issue(ca("intermediate"), testing::p384_other(), nullptr, testing::p384_other());
  const Certificate l = leaf({{ExtKeyUsage::kServerAuth, ExtKeyUsage::kClientAuth}});
  EXPECT_TRUE(verify_chain(l, {}, {marble_root}, kNow + 1h));
  // A leaf issued under the Marble root also chains through root → intermediate.
  const Certificate l2 = issue(leaf_template({{ExtKeyUsage::kServerAuth}}), testing::p256(),
                               &marble_root, testing::p384_other());
  EXPECT_TRUE(verify_chain(l2, {*inter_}, {*root_}, kNow + 1h));
  // Any certificate in roots is a trust anchor, self-signed or not (Go semantics).
  EXPECT_TRUE(verify_chain(l, {}, {*inter_}, kNow + 1h));
  // A self-signed leaf that is itself a root.
  EXPECT_TRUE(verify_chain(*root_, {}, {*root_}, kNow + 1h));
}

TEST_F(VerifyChain, TimesBeyond2262Work) {
  CertTemplate t = leaf_template({{ExtKeyUsage::kServerAuth}});
  t.not_after = kNow + kGoMaxDuration;
  const Certificate l = issue(t, testing::p256(), &*inter_, testing::p384_other());
  const UnixTime in_2300 = *parse_rfc3339("2300-01-01T00:00:00Z");
  EXPECT_TRUE(verify_chain(l, {*inter_}, {*root_}, in_2300));
  expect_denied(verify_chain(l, {*inter_}, {*root_}, kNow + kGoMaxDuration + 1s), "expired");
}

}  // namespace
}  // namespace mr::crypto
