// The real Coordinator process against a host that owns its state directory: records of the
// SQLite file deleted, replayed, inserted or changed; a state of the host's making planted for
// recovery; and the environment switches that would turn attestation off (simulation, dev mode,
// the simulated DCAP PKI) asked for in a TEE, for a TEE's state, or of the production build.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/encoding.h"
#include "base/testing/temp_dir.h"
#include "core/ca.h"
#include "core/snapshot.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "gojson/go_json.h"
#include "seal/data_key.h"
#include "seal/sealed_store.h"
#include "store/keys.h"
#include "store/records.h"
#include "store/sqlite/sqlite_store.h"
#include "support/process.h"

namespace mr::test {
namespace {

namespace fs = std::filesystem;
namespace keys = store::keys;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> as_alice() {
  return {"--cert", testdata_key("alice.cert.pem"), "--key", testdata_key("alice.key.pem")};
}

// A manifest with a user-defined secret alice may write, and recovery key 1.
std::string manifest() {
  using J = gojson::Json;
  return J{
      {"Packages", {{"app", {{"Debug", true}}}}},
      {"Marbles",
       {{"app",
         {{"Package", "app"},
          {"Parameters", {{"Env", {{"TOKEN", "{{ string .Secrets.token }}"}}}}}}}}},
      {"Secrets", {{"token", {{"Type", "plain"}, {"UserDefined", true}}}}},
      {"Users",
       {{"alice",
         {{"Certificate", read_file(testdata_key("alice.cert.pem"))}, {"Roles", {"secrets"}}}}}},
      {"Roles",
       {{"secrets",
         {{"ResourceType", "Secrets"},
          {"ResourceNames", {"token"}},
          {"Actions", {"ReadSecret", "WriteSecret"}}}}}},
      {"RecoveryKeys", {{"officer", read_file(testdata_key("recovery_1.pub.pem"))}}}}
      .dump();
}

gojson::Json data_of(const HttpResult& r) {
  auto j = gojson::Json::parse(r.body, nullptr, false);
  return j.is_discarded() ? gojson::Json() : j["data"];
}

int status_code(CoordinatorProcess& c) {
  const auto d = data_of(curl_https(c.client_url() + "/api/v2/status"));
  return d.is_object() ? d["code"].get<int>() : -1;
}

std::string root_pem(CoordinatorProcess& c) {
  const std::string chain = data_of(curl_https(c.client_url() + "/api/v2/quote"))["cert"];
  return chain.substr(chain.find("-----BEGIN CERTIFICATE-----", 1));
}

HttpResult set_manifest(CoordinatorProcess& c, const std::string& raw) {
  const std::string body = gojson::Json{{"manifest", base64_encode(as_bytes(raw))}}.dump();
  return curl_https(c.client_url() + "/api/v2/manifest", &body);
}

HttpResult set_token(CoordinatorProcess& c, const std::string& value) {
  const std::string body =
      gojson::Json{{"secrets", {{"token", {{"Key", base64_encode(as_bytes(value))}}}}}}.dump();
  return curl_https(c.client_url() + "/api/v2/secrets", &body, as_alice());
}

HttpResult recover(CoordinatorProcess& c, ByteSpan secret, ByteSpan signature) {
  const std::string body = gojson::Json{{"recoverySecret", base64_encode(secret)},
                                        {"recoverySecretSignature", base64_encode(signature)}}
                               .dump();
  return curl_https(c.client_url() + "/api/v2/recover", &body);
}

// The host's hands on the database file (the Coordinator is stopped).
class HostDb {
 public:
  explicit HostDb(const fs::path& dir) : db_(std::move(*store::SqliteStore::open(dir))) {}
  std::optional<Bytes> get(std::string_view key) { return *(*db_->begin_read())->get(key); }
  void put(std::string_view key, ByteSpan value) {
    auto txn = std::move(*db_->begin());
    ASSERT_TRUE(txn->put(key, value));
    ASSERT_TRUE(txn->commit());
  }
  void erase(std::string_view key) {
    auto txn = std::move(*db_->begin());
    ASSERT_TRUE(txn->erase(key));
    ASSERT_TRUE(txn->commit());
  }
  store::Store& store() { return *db_; }

