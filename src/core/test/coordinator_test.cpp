// The Coordinator core over the real SQLite store and sealing: fresh start, SetManifest,
// restart, recovery after losing the seal key (single key, XOR shares, Shamir threshold),
// seal mode Disabled, and failure injection after every step of SetManifest.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "base/encoding.h"
#include "base/testing/fake_clock.h"
#include "base/testing/temp_dir.h"
#include "core/client_api.h"
#include "core/core.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "crypto/pem.h"
#include "gojson/go_json.h"
#include "seal/file_seal_key_provider.h"
#include "store/memory/memory_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/testing/fault_injecting_store.h"
#include "test_keys.h"

namespace mr::core {
namespace {

using ::testing::HasSubstr;
using testing::recovery_key;
using testing::testdata;

// No TEE here: quotes are "not supported", which is simulation mode.
class NoTeeIssuer final : public attestation::QuoteIssuer {
 public:
  Result<Bytes> issue(ByteSpan) override {
    return fail(ErrorCode::kUnimplemented, std::string(attestation::kNoTeeMessage));
  }
};

std::string sample(const std::string& name) {
  return testdata("../../samples/" + name);
}

// minimal.json with the given recovery keys (1-based test key numbers) and threshold.
std::string manifest_with_keys(std::vector<int> keys, int threshold = 0,
                               std::string seal_mode = "") {
  gojson::Json j = gojson::Json::parse(sample("minimal.json"));
  for (int k : keys)
    j["RecoveryKeys"]["officer" + std::to_string(k)] = testing::recovery_pub_pem(k);
  j["Config"]["RecoveryThreshold"] = threshold;
  j["Config"]["SealMode"] = seal_mode;
  return j.dump();
}

class CoordinatorTest : public ::testing::Test {
 protected:
  void SetUp() override { start(); }
  void TearDown() override { stop(); }

  void start() {
    auto sqlite = store::SqliteStore::open(dir_.path() / "data");
    ASSERT_TRUE(sqlite) << sqlite.error().message;
    sqlite_ = std::move(*sqlite);
    persistent_ = sqlite_.get();
    if (inject_faults_) {
      faulty_ = std::make_unique<store::testing::FaultInjectingStore>(*sqlite_);
      persistent_ = faulty_.get();
    }
    volatile_ = std::make_unique<store::MemoryStore>();
    seal_keys_ = std::make_unique<seal::FileSealKeyProvider>(dir_.path() / "data");
    CoreDeps deps{&clock_, persistent_, volatile_.get(), seal_keys_.get(), &issuer_};
    auto core = Core::start(deps, CoreConfig{.simulation = true});
    ASSERT_TRUE(core) << core.error().message;
    core_ = std::move(*core);
    api_ = std::make_unique<ClientApi>(*core_);
  }
  void stop() {
    api_.reset();
    core_.reset();
    faulty_.reset();
    sqlite_.reset();
  }
  void restart() {
    stop();
    start();
  }
  void remove_seal_key() { std::filesystem::remove(dir_.path() / "data" / "seal.key"); }

  State state() { return static_cast<State>(api_->status()->code); }

  // Decrypts officer |k|'s recovery secret and uploads it with its signature.
  Result<RecoverResult> upload(const std::map<std::string, Bytes>& secrets, int k) {
    auto plain =
        crypto::rsa_oaep_decrypt(recovery_key(k), secrets.at("officer" + std::to_string(k)));
    EXPECT_TRUE(plain);
    auto sig = crypto::sign(recovery_key(k), plain->span(), crypto::HashAlg::kSha256);
    return api_->recover(std::move(*plain), std::move(*sig));
  }

