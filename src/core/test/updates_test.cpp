// Users, RBAC, user-defined secrets, package updates and multi-party manifest updates
// (spec 3.6, 5.10, 5.11, 7.5-7.7, 10, 14.1), over SQLite so that restarts are real.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "attestation/sgx_dcap/dcap_verifier.h"
#include "attestation/simulated/simulated_dcap.h"
#include "base/encoding.h"
#include "base/testing/fake_clock.h"
#include "base/testing/temp_dir.h"
#include "core/client_api.h"
#include "core/marble_api.h"
#include "core/secret_api.h"
#include "core/update_api.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "gojson/go_json.h"
#include "seal/file_seal_key_provider.h"
#include "store/memory/memory_store.h"
#include "store/sqlite/sqlite_store.h"
#include "test_keys.h"

namespace mr::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::testdata;
namespace sim = attestation::simulated;

const UnixTime kNow = *parse_rfc3339("2026-11-23T12:00:00Z");
const std::string kSigner(64, '2');

gojson::Json base_manifest() {
  using J = gojson::Json;
  return J{{"Packages",
            {{"backend", {{"SignerID", kSigner}, {"ProductID", 7}, {"SecurityVersion", 3}}}}},
           {"Marbles",
            {{"backend",
              {{"Package", "backend"},
               {"MaxActivations", 1000},
               {"Parameters",
                {{"Env",
                  {{"TOKEN", "{{ string .Secrets.token }}"},
                   {"K", "{{ hex .Secrets.symShared }}"},
                   {"MINE", "{{ hex .Secrets.mine }}"},
                   {"OLD", "{{ hex .Previous.Secrets.mine }}"}}}}}}}}},
           {"Secrets",
            {{"token", {{"Type", "plain"}, {"UserDefined", true}}},
             {"userKey", {{"Type", "symmetric-key"}, {"Size", 128}, {"UserDefined", true}}},
             {"userCert", {{"Type", "cert-ecdsa"}, {"UserDefined", true}}},
             {"symShared", {{"Type", "symmetric-key"}, {"Size", 128}, {"Shared", true}}},
             {"certShared", {{"Type", "cert-ecdsa"}, {"Size", 256}, {"Shared", true}}},
             {"mine", {{"Type", "symmetric-key"}, {"Size", 128}}},
             {"doomed", {{"Type", "symmetric-key"}, {"Size", 128}, {"Shared", true}}}}},
           {"Users",
            {{"alice",
              {{"Certificate", testdata("keys/alice.cert.pem")},
               {"Roles", {"writer", "reader", "updater", "pkg"}}}},
             {"bob", {{"Certificate", testdata("keys/bob.cert.pem")}, {"Roles", {"updater"}}}},
             {"carol", {{"Certificate", testdata("keys/carol.cert.pem")}, {"Roles", J::array()}}}}},
           {"Roles",
            {{"writer",
              {{"ResourceType", "Secrets"},
               {"ResourceNames", {"token", "userKey", "userCert"}},
               {"Actions", {"WriteSecret"}}}},
             {"reader",
              {{"ResourceType", "Secrets"},
               {"ResourceNames", {"token", "userKey", "userCert", "symShared"}},
               {"Actions", {"ReadSecret"}}}},
             {"updater", {{"ResourceType", "Manifest"}, {"Actions", {"UpdateManifest"}}}},
             {"pkg",
              {{"ResourceType", "Packages"},
               {"ResourceNames", {"backend"}},
               {"Actions", {"UpdateSecurityVersion"}}}}}},
           {"RecoveryKeys", {{"officer1", testing::recovery_pub_pem(1)}}}};
}

Bytes cert_der(const std::string& user) {
  return crypto::Certificate::from_pem(testdata("keys/" + user + ".cert.pem"))->der();
}

class UpdatesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = sim::SimulatedDcapPki::create({kNow});
    ASSERT_TRUE(pki);
    pki_ = *pki;
    start();
    auto r = client_->set_manifest(base_manifest().dump());
    ASSERT_TRUE(r) << r.error().message;
  }
  void start() {
    sqlite_ = *store::SqliteStore::open(dir_.path() / "data");
    volatile_ = std::make_unique<store::MemoryStore>();
    seal_keys_ = std::make_unique<seal::FileSealKeyProvider>(dir_.path() / "data");
    issuer_ = std::make_unique<sim::SimulatedDcapIssuer>(pki_, sim::SimulatedEnclave{});
    verifier_ = *pki_->verifier(&clock_);
    core_ = *Core::start({&clock_, sqlite_.get(), volatile_.get(), seal_keys_.get(), issuer_.get()},
                         CoreConfig{});
    client_ = std::make_unique<ClientApi>(*core_);
    secrets_ = std::make_unique<SecretApi>(*core_);
    updates_ = std::make_unique<UpdateApi>(*core_);
    marbles_ = std::make_unique<MarbleApi>(*core_, verifier_.get());
  }
  void restart() {
    marbles_.reset();
    updates_.reset();
    secrets_.reset();
    client_.reset();
    core_.reset();
    sqlite_.reset();
    start();
  }
  // Uploads the user-defined secrets the backend needs.
  void upload_token(const std::string& value = "t0ken") {
    auto s = parse_user_secrets(gojson::Json{{"token", {{"Key", base64_encode(as_bytes(value))}}}});
    ASSERT_TRUE(s);
    auto r = secrets_->set("alice", *s);
    ASSERT_TRUE(r) << r.error().message;
  }
  Result<Activation> activate(std::uint16_t svn) {
    auto key = *crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP384));
    crypto::CertTemplate t;
    t.subject.common_name = "MarbleRun Marble";
    t.not_before = kNow;
    t.not_after = kNow + kGoMaxDuration;
    auto cert = *crypto::create_certificate(t, key.public_key(), nullptr, key);
    sim::SimulatedEnclave e;
    e.mr_signer.fill(0x22);
    e.isv_prod_id = 7;
    e.isv_svn = svn;
    auto quote = *sim::SimulatedDcapIssuer(pki_, e).issue(crypto::sha256(cert.der()));
    return marbles_->activate({quote, *crypto::create_csr(key, {}, {"backend"}, {}), "backend",
                               "6ba7b810-9dad-11d1-80b4-00c04fd430c8", cert.der()});
  }
  std::vector<std::string> log_events() {
    std::vector<std::string> out;
    const std::vector<std::string> lines = *updates_->log();
    for (const auto& line : lines)
      out.push_back(gojson::Json::parse(line)["update"]);
    return out;
  }

  mr::testing::TempDir dir_;
  mr::testing::FakeClock clock_{kNow};
  std::shared_ptr<sim::SimulatedDcapPki> pki_;
  std::unique_ptr<store::SqliteStore> sqlite_;
  std::unique_ptr<store::MemoryStore> volatile_;
  std::unique_ptr<seal::FileSealKeyProvider> seal_keys_;
  std::unique_ptr<attestation::QuoteIssuer> issuer_;
  std::unique_ptr<attestation::QuoteVerifier> verifier_;
  std::unique_ptr<Core> core_;
  std::unique_ptr<ClientApi> client_;
  std::unique_ptr<SecretApi> secrets_;
  std::unique_ptr<UpdateApi> updates_;
  std::unique_ptr<MarbleApi> marbles_;
};

TEST_F(UpdatesTest, AuthenticationByLeafCertificateOnly) {
  EXPECT_EQ(*client_->authenticate_user(cert_der("alice")), "alice");
  EXPECT_EQ(*client_->authenticate_user(cert_der("carol")), "carol");
  auto none = client_->authenticate_user(std::nullopt);
  EXPECT_EQ(none.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(none.error().message,
            "unauthorized user: client certificate did not match any MarbleRun users");
  auto other = *crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP256));
  crypto::CertTemplate t;
  t.subject.common_name = "alice";
  t.not_before = kNow;
  t.not_after = kNow + std::chrono::hours(1);
  auto impostor = *crypto::create_certificate(t, other.public_key(), nullptr, other);
  EXPECT_FALSE(client_->authenticate_user(impostor.der()));
}