 private:
  std::unique_ptr<store::SqliteStore> db_;
};

// start_refused runs the Coordinator, which must exit at once; returns its exit code and output.
std::pair<int, std::string> start_refused(
    const fs::path& seal_dir, std::map<std::string, std::string> env = {},
    std::vector<std::string> args = {}, const std::string& program = "marblerun-coordinator-sim") {
  env.emplace("OE_SIMULATION", "1");
  env["EDG_COORDINATOR_SEAL_DIR"] = seal_dir.string();
  env["EDG_COORDINATOR_CLIENT_ADDR"] = "127.0.0.1:0";
  env["EDG_COORDINATOR_MESH_ADDR"] = "127.0.0.1:0";
  args.insert(args.begin(), std::string(MR_BINARY_DIR) + "/bin/" + program);
  return run_command(args, env);
}

TEST(StateIntegrityProcess, EveryTamperingStopsStartupAndNamesTheRecord) {
  mr::testing::TempDir dir;
  const fs::path data = dir.path() / "data";
  {
    auto c = CoordinatorProcess::start({data});
    ASSERT_EQ(set_manifest(*c, manifest()).status, 200);
    ASSERT_EQ(set_token(*c, "first").status, 200);
    c->stop();
  }
  const Bytes first_token = *HostDb(data).get(keys::secret("token"));
  {
    auto c = CoordinatorProcess::start({data});
    ASSERT_EQ(set_token(*c, "second").status, 200);
    c->stop();
  }
  const fs::path pristine = dir.path() / "pristine";
  fs::copy(data, pristine, fs::copy_options::recursive);

  struct Attack {
    const char* name;
    std::function<void(HostDb&)> run;
    const char* named;
  };
  const Attack attacks[] = {
      {"delete", [](HostDb& db) { db.erase(keys::update_log(1)); },
       "record \"updateLog:00000000000000000001\" was removed"},
      {"replay", [&](HostDb& db) { db.put(keys::secret("token"), first_token); },
       "record \"secret:token\" differs from the value last committed"},
      {"insert", [](HostDb& db) { db.put("user:mallory", *db.get(keys::secret("token"))); },
       "record \"user:mallory\" was added"},
      {"meta change", [](HostDb& db) { db.put(keys::kMetaFormatVersion, as_bytes("1")); },
       "record \"meta:formatVersion\" differs"},
  };
  for (const Attack& attack : attacks) {
    SCOPED_TRACE(attack.name);
    fs::remove_all(data);
    fs::copy(pristine, data, fs::copy_options::recursive);
    {
      HostDb db(data);
      attack.run(db);
    }
    auto [rc, out] = start_refused(data);
    EXPECT_EQ(rc, 1);
    EXPECT_THAT(out, AllOf(HasSubstr("the sealed state failed its integrity check"),
                           HasSubstr(attack.named)));
    EXPECT_THAT(out, Not(HasSubstr("first")));  // never a value
  }
  // The untouched state starts and serves the last value.
  fs::remove_all(data);
  fs::copy(pristine, data, fs::copy_options::recursive);
  auto c = CoordinatorProcess::start({data});
  EXPECT_EQ(status_code(*c), 3);
  const auto read = curl_https(c->client_url() + "/api/v2/secrets?s=token", nullptr, as_alice());
  EXPECT_EQ(
      to_string(*base64_decode(data_of(read)["secrets"]["token"]["Private"].get<std::string>())),
      "second");
}

// Issue scenario 1: the host replaces state.db with a state of its own (its CA and root secret,
// state 2, no manifest) under a data key it knows, and an unsealable sealed key. The Coordinator
// enters recovery; one unauthenticated upload of that key with an empty signature must not make
// it serve the host's root or leave recovery mode.
TEST(StateIntegrityProcess, PlantedStateIsRefused) {
  mr::testing::TempDir dir;
  const fs::path data = dir.path() / "data";
  {
    auto c = CoordinatorProcess::start({data});
    ASSERT_EQ(set_manifest(*c, manifest()).status, 200);
    c->stop();
  }
  SecretBytes host_key = crypto::random_secret(32);
  core::Snapshot planted;
  planted.state = core::State::kAcceptingManifest;
  planted.ca = *core::generate_ca({"localhost"}, UnixTime(std::chrono::seconds(1'800'000'000)));
  planted.root_secret = std::make_shared<const SecretBytes>(crypto::random_secret(32));
  planted.previous_root_secret = planted.root_secret;
  {
    HostDb db(data);
    auto sealed = seal::SealedStore::replace(
        db.store(), host_key.clone(), 0, [&](store::Transaction& txn) -> Status {
          MR_RETURN_IF_ERROR(store::put_string(txn, keys::kMetaFormatVersion, "2"));
          MR_RETURN_IF_ERROR(txn.put(
              keys::kMetaSealedDataKey,
              *seal::seal_data_key(crypto::random_secret(32).span(), host_key.span(),
                                   seal::KeyKind::kProductKey, seal::KeySource::kSimulation)));
          return core::write_snapshot(txn, nullptr, planted);
        });
    ASSERT_TRUE(sealed) << sealed.error().message;
  }
  auto c = CoordinatorProcess::start({data});
  ASSERT_EQ(status_code(*c), 1);
  const std::string temporary_root = root_pem(*c);
  const HttpResult r = recover(*c, host_key.span(), {});
  EXPECT_NE(r.status, 200) << r.body;
  EXPECT_THAT(r.body, HasSubstr("holds no manifest"));
  EXPECT_EQ(status_code(*c), 1);
  EXPECT_EQ(root_pem(*c), temporary_root);
  EXPECT_NE(root_pem(*c), planted.ca->root.pem());
  EXPECT_THAT(c->log(), HasSubstr("recovery refused"));
}

// Recovery after a lost seal key still works, and a wrong first upload does not block it.
TEST(StateIntegrityProcess, RecoveryAfterAWrongFirstUpload) {
  mr::testing::TempDir dir;
  const fs::path data = dir.path() / "data";
  std::string secret_b64, root;
  {
    auto c = CoordinatorProcess::start({data});
    HttpResult set = set_manifest(*c, manifest());
    ASSERT_EQ(set.status, 200);
    secret_b64 = data_of(set)["RecoverySecrets"]["officer"];
    root = root_pem(*c);
    c->stop();
  }
  fs::remove(data / "seal.key");
  auto c = CoordinatorProcess::start({data});
  ASSERT_EQ(status_code(*c), 1);
  EXPECT_EQ(data_of(recover(*c, Bytes(16, 7), as_bytes("x")))["remaining"], 1);
  auto key = *crypto::PrivateKey::from_pem(read_file(testdata_key("recovery_1.key.pem")));
  auto plain = *crypto::rsa_oaep_decrypt(key, *base64_decode(secret_b64));
  auto sig = *crypto::sign(key, plain.span(), crypto::HashAlg::kSha256);
  const HttpResult r = recover(*c, plain.span(), sig);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(status_code(*c), 3);
  EXPECT_EQ(root_pem(*c), root);
  EXPECT_THAT(c->log(), HasSubstr("\"manifest_fingerprint\":\"" +
                                  hex_encode(crypto::sha256(as_bytes(manifest()))) + "\""));
}

// --- No downgrade by environment -------------------------------------------------------------

// A stand-in for Gramine's /dev/attestation: a quote, and seal keys that say they are a TEE's.
fs::path fake_tee(const fs::path& dir) {
  const fs::path tee = dir / "attestation";
  fs::create_directories(tee / "keys");
  auto write = [](const fs::path& p, ByteSpan b) {
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  };
  write(tee / "attestation_type", as_bytes("dcap"));
  write(tee / "user_report_data", {});
  write(tee / "quote", crypto::random_bytes(600));
  write(tee / "keys" / "_sgx_mrsigner", crypto::random_bytes(16));
  write(tee / "keys" / "_sgx_mrenclave", crypto::random_bytes(16));
  return tee;
}

TEST(StateIntegrityProcess, NoSimulationOrDevModeWithATee) {
  mr::testing::TempDir dir;
  const fs::path data = dir.path() / "data";
  const fs::path tee = fake_tee(dir.path());
  const std::vector<std::string> in_tee = {"--attestation-dir", tee.string()};
  {
    auto c = CoordinatorProcess::start({data, {{"OE_SIMULATION", "0"}}, in_tee});
    EXPECT_THAT(c->log(), HasSubstr("TEE: Gramine-SGX"));
    EXPECT_THAT(c->log(), HasSubstr("\"simulation\":false"));
    ASSERT_EQ(set_manifest(*c, manifest()).status, 200);
    c->stop();
  }
  // In the TEE, none of the switches is accepted.
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"OE_SIMULATION", "1"},
           {"EDG_COORDINATOR_DEV_MODE", "1"},
           {"EDG_COORDINATOR_SIMULATED_DCAP_PKI", (dir.path() / "pki.json").string()}}) {
    SCOPED_TRACE(name);
    std::map<std::string, std::string> env = {{name, value}};
    env.emplace("OE_SIMULATION", "0");
    auto [rc, out] = start_refused(data, env, in_tee);
    EXPECT_EQ(rc, 1);
    EXPECT_THAT(out, HasSubstr("this process runs in a TEE"));
  }
  // Outside it, the TEE's state is not opened in simulation.
  auto [rc, out] = start_refused(data);
  EXPECT_EQ(rc, 1);
  EXPECT_THAT(out, HasSubstr("sealed with a TEE seal key, but this Coordinator runs with a "
                             "simulation seal key"));
  // And the TEE still opens it.
  auto c = CoordinatorProcess::start({data, {{"OE_SIMULATION", "0"}}, in_tee});
  EXPECT_EQ(status_code(*c), 3);
}

TEST(StateIntegrityProcess, TheProductionBuildHasNoSimulation) {
  mr::testing::TempDir dir;
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"OE_SIMULATION", "1"},
           {"EDG_COORDINATOR_DEV_MODE", "1"},
           {"EDG_COORDINATOR_SIMULATED_DCAP_PKI", "/tmp/pki.json"},
           {"EDG_COORDINATOR_ATTESTATION_DIR", "/tmp/attestation"}}) {
    SCOPED_TRACE(name);
    auto [rc, out] =
        start_refused(dir.path() / "data", {{name, value}}, {}, "marblerun-coordinator");
    EXPECT_EQ(rc, 2);
    EXPECT_THAT(out, AllOf(HasSubstr(name + " ("), HasSubstr("is refused"),
                           HasSubstr("marblerun-coordinator-sim")));
  }
  auto [rc, out] =
      start_refused(dir.path() / "data", {{"OE_SIMULATION", "0"}}, {}, "marblerun-coordinator");
  EXPECT_EQ(rc, 1);
  EXPECT_THAT(out, AllOf(HasSubstr("no TEE found"), HasSubstr("no simulation mode")));
  EXPECT_FALSE(fs::exists(dir.path() / "data" / "state.db"));
}

}  // namespace
}  // namespace mr::test
