// POST /api/v2/sign-quote and POST /api/v2/monotonic-counter through the real
// marblerun-coordinator-sim process (issue 15), with the simulated DCAP PKI: the Coordinator
// verifies real quotes; a Marble activates through libmarble (a real quote over its certificate)
// and then sets and raises a counter through libmarble's set_monotonic_counter, which survives a
// restart of the Coordinator.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "attestation/simulated/simulated_dcap.h"
#include "base/clock.h"
#include "base/encoding.h"
#include "base/testing/temp_dir.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "crypto/x509.h"
#include "gojson/go_json.h"
#include "marble/activation.h"
#include "marble/monotonic_counter.h"
#include "support/process.h"

namespace mr::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace sim = attestation::simulated;
using Json = gojson::Json;

// The Marble's simulated enclave and the package the manifest asks for.
const sim::SimulatedEnclave kEnclave = [] {
  sim::SimulatedEnclave e;
  e.mr_signer.fill(0xbb);
  e.isv_prod_id = 3;
  e.isv_svn = 2;
  return e;
}();

std::string manifest_body() {
  const Json pkg = {{"SignerID", std::string(64, 'b')}, {"ProductID", 3}, {"SecurityVersion", 2}};
  const Json m = {{"Packages", {{"pkg", pkg}}},
                  {"Marbles", {{"app", {{"Package", "pkg"}}}}},
                  {"Config", {{"FeatureGates", {"SignQuoteEndpoint", "MonotonicCounter"}}}}};
  return Json{{"manifest", base64_encode(as_bytes(m.dump()))}}.dump();
}

class FeatureEndpointsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = sim::SimulatedDcapPki::create({SystemClock().now(), {}, {}});
    ASSERT_TRUE(pki) << pki.error().message;
    pki_ = std::move(*pki);
    pki_path_ = dir_.path() / "pki.json";
    std::ofstream(pki_path_) << pki_->to_json();
    start();
  }
  void start() {
    coordinator_ = CoordinatorProcess::start(
        {dir_.path() / "state",
         {{"OE_SIMULATION", "0"}, {"EDG_COORDINATOR_SIMULATED_DCAP_PKI", pki_path_.string()}}});
    ASSERT_GT(coordinator_->mesh_port(), 0);
  }
  std::string endpoint() const {
    return "127.0.0.1:" + std::to_string(coordinator_->client_port());
  }
  HttpResult post(const std::string& path, const std::string& body) {
    return curl_https(coordinator_->client_url() + path, &body);
  }
  // root returns the Coordinator root certificate from GET /api/v2/quote (PEM intermediate, root).
  crypto::Certificate root() {
    const HttpResult r = curl_https(coordinator_->client_url() + "/api/v2/quote");
    EXPECT_EQ(r.status, 200) << r.body;
    const auto chain =
        crypto::Certificate::chain_from_pem(Json::parse(r.body)["data"]["cert"].get<std::string>());
    EXPECT_TRUE(chain && chain->size() == 2);
    return chain->back();
  }
  // activate activates Marble "app" in this process through libmarble, quoting with the PKI.
  marble::Parameters activate() {
    sim::SimulatedDcapIssuer issuer(pki_, kEnclave);
    marble::ActivationOptions options;
    options.coordinator_addr = "127.0.0.1:" + std::to_string(coordinator_->mesh_port());
    options.marble_type = "app";
    options.uuid_file = dir_.path() / "uuid";
    auto p = marble::activate(options, issuer);
    EXPECT_TRUE(p) << p.error().message;
    return p ? std::move(*p) : marble::Parameters{};
  }
  static marble::MarbleCredentials credentials(const marble::Parameters& p) {
    auto c = marble::credentials_from_environment(p.env);
    EXPECT_TRUE(c) << c.error().message;
    return c ? std::move(*c) : marble::MarbleCredentials{};
  }

  mr::testing::TempDir dir_;
  std::shared_ptr<sim::SimulatedDcapPki> pki_;
  std::filesystem::path pki_path_;
  std::unique_ptr<CoordinatorProcess> coordinator_;
};

TEST_F(FeatureEndpointsTest, GatesAreOffWithoutAManifest) {
  const HttpResult sq = post("/api/v2/sign-quote", R"({"sgxQuote":""})");
  EXPECT_EQ(sq.status, 403);
  EXPECT_THAT(sq.body, HasSubstr("SignQuoteEndpoint feature is not enabled in the manifest"));
  const HttpResult mc = post("/api/v2/monotonic-counter", R"({"name":"c","value":1})");
  EXPECT_EQ(mc.status, 403);
  EXPECT_THAT(mc.body, HasSubstr("MonotonicCounter feature is not enabled in the manifest"));
  // v2 only.
  EXPECT_EQ(post("/sign-quote", R"({"sgxQuote":""})").status, 405);
  EXPECT_EQ(post("/monotonic-counter", R"({"name":"c","value":1})").status, 405);
}