TEST_F(UpdatesTest, UserDefinedSecretsRoundTripWithPermissions) {
  const auto alice_cert = cert_der("alice");
  const auto alice_key =
      crypto::PrivateKey::from_pem(testdata("keys/alice.key.pem"))->to_pkcs8_der();
  auto uploads = parse_user_secrets(gojson::Json{
      {"token", {{"Key", base64_encode(as_bytes("s3cr3t"))}}},
      {"userKey", {{"Key", base64_encode(Bytes(16, 0x5a))}}},
      {"userCert",
       {{"Cert", base64_encode(alice_cert)}, {"Private", base64_encode(alice_key.span())}}}});
  ASSERT_TRUE(uploads);
  ASSERT_TRUE(secrets_->set("alice", *uploads));
  auto got = secrets_->get("alice", {"token", "userKey", "userCert"});
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(to_string(got->at("token").public_key), "s3cr3t");
  EXPECT_EQ(got->at("userKey").private_key, Bytes(16, 0x5a));
  EXPECT_EQ(got->at("userCert").cert_der, alice_cert);
  EXPECT_EQ(got->at("userCert").public_key,
            crypto::Certificate::from_der(alice_cert)->public_key().to_der());

  auto bob_reads = secrets_->get("bob", {"token"});
  EXPECT_EQ(bob_reads.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(bob_reads.error().message,
            "user bob is not allowed to read one or more secrets of: [token]");
  auto bob_writes =
      secrets_->set("bob", *parse_user_secrets(gojson::Json{{"token", {{"Key", "eA=="}}}}));
  EXPECT_EQ(bob_writes.error().message, "user bob is not allowed to update secret: token");
  EXPECT_EQ(to_string(secrets_->get("alice", {"token"})->at("token").public_key),
            "s3cr3t");  // unchanged
  EXPECT_THAT(log_events(),
              ElementsAre("Initial manifest set", "Secret set", "Secret set", "Secret set"));
}

TEST_F(UpdatesTest, UploadRules) {
  auto set = [&](const gojson::Json& j) { return secrets_->set("alice", *parse_user_secrets(j)); };
  EXPECT_EQ(set(gojson::Json::object()).error().message,
            "parsing new secrets: no new secrets defined");
  EXPECT_EQ(set({{"ghost", {{"Key", "eA=="}}}}).error().message,
            "secret manifest specifies a secret which the original manifest does not contain");
  EXPECT_EQ(set({{"symShared", {{"Key", "eA=="}}}}).error().message,
            "secret symShared is not writeable");
  EXPECT_EQ(set({{"userKey", {{"Key", "eA=="}}}}).error().message,
            "declared size and actual size don't match: userKey");
  EXPECT_EQ(
      set({{"userKey", {{"Cert", base64_encode(cert_der("alice"))}}}}).error().message,
      "secret userKey is set to be of type symmetric-key but specified values for a certificate");
  EXPECT_EQ(set({{"token", {{"Cert", base64_encode(cert_der("alice"))}}}}).error().message,
            "secret token is set to be of type plain but specified values for a certificate");
  EXPECT_EQ(
      set({{"userCert", {{"Key", "eA=="}}}}).error().message,
      "secret userCert is set to be of type cert-ecdsa but specified values for a symmetric-key");
  const auto bob_key = crypto::PrivateKey::from_pem(testdata("keys/bob.key.pem"))->to_pkcs8_der();
  EXPECT_EQ(set({{"userCert",
                  {{"Cert", base64_encode(cert_der("alice"))},
                   {"Private", base64_encode(bob_key.span())}}}})
                .error()
                .message,
            "secret userCert: private key does not match the certificate");
  // A value a template cannot use is refused before anything is stored.
  auto nul = set({{"token", {{"Key", base64_encode(Bytes{'a', 0, 'b'})}}}});
  EXPECT_THAT(nul.error().message, HasSubstr("running manifest template dry run"));
  EXPECT_EQ(log_events(), std::vector<std::string>{"Initial manifest set"});
}

TEST_F(UpdatesTest, UploadedSecretsReachMarblesActivatedAfterwards) {
  EXPECT_FALSE(activate(3));  // the token is not uploaded yet
  upload_token("first");
  EXPECT_EQ(activate(3)->env.at("TOKEN"), "first");
  upload_token("second");
  EXPECT_EQ(activate(3)->env.at("TOKEN"), "second");
}

TEST_F(UpdatesTest, PackageUpdateRaisesTheSecurityVersion) {
  upload_token();
  ASSERT_TRUE(activate(3));
  const Snapshot before = *core_->snapshot();
  const std::string update = R"({"Packages":{"backend":{"SecurityVersion":4}}})";
  auto bob = updates_->update("bob", update);
  EXPECT_EQ(bob.error().message,
            "user bob is not allowed to update one or more packages of [backend]");
  auto r = updates_->update("alice", update);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->missing_acknowledgments, 0u);
  EXPECT_TRUE(r->missing_users.empty());
  const Snapshot& after = *core_->snapshot();
  EXPECT_EQ(after.ca->root, before.ca->root);
  EXPECT_NE(after.ca->intermediate, before.ca->intermediate);
  EXPECT_NE(after.ca->marble_root, before.ca->marble_root);
  EXPECT_EQ(after.packages.at("backend").security_version, 4u);
  EXPECT_EQ(after.manifest->raw(), before.manifest->raw());  // the manifest itself is unchanged
  EXPECT_EQ(after.secrets.at("symShared"), before.secrets.at("symShared"));
  EXPECT_NE(after.secrets.at("certShared").cert_der, before.secrets.at("certShared").cert_der);
  auto new_cert = *crypto::Certificate::from_der(after.secrets.at("certShared").cert_der);
  EXPECT_EQ(new_cert.not_after(),
            crypto::Certificate::from_der(before.secrets.at("certShared").cert_der)->not_after());
  EXPECT_TRUE(new_cert.check_signature_from(after.ca->intermediate_key.public_key()));

  auto old_marble = activate(3);
  EXPECT_EQ(old_marble.error().code, ErrorCode::kPermissionDenied);
  ASSERT_TRUE(activate(4));
  EXPECT_EQ(updates_->update("alice", R"({"Packages":{"backend":{"SecurityVersion":3}}})")
                .error()
                .message,
            "checking update manifest: update manifest tries to downgrade SecurityVersion of the "
            "original manifest");
  const auto log = *updates_->log();
  ASSERT_EQ(log.size(), 3u);
  auto line = gojson::Json::parse(log.back());
  EXPECT_EQ(line["update"], "SecurityVersion increased");
  EXPECT_EQ(line["user"], "alice");
  EXPECT_EQ(line["package"], "backend");
  EXPECT_EQ(line["new version"], 4);
  EXPECT_EQ(log.back().find("\"time\":\"2026-11-23T12:00:00.000Z\",\"update\":"), 1u);

  restart();
  EXPECT_EQ(core_->snapshot()->packages.at("backend").security_version, 4u);
  EXPECT_FALSE(activate(3));
  EXPECT_TRUE(activate(4));
}

