// One test per validation rule of spec 5.6 and 5.7: each feeds the valid base manifest broken in
// exactly one way and asserts the refusal and its message.

#include "manifest/check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "test_util.h"

namespace mr::manifest {
namespace {

using nlohmann::json;
using testing::base_manifest;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::parse_or_die;

CheckReport check_json(const json& j, CheckOptions opts = {}) {
  Manifest m = parse_or_die(j);
  CheckReport r = check(m, opts);
  r.append(check_secret_parameters(m));
  r.append(check_keys_and_certificates(m));
  return r;
}

// Applies |mutate| to the base manifest and expects exactly |messages| as errors.
void expect_errors(const std::function<void(json&)>& mutate, std::vector<std::string> messages) {
  json j = base_manifest();
  mutate(j);
  CheckReport r = check_json(j);
  EXPECT_EQ(r.errors, messages);
}

TEST(Check, BaseManifestIsValid) {
  CheckReport r = validate_all(parse_or_die(base_manifest()), {});
  EXPECT_THAT(r.errors, IsEmpty());
  EXPECT_THAT(r.warnings, IsEmpty());
}

TEST(Check, Rule1NoPackages) {
  json j = base_manifest();
  j["Packages"] = json::object();
  CheckReport r = check_json(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors.front(), "no allowed packages defined");
  EXPECT_EQ(r.first_error().error().message, "no allowed packages defined");
}

TEST(Check, Rule2NoMarbles) {
  expect_errors([](json& j) { j["Marbles"] = json::object(); }, {"no allowed marbles defined"});
}

TEST(Check, Rule3aMarblePackageMustExist) {
  expect_errors([](json& j) { j["Marbles"]["worker"]["Package"] = "ghost"; },
                {"manifest does not contain marble package ghost"});
}

TEST(Check, Rule3bUniqueIdWithOtherIdentity) {
  expect_errors([](json& j) { j["Packages"]["unique"]["SecurityVersion"] = 1; },
                {"manifest specifies both UniqueID *and* SignerID/ProductID/SecurityVersion in "
                 "package unique"});
  json j = base_manifest();
  j["Packages"]["unique"]["SignerID"] = "ab";
  j["Packages"]["unique"]["Debug"] = true;
  CheckReport r = check_json(j);
  EXPECT_TRUE(r.ok());
  EXPECT_THAT(r.warnings, ElementsAre("manifest specifies both UniqueID *and* "
                                      "SignerID/ProductID/SecurityVersion in package unique"));
}

TEST(Check, Rule3cMissingIdentityValues) {
  expect_errors([](json& j) { j["Packages"]["pkg"].erase("SignerID"); },
                {"manifest misses value for SignerID in package pkg"});
  expect_errors([](json& j) { j["Packages"]["pkg"].erase("ProductID"); },
                {"manifest misses value for ProductID in package pkg"});
  expect_errors([](json& j) { j["Packages"]["pkg"]["SecurityVersion"] = nullptr; },
                {"manifest misses value for SecurityVersion in package pkg"});
  json j = base_manifest();
  j["Packages"]["pkg"] = {{"Debug", true}};  // a Debug package may be empty: warnings only
  CheckReport r = check_json(j);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.warnings.size(), 3u);
}

TEST(Check, Rule3dMarbleTlsTagMustExist) {
  expect_errors(
      [](json& j) {
        j["Marbles"]["web"]["TLS"] = {"tag", "nope"};
      },
      {"manifest misses TLS entry for nope"});
}

TEST(Check, Rule4TlsIncoming) {
  expect_errors([](json& j) { j["TLS"]["tag"]["Incoming"][0].erase("Port"); },
                {"manifest misses Port in TLS.Incoming.tag"});
  expect_errors(
      [](json& j) {
        j["TLS"]["tag"]["Incoming"][0]["Cert"] = "ghost";
        j["TLS"]["tag"]["Incoming"][0]["DisableClientAuth"] = true;
      },
      {"TLS.Incoming.tag references undefined secret ghost"});
  expect_errors([](json& j) { j["TLS"]["tag"]["Incoming"][0]["Cert"] = "cert"; },
                {"TLS.Incoming.tag defines Cert but does not disable client authentication"});
  expect_errors([](json& j) { j["TLS"]["tag"]["Incoming"][0]["DisableClientAuth"] = true; },
                {"TLS.Incoming.tag disables client authentication"});
}

TEST(Check, Rule4TlsOutgoing) {
  expect_errors([](json& j) { j["TLS"]["tag"]["Outgoing"][0].erase("Addr"); },
                {"manifest misses Addr in TLS.Outgoing.tag"});
  expect_errors([](json& j) { j["TLS"]["tag"]["Outgoing"][0]["Port"] = ""; },
                {"manifest misses Port in TLS.Outgoing.tag"});
}

TEST(Check, Rule5Users) {
  expect_errors([](json& j) { j["Users"]["bob"]["Certificate"] = ""; },
                {"manifest does not contain a certificate for user bob"});
  expect_errors(
      [](json& j) {
        j["Users"]["bob"]["Roles"] = {"writer", "ghost"};
      },
      {"manifest specifies role ghost for user bob, but role does not exist"});
  expect_errors(
      [](json& j) { j["Users"]["bob"]["Certificate"] = j["Users"]["alice"]["Certificate"]; },
      {"manifest contains the same certificate for users alice and bob"});
}

TEST(Check, Rule6PackagesRoles) {
  expect_errors(
      [](json& j) {
        j["Roles"]["pu"] = {{"ResourceType", "Packages"},
                            {"ResourceNames", {"ghost"}},
                            {"Actions", {"UpdateSecurityVersion"}}};
      },
      {"role pu: resource ghost of type Packages is not defined in manifest"});
  expect_errors(
      [](json& j) {
        j["Roles"]["pu"] = {
            {"ResourceType", "Packages"}, {"ResourceNames", {"pkg"}}, {"Actions", {"Delete"}}};
      },
      {"unknown action: Delete for type Packages in role: pu"});
}

TEST(Check, Rule6SecretsRoles) {
  expect_errors(
      [](json& j) {
        j["Roles"]["reader"]["Actions"] = {"ReadSecret", "Shred"};
      },
      {"unknown action: Shred for type Secrets in role: reader"});
  expect_errors(
      [](json& j) {
        j["Roles"]["reader"]["ResourceNames"] = {"shared", "ghost"};
      },
      {"role reader: resource ghost of type Secrets is not defined in manifest"});
  expect_errors(
      [](json& j) {
        j["Roles"]["writer"]["ResourceNames"] = {"upload", "shared"};
      },
      {"manifest specifies write permission for role writer and secret shared, but secret is not "
       "user-defined"});
  expect_errors(
      [](json& j) { j["Roles"]["reader"]["ResourceNames"] = {"private"}; },
      {"manifest specifies read permission for role reader and per-marble-unique secret private"});
}

TEST(Check, Rule6ManifestRoles) {
  expect_errors([](json& j) { j["Roles"]["updater"]["ResourceNames"] = {"x"}; },
                {"role updater: resource names are not allowed for type Manifest"});
  expect_errors(
      [](json& j) {
        j["Roles"]["updater"]["Actions"] = {"UpdateManifest", "Rewrite"};
      },
      {"unknown action: Rewrite for type Manifest in role: updater"});
}

TEST(Check, Rule6UnknownResourceTypeIsCaseSensitive) {
  expect_errors([](json& j) { j["Roles"]["updater"]["ResourceType"] = "manifest"; },
                {"unrecognized resource type: {manifest [] [UpdateManifest]} for role: updater"});
}

TEST(Check, Rule7Secrets) {
  expect_errors([](json& j) { j["Secrets"]["private"]["Type"] = "password"; },
                {"unknown type: password for secret: private"});
  expect_errors(
      [](json& j) {
        j["Secrets"]["cert"]["ValidFor"] = 10;
        j["Secrets"]["cert"]["Cert"] = {{"NotAfter", "2030-01-01T00:00:00Z"}};
      },
      {"ambiguous certificate validity duration for secret: cert, both NotAfter and ValidFor are "
       "specified"});
}

TEST(Check, Rule8UpdateThreshold) {
  expect_errors(
      [](json& j) { j["Config"]["UpdateThreshold"] = 2; },
      {"not enough users with manifest update permissions (1) to meet the threshold of 2"});
  // Only the first action counts (upstream quirk).
  json j = base_manifest();
  j["Users"]["bob"]["Roles"] = {"writer", "updater2"};
  j["Roles"]["updater2"] = {{"ResourceType", "Manifest"}, {"Actions", {"updatemanifest"}}};
  j["Config"]["UpdateThreshold"] = 2;
  EXPECT_TRUE(check_json(j).ok());
}

TEST(Check, Rule9SealMode) {
  expect_errors([](json& j) { j["Config"]["SealMode"] = "productkey"; },
                {"unknown seal mode: productkey"});
  for (const char* ok : {"", "ProductKey", "UniqueKey", "Disabled"}) {
    json j = base_manifest();
    j["Config"]["SealMode"] = ok;
    EXPECT_TRUE(check_json(j).ok()) << ok;
  }
}

TEST(Check, Rule10FeatureGates) {
  expect_errors(
      [](json& j) {
        j["Config"]["FeatureGates"] = {"signquoteendpoint", "TimeTravel"};
      },
      {"unknown feature gate: TimeTravel"});
  json j = base_manifest();
  j["Config"]["FeatureGates"] = {"AzureHSMSealing"};
  CheckReport missing = check_json(j);
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_EQ(missing.errors[0].rfind("manifest enables sealing with Azure HSM key, but required "
                                    "environment variables are not set: [EDG_MAA_URL",
                                    0),
            0u)
      << missing.errors[0];
  CheckOptions all_set{[](std::string_view) { return true; }};
  CheckReport unsupported = check_json(j, all_set);
  EXPECT_THAT(unsupported.errors,
              ElementsAre("feature gate AzureHSMSealing is not supported by this Coordinator"));
}

TEST(Check, AcceptedTcbStatusesMustBeIntelsNames) {
  const std::string names =
      "UpToDate, SWHardeningNeeded, ConfigurationNeeded, ConfigurationAndSWHardeningNeeded, "
      "OutOfDate, OutOfDateConfigurationNeeded, Revoked";
  expect_errors(
      [](json& j) {
        j["Packages"]["pkg"]["AcceptedTCBStatuses"] = {"OutOfDate", "outofdate", "Outdated",
                                                       "Unknown"};
      },
      {"package pkg: AcceptedTCBStatuses value \"outofdate\" is not a TCB status (did you "
       "mean \"OutOfDate\"? names are case-sensitive: " +
           names + ")",
       "package pkg: AcceptedTCBStatuses value \"Outdated\" is not a TCB status (names are "
       "case-sensitive: " +
           names + ")",
       "package pkg: AcceptedTCBStatuses value \"Unknown\" is not a TCB status (names are "
       "case-sensitive: " +
           names + ")"});
  // Control bytes in the value are escaped, never printed raw.
  json j = base_manifest();
  j["Packages"]["pkg"]["AcceptedTCBStatuses"] = {"Up\x1b[2J"};
  CheckReport r = check_json(j);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].find('\x1b'), std::string::npos) << r.errors[0];
  // Every name is accepted.
  json all = base_manifest();
  for (std::string_view n : kTcbStatusNames)
    all["Packages"]["pkg"]["AcceptedTCBStatuses"].push_back(std::string(n));
  EXPECT_THAT(check_json(all).errors, IsEmpty());
}

