// The Coordinator core over the real SQLite store and sealing: fresh start, SetManifest,
// restart, recovery after losing the seal key (single key, XOR shares, Shamir threshold),
// seal mode Disabled, and failure injection after every step of SetManifest.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <numeric>
#include <thread>

#include "base/encoding.h"
#include "base/testing/fake_clock.h"
#include "base/testing/temp_dir.h"
#include "core/client_api.h"
#include "core/core.h"
#include "core/update_api.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "crypto/pem.h"
#include "gojson/go_json.h"
#include "seal/file_seal_key_provider.h"
#include "store/keys.h"
#include "store/memory/memory_store.h"
#include "store/records.h"
#include "store/sqlite/sqlite_store.h"
#include "store/testing/fault_injecting_store.h"
#include "test_keys.h"

namespace mr::core {
namespace {

using ::testing::AllOf;
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

// A stand-in TEE: quotes are the report data, seal keys come from seal.key but say they are a
// TEE's (as Gramine's would).
class FakeTeeIssuer final : public attestation::QuoteIssuer {
 public:
  Result<Bytes> issue(ByteSpan report_data) override {
    return Bytes(report_data.begin(), report_data.end());
  }
};
class TeeSealKeys final : public seal::SealKeyProvider {
 public:
  explicit TeeSealKeys(const std::filesystem::path& dir) : file_(dir) {}
  Result<SecretBytes> seal_key(seal::KeyKind kind) override { return file_.seal_key(kind); }
  seal::KeySource source() const override { return seal::KeySource::kTee; }

 private:
  seal::FileSealKeyProvider file_;
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
  void SetUp() override {
    start();
    ASSERT_FALSE(start_error_.has_value()) << start_error_->message;
  }
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
    if (tee_keys_) {
      seal_keys_ = std::make_unique<TeeSealKeys>(dir_.path() / "data");
    } else {
      seal_keys_ = std::make_unique<seal::FileSealKeyProvider>(dir_.path() / "data");
    }
    attestation::QuoteIssuer* issuer =
        config_.simulation ? static_cast<attestation::QuoteIssuer*>(&issuer_) : &tee_issuer_;
    CoreDeps deps{&clock_, persistent_, volatile_.get(), seal_keys_.get(), issuer};
    auto core = Core::start(deps, config_);
    if (!core) {
      start_error_ = core.error();
      return;
    }
    start_error_.reset();
    core_ = std::move(*core);
    api_ = std::make_unique<ClientApi>(*core_);
  }
  // start_fails starts a Coordinator that must refuse to start, and returns its error.
  Error start_fails() {
    stop();
    start();
    EXPECT_TRUE(start_error_.has_value()) << "the Coordinator started";
    return start_error_.value_or(Error{});
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
    ASSERT_FALSE(start_error_.has_value()) << start_error_->message;
  }
  void remove_seal_key() { std::filesystem::remove(dir_.path() / "data" / "seal.key"); }

  State state() { return static_cast<State>(api_->status()->code); }