TEST_F(UpdatesTest, MultiPartyUpdateAndCancel) {
  upload_token();
  ASSERT_TRUE(activate(3));
  const Snapshot before = *core_->snapshot();
  gojson::Json next = base_manifest();
  next["Secrets"].erase("doomed");
  next["Secrets"]["added"] = {{"Type", "symmetric-key"}, {"Size", 256}, {"Shared", true}};
  const std::string raw = next.dump(2);

  auto r = updates_->update("alice", raw);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->missing_acknowledgments, 1u);
  EXPECT_EQ(r->missing_users, std::vector<std::string>{"bob"});
  EXPECT_FALSE(r->applied);
  auto pending = updates_->pending();
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->manifest_raw, raw);
  EXPECT_EQ(pending->missing_users, std::vector<std::string>{"bob"});
  EXPECT_EQ(updates_->update("alice", R"({"Packages":{"backend":{"SecurityVersion":5}}})")
                .error()
                .message,
            UpdateApi::kUpdateInProgress);
  EXPECT_EQ(updates_->acknowledge("alice", raw)->missing_acknowledgments, 1u);  // no double count
  EXPECT_EQ(updates_->acknowledge("carol", raw).error().message,
            "user carol is not allowed to acknowledge manifest updates");
  EXPECT_EQ(updates_->acknowledge("bob", next.dump()).error().message,
            "provided manifest does not match the pending manifest");
  EXPECT_EQ(client_->manifest()->raw, before.manifest->raw());  // nothing applied yet

  restart();  // a pending update survives restarts
  ASSERT_TRUE(updates_->pending());
  auto done = updates_->acknowledge("bob", raw);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_TRUE(done->applied);
  EXPECT_EQ(done->missing_acknowledgments, 0u);
  EXPECT_FALSE(done->recovery_secrets.has_value());  // recovery keys unchanged
  EXPECT_EQ(updates_->pending().error().code, ErrorCode::kNotFound);
  const Snapshot& after = *core_->snapshot();
  EXPECT_EQ(client_->manifest()->raw, raw);
  EXPECT_EQ(after.ca->root, before.ca->root);
  EXPECT_NE(after.ca->intermediate, before.ca->intermediate);
  EXPECT_FALSE(after.secrets.contains("doomed"));
  EXPECT_FALSE(after.previous_secrets.contains("doomed"));
  EXPECT_TRUE(after.secrets.contains("added"));
  EXPECT_EQ(after.secrets.at("symShared"),
            before.secrets.at("symShared"));                         // unchanged symmetric key kept
  EXPECT_EQ(after.secrets.at("token"), before.secrets.at("token"));  // uploaded value kept
  EXPECT_NE(after.secrets.at("certShared").cert_der, before.secrets.at("certShared").cert_der);
  EXPECT_EQ(after.previous_secrets.at("certShared"), before.secrets.at("certShared"));
  EXPECT_EQ(*core_->activations("backend"), 1u);  // counters survive updates

  // Round two, cancelled by bob: the live manifest stays as it is.
  gojson::Json third = next;
  third["Secrets"].erase("added");
  ASSERT_TRUE(updates_->update("alice", third.dump()));
  EXPECT_EQ(updates_->cancel("carol").error().message,
            "user carol is not allowed to cancel the manifest update");
  ASSERT_TRUE(updates_->cancel("bob"));
  EXPECT_EQ(updates_->cancel("bob").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(client_->manifest()->raw, raw);

  restart();
  EXPECT_THAT(log_events(), ElementsAre("Initial manifest set", "Secret set",
                                        "Complete Manifest update initiated by user. Waiting for "
                                        "acknowledgments to apply the update",
                                        "Complete Manifest update acknowledged by user",
                                        "Complete Manifest update acknowledged by user",
                                        "Complete Manifest updated",
                                        "Complete Manifest update initiated by user. Waiting for "
                                        "acknowledgments to apply the update",
                                        "Complete Manifest update cancelled by user"));
}