TEST(Check, Rule11RecoveryThresholdNeedsKeys) {
  expect_errors([](json& j) { j["Config"]["RecoveryThreshold"] = 2; },
                {"not enough recovery keys (1) defined to meet the recovery threshold of 2"});
}

TEST(Check, Rule12RecoveryThresholdOfOne) {
  expect_errors([](json& j) { j["Config"]["RecoveryThreshold"] = 1; },
                {"invalid recovery threshold: if set, threshold must be at least 2"});
}

TEST(Check, GenerationSizeRules) {
  expect_errors([](json& j) { j["Secrets"]["private"]["Size"] = 0; },
                {"invalid secret size: private"});
  expect_errors([](json& j) { j["Secrets"]["private"]["Size"] = 12; },
                {"invalid secret size: private"});
  expect_errors(
      [](json& j) {
        j["Secrets"]["ed"] = {{"Type", "cert-ed25519"}, {"Size", 256}};
      },
      {"invalid secret size for cert-ed25519 secret ed: none is expected, got: 256"});
  expect_errors([](json& j) { j["Secrets"]["cert"]["Size"] = 123; },
                {"invalid secret size for cert-ecdsa secret cert: unsupported size 123: does not "
                 "map to a supported curve"});
  expect_errors(
      [](json& j) {
        j["Secrets"]["rsa"] = {{"Type", "cert-rsa"}};
      },
      {"invalid secret size for cert-rsa secret rsa: 0 bits is outside the supported range "
       "1024-8192"});
  expect_errors(
      [](json& j) {
        j["Secrets"]["rsa"] = {{"Type", "cert-rsa"}, {"Size", 16384}};
      },
      {"invalid secret size for cert-rsa secret rsa: 16384 bits is outside the supported range "
       "1024-8192"});
  expect_errors(
      [](json& j) {
        j["Secrets"]["p"] = {{"Type", "plain"}};
      },
      {"secret p is invalid: unsupported secret of type plain"});
  // User-defined secrets are not generated, so their sizes are checked at upload time instead.
  json j = base_manifest();
  j["Secrets"]["u"] = {{"Type", "symmetric-key"}, {"UserDefined", true}};
  EXPECT_TRUE(check_json(j).ok());
}

