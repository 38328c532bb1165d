// The real marblerun-coordinator process, driven with curl as a user would: lifecycle across
// restarts, recovery after the seal key is lost, and SIGKILL in the middle of a manifest POST.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "base/encoding.h"
#include "base/testing/temp_dir.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "gojson/go_json.h"
#include "support/process.h"

namespace mr::test {
namespace {

using ::testing::HasSubstr;

std::string source(const std::string& rel) {
  return read_file(std::string(MR_SOURCE_DIR) + "/" + rel);
}

gojson::Json data_of(const HttpResult& r) {
  auto j = gojson::Json::parse(r.body, nullptr, false);
  return j.is_discarded() ? gojson::Json() : j["data"];
}

// minimal.json with recovery key 1.
std::string manifest_with_recovery_key() {
  auto j = gojson::Json::parse(source("samples/minimal.json"));
  j["RecoveryKeys"]["officer1"] = source("tests/testdata/keys/recovery_1.pub.pem");
  return j.dump();
}

std::string manifest_body(const std::string& raw) {
  return gojson::Json{{"manifest", base64_encode(as_bytes(raw))}}.dump();
}

int status_code(CoordinatorProcess& c) {
  const auto d = data_of(curl_https(c.client_url() + "/api/v2/status"));
  return d.is_object() ? d["code"].get<int>() : -1;
}

std::string root_pem(CoordinatorProcess& c) {
  const auto d = data_of(curl_https(c.client_url() + "/api/v2/quote"));
  const std::string chain = d["cert"].get<std::string>();
  const auto second = chain.find("-----BEGIN CERTIFICATE-----", 1);
  return chain.substr(second);
}

TEST(CoordinatorProcess, LifecycleRestartAndRecovery) {
  mr::testing::TempDir dir;
  const auto seal_dir = dir.path() / "data";
  auto c = CoordinatorProcess::start({seal_dir});
  EXPECT_EQ(status_code(*c), 2);
  EXPECT_THAT(c->log(), HasSubstr("SIMULATION MODE"));

  const std::string raw = manifest_with_recovery_key();
  const std::string body = manifest_body(raw);
  HttpResult set = curl_https(c->client_url() + "/api/v2/manifest", &body);
  ASSERT_EQ(set.status, 200) << set.body;
  const std::string secret_b64 = data_of(set)["RecoverySecrets"]["officer1"].get<std::string>();
  EXPECT_EQ(status_code(*c), 3);

  HttpResult get = curl_https(c->client_url() + "/api/v2/manifest");
  ASSERT_EQ(get.status, 200);
  EXPECT_EQ(to_string(*base64_decode(data_of(get)["manifest"].get<std::string>())), raw);
  EXPECT_EQ(data_of(get)["manifestFingerprint"], hex_encode(crypto::sha256(as_bytes(raw))));
  const std::string root = root_pem(*c);
  EXPECT_EQ(curl_https(c->client_url() + "/api/v2/manifest", &body).status, 500);
  HttpResult unknown = curl_https(c->client_url() + "/api/v2/nope");
  EXPECT_EQ(unknown.status, 405);
  EXPECT_EQ(unknown.body, "{\"status\":\"error\",\"data\":null}\n");
  EXPECT_EQ(c->stop(), 0);

  // Restart: same state, same root.
  c = CoordinatorProcess::start({seal_dir});
  EXPECT_EQ(status_code(*c), 3);
  EXPECT_EQ(root_pem(*c), root);
  EXPECT_EQ(
      to_string(*base64_decode(data_of(curl_https(c->client_url() + "/api/v2/manifest"))["manifest"]
                                   .get<std::string>())),
      raw);
  c->stop();

  // Seal key lost: recovery with the officer's secret and signature.
  std::filesystem::remove(seal_dir / "seal.key");
  c = CoordinatorProcess::start({seal_dir});
  EXPECT_EQ(status_code(*c), 1);
  EXPECT_NE(root_pem(*c), root);
  auto key = *crypto::PrivateKey::from_pem(source("tests/testdata/keys/recovery_1.key.pem"));
  auto plain = *crypto::rsa_oaep_decrypt(key, *base64_decode(secret_b64));
  auto sig = *crypto::sign(key, plain.span(), crypto::HashAlg::kSha256);
  const std::string recover = gojson::Json{
      {"recoverySecret", base64_encode(plain.span())},
      {"recoverySecretSignature",
       base64_encode(sig)}}.dump();
  HttpResult rec = curl_https(c->client_url() + "/api/v2/recover", &recover);
  ASSERT_EQ(rec.status, 200) << rec.body;
  EXPECT_EQ(data_of(rec)["remaining"], 0);
  EXPECT_EQ(data_of(rec)["message"], "Recovery successful.");
  EXPECT_EQ(status_code(*c), 3);
  EXPECT_EQ(root_pem(*c), root);
  c->stop();
  c = CoordinatorProcess::start({seal_dir});
  EXPECT_EQ(status_code(*c), 3);
  EXPECT_EQ(root_pem(*c), root);
}

// SIGKILL at increasing delays into a manifest POST: after a restart the Coordinator holds either
// no manifest (state 2) or exactly the posted one (state 3), never anything in between. The last
// run kills only after the answer (-1), so that a loaded machine still shows both outcomes.
TEST(CoordinatorProcess, KilledDuringManifestPost) {
  const std::string raw = source("samples/full.json");
  const std::string body = manifest_body(raw);
  bool saw_old = false, saw_new = false;
  for (int delay_ms : {0, 1, 3, 6, 10, 15, 25, 40, 60, 100, 200, 400, -1}) {
    mr::testing::TempDir dir;
    const auto seal_dir = dir.path() / "data";
    auto c = CoordinatorProcess::start({seal_dir});
    std::thread post([&] { (void)curl_https(c->client_url() + "/api/v2/manifest", &body); });
    if (delay_ms < 0) post.join();
    std::this_thread::sleep_for(std::chrono::milliseconds(std::max(delay_ms, 0)));
    c->kill();
    if (post.joinable()) post.join();
    c = CoordinatorProcess::start({seal_dir});
    const int state = status_code(*c);
    if (state == 3) {
      saw_new = true;
      EXPECT_EQ(to_string(*base64_decode(
                    data_of(curl_https(c->client_url() + "/api/v2/manifest"))["manifest"]
                        .get<std::string>())),
                raw)
          << "delay " << delay_ms;
    } else {
      saw_old = true;
      EXPECT_EQ(state, 2) << "delay " << delay_ms;
    }
  }
  EXPECT_TRUE(saw_old);
  EXPECT_TRUE(saw_new);
}

TEST(CoordinatorProcess, RefusesToStartWithoutTeeOrWithBadConfig) {
  mr::testing::TempDir dir;
  auto [rc, out] = run_command(
      {std::string(MR_BINARY_DIR) + "/bin/marblerun-coordinator-sim"},
      {{"OE_SIMULATION", "0"}, {"EDG_COORDINATOR_SEAL_DIR", (dir.path() / "d").string()}});
  EXPECT_EQ(rc, 1);
  EXPECT_THAT(out, HasSubstr("no TEE found"));
  EXPECT_THAT(out, HasSubstr("OE_SIMULATION=1"));
  auto [rc2, out2] = run_command(
      {std::string(MR_BINARY_DIR) + "/bin/marblerun-coordinator-sim", "--client-addr", "nonsense"},
      {{"OE_SIMULATION", "1"}, {"EDG_COORDINATOR_SEAL_DIRR", "x"}});
  EXPECT_EQ(rc2, 2);
  EXPECT_THAT(out2, HasSubstr("EDG_COORDINATOR_CLIENT_ADDR: missing port"));
  EXPECT_THAT(out2, HasSubstr("unknown environment variable EDG_COORDINATOR_SEAL_DIRR"));
}

}  // namespace
}  // namespace mr::test