  mr::testing::TempDir dir_;
  mr::testing::FakeClock clock_{*parse_rfc3339("2026-11-23T12:00:00Z")};
  NoTeeIssuer issuer_;
  std::unique_ptr<store::SqliteStore> sqlite_;
  bool inject_faults_ = false;
  std::unique_ptr<store::testing::FaultInjectingStore> faulty_;
  store::Store* persistent_ = nullptr;
  std::unique_ptr<store::MemoryStore> volatile_;
  std::unique_ptr<seal::FileSealKeyProvider> seal_keys_;
  std::unique_ptr<Core> core_;
  std::unique_ptr<ClientApi> api_;
};

TEST_F(CoordinatorTest, FreshStartAcceptsAManifest) {
  EXPECT_EQ(state(), State::kAcceptingManifest);
  EXPECT_EQ(api_->status()->message, "Coordinator is ready to accept a manifest.");
  EXPECT_EQ(api_->manifest().error().message, "requested value not set");
  auto cq = api_->cert_quote(std::nullopt);
  ASSERT_TRUE(cq);
  auto chain = crypto::pem_decode_all(cq->cert_chain_pem);
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_EQ(crypto::Certificate::from_der(chain[0].der)->subject().common_name,
            "MarbleRun Coordinator - Intermediate CA");
  EXPECT_EQ(crypto::Certificate::from_der(chain[1].der)->subject().common_name,
            "MarbleRun Coordinator");
  EXPECT_TRUE(cq->quote.empty());  // simulation
  EXPECT_TRUE(core_->snapshot()->simulation);
}

TEST_F(CoordinatorTest, SetManifestThenRestartKeepsEverything) {
  const std::string raw = sample("full.json");
  auto secrets = api_->set_manifest(raw);
  ASSERT_TRUE(secrets) << secrets.error().message;
  EXPECT_EQ(secrets->size(), 2u);  // one per recovery key
  EXPECT_EQ(state(), State::kAcceptingMarbles);

  auto m = api_->manifest();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->raw, raw);
  EXPECT_EQ(m->fingerprint, hex_encode(crypto::sha256(as_bytes(raw))));
  const auto root = core_->snapshot()->ca->root;
  EXPECT_TRUE(
      crypto::verify(root.public_key(), as_bytes(raw), m->signature, crypto::HashAlg::kSha256));
  const auto secrets_before = core_->snapshot()->secrets;
  EXPECT_TRUE(secrets_before.contains("sessionKey"));
  EXPECT_EQ(secrets_before.at("sessionKey").private_key.size(), 32u);

  auto again = api_->set_manifest(raw);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, "server is not in expected state");

  restart();
  EXPECT_EQ(state(), State::kAcceptingMarbles);
  EXPECT_EQ(core_->snapshot()->ca->root, root);
  EXPECT_EQ(api_->manifest()->raw, raw);
  EXPECT_EQ(core_->snapshot()->secrets, secrets_before);
}

TEST_F(CoordinatorTest, InvalidManifestLeavesStateUnchanged) {
  const auto root = core_->snapshot()->ca->root;
  auto r = api_->set_manifest(R"({"Packages":{},"Marbles":{}})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "checking manifest: no allowed packages defined");
  EXPECT_EQ(api_->set_manifest("{not json")
                .error()
                .message.rfind("unmarshaling manifest: invalid JSON", 0),
            0u);
  EXPECT_EQ(state(), State::kAcceptingManifest);
  EXPECT_EQ(core_->snapshot()->ca->root, root);
}

TEST_F(CoordinatorTest, RestartBeforeManifestGeneratesANewRoot) {
  const auto root = core_->snapshot()->ca->root;
  restart();
  EXPECT_EQ(state(), State::kAcceptingManifest);
  EXPECT_NE(core_->snapshot()->ca->root, root);
}

TEST_F(CoordinatorTest, RecoveryWithOneKey) {
  const std::string raw = manifest_with_keys({1});
  auto secrets = *api_->set_manifest(raw);
  const auto root = core_->snapshot()->ca->root;
  const auto stored = core_->snapshot()->secrets;
  remove_seal_key();
  restart();
  EXPECT_EQ(state(), State::kRecovery);
  EXPECT_NE(core_->snapshot()->ca->root, root);  // a temporary CA while recovering
  auto r = upload(secrets, 1);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->remaining, 0u);
  EXPECT_EQ(state(), State::kAcceptingMarbles);
  EXPECT_EQ(core_->snapshot()->ca->root, root);
  EXPECT_EQ(api_->manifest()->raw, raw);
  EXPECT_EQ(core_->snapshot()->secrets, stored);
  restart();  // resealed with the new seal key: no recovery needed any more
  EXPECT_EQ(state(), State::kAcceptingMarbles);
  EXPECT_EQ(core_->snapshot()->ca->root, root);
}