TEST(Check, RecoveryKeysMustBeRsaPublicKeys) {
  expect_errors([](json& j) { j["RecoveryKeys"]["officer"] = "not pem"; },
                {"recovery key officer: given PEM data is not a public key"});
  expect_errors(
      [](json& j) { j["RecoveryKeys"]["officer"] = testing::testdata("keys/alice.cert.pem"); },
      {"recovery key officer: given PEM data is not a public key"});
  // An EC public key is a PUBLIC KEY block but not RSA.
  expect_errors(
      [](json& j) { j["RecoveryKeys"]["officer"] = testing::testdata("keys/alice.pub.pem"); },
      {"recovery key officer: unsupported type of public key"});
}

TEST(Check, UserCertificatesMustParse) {
  expect_errors(
      [](json& j) {
        j["Users"]["bob"]["Certificate"] =
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
      },
      {"received invalid certificate for user bob"});
}

TEST(Check, ReportsEveryProblemInRuleOrder) {
  json j = base_manifest();
  j["Marbles"]["worker"]["Package"] = "ghost";
  j["Config"]["SealMode"] = "Sometimes";
  j["Secrets"]["private"]["Type"] = "password";
  CheckReport r = check_json(j);
  EXPECT_THAT(r.errors, ElementsAre("manifest does not contain marble package ghost",
                                    "unknown type: password for secret: private",
                                    "unknown seal mode: Sometimes"));
}

}  // namespace
}  // namespace mr::manifest