  // The host's view: the state directory's database, opened beside (or without) the Core.
  std::unique_ptr<store::SqliteStore> host_db() {
    auto db = store::SqliteStore::open(dir_.path() / "data");
    EXPECT_TRUE(db) << db.error().message;
    return db ? std::move(*db) : nullptr;
  }
  std::optional<Bytes> host_get(std::string_view key) {
    auto db = host_db();
    return *(*db->begin_read())->get(key);
  }
  void host_put(std::string_view key, ByteSpan value) {
    auto db = host_db();
    auto txn = std::move(*db->begin());
    ASSERT_TRUE(txn->put(key, value));
    ASSERT_TRUE(txn->commit());
  }
  void host_erase(std::string_view key) {
    auto db = host_db();
    auto txn = std::move(*db->begin());
    ASSERT_TRUE(txn->erase(key));
    ASSERT_TRUE(txn->commit());
  }

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
  std::unique_ptr<seal::SealKeyProvider> seal_keys_;
  bool tee_keys_ = false;
  FakeTeeIssuer tee_issuer_;
  CoreConfig config_{.simulation = true};
  std::optional<Error> start_error_;
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

// --- The host as the attacker: it owns the state directory ----------------------------------

// A manifest with a counted Marble, a user-defined secret and one recovery key.
std::string counted_manifest() {
  gojson::Json j = gojson::Json::parse(manifest_with_keys({1}));
  j["Marbles"]["app"]["MaxActivations"] = 10;
  return j.dump();
}

// Concurrent claims on a slow disk share commits (group commit); the limit still holds and the
// counts handed out are exactly 1..max.
TEST_F(CoordinatorTest, ConcurrentClaimsAreGroupCommittedAndNeverExceedTheLimit) {
  stop();
  inject_faults_ = true;
  start();
  ASSERT_TRUE(api_->set_manifest(counted_manifest()));  // MaxActivations 10
  store::testing::FaultPlan slow;
  slow.ops = store::testing::kFaultCommit;  // counts commits, fails none
  slow.commit_delay = std::chrono::milliseconds(20);
  faulty_->set_plan(slow);
  constexpr int kClaims = 40;
  std::mutex mu;
  std::vector<std::uint64_t> counts;
  int denied = 0;
  std::vector<std::string> other;
  std::vector<std::thread> threads;
  for (int i = 0; i < kClaims; ++i) {
    threads.emplace_back([&] {
      auto r = core_->claim_activation(core_->snapshot(), "app", 10);
      std::scoped_lock lock(mu);
      if (r) {
        counts.push_back(*r);
      } else if (r.error().code == ErrorCode::kPermissionDenied) {
        ++denied;
      } else {
        other.push_back(r.error().message);
      }
    });
  }
  for (auto& t : threads)
    t.join();
  std::sort(counts.begin(), counts.end());
  EXPECT_EQ(counts, (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(denied, kClaims - 10);
  EXPECT_TRUE(other.empty()) << other.front();
  const std::uint64_t commits = faulty_->operations();
  EXPECT_GE(commits, 1u);
  EXPECT_LT(commits, 10u) << "every claim had a commit of its own";
  EXPECT_EQ(*core_->activations("app"), 10u);
  restart();
  EXPECT_EQ(*core_->activations("app"), 10u);
}

// A group commit that fails fails every claim it carried and counts none of them: no claim is
// acknowledged before the commit that made it durable.
TEST_F(CoordinatorTest, AFailedGroupCommitFailsEveryClaimItCarried) {
  stop();
  inject_faults_ = true;
  start();
  ASSERT_TRUE(api_->set_manifest(counted_manifest()));
  store::testing::FaultPlan plan;
  plan.fail_at = 1;  // the first commit fails, later ones succeed
  plan.ops = store::testing::kFaultCommit;
  plan.repeat = store::testing::FaultRepeat::kOnce;
  plan.commit_delay = std::chrono::milliseconds(30);
  faulty_->set_plan(plan);
  std::mutex mu;
  std::vector<std::uint64_t> counts;
  int failed = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto r = core_->claim_activation(core_->snapshot(), "app", 10);
      std::scoped_lock lock(mu);
      if (r) {
        counts.push_back(*r);
      } else {
        EXPECT_EQ(r.error().code, store::testing::FaultInjectingStore::kInjectedCode)
            << r.error().message;
        ++failed;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_TRUE(faulty_->fault_triggered());
  EXPECT_GE(failed, 1);
  std::sort(counts.begin(), counts.end());
  std::vector<std::uint64_t> expected(counts.size());
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(counts, expected) << "a failed claim was counted";
  EXPECT_EQ(*core_->activations("app"), counts.size());
}

TEST_F(CoordinatorTest, EveryTamperingOfACommittedStateStopsStartup) {
  ASSERT_TRUE(api_->set_manifest(counted_manifest()));
  ASSERT_TRUE(core_->claim_activation(core_->snapshot(), "app", 10));
  const Bytes counter_after_one = *host_get("activations:app");
  ASSERT_TRUE(core_->claim_activation(core_->snapshot(), "app", 10));
  stop();
  const auto data = dir_.path() / "data";
  const auto pristine = dir_.path() / "pristine";
  std::filesystem::copy(data, pristine, std::filesystem::copy_options::recursive);

  struct Attack {
    std::string name;
    std::function<void()> run;
    std::string named;  // what the error must name
  };
  const std::vector<Attack> attacks = {
      {"delete an update log line", [&] { host_erase(store::keys::update_log(0)); },
       "record \"updateLog:00000000000000000000\" was removed"},
      {"replay an older counter", [&] { host_put("activations:app", counter_after_one); },
       "record \"activations:app\" differs from the value last committed"},
      {"insert a record (a copy of a sealed one)",
       [&] { host_put("user:mallory", *host_get(store::keys::kRootSecret)); },
       "record \"user:mallory\" was added"},
      {"change a meta record", [&] { host_put(store::keys::kMetaRecoveryData, as_bytes("{}")); },
       "record \"meta:recoveryData\" differs"},
      {"swap two records",
       [&] {
         const Bytes a = *host_get(store::keys::kCoordinatorRootCert);
         const Bytes b = *host_get(store::keys::kMarbleRootCert);
         host_put(store::keys::kCoordinatorRootCert, b);
         host_put(store::keys::kMarbleRootCert, a);
       },
       "record \"certificate:coordinatorRootCert\" differs"},
      {"delete the sealed data key", [&] { host_erase(store::keys::kMetaSealedDataKey); },
       "no sealed data key"},
      {"modify the sealed data key",
       [&] {
         Bytes sealed = *host_get(store::keys::kMetaSealedDataKey);
         sealed.back() ^= 1;  // the tag: the seal key id still matches
         host_put(store::keys::kMetaSealedDataKey, sealed);
       },
       "record \"meta:sealedDataKey\" was modified"},
  };
  for (const Attack& attack : attacks) {
    SCOPED_TRACE(attack.name);
    std::filesystem::remove_all(data);
    std::filesystem::copy(pristine, data, std::filesystem::copy_options::recursive);
    attack.run();
    const Error e = start_fails();
    EXPECT_EQ(e.code, ErrorCode::kDataLoss);
    EXPECT_THAT(e.message, HasSubstr(std::string(seal::kIntegrityFailure)));
    EXPECT_THAT(e.message, HasSubstr(attack.named));
  }
  // The untouched copy still starts, with its counter.
  std::filesystem::remove_all(data);
  std::filesystem::copy(pristine, data, std::filesystem::copy_options::recursive);
  restart();
  EXPECT_EQ(state(), State::kAcceptingMarbles);
  EXPECT_EQ(*core_->activations("app"), 2u);
}

// Tampering while the Coordinator runs is caught by the next read of the record; a commit never
// builds on it.
TEST_F(CoordinatorTest, TamperingWhileRunningIsCaughtOnTheNextRead) {
  ASSERT_TRUE(api_->set_manifest(counted_manifest()));
  ASSERT_TRUE(core_->claim_activation(core_->snapshot(), "app", 10));
  const Bytes one = *host_get("activations:app");
  ASSERT_TRUE(core_->claim_activation(core_->snapshot(), "app", 10));
  host_put("activations:app", one);
  auto claim = core_->claim_activation(core_->snapshot(), "app", 10);
  ASSERT_FALSE(claim);
  EXPECT_EQ(claim.error().code, ErrorCode::kDataLoss);
  EXPECT_THAT(claim.error().message, HasSubstr("\"activations:app\" differs"));
  host_erase(store::keys::update_log(0));
  auto log = UpdateApi(*core_).log();
  ASSERT_FALSE(log);
  EXPECT_THAT(log.error().message, HasSubstr("was removed on disk"));
}

// Spec 9.5 done as the issue describes the attack: the host replaces the state with one of its
// own (its CA and root secret, state 2, no manifest) under a data key it knows, and an
// unsealable sealed key. Recovery must not adopt it, with or without a signature.
TEST_F(CoordinatorTest, PlantedStateIsNeverAdopted) {
  ASSERT_TRUE(api_->set_manifest(manifest_with_keys({1})));
  const auto operators_root = core_->snapshot()->ca->root;
  stop();
  // The host builds its state with the Coordinator's own code.
  SecretBytes host_key = crypto::random_secret(32);
  Snapshot planted;
  planted.state = State::kAcceptingManifest;
  planted.ca = *generate_ca({"localhost"}, clock_.now());
  planted.root_secret = std::make_shared<const SecretBytes>(crypto::random_secret(32));
  planted.previous_root_secret = planted.root_secret;
  auto plant = [&](const Snapshot& s) {
    auto db = host_db();
    auto sealed = seal::SealedStore::replace(
        *db, host_key.clone(), 0, [&](store::Transaction& txn) -> Status {
          MR_RETURN_IF_ERROR(store::put_string(txn, store::keys::kMetaFormatVersion, "2"));
          MR_RETURN_IF_ERROR(txn.put(
              store::keys::kMetaSealedDataKey,
              *seal::seal_data_key(crypto::random_secret(32).span(), host_key.span(),
                                   seal::KeyKind::kProductKey, seal::KeySource::kSimulation)));
          MR_RETURN_IF_ERROR(store::put_string(txn, store::keys::kMetaRecoveryData, "null"));
          return write_snapshot(txn, nullptr, s);
        });
    ASSERT_TRUE(sealed) << sealed.error().message;
  };
  plant(planted);
  start();
  ASSERT_FALSE(start_error_) << start_error_->message;
  ASSERT_EQ(state(), State::kRecovery);
  const auto temporary_root = core_->snapshot()->ca->root;
  auto r = api_->recover(host_key.clone(), {});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("holds no manifest"));
  EXPECT_EQ(state(), State::kRecovery);
  EXPECT_EQ(core_->snapshot()->ca->root, temporary_root);
  EXPECT_NE(core_->snapshot()->ca->root, planted.ca->root);

  // The same state in state 3 with a manifest naming the operator's recovery key: the upload
  // carries no valid signature of that key, so it is refused too.
  stop();
  planted.state = State::kAcceptingMarbles;
  planted.manifest = *manifest::Manifest::parse(manifest_with_keys({1}));
  ASSERT_TRUE(derive(planted));
  plant(planted);
  restart();
  ASSERT_EQ(state(), State::kRecovery);
  r = api_->recover(host_key.clone(), {});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("no matching recovery key"));
  EXPECT_EQ(state(), State::kRecovery);
  EXPECT_NE(core_->snapshot()->ca->root, planted.ca->root);
  EXPECT_NE(core_->snapshot()->ca->root, operators_root);
}

// A wrong upload must never block the right one (here a 16-byte secret before the real 32-byte
// key of a single recovery key, which has no recovery data).
TEST_F(CoordinatorTest, RecoveryWithAWrongFirstUploadThenTheRightOne) {
  auto secrets = *api_->set_manifest(manifest_with_keys({1}));
  const auto root = core_->snapshot()->ca->root;
  remove_seal_key();
  restart();
  ASSERT_EQ(state(), State::kRecovery);
  auto wrong = api_->recover(SecretBytes(Bytes(16, 7)), to_bytes("junk"));
  ASSERT_TRUE(wrong) << wrong.error().message;
  EXPECT_EQ(wrong->remaining, 1u);
  auto right = upload(secrets, 1);
  ASSERT_TRUE(right) << right.error().message;
  EXPECT_EQ(right->remaining, 0u);
  EXPECT_EQ(state(), State::kAcceptingMarbles);
  EXPECT_EQ(core_->snapshot()->ca->root, root);
}

TEST_F(CoordinatorTest, RecoveryWithAWrongShareThenTheRightOnes) {
  auto secrets = *api_->set_manifest(manifest_with_keys({1, 2}));
  remove_seal_key();
  restart();
  auto wrong = api_->recover(SecretBytes(Bytes(16, 7)), {});
  ASSERT_FALSE(wrong);
  EXPECT_THAT(wrong.error().message, HasSubstr("invalid or already used secret"));
  ASSERT_TRUE(upload(secrets, 1));
  ASSERT_TRUE(upload(secrets, 2));
  EXPECT_EQ(state(), State::kAcceptingMarbles);
}

// Recovery is for a lost seal key: a state that fails its integrity check is not adopted, and
// once the record is restored the same secret recovers it.
TEST_F(CoordinatorTest, RecoveryRefusesATamperedStateUntilItIsRestored) {
  auto secrets = *api_->set_manifest(manifest_with_keys({1}));
  stop();
  const Bytes line = *host_get(store::keys::update_log(0));
  host_erase(store::keys::update_log(0));
  remove_seal_key();
  restart();
  ASSERT_EQ(state(), State::kRecovery);
  auto refused = upload(secrets, 1);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message,
              AllOf(HasSubstr(std::string(seal::kIntegrityFailure)),
                    HasSubstr("\"updateLog:00000000000000000000\" was removed")));
  EXPECT_EQ(state(), State::kRecovery);
  host_put(store::keys::update_log(0), line);
  auto adopted = upload(secrets, 1);
  ASSERT_TRUE(adopted) << adopted.error().message;
  EXPECT_EQ(state(), State::kAcceptingMarbles);
}

// The recovery data is read before any key can check it: garbage there must neither stop the
// Coordinator from reaching recovery mode nor get a state adopted.
TEST_F(CoordinatorTest, GarbageRecoveryDataIsOnlyAHint) {
  auto secrets = *api_->set_manifest(manifest_with_keys({1}));
  stop();
  host_put(store::keys::kMetaRecoveryData, as_bytes("{not json"));
  remove_seal_key();
  restart();
  ASSERT_EQ(state(), State::kRecovery);
  auto r = upload(secrets, 1);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("\"meta:recoveryData\" differs"));
  EXPECT_EQ(state(), State::kRecovery);
}

TEST_F(CoordinatorTest, RecoverInStateTwoSaysThereIsNothingToRecover) {
  auto r = api_->recover(SecretBytes(Bytes(32, 1)), {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(r.error().message, HasSubstr("it holds no sealed state (state 2"));
}

// --- No downgrade by configuration ------------------------------------------------------------

TEST_F(CoordinatorTest, SimulationOrDevModeWithATeeSealKeyIsRefused) {
  tee_keys_ = true;
  for (CoreConfig config : {CoreConfig{.simulation = true}, CoreConfig{.dev_mode = true}}) {
    config_ = config;
    const Error e = start_fails();
    EXPECT_EQ(e.code, ErrorCode::kFailedPrecondition);
    EXPECT_THAT(e.message, HasSubstr("refused with a TEE seal key"));
  }
}

TEST_F(CoordinatorTest, AStateSealedInATeeIsNeverOpenedInSimulation) {
  tee_keys_ = true;
  config_ = CoreConfig{};
  restart();
  EXPECT_FALSE(core_->snapshot()->simulation);
  auto secrets = *api_->set_manifest(manifest_with_keys({1}));
  // The same directory, now in simulation: refused outright.
  tee_keys_ = false;
  config_ = CoreConfig{.simulation = true};
  Error e = start_fails();
  EXPECT_EQ(e.code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(e.message, HasSubstr("sealed with a TEE seal key, but this Coordinator runs with a "
                                   "simulation seal key"));
  // The host flips the recorded source to get into recovery mode instead: the state still does
  // not open, because the flipped record fails the integrity check.
  Bytes sealed = *host_get(store::keys::kMetaSealedDataKey);
  sealed[6] = 2;  // "simulation"
  host_put(store::keys::kMetaSealedDataKey, sealed);
  remove_seal_key();
  restart();
  ASSERT_EQ(state(), State::kRecovery);
  auto r = upload(secrets, 1);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("\"meta:sealedDataKey\" differs"));
  EXPECT_EQ(state(), State::kRecovery);
}

TEST_F(CoordinatorTest, AStateSealedInSimulationIsNeverAdoptedByATee) {
  auto secrets = *api_->set_manifest(manifest_with_keys({1}));
  tee_keys_ = true;
  config_ = CoreConfig{};
  const Error e = start_fails();
  EXPECT_THAT(e.message, HasSubstr("sealed with a simulation seal key, but this Coordinator "
                                   "runs with a TEE seal key"));
}

// Outside simulation the Core never infers "no TEE" from a failing quote: it refuses to start.
TEST_F(CoordinatorTest, AFailingQuoteIsFatalWithoutDevMode) {
  stop();
  auto db = host_db();
  store::MemoryStore mem;
  seal::FileSealKeyProvider keys(dir_.path() / "data");
  NoTeeIssuer issuer;
  auto core = Core::start({&clock_, db.get(), &mem, &keys, &issuer}, CoreConfig{});
  ASSERT_FALSE(core);
  EXPECT_THAT(core.error().message, HasSubstr("generating the Coordinator's quote"));
  auto dev = Core::start({&clock_, db.get(), &mem, &keys, &issuer}, CoreConfig{.dev_mode = true});
  ASSERT_TRUE(dev) << dev.error().message;
  EXPECT_TRUE((*dev)->snapshot()->simulation);
}

}  // namespace
}  // namespace mr::core