TEST_F(CoordinatorTest, RecoveryWhenTheSealKeyIsReplaced) {
  auto secrets = *api_->set_manifest(manifest_with_keys({1}));
  const auto root = core_->snapshot()->ca->root;
  restart();
  EXPECT_EQ(state(), State::kAcceptingMarbles);
  remove_seal_key();
  {
    auto other = seal::FileSealKeyProvider(dir_.path() / "data");
    ASSERT_TRUE(other.seal_key(seal::KeyKind::kProductKey));
  }
  restart();
  EXPECT_EQ(state(), State::kRecovery);
  ASSERT_TRUE(upload(secrets, 1));
  EXPECT_EQ(core_->snapshot()->ca->root, root);
}

TEST_F(CoordinatorTest, RecoveryWithTwoKeysNeedsBoth) {
  auto secrets = *api_->set_manifest(manifest_with_keys({1, 2}));
  const auto root = core_->snapshot()->ca->root;
  remove_seal_key();
  restart();
  ASSERT_EQ(state(), State::kRecovery);
  auto first = upload(secrets, 2);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->remaining, 1u);
  EXPECT_EQ(state(), State::kRecovery);
  auto second = upload(secrets, 1);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->remaining, 0u);
  EXPECT_EQ(state(), State::kAcceptingMarbles);
  EXPECT_EQ(core_->snapshot()->ca->root, root);
}

TEST_F(CoordinatorTest, RecoveryWithAThreshold) {
  auto secrets = *api_->set_manifest(manifest_with_keys({1, 2, 3}, 2));
  const auto root = core_->snapshot()->ca->root;
  remove_seal_key();
  restart();
  ASSERT_EQ(state(), State::kRecovery);
  EXPECT_EQ(upload(secrets, 3)->remaining, 2u);
  auto done = upload(secrets, 2);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(done->remaining, 0u);
  EXPECT_EQ(state(), State::kAcceptingMarbles);
  EXPECT_EQ(core_->snapshot()->ca->root, root);
}

TEST_F(CoordinatorTest, RecoveryRefusesWrongSignatureAndWrongState) {
  auto secrets = *api_->set_manifest(manifest_with_keys({1}));
  EXPECT_EQ(upload(secrets, 1).error().message,
            "server is not in expected state: the Coordinator is not in recovery mode: its sealed "
            "state is loaded and running (state 3); there is nothing to recover");
  remove_seal_key();
  restart();
  auto plain = *crypto::rsa_oaep_decrypt(recovery_key(1), secrets.at("officer1"));
  auto bad_sig = *crypto::sign(recovery_key(2), plain.span(), crypto::HashAlg::kSha256);
  auto r = api_->recover(std::move(plain), bad_sig);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "no matching recovery key found for recovery public key \"officer1\"");
  EXPECT_EQ(state(), State::kRecovery);
  // Without recovery data an unknown secret just asks for more (spec 9.5) and must not stop
  // the real one from working afterwards.
  auto garbage = api_->recover(SecretBytes(Bytes(32, 1)), {});
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->remaining, 1u);
  EXPECT_EQ(state(), State::kRecovery);
  ASSERT_TRUE(upload(secrets, 1));
  EXPECT_EQ(state(), State::kAcceptingMarbles);
}

