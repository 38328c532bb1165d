// Pinning the Coordinator root (marble/coordinator_pin.h) with CAs made by the Coordinator's
// own code: which server chains prove a key the pinned root certified, which answers match it,
// and which files are refused as a pin.
#include "marble/coordinator_pin.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/testing/temp_dir.h"
#include "marble/test/coordinator_ca.h"

namespace mr::marble {
namespace {

using ::testing::HasSubstr;

const UnixTime kNow = *parse_rfc3339("2026-11-23T12:00:00Z");

std::vector<crypto::Certificate> chain_of(std::string_view pem) {
  auto chain = crypto::Certificate::chain_from_pem(pem);
  EXPECT_TRUE(chain);
  return chain ? *chain : std::vector<crypto::Certificate>{};
}

// --- The pin file -------------------------------------------------------------------------

class LoadPinnedRootTest : public ::testing::Test {
 protected:
  // refused loads |text| from a file and returns the error message (empty if it was accepted).
  std::string refused(const std::string& text) {
    write_text(file_, text);
    auto r = load_pinned_root(file_);
    if (r) return "";
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    // Every refusal names the variable and the file.
    EXPECT_THAT(r.error().message,
                ::testing::StartsWith("EDG_MARBLE_COORDINATOR_ROOT_CA: " + file_.string() + ": "));
    return r.error().message;
  }
  mr::testing::TempDir dir_;
  std::filesystem::path file_ = dir_ / "root.pem";
  TestCa ca_ = TestCa::make(kNow);
};

TEST_F(LoadPinnedRootTest, TheRootAsTheCliWritesIt) {
  write_text(file_, ca_.ca.root.pem());
  auto root = load_pinned_root(file_);
  ASSERT_TRUE(root) << root.error().message;
  EXPECT_EQ(*root, ca_.ca.root);
  // Text around the block is tolerated (as Go's pem.Decode does).
  EXPECT_EQ(refused("# pinned root\n" + ca_.ca.root.pem() + "\n"), "");
}

TEST_F(LoadPinnedRootTest, MissingUnreadableEmptyOrHugeFiles) {
  auto missing = load_pinned_root(dir_ / "nope.pem");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(missing.error().message,
            "EDG_MARBLE_COORDINATOR_ROOT_CA: " + (dir_ / "nope.pem").string() +
                ": cannot open: No such file or directory");
  auto directory = load_pinned_root(dir_.path());
  ASSERT_FALSE(directory);
  EXPECT_THAT(directory.error().message, HasSubstr("EDG_MARBLE_COORDINATOR_ROOT_CA: "));
  EXPECT_THAT(refused(""), HasSubstr("no PEM block in it"));
  EXPECT_THAT(refused("garbage\x01\x02 not pem at all"), HasSubstr("no PEM block in it"));
  EXPECT_THAT(refused(std::string(kMaxPinnedRootFileBytes + 1, 'x')),
              HasSubstr("larger than 1 MiB"));
}

TEST_F(LoadPinnedRootTest, AnythingButExactlyOneSelfSignedCaCertificate) {
  // `marblerun certificate chain` (intermediate + root): ambiguous, refused.
  EXPECT_THAT(refused(ca_.ca.intermediate.pem() + ca_.ca.root.pem()),
              HasSubstr("2 PEM blocks in it (expected exactly one"));
  EXPECT_THAT(refused(std::string(ca_.ca.root_key.to_pem().view())),
              HasSubstr("its PEM block is a PRIVATE KEY, not a CERTIFICATE"));
  EXPECT_THAT(refused("-----BEGIN CERTIFICATE-----\nAAECAw==\n-----END CERTIFICATE-----\n"),
              HasSubstr("not a valid certificate"));
  // The intermediate is not self-signed; a Marble certificate is no CA.
  EXPECT_THAT(refused(ca_.ca.intermediate.pem()),
              HasSubstr("is not a self-signed CA certificate (pin the Coordinator root"));
  EXPECT_THAT(refused(ca_.issue_leaf(kNow).first.pem()),
              HasSubstr("is not a self-signed CA certificate"));
  // No key material ever appears in a message.
  const std::string key_message = refused(std::string(ca_.ca.root_key.to_pem().view()));
  EXPECT_EQ(key_message.find("BEGIN"), std::string::npos);
}

// --- The server's chain -------------------------------------------------------------------

TEST(CheckCoordinatorChain, TheMarbleApiChainProvesTheIntermediateKey) {
  const TestCa ca = TestCa::make(kNow);
  EXPECT_TRUE(check_coordinator_chain(chain_of(ca.served_chain_pem()), ca.ca.root, kNow));
  // The intermediate alone, or the root itself as server certificate: the key is certified.
  EXPECT_TRUE(check_coordinator_chain({ca.ca.intermediate}, ca.ca.root, kNow));
  EXPECT_TRUE(check_coordinator_chain({ca.ca.root}, ca.ca.root, kNow));
  // After an update rotated the intermediate, the same root still pins it.
  auto rotated = core::rotate_intermediate(ca.ca, core::RotationSans::kDnsOnly, kNow);
  ASSERT_TRUE(rotated);
  EXPECT_TRUE(check_coordinator_chain({rotated->marble_root, rotated->intermediate}, ca.ca.root,
                                      kNow + std::chrono::hours(1)));
}

TEST(CheckCoordinatorChain, AnotherCoordinatorsChainIsRefused) {
  const TestCa ca = TestCa::make(kNow);
  const TestCa other = TestCa::make(kNow);
  auto s = check_coordinator_chain(chain_of(other.served_chain_pem()), ca.ca.root, kNow);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kUnauthenticated);
  EXPECT_THAT(s.error().message,
              HasSubstr("its TLS key is not certified by the pinned Coordinator root "
                        "(EDG_MARBLE_COORDINATOR_ROOT_CA): it presented 2 certificates, and "
                        "none for its key was issued by \"CN=MarbleRun Coordinator\""));
}

TEST(CheckCoordinatorChain, WithoutTheIntermediateNothingLinksTheKeyToTheRoot) {
  // An upstream Coordinator presents the Marble root alone.
  const TestCa ca = TestCa::make(kNow);
  auto s = check_coordinator_chain({ca.ca.marble_root}, ca.ca.root, kNow);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kUnauthenticated);
  EXPECT_THAT(s.error().message, HasSubstr("a Coordinator that sends no intermediate certificate "
                                           "cannot be pinned"));
  EXPECT_FALSE(check_coordinator_chain({}, ca.ca.root, kNow));
}