TEST_F(FeatureEndpointsTest, SignsARealQuoteAndRefusesATamperedOne) {
  ASSERT_EQ(post("/api/v2/manifest", manifest_body()).status, 200);
  const Bytes quote = *pki_->sgx_quote(kEnclave, as_bytes("a Gramine app's report data"));
  const HttpResult r = post("/api/v2/sign-quote", Json{{"sgxQuote", base64_encode(quote)}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  const Json data = Json::parse(r.body)["data"];
  EXPECT_EQ(data["tcbStatus"], "UpToDate");
  // What the SDK's VerifySignedQuote checks, with the root the client attested.
  const Bytes signature = *base64_decode(data["verificationSignature"].get<std::string>());
  const auto digest = crypto::sha256(as_bytes(base64_encode(quote) + "UpToDate"));
  EXPECT_TRUE(
      crypto::verify_digest(root().public_key(), digest, signature, crypto::HashAlg::kSha256));
  EXPECT_FALSE(crypto::verify_digest(root().public_key(),
                                     crypto::sha256(as_bytes(base64_encode(quote) + "OutOfDate")),
                                     signature, crypto::HashAlg::kSha256));

  Bytes tampered = quote;
  tampered[60] ^= 0x01;  // the report body: the signature no longer matches
  const HttpResult bad =
      post("/api/v2/sign-quote", Json{{"sgxQuote", base64_encode(tampered)}}.dump());
  EXPECT_EQ(bad.status, 400);
  const Json j = Json::parse(bad.body);
  EXPECT_EQ(j["status"], "fail");
  EXPECT_EQ(j["message"], "quote verification failed");
  EXPECT_THAT(j["data"]["sgxQuote"].get<std::string>(), StartsWith("quote verification failed: "));
}

TEST_F(FeatureEndpointsTest, AMarbleSetsAndRaisesACounterThroughLibmarble) {
  ASSERT_EQ(post("/api/v2/manifest", manifest_body()).status, 200);
  const marble::Parameters params = activate();
  const marble::MarbleCredentials creds = credentials(params);

  auto set = [&](std::uint64_t value) {
    auto r = marble::set_monotonic_counter(endpoint(), creds, "db-version", value);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : ~std::uint64_t{0};
  };
  EXPECT_EQ(set(5), 0u);   // unset: 0, now 5
  EXPECT_EQ(set(3), 5u);   // lower: unchanged
  EXPECT_EQ(set(5), 5u);   // equal: unchanged
  EXPECT_EQ(set(12), 5u);  // raised
  EXPECT_EQ(set(0), 12u);

  // Without a Marble certificate the Coordinator refuses (curl presents none).
  const HttpResult anonymous =
      post("/api/v2/monotonic-counter", R"({"name":"db-version","value":99})");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_THAT(anonymous.body, HasSubstr("unauthorized marble"));

  // The counter is part of the sealed state: a restarted Coordinator still has it.
  ASSERT_EQ(coordinator_->stop(), 0);
  start();
  EXPECT_EQ(set(1), 12u);
}

TEST_F(FeatureEndpointsTest, LibmarbleReadsTheMarbleEnvironmentLikeUpstream) {
  ASSERT_EQ(post("/api/v2/manifest", manifest_body()).status, 200);
  ::unsetenv("MARBLE_PREDEFINED_MARBLE_CERTIFICATE_CHAIN");
  auto missing = marble::set_monotonic_counter(endpoint(), "c", 1);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message,
            "getting credentials from secure environment: environment variable not set: "
            "MARBLE_PREDEFINED_MARBLE_CERTIFICATE_CHAIN");

  const marble::Parameters params = activate();
  for (const char* name :
       {"MARBLE_PREDEFINED_MARBLE_CERTIFICATE_CHAIN", "MARBLE_PREDEFINED_PRIVATE_KEY",
        "MARBLE_PREDEFINED_COORDINATOR_ROOT_CA"})
    ASSERT_EQ(::setenv(name, params.env.at(name).c_str(), 1), 0);
  auto first = marble::set_monotonic_counter(endpoint(), "c", 7);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(*first, 0u);
  EXPECT_EQ(*marble::set_monotonic_counter(endpoint(), "c", 8), 7u);
  for (const char* name :
       {"MARBLE_PREDEFINED_MARBLE_CERTIFICATE_CHAIN", "MARBLE_PREDEFINED_PRIVATE_KEY",
        "MARBLE_PREDEFINED_COORDINATOR_ROOT_CA"})
    ::unsetenv(name);
}

TEST_F(FeatureEndpointsTest, LibmarbleRefusesACoordinatorItDoesNotTrust) {
  ASSERT_EQ(post("/api/v2/manifest", manifest_body()).status, 200);
  const marble::Parameters params = activate();
  marble::MarbleCredentials creds = credentials(params);
  // Another Coordinator's root (the Marble root is not the Coordinator root either).
  creds.coordinator_root_pem = params.env.at("MARBLE_PREDEFINED_ROOT_CA");
  auto r = marble::set_monotonic_counter(endpoint(), creds, "c", 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied) << r.error().message;
}

}  // namespace
}  // namespace mr::test