TEST_F(UpdatesTest, RootSecretRotationFeedsPrevious) {
  upload_token();
  const auto first = *activate(3);
  gojson::Json next = base_manifest();
  next["Config"]["RotateRootSecret"] = true;
  // The current manifest's threshold (0: every updater) decides: alice and bob.
  ASSERT_FALSE(updates_->update("alice", next.dump())->applied);
  auto r = updates_->acknowledge("bob", next.dump());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->applied);
  const Snapshot& s = *core_->snapshot();
  EXPECT_NE(s.root_secret->view(), s.previous_root_secret->view());
  const auto second = *activate(3);
  EXPECT_NE(second.env.at("MINE"), first.env.at("MINE"));
  EXPECT_EQ(second.env.at("OLD"),
            first.env.at("MINE"));                   // .Previous derives from the old root secret
  EXPECT_NE(second.env.at("K"), first.env.at("K"));  // shared symmetric keys are regenerated too
}

TEST_F(UpdatesTest, ChangedRecoveryKeysGiveNewSecrets) {
  gojson::Json next = base_manifest();
  next["RecoveryKeys"] = {{"officer2", testing::recovery_pub_pem(2)}};
  ASSERT_TRUE(updates_->update("alice", next.dump()));
  auto r = updates_->acknowledge("bob", next.dump());
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->recovery_secrets.has_value());
  ASSERT_TRUE(r->recovery_secrets->contains("officer2"));
  const auto root = core_->snapshot()->ca->root;

  std::filesystem::remove(dir_.path() / "data" / "seal.key");
  restart();
  ASSERT_EQ(core_->snapshot()->state, State::kRecovery);
  auto plain =
      *crypto::rsa_oaep_decrypt(testing::recovery_key(2), r->recovery_secrets->at("officer2"));
  auto sig = *crypto::sign(testing::recovery_key(2), plain.span(), crypto::HashAlg::kSha256);
  auto rec = client_->recover(std::move(plain), sig);
  ASSERT_TRUE(rec) << rec.error().message;
  EXPECT_EQ(core_->snapshot()->state, State::kAcceptingMarbles);
  EXPECT_EQ(core_->snapshot()->ca->root, root);
  EXPECT_EQ(client_->manifest()->raw, next.dump());
}

TEST_F(UpdatesTest, ThresholdOfTheCurrentManifestApplies) {
  gojson::Json one = base_manifest();
  one["Config"]["UpdateThreshold"] = 1;
  ASSERT_TRUE(updates_->update("alice", one.dump()));
  ASSERT_TRUE(updates_->acknowledge("bob", one.dump())->applied);
  // Now the live manifest says 1: alice alone applies the next update.
  gojson::Json two = one;
  two["Secrets"]["extra"] = {{"Type", "symmetric-key"}, {"Size", 128}, {"Shared", true}};
  auto r = updates_->update("alice", two.dump());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->applied);
  EXPECT_TRUE(core_->snapshot()->secrets.contains("extra"));
}