// What a plain "chains to the root" check would accept: certificates the intermediate key
// signed. A Marble (or a user who may read a cert secret) holds such a key; none of them may
// pose as the Coordinator.
TEST(CheckCoordinatorChain, KeysTheIntermediateCertifiedCannotPoseAsTheCoordinator) {
  const TestCa ca = TestCa::make(kNow);
  const auto [leaf, leaf_key] = ca.issue_leaf(kNow);
  // Sanity: the Marble's certificate does chain to the root through the intermediate.
  ASSERT_TRUE(crypto::verify_chain(leaf, {ca.ca.intermediate}, {ca.ca.root}, kNow,
                                   crypto::ExtKeyUsage::kServerAuth));
  for (const auto& presented :
       std::vector<std::vector<crypto::Certificate>>{{leaf, ca.ca.intermediate},
                                                     {leaf, ca.ca.marble_root, ca.ca.intermediate},
                                                     {leaf, ca.ca.intermediate, ca.ca.root}}) {
    auto s = check_coordinator_chain(presented, ca.ca.root, kNow);
    EXPECT_FALSE(s) << presented.size();
  }
  // A CA certificate the intermediate issued (a manifest cert secret may be one).
  auto secret_key = crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP384));
  ASSERT_TRUE(secret_key);
  crypto::CertTemplate t;
  t.subject.common_name = "MarbleRun Coordinator";  // even with the root's name
  t.not_before = kNow;
  t.not_after = kNow + kGoMaxDuration;
  t.basic_constraints_valid = true;
  t.is_ca = true;
  t.key_usage = crypto::kKeyUsageDigitalSignature | crypto::kKeyUsageCertSign;
  auto secret = crypto::create_certificate(t, secret_key->public_key(), &ca.ca.marble_root,
                                           ca.ca.intermediate_key);
  ASSERT_TRUE(secret);
  EXPECT_FALSE(check_coordinator_chain({*secret, ca.ca.intermediate}, ca.ca.root, kNow));
  // An attacker's own certificate followed by the (public) intermediate: its key is not the
  // intermediate's.
  auto attacker_key = crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP384));
  ASSERT_TRUE(attacker_key);
  auto attacker = crypto::create_certificate(t, attacker_key->public_key(), nullptr, *attacker_key);
  ASSERT_TRUE(attacker);
  EXPECT_FALSE(
      check_coordinator_chain({*attacker, ca.ca.intermediate, ca.ca.root}, ca.ca.root, kNow));
}

