// Issue 5 through the real coordinator process and curl with client certificates: user-defined
// secrets with RBAC, authentication by the TLS leaf only, multi-party updates with acknowledge
// and cancel, the update log, and all of it across a restart.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "attestation/simulated/simulated_dcap.h"
#include "base/clock.h"
#include "base/encoding.h"
#include "base/testing/temp_dir.h"
#include "gojson/go_json.h"
#include "support/process.h"
#include "support/rest_helpers.h"

namespace mr::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class UsersUpdates : public ::testing::Test {
 protected:
  void SetUp() override {
    c_ = CoordinatorProcess::start({dir_.path() / "data"});
    const std::string body = b64_body(users_manifest().dump());
    ASSERT_EQ(curl_https(c_->client_url() + "/api/v2/manifest", &body).status, 200);
  }
  HttpResult get(const std::string& path, const std::vector<std::string>& extra = {}) {
    return curl_https(c_->client_url() + path, nullptr, extra);
  }
  HttpResult post(const std::string& path, const std::string& body,
                  const std::vector<std::string>& extra = {}) {
    return curl_https(c_->client_url() + path, &body, extra);
  }
  mr::testing::TempDir dir_;
  std::unique_ptr<CoordinatorProcess> c_;
};

TEST_F(UsersUpdates, SecretsWithRbacAndLeafOnlyAuthentication) {
  const std::string upload =
      gojson::Json{{"secrets", {{"token", {{"Key", base64_encode(as_bytes("t0p-s3cret"))}}}}}}
          .dump();
  HttpResult set = post("/api/v2/secrets", upload, as_user("alice"));
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.body, "{\"status\":\"success\",\"data\":null}\n");

  HttpResult read = get("/api/v2/secrets?s=token", as_user("alice"));
  ASSERT_EQ(read.status, 200) << read.body;
  const auto token = json_of(read)["data"]["secrets"]["token"];
  EXPECT_EQ(token["Type"], "plain");
  EXPECT_EQ(token["UserDefined"], true);
  EXPECT_EQ(to_string(*base64_decode(token["Public"].get<std::string>())), "t0p-s3cret");

  HttpResult bob = get("/api/v2/secrets?s=token", as_user("bob"));
  EXPECT_EQ(bob.status, 500);
  EXPECT_EQ(json_of(bob)["message"],
            "user bob is not allowed to read one or more secrets of: [token]");

  HttpResult anonymous = get("/api/v2/secrets?s=token");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(json_of(anonymous)["status"], "fail");
  EXPECT_EQ(json_of(anonymous)["message"],
            "unauthorized user: client certificate did not match any MarbleRun users");

  // carol holds her own key and appends alice's (public) certificate to her chain: still carol.
  const std::string chain = (dir_.path() / "chain.pem").string();
  std::ofstream(chain) << read_file(testdata_key("carol.cert.pem"))
                       << read_file(testdata_key("alice.cert.pem"));
  HttpResult impostor =
      get("/api/v2/secrets?s=token", {"--cert", chain, "--key", testdata_key("carol.key.pem")});
  EXPECT_EQ(impostor.status, 401) << impostor.body;
  // alice's certificate with another key cannot even complete the handshake.
  HttpResult stolen = get("/api/v2/secrets?s=token", {"--cert", testdata_key("alice.cert.pem"),
                                                      "--key", testdata_key("carol.key.pem")});
  EXPECT_NE(stolen.status, 200);

  EXPECT_EQ(get("/api/v2/secrets", as_user("alice")).status, 400);
  EXPECT_EQ(json_of(get("/api/v2/secrets?s=", as_user("alice")))["message"],
            "malformed query string: empty query parameter");
  // The secret and its base64 form never reach the Coordinator's log.
  const std::string log = c_->log();
  EXPECT_EQ(log.find("t0p-s3cret"), std::string::npos);
  EXPECT_EQ(log.find(base64_encode(as_bytes("t0p-s3cret"))), std::string::npos);
  // v1 shape: the map itself.
  HttpResult v1 = get("/secrets?s=token", as_user("alice"));
  ASSERT_EQ(v1.status, 200);
  EXPECT_TRUE(json_of(v1)["data"].contains("token"));
}

