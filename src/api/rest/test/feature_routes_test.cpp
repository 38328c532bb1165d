// POST /api/v2/sign-quote and POST /api/v2/monotonic-counter over real HTTPS against a real Core
// (spec 3.6): feature gates (403), the exact JSend bodies, quotes of the simulated DCAP PKI,
// Marble client certificates, and what an outsider presents instead.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/rest/client_routes.h"
#include "api/rest/core_identity.h"
#include "api/rest/rest_server.h"
#include "attestation/sgx_dcap/dcap_verifier.h"
#include "attestation/simulated/no_tee_issuer.h"
#include "attestation/simulated/simulated_dcap.h"
#include "base/clock.h"
#include "base/encoding.h"
#include "base/testing/temp_dir.h"
#include "core/client_api.h"
#include "core/core.h"
#include "core/feature_api.h"
#include "core/marble_api.h"
#include "core/secret_api.h"
#include "core/update_api.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "crypto/pem.h"
#include "https_client.h"
#include "seal/file_seal_key_provider.h"
#include "store/memory/memory_store.h"

namespace mr::api::rest {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::ClientCertificate;
using testing::RawResponse;
namespace sim = attestation::simulated;
namespace dcap = attestation::dcap;

constexpr char kUuid[] = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
constexpr char kGated[] = R"({
  "Packages": {"backend": {"UniqueID": "1111111111111111111111111111111111111111111111111111111111111111"}},
  "Marbles": {"backend": {"Package": "backend"}},
  "Config": {"FeatureGates": ["SignQuoteEndpoint", "MonotonicCounter"]}
})";
constexpr char kUngated[] = R"({
  "Packages": {"backend": {"UniqueID": "1111111111111111111111111111111111111111111111111111111111111111"}},
  "Marbles": {"backend": {"Package": "backend"}}
})";

std::string error_body(std::string_view message) {
  return R"({"status":"error","data":null,"message":")" + std::string(message) + "\"}\n";
}

class FeatureRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = sim::SimulatedDcapPki::create({.now = clock_.now()});
    ASSERT_TRUE(pki) << pki.error().message;
    pki_ = std::move(*pki);
    auto v = pki_->verifier(&clock_);
    ASSERT_TRUE(v) << v.error().message;
    verifier_ = std::move(*v);
    seal_keys_ = std::make_unique<seal::FileSealKeyProvider>(dir_.path());
    auto core = core::Core::start(
        core::CoreDeps{&clock_, &persistent_, &volatile_, seal_keys_.get(), &issuer_},
        core::CoreConfig{.simulation = true});
    ASSERT_TRUE(core) << core.error().message;
    core_ = std::move(*core);
    client_ = std::make_unique<core::ClientApi>(*core_);
    secrets_ = std::make_unique<core::SecretApi>(*core_);
    updates_ = std::make_unique<core::UpdateApi>(*core_);
    features_ = std::make_unique<core::FeatureApi>(*core_, verifier_.get());
    RestServerConfig config;
    config.address = "127.0.0.1:0";
    config.read_timeout = 2s;
    config.keep_alive_timeout = 1s;
    config.worker_threads = 2;
    auto server =
        RestServer::create(config, client_router({*client_, *secrets_, *updates_, features_.get()}),
                           core_tls_identity(*core_));
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(*server);
    ASSERT_TRUE(server_->start());
  }
  void TearDown() override { server_.reset(); }

  void set_manifest(const char* raw) { ASSERT_TRUE(client_->set_manifest(raw)); }
  std::optional<RawResponse> post(std::string_view target, std::string_view body,
                                  const ClientCertificate* cert = nullptr) {
    return testing::request(server_->port(), "POST", target, body, {}, cert);
  }
  // marble activates a Marble of type "backend" and returns its TLS credentials.
  ClientCertificate marble(const std::string& uuid = kUuid) {
    auto key = *crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP256));
    crypto::CertTemplate t;
    t.subject.common_name = "MarbleRun Marble";
    t.not_before = clock_.now();
    t.not_after = clock_.now() + std::chrono::hours(24);
    auto self = *crypto::create_certificate(t, key.public_key(), nullptr, key);
    core::MarbleApi marbles(*core_, nullptr);
    auto a = marbles.activate(
        {{}, *crypto::create_csr(key, {}, {"backend"}, {}), "backend", uuid, self.der()});
    EXPECT_TRUE(a) << a.error().message;
    if (!a) return {};
    auto chain = crypto::Certificate::chain_from_pem(
        a->env.at("MARBLE_PREDEFINED_MARBLE_CERTIFICATE_CHAIN"));
    return {(*chain)[0].pem(), a->env.at("MARBLE_PREDEFINED_PRIVATE_KEY"), ""};
  }
  json success_data(const std::optional<RawResponse>& r) {
    EXPECT_TRUE(r);
    if (!r) return nullptr;
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->header("Content-Type"), "application/json");
    json j = json::parse(r->body);
    EXPECT_EQ(j["status"], "success");
    return j["data"];
  }
  std::string counter_body(std::string_view name, std::uint64_t value) {
    return json{{"name", name}, {"value", value}}.dump();
  }

  mr::testing::TempDir dir_;
  SystemClock clock_;
  store::MemoryStore persistent_, volatile_;
  sim::NoTeeIssuer issuer_;
  std::shared_ptr<sim::SimulatedDcapPki> pki_;
  std::unique_ptr<attestation::QuoteVerifier> verifier_;
  std::unique_ptr<seal::FileSealKeyProvider> seal_keys_;
  std::unique_ptr<core::Core> core_;
  std::unique_ptr<core::ClientApi> client_;
  std::unique_ptr<core::SecretApi> secrets_;
  std::unique_ptr<core::UpdateApi> updates_;
  std::unique_ptr<core::FeatureApi> features_;
  std::unique_ptr<RestServer> server_;
};