TEST_F(CoordinatorTest, UnreadableSealKeyStopsStartup) {
  ASSERT_TRUE(api_->set_manifest(manifest_with_keys({1})));
  stop();
  std::filesystem::permissions(dir_.path() / "data" / "seal.key",
                               std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  auto sqlite = store::SqliteStore::open(dir_.path() / "data");
  store::MemoryStore mem;
  seal::FileSealKeyProvider keys(dir_.path() / "data");
  auto core =
      Core::start({&clock_, sqlite->get(), &mem, &keys, &issuer_}, CoreConfig{.simulation = true});
  ASSERT_FALSE(core);
  EXPECT_THAT(core.error().message, HasSubstr("reading the seal key"));
}

TEST_F(CoordinatorTest, EphemeralKeyFlow) {
  auto secrets = *api_->set_manifest(manifest_with_keys({1}));
  remove_seal_key();
  restart();
  auto pub = api_->recovery_public_key();
  ASSERT_TRUE(pub) << pub.error().message;
  EXPECT_EQ(pub->bits(), 4096u);
  auto plain = *crypto::rsa_oaep_decrypt(recovery_key(1), secrets.at("officer1"));
  auto sig = *crypto::sign(recovery_key(1), plain.span(), crypto::HashAlg::kSha256);
  auto encrypted = *crypto::rsa_oaep_encrypt(*pub, plain.span());
  auto decrypted = api_->decrypt_recovery_secret(encrypted);
  ASSERT_TRUE(decrypted);
  ASSERT_TRUE(api_->recover(std::move(*decrypted), sig));
  EXPECT_EQ(state(), State::kAcceptingMarbles);
}

TEST_F(CoordinatorTest, NewManifestInRecoveryDiscardsTheOldState) {
  ASSERT_TRUE(api_->set_manifest(manifest_with_keys({1})));
  const auto old_root = core_->snapshot()->ca->root;
  remove_seal_key();
  restart();
  const auto temp_root = core_->snapshot()->ca->root;
  ASSERT_TRUE(api_->set_manifest(sample("minimal.json")));
  EXPECT_EQ(state(), State::kAcceptingMarbles);
  EXPECT_EQ(core_->snapshot()->ca->root, temp_root);
  restart();
  EXPECT_EQ(state(), State::kAcceptingMarbles);
  EXPECT_EQ(core_->snapshot()->ca->root, temp_root);
  EXPECT_NE(temp_root, old_root);
}

TEST_F(CoordinatorTest, SealModeDisabledPersistsNothing) {
  ASSERT_TRUE(api_->set_manifest(manifest_with_keys({}, 0, "Disabled")));
  EXPECT_EQ(state(), State::kAcceptingMarbles);
  restart();
  EXPECT_EQ(state(), State::kAcceptingManifest);
}

// Failure after each step of SetManifest: afterwards the store holds the old state or the whole
// new one, never a mix, and the running Coordinator still shows the old state on failure.
TEST_F(CoordinatorTest, FailureAfterEachStepOfSetManifest) {
  // Every kind of record SetManifest writes (packages, shared and private secrets, recovery
  // data for two keys), without full.json's slow RSA key generation on each of ~100 runs.
  gojson::Json j = gojson::Json::parse(manifest_with_keys({1, 2}));
  j["Packages"]["second"] = {{"Debug", true}};
  j["Packages"]["third"] = {{"Debug", true}};
  j["Secrets"]["webCert"] = {{"Type", "cert-ecdsa"}, {"Size", 256}, {"Shared", true}};
  j["Secrets"]["key"] = {{"Type", "symmetric-key"}, {"Size", 128}};
  j["Secrets"]["upload"] = {{"Type", "plain"}, {"UserDefined", true}};
  const std::string raw = j.dump();
  for (auto timing : {store::testing::FaultTiming::kBefore, store::testing::FaultTiming::kAfter}) {
    for (std::uint64_t n = 1;; ++n) {
      stop();
      std::filesystem::remove_all(dir_.path() / "data");
      inject_faults_ = true;
      start();
      faulty_->set_plan(
          {n, store::testing::kFaultAllOps, timing, store::testing::FaultRepeat::kSticky});
      auto r = api_->set_manifest(raw);
      const bool triggered = faulty_->fault_triggered();
      if (!r) {
        EXPECT_TRUE(triggered);
        EXPECT_EQ(state(), State::kAcceptingManifest) << "n=" << n;
      }
      inject_faults_ = false;
      restart();
      const State after = state();
      if (after == State::kAcceptingMarbles) {
        EXPECT_EQ(api_->manifest()->raw, raw) << "n=" << n;
        EXPECT_TRUE(core_->snapshot()->secrets.contains("webCert")) << "n=" << n;
        EXPECT_EQ(core_->snapshot()->packages.size(), 3u) << "n=" << n;
      } else {
        EXPECT_EQ(after, State::kAcceptingManifest) << "n=" << n;
        EXPECT_FALSE(r) << "a successful SetManifest must survive a restart (n=" << n << ")";
      }
      if (!triggered) break;
    }
  }
}

}  // namespace
}  // namespace mr::core