TEST_F(UsersUpdates, MultiPartyRoundsAndTheLogSurviveARestart) {
  gojson::Json next = users_manifest();
  next["Secrets"]["added"] = {{"Type", "symmetric-key"}, {"Size", 256}, {"Shared", true}};
  const std::string raw = next.dump(2);

  HttpResult apply = post("/api/v2/update", b64_body(raw), as_user("alice"));
  ASSERT_EQ(apply.status, 200) << apply.body;
  EXPECT_EQ(json_of(apply)["data"]["missingAcknowledgments"], 1);
  EXPECT_EQ(json_of(apply)["data"]["missingUsers"], gojson::Json({"bob"}));

  HttpResult pending = get("/api/v2/update-manifest");
  ASSERT_EQ(pending.status, 200);
  EXPECT_EQ(json_of(pending)["data"]["message"],
            "1 user still needs to acknowledge the update manifest");
  EXPECT_EQ(json_of(pending)["data"]["missingUsers"], gojson::Json({"bob"}));
  EXPECT_EQ(to_string(*base64_decode(json_of(pending)["data"]["manifest"].get<std::string>())),
            raw);

  EXPECT_EQ(post("/api/v2/update-manifest", b64_body(next.dump()), as_user("bob")).status,
            500);  // other bytes
  HttpResult ack = post("/api/v2/update-manifest", b64_body(raw), as_user("bob"));
  ASSERT_EQ(ack.status, 200) << ack.body;
  EXPECT_EQ(json_of(ack)["data"]["message"],
            "All users have acknowledged the update manifest. Update successfully applied");
  EXPECT_EQ(to_string(*base64_decode(
                json_of(get("/api/v2/manifest"))["data"]["manifest"].get<std::string>())),
            raw);
  EXPECT_EQ(get("/api/v2/update-manifest").status, 404);

  // Round two, cancelled by bob.
  gojson::Json third = next;
  third["Secrets"].erase("added");
  ASSERT_EQ(post("/api/v2/update", b64_body(third.dump()), as_user("alice")).status, 200);
  HttpResult cancel = post("/api/v2/update-cancel", "", as_user("bob"));
  ASSERT_EQ(cancel.status, 200) << cancel.body;
  EXPECT_EQ(json_of(cancel)["data"]["message"], "Update successfully cancelled");
  EXPECT_EQ(post("/api/v2/update-cancel", "", as_user("bob")).status, 404);

  c_->stop();
  c_ = CoordinatorProcess::start({dir_.path() / "data"});
  EXPECT_EQ(to_string(*base64_decode(
                json_of(get("/api/v2/manifest"))["data"]["manifest"].get<std::string>())),
            raw);
  HttpResult log = get("/api/v2/update");
  ASSERT_EQ(log.status, 200);
  std::vector<std::string> events;
  const gojson::Json log_json = json_of(log);
  for (const auto& line : log_json["data"]["updateLog"]) {
    events.push_back(gojson::Json::parse(line.get<std::string>())["update"]);
  }
  EXPECT_THAT(events, ElementsAre("Initial manifest set",
                                  "Complete Manifest update initiated by user. Waiting for "
                                  "acknowledgments to apply the update",
                                  "Complete Manifest update acknowledged by user",
                                  "Complete Manifest updated",
                                  "Complete Manifest update initiated by user. Waiting for "
                                  "acknowledgments to apply the update",
                                  "Complete Manifest update cancelled by user"));
  HttpResult v1_log = get("/update");
  ASSERT_EQ(v1_log.status, 200);
  EXPECT_TRUE(json_of(v1_log)["data"].is_string());
}

// A package update with real (simulated-DCAP) quotes through marblerun-premain: SecurityVersion
// 3 is admitted, then refused after the update to 4, which admits 4; the root certificate stays
// and the intermediate changes.
TEST(PackageUpdate, SecurityVersionWithRealQuotes) {
  mr::testing::TempDir dir;
  auto pki = attestation::simulated::SimulatedDcapPki::create({SystemClock().now(), {}, {}});
  ASSERT_TRUE(pki) << pki.error().message;
  const std::string pki_path = (dir.path() / "pki.json").string();
  std::ofstream(pki_path) << (*pki)->to_json();
  auto c = CoordinatorProcess::start(
      {dir.path() / "state",
       {{"OE_SIMULATION", "0"}, {"EDG_COORDINATOR_SIMULATED_DCAP_PKI", pki_path}}});
  const std::string signer(64, 'b');
  const gojson::Json m = {
      {"Packages", {{"pkg", {{"SignerID", signer}, {"ProductID", 3}, {"SecurityVersion", 3}}}}},
      {"Marbles", {{"app", {{"Package", "pkg"}}}}},
      {"Users",
       {{"alice",
         {{"Certificate", read_file(testdata_key("alice.cert.pem"))}, {"Roles", {"pkg"}}}}}},
      {"Roles",
       {{"pkg",
         {{"ResourceType", "Packages"},
          {"ResourceNames", {"pkg"}},
          {"Actions", {"UpdateSecurityVersion"}}}}}}};
  const std::string body = b64_body(m.dump());
  ASSERT_EQ(curl_https(c->client_url() + "/api/v2/manifest", &body).status, 200);

  auto activate = [&](const std::string& svn) {
    const auto work = dir.path() / ("marble-" + svn + "-" + std::to_string(std::rand()));
    std::filesystem::create_directories(work);
    return run_command_split(
        {std::string(MR_BINARY_DIR) + "/bin/marblerun-premain", "--", "/bin/true"},
        {{"EDG_MARBLE_TYPE", "app"},
         {"EDG_MARBLE_COORDINATOR_ADDR", "127.0.0.1:" + std::to_string(c->mesh_port())},
         {"EDG_MARBLE_UUID_FILE", (work / "uuid").string()},
         {"EDG_MARBLE_SIMULATED_DCAP_PKI", pki_path},
         {"EDG_MARBLE_SIMULATED_MRSIGNER", signer},
         {"EDG_MARBLE_SIMULATED_PRODUCT_ID", "3"},
         {"EDG_MARBLE_SIMULATED_SVN", svn}},
        work);
  };
  auto chain = [&] {
    return json_of(curl_https(c->client_url() + "/api/v2/quote"))["data"]["cert"]
        .get<std::string>();
  };
  EXPECT_EQ(activate("3").exit_code, 0) << activate("3").err;
  const std::string before = chain();

  const std::string update = b64_body(R"({"Packages":{"pkg":{"SecurityVersion":4}}})");
  HttpResult r = curl_https(c->client_url() + "/api/v2/update", &update, as_user("alice"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_of(r)["data"]["missingAcknowledgments"], 0);

  const CommandResult old_marble = activate("3");
  EXPECT_EQ(old_marble.exit_code, 1);
  EXPECT_THAT(old_marble.err, HasSubstr("PERMISSION_DENIED"));
  EXPECT_EQ(activate("4").exit_code, 0);
  const std::string after = chain();
  const auto root_of = [](const std::string& pem) { return pem.substr(pem.find("-----BEGIN", 1)); };
  EXPECT_EQ(root_of(after), root_of(before));
  EXPECT_NE(after.substr(0, after.find("-----BEGIN", 1)),
            before.substr(0, before.find("-----BEGIN", 1)));
}

}  // namespace
}  // namespace mr::test