TEST_F(FeatureRoutesTest, GatesOffAnswer403BeforeAnythingElse) {
  for (const char* manifest : {static_cast<const char*>(nullptr), kUngated}) {
    if (manifest) set_manifest(manifest);
    auto sq = post("/api/v2/sign-quote", "not even JSON");
    ASSERT_TRUE(sq);
    EXPECT_EQ(sq->status, 403);
    EXPECT_EQ(sq->header("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(sq->body, error_body("SignQuoteEndpoint feature is not enabled in the manifest"));
    auto mc = post("/api/v2/monotonic-counter", counter_body("c", 1));  // no certificate either
    ASSERT_TRUE(mc);
    EXPECT_EQ(mc->status, 403);
    EXPECT_EQ(mc->body, error_body("MonotonicCounter feature is not enabled in the manifest"));
  }
}

TEST_F(FeatureRoutesTest, OnlyPostOnV2) {
  set_manifest(kGated);
  for (auto [method, path] :
       std::vector<std::pair<const char*, const char*>>{{"GET", "/api/v2/sign-quote"},
                                                        {"GET", "/api/v2/monotonic-counter"},
                                                        {"POST", "/sign-quote"},
                                                        {"POST", "/monotonic-counter"},
                                                        {"PUT", "/api/v2/sign-quote"}}) {
    auto r = testing::request(server_->port(), method, path, "{}");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 405) << method << " " << path;
  }
}

TEST_F(FeatureRoutesTest, SignsARawSgxQuote) {
  set_manifest(kGated);
  const Bytes quote = *pki_->sgx_quote({}, as_bytes("nonce"));
  auto r = post("/api/v2/sign-quote", json{{"sgxQuote", base64_encode(quote)}}.dump());
  ASSERT_TRUE(r);
  // Go's field order: tcbStatus, then verificationSignature.
  EXPECT_TRUE(r->body.starts_with(
      R"({"status":"success","data":{"tcbStatus":"UpToDate","verificationSignature":")"))
      << r->body;
  const json d = success_data(r);
  const Bytes signature = *base64_decode(d["verificationSignature"].get<std::string>());
  const std::string text = base64_encode(quote) + "UpToDate";
  EXPECT_TRUE(crypto::verify_digest(core_->snapshot()->ca->root.public_key(),
                                    crypto::sha256(as_bytes(text)), signature,
                                    crypto::HashAlg::kSha256));
}

TEST_F(FeatureRoutesTest, SignQuoteInputAndVerificationFailures) {
  set_manifest(kGated);
  auto bad_json = post("/api/v2/sign-quote", "{");
  ASSERT_TRUE(bad_json);
  EXPECT_EQ(bad_json->status, 400);
  EXPECT_EQ(bad_json->header("Content-Type"), "application/json");
  EXPECT_EQ(
      bad_json->body,
      R"({"status":"fail","data":{"sgxQuote":"failed to parse JSON data"},"message":"bad request: unexpected EOF"})"
      "\n");
  auto bad_b64 = post("/api/v2/sign-quote", R"({"sgxQuote":"%%%"})");
  ASSERT_TRUE(bad_b64);
  EXPECT_EQ(bad_b64->status, 400);
  EXPECT_EQ(json::parse(bad_b64->body)["data"]["sgxQuote"], "failed to parse JSON data");

  Bytes tampered = *pki_->sgx_quote({}, as_bytes("nonce"));
  tampered[100] ^= 0x80;
  auto bad = post("/api/v2/sign-quote", json{{"sgxQuote", base64_encode(tampered)}}.dump());
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  const json j = json::parse(bad->body);
  EXPECT_EQ(j["status"], "fail");
  EXPECT_EQ(j["message"], "quote verification failed");
  EXPECT_TRUE(j["data"]["sgxQuote"].get<std::string>().starts_with("quote verification failed: "))
      << bad->body;
}

TEST_F(FeatureRoutesTest, MarbleRaisesItsCounter) {
  set_manifest(kGated);
  const ClientCertificate m = marble();
  auto value = [&](std::uint64_t v) {
    return success_data(post("/api/v2/monotonic-counter", counter_body("db", v), &m));
  };
  EXPECT_EQ(value(5), json({{"value", 0}}));
  EXPECT_EQ(value(2), json({{"value", 5}}));
  EXPECT_EQ(value(5), json({{"value", 5}}));
  EXPECT_EQ(value(6), json({{"value", 5}}));
  EXPECT_EQ(value(0), json({{"value", 6}}));
  // Another Marble (other UUID) has a counter of its own.
  const ClientCertificate other = marble("00000000-0000-0000-0000-000000000001");
  EXPECT_EQ(success_data(post("/api/v2/monotonic-counter", counter_body("db", 1), &other)),
            json({{"value", 0}}));

  auto bad_body = post("/api/v2/monotonic-counter", R"({"name":"db","value":-1})", &m);
  ASSERT_TRUE(bad_body);
  EXPECT_EQ(bad_body->status, 400);
  EXPECT_EQ(json::parse(bad_body->body)["status"], "fail");
}

TEST_F(FeatureRoutesTest, OutsidersCannotTouchCounters) {
  set_manifest(kGated);
  auto expect_401 = [&](const ClientCertificate* cert, std::string_view why) {
    auto r = post("/api/v2/monotonic-counter", counter_body("db", 1), cert);
    ASSERT_TRUE(r) << why;
    EXPECT_EQ(r->status, 401) << why;
    const json j = json::parse(r->body);
    EXPECT_EQ(j["status"], "fail") << why;
    EXPECT_TRUE(j["message"].get<std::string>().starts_with("unauthorized marble: ")) << r->body;
  };
  expect_401(nullptr, "no certificate");
  // A forged "Marble" certificate: UUID CN and the type extension, but self-signed.
  auto key = *crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP256));
  crypto::CertTemplate t;
  t.subject.common_name = kUuid;
  t.not_before = clock_.now() - std::chrono::hours(1);
  t.not_after = clock_.now() + std::chrono::hours(24);
  t.extra_extensions.push_back({std::string(core::kMarbleTypeOid), false, to_bytes("backend")});
  auto forged = *crypto::create_certificate(t, key.public_key(), nullptr, key);
  const ClientCertificate outsider{forged.pem(), to_string(key.to_pem().span()), ""};
  expect_401(&outsider, "self-signed look-alike");
  // The outsider appends a real Marble's (public) certificate to its chain: only the leaf counts.
  const ClientCertificate real = marble();
  ClientCertificate appended = outsider;
  appended.chain_pem = real.cert_pem;
  expect_401(&appended, "real Marble certificate appended");
  // The counter of the real Marble is untouched.
  EXPECT_EQ(success_data(post("/api/v2/monotonic-counter", counter_body("db", 0), &real)),
            json({{"value", 0}}));
}

}  // namespace
}  // namespace mr::api::rest