TEST_F(UpdatesTest, InvalidFullUpdateIsRefusedUpFront) {
  gojson::Json bad = base_manifest();
  bad["Marbles"]["backend"]["Package"] = "ghost";
  auto r = updates_->update("alice", bad.dump());
  EXPECT_EQ(r.error().message, "invalid manifest: manifest does not contain marble package ghost");
  EXPECT_EQ(updates_->update("carol", base_manifest().dump()).error().message,
            "user carol is not allowed to update the complete manifest");
  EXPECT_FALSE(updates_->pending());
}

// The dry run of a full update renders user-defined secrets and symmetric keys with placeholders,
// as upstream does (spec 5.11), whatever was uploaded: a template that works with the
// placeholder is accepted even when the uploaded value would not fit it.
TEST_F(UpdatesTest, UpdateDryRunUsesPlaceholdersForUserDefinedAndSymmetricSecrets) {
  auto s = parse_user_secrets(gojson::Json{{"userKey", {{"Key", base64_encode(Bytes(16, 0x11))}}}});
  ASSERT_TRUE(s);
  ASSERT_TRUE(secrets_->set("alice", *s));
  gojson::Json next = base_manifest();
  next["Marbles"]["backend"]["Parameters"]["Env"]["USERKEY"] = "{{ pem .Secrets.userKey.Cert }}";
  ASSERT_TRUE(updates_->update("alice", next.dump()));
  auto r = updates_->acknowledge("bob", next.dump());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->applied);
  EXPECT_EQ(client_->manifest()->raw, next.dump());
}

// What a commit publishes is exactly what a restart loads back from the records it wrote.
TEST_F(UpdatesTest, PublishedStateIsWhatARestartLoads) {
  upload_token();
  ASSERT_TRUE(updates_->update(
      "alice", gojson::Json{{"Packages", {{"backend", {{"SecurityVersion", 4}}}}}}.dump()));
  gojson::Json next = base_manifest();
  next["Config"]["RotateRootSecret"] = true;
  next["Secrets"].erase("doomed");
  next["Secrets"]["fresh"] = {{"Type", "cert-ecdsa"}, {"Size", 256}, {"Shared", true}};
  ASSERT_TRUE(updates_->update("alice", next.dump()));
  ASSERT_TRUE(updates_->acknowledge("bob", next.dump())->applied);
  gojson::Json pending = next;
  pending["Config"]["RotateRootSecret"] = false;
  ASSERT_TRUE(updates_->update("alice", pending.dump()));  // stays pending (bob has not acked)
  ASSERT_TRUE(core_->claim_activation(core_->snapshot(), "backend", 1000));

  const SnapshotPtr before = core_->snapshot();
  const std::vector<std::string> log_before = *updates_->log();
  restart();
  const SnapshotPtr after = core_->snapshot();
  EXPECT_EQ(after->state, before->state);
  EXPECT_EQ(after->ca->root.der(), before->ca->root.der());
  EXPECT_EQ(after->ca->intermediate.der(), before->ca->intermediate.der());
  EXPECT_EQ(after->ca->marble_root.der(), before->ca->marble_root.der());
  EXPECT_TRUE(after->root_secret->equals(before->root_secret->span()));
  EXPECT_TRUE(after->previous_root_secret->equals(before->previous_root_secret->span()));
  EXPECT_EQ(after->manifest->raw(), before->manifest->raw());
  EXPECT_EQ(after->manifest_signature, before->manifest_signature);
  EXPECT_EQ(after->packages, before->packages);
  EXPECT_EQ(after->secrets, before->secrets);
  EXPECT_EQ(after->previous_secrets, before->previous_secrets);
  EXPECT_EQ(after->pending, before->pending);
  EXPECT_EQ(after->users, before->users);
  EXPECT_EQ(after->templates.size(), before->templates.size());
  EXPECT_EQ(after->update_log_length, before->update_log_length);
  EXPECT_EQ(*updates_->log(), log_before);
  EXPECT_EQ(*core_->activations("backend"), 1u);
}

}  // namespace
}  // namespace mr::core