TEST(CheckCoordinatorChain, OutsideTheIntermediatesValidityIsRefused) {
  const TestCa ca = TestCa::make(kNow);
  auto s = check_coordinator_chain(chain_of(ca.served_chain_pem()), ca.ca.root,
                                   kNow - std::chrono::hours(24));
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message, HasSubstr("not yet valid"));
}

// --- The answer ----------------------------------------------------------------------------

class CheckParametersTest : public ::testing::Test {
 protected:
  Parameters params() {
    Parameters p;
    p.env = ca_.predefined_env(leaf_.first);
    p.env["OTHER"] = "x";
    return p;
  }
  std::string refused(Parameters p) {
    auto s = check_parameters_against_root(p, ca_.ca.root, kNow);
    if (s) return "";
    EXPECT_EQ(s.error().code, ErrorCode::kUnauthenticated);
    EXPECT_THAT(s.error().message,
                HasSubstr("the Coordinator's answer does not match the pinned Coordinator root "
                          "(EDG_MARBLE_COORDINATOR_ROOT_CA): "));
    return s.error().message;
  }
  TestCa ca_ = TestCa::make(kNow);
  TestCa other_ = TestCa::make(kNow);
  std::pair<crypto::Certificate, crypto::PrivateKey> leaf_ = ca_.issue_leaf(kNow);
};

TEST_F(CheckParametersTest, WhatTheCoordinatorSendsMatches) {
  EXPECT_EQ(refused(params()), "");
  // Also after an update rotated the intermediate.
  auto rotated = core::rotate_intermediate(ca_.ca, core::RotationSans::kDnsOnly, kNow);
  ASSERT_TRUE(rotated);
  const TestCa after{*rotated};
  Parameters p;
  p.env = after.predefined_env(after.issue_leaf(kNow).first);
  EXPECT_EQ(refused(std::move(p)), "");
}

TEST_F(CheckParametersTest, EachPredefinedCertificateIsChecked) {
  for (const char* name :
       {"MARBLE_PREDEFINED_ROOT_CA", "MARBLE_PREDEFINED_MARBLE_CERTIFICATE_CHAIN",
        "MARBLE_PREDEFINED_COORDINATOR_ROOT_CA"}) {
    Parameters p = params();
    p.env.erase(name);
    EXPECT_THAT(refused(std::move(p)), HasSubstr(std::string(name) + ": not sent"));
    p = params();
    p.env[name] = "garbage";
    EXPECT_THAT(refused(std::move(p)), HasSubstr(name));
  }
  const auto other_env = other_.predefined_env(other_.issue_leaf(kNow).first);
  for (const auto& [name, value] : other_env) {
    Parameters p = params();
    p.env[name] = value;
    EXPECT_THAT(refused(std::move(p)), HasSubstr(name + ": ")) << name;
  }
  // A chain without its intermediate.
  Parameters p = params();
  p.env["MARBLE_PREDEFINED_MARBLE_CERTIFICATE_CHAIN"] = leaf_.first.pem();
  EXPECT_THAT(refused(std::move(p)), HasSubstr("not a certificate followed by its issuer"));
  // A Marble root whose key the pinned root never certified, though the leaf verifies to the
  // root: the other CA's Marble root with this CA's chain.
  p = params();
  p.env["MARBLE_PREDEFINED_ROOT_CA"] = other_.ca.marble_root.pem();
  EXPECT_THAT(refused(std::move(p)), HasSubstr("the pinned root certified no certificate"));
}

}  // namespace
}  // namespace mr::marble
