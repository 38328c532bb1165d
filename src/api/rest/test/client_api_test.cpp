// The client API over real HTTPS against a real Core (memory stores, file seal key, no TEE):
// the wire format of every v2 and v1 endpoint of spec 3.6/3.7, the TLS identity, recovery.
#include "core/client_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/rest/client_routes.h"
#include "api/rest/core_identity.h"
#include "api/rest/rest_server.h"
#include "base/clock.h"
#include "base/encoding.h"
#include "base/testing/temp_dir.h"
#include "core/core.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "https_client.h"
#include "seal/file_seal_key_provider.h"
#include "store/memory/memory_store.h"

namespace mr::api::rest {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::RawResponse;

class NoTeeIssuer final : public attestation::QuoteIssuer {
 public:
  Result<Bytes> issue(ByteSpan) override {
    return fail(ErrorCode::kUnimplemented, std::string(attestation::kNoTeeMessage));
  }
};

std::string source_file(const std::string& rel) {
  return testing::read_file(std::string(MR_SOURCE_DIR) + "/" + rel);
}
crypto::PrivateKey recovery_key(int i) {
  return *crypto::PrivateKey::from_pem(
      source_file("tests/testdata/keys/recovery_" + std::to_string(i) + ".key.pem"));
}

constexpr std::string_view kReady = "Coordinator is ready to accept a manifest.";
constexpr std::string_view kRunning =
    "Coordinator is running correctly and ready to accept marbles.";
constexpr std::string_view kWrongState = "server is not in expected state";

std::string error_body(std::string_view message) {
  if (message.empty()) return "{\"status\":\"error\",\"data\":null}\n";
  return R"({"status":"error","data":null,"message":")" + std::string(message) + "\"}\n";
}
std::string fail_body(std::string_view message) {
  return R"({"status":"fail","data":null,"message":")" + std::string(message) + "\"}\n";
}

class ClientApiTest : public ::testing::Test {
 protected:
  void SetUp() override { start(dir_.path() / "seal"); }
  void TearDown() override { stop(); }

  void start(const std::filesystem::path& seal_dir) {
    seal_keys_ = std::make_unique<seal::FileSealKeyProvider>(seal_dir);
    volatile_ = std::make_unique<store::MemoryStore>();
    auto core = core::Core::start(
        core::CoreDeps{&clock_, &persistent_, volatile_.get(), seal_keys_.get(), &issuer_},
        core::CoreConfig{.simulation = true});
    ASSERT_TRUE(core) << core.error().message;
    core_ = std::move(*core);
    api_ = std::make_unique<core::ClientApi>(*core_);
    RestServerConfig config;
    config.address = "127.0.0.1:0";
    config.read_timeout = 2s;
    config.keep_alive_timeout = 1s;
    config.worker_threads = 4;
    auto server =
        RestServer::create(config, Router(client_api_routes(*api_)), core_tls_identity(*core_));
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(*server);
    ASSERT_TRUE(server_->start());
  }
  void stop() {
    server_.reset();
    api_.reset();
    core_.reset();
  }

  std::optional<RawResponse> call(std::string_view method, std::string_view target,
                                  std::string_view body = {}, std::string_view headers = {}) {
    return testing::request(server_->port(), method, target, body, headers);
  }
  // data checks a JSend success and returns its data.
  json data(const std::optional<RawResponse>& r) {
    EXPECT_TRUE(r);
    if (!r) return nullptr;
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->header("Content-Type"), "application/json");
    EXPECT_EQ(r->body.back(), '\n');
    json j = json::parse(r->body);
    EXPECT_EQ(j["status"], "success");
    return j["data"];
  }
  void expect_error(const std::optional<RawResponse>& r, int status, std::string_view message) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status);
    EXPECT_EQ(r->header("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(r->header("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(r->body, error_body(message));
  }
  void expect_fail(const std::optional<RawResponse>& r, std::string_view message) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(r->header("Content-Type"), "application/json");
    EXPECT_EQ(r->body, fail_body(message));
  }

  std::string manifest_body(std::string_view raw) {
    return R"({"manifest":")" + base64_encode(as_bytes(raw)) + "\"}";
  }
  // set_full_manifest posts samples/full.json (v2) and returns the decrypted recovery secrets.
  std::vector<SecretBytes> set_full_manifest() {
    const json d = data(call("POST", "/api/v2/manifest", manifest_body(full_)));
    std::vector<SecretBytes> secrets;
    for (int i = 1; i <= 2; ++i) {
      auto cipher = base64_decode(
          d["RecoverySecrets"]["recoveryOfficer" + std::to_string(i)].get<std::string>());
      EXPECT_TRUE(cipher);
      auto plain = crypto::rsa_oaep_decrypt(recovery_key(i), *cipher);
      EXPECT_TRUE(plain) << "officer " << i;
      secrets.push_back(std::move(*plain));
    }
    return secrets;
  }
  Bytes root_der() { return core_->snapshot()->ca->root.der(); }

  mr::testing::TempDir dir_;
  SystemClock clock_;
  store::MemoryStore persistent_;  // survives restarts of the Core
  std::unique_ptr<store::MemoryStore> volatile_;
  std::unique_ptr<seal::FileSealKeyProvider> seal_keys_;
  NoTeeIssuer issuer_;
  std::unique_ptr<core::Core> core_;
  std::unique_ptr<core::ClientApi> api_;
  std::unique_ptr<RestServer> server_;
  const std::string full_ = source_file("samples/full.json");
};

TEST_F(ClientApiTest, FreshStatusIsTwo) {
  auto r = call("GET", "/api/v2/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Content-Type"), "application/json");
  EXPECT_EQ(r->body,
            R"({"status":"success","data":{"code":2,"message":")" + std::string(kReady) + "\"}}\n");
  r = call("GET", "/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, R"({"status":"success","data":{"StatusCode":2,"StatusMessage":")" +
                         std::string(kReady) + "\"}}\n");
}

TEST_F(ClientApiTest, QuoteServesTheChainAndTheTlsCertificateIsTheRoot) {
  auto conn = testing::TlsConnection::connect(server_->port());
  ASSERT_TRUE(conn);
  EXPECT_EQ(conn->server_certificate_der(), root_der());
  EXPECT_EQ(conn->peer_chain_length(), 1);

  const json d = data(call("GET", "/api/v2/quote"));
  ASSERT_TRUE(d.is_object());
  EXPECT_EQ(d.size(), 2u);
  EXPECT_TRUE(d["quote"].is_null());  // simulation mode
  const std::string pem = d["cert"];
  const auto& ca = *core_->snapshot()->ca;
  EXPECT_EQ(pem, ca.intermediate.pem() + ca.root.pem());
  auto chain = crypto::Certificate::chain_from_pem(pem);
  ASSERT_TRUE(chain);
  ASSERT_EQ(chain->size(), 2u);
  EXPECT_EQ((*chain)[1].der(), root_der());
  EXPECT_TRUE((*chain)[0].check_signature_from((*chain)[1].public_key()));
  auto raw = call("GET", "/api/v2/quote");
  EXPECT_EQ(raw->body.find(R"({"status":"success","data":{"cert":"-----BEGIN CERTIFICATE-----\n)"),
            0u);
  EXPECT_NE(raw->body.find(R"(-----END CERTIFICATE-----\n","quote":null}})"), std::string::npos);

  // With a nonce (padded URL-safe base64).
  const std::string nonce = base64url_encode(to_bytes("nonce?\x3f>"));
  EXPECT_NE(nonce.find('_'), std::string::npos);
  const json n = data(call("GET", "/api/v2/quote?nonce=" + nonce));
  EXPECT_EQ(n["cert"], pem);
  EXPECT_TRUE(n["quote"].is_null());

  const json v1 = data(call("GET", "/quote"));
  EXPECT_EQ(v1["Cert"], pem);
  EXPECT_TRUE(v1["Quote"].is_null());
  EXPECT_EQ(v1.size(), 2u);
}

TEST_F(ClientApiTest, BadNonceIsA400Fail) {
  for (std::string bad : {"YQ", "a+b/", "YQ==YQ=="}) {  // unpadded, std alphabet, trailing data
    SCOPED_TRACE(bad);
    const auto err = base64url_decode(bad);
    ASSERT_FALSE(err);
    expect_fail(call("GET", "/api/v2/quote?nonce=" + bad),
                "invalid query: bad nonce format: " + err.error().message);
  }
}

TEST_F(ClientApiTest, ManifestLifecycleV2) {
  // No manifest yet.
  expect_error(call("GET", "/api/v2/manifest"), 500, "requested value not set");
  auto r = call("GET", "/manifest");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(
      r->body,
      R"({"status":"success","data":{"ManifestSignatureRootECDSA":null,"ManifestSignature":"","Manifest":null}})"
      "\n");

  const auto secrets = set_full_manifest();
  for (const auto& s : secrets)
    EXPECT_TRUE(s.size() == 16 || s.size() == 32) << s.size();
  EXPECT_EQ(data(call("GET", "/api/v2/status"))["code"], 3);

  r = call("GET", "/api/v2/manifest");
  const json m = data(r);
  EXPECT_EQ(r->body.find(R"({"status":"success","data":{"manifestSignatureRootECDSA":")"), 0u);
  EXPECT_NE(r->body.find(R"(","manifestFingerprint":")"), std::string::npos);
  EXPECT_LT(r->body.find("manifestFingerprint"), r->body.find(R"("manifest":")"));
  EXPECT_EQ(to_string(*base64_decode(m["manifest"].get<std::string>())), full_);
  const auto digest = crypto::sha256(as_bytes(full_));
  EXPECT_EQ(m["manifestFingerprint"], hex_encode(digest));
  const auto sig = base64_decode(m["manifestSignatureRootECDSA"].get<std::string>());
  ASSERT_TRUE(sig);
  EXPECT_TRUE(crypto::verify_digest(core_->snapshot()->ca->root.public_key(), digest, *sig));
  EXPECT_TRUE(crypto::verify(core_->snapshot()->ca->root_key.public_key(), as_bytes(full_), *sig));

  const json v1 = data(call("GET", "/manifest"));
  EXPECT_EQ(v1["ManifestSignature"], hex_encode(digest));
  EXPECT_EQ(v1["Manifest"], m["manifest"]);
  EXPECT_EQ(v1["ManifestSignatureRootECDSA"], m["manifestSignatureRootECDSA"]);

  // A second manifest is refused (v2: 500, v1: 400).
  expect_error(call("POST", "/api/v2/manifest", manifest_body(full_)), 500, kWrongState);
  expect_error(call("POST", "/manifest", full_), 400, kWrongState);
}

TEST_F(ClientApiTest, ManifestPostV1) {
  auto r = call("POST", "/manifest", full_);
  const json d = data(r);
  ASSERT_TRUE(d.is_object());
  EXPECT_EQ(d["RecoverySecrets"].size(), 2u);
  EXPECT_TRUE(crypto::rsa_oaep_decrypt(
      recovery_key(2),
      *base64_decode(d["RecoverySecrets"]["recoveryOfficer2"].get<std::string>())));
  EXPECT_EQ(data(call("GET", "/status"))["StatusCode"], 3);
}

TEST_F(ClientApiTest, ManifestWithoutRecoveryKeys) {
  const std::string minimal = source_file("samples/minimal.json");
  auto r = call("POST", "/api/v2/manifest", manifest_body(minimal));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "{\"status\":\"success\",\"data\":{\"RecoverySecrets\":{}}}\n");
}

TEST_F(ClientApiTest, ManifestWithoutRecoveryKeysV1IsNull) {
  auto r = call("POST", "/manifest", source_file("samples/minimal.json"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "{\"status\":\"success\",\"data\":null}\n");
}

TEST_F(ClientApiTest, ManifestPostErrors) {
  expect_fail(call("POST", "/api/v2/manifest", ""), "EOF");
  expect_fail(call("POST", "/api/v2/manifest", "{\"manifest\":"), "unexpected EOF");
  expect_fail(call("POST", "/api/v2/manifest", R"({"manifest":"!!!!"})"),
              "illegal base64 data at input byte 0");
  auto r = call("POST", "/api/v2/manifest", R"({"manifest":5})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(
      r->body.find(R"({"status":"fail","data":null,"message":"json: cannot unmarshal number)"), 0u)
      << r->body;

  // Domain errors: v2 500, v1 400, message from the core, state unchanged.
  r = call("POST", "/api/v2/manifest", manifest_body("{\"Packages\": 5}"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body.find(R"({"status":"error","data":null,"message":"unmarshaling manifest: )"), 0u)
      << r->body;
  r = call("POST", "/manifest", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->body.find(R"({"status":"error","data":null,"message":"unmarshaling manifest: )"), 0u)
      << r->body;
  EXPECT_EQ(data(call("GET", "/api/v2/status"))["code"], 2);
}

TEST_F(ClientApiTest, MessagesUseGoHtmlEscaping) {
  // A validation message that names a Marble whose name holds HTML characters.
  json m = json::parse(source_file("samples/minimal.json"));
  m["Marbles"]["app"]["Package"] = "<b&m>";
  auto r = call("POST", "/api/v2/manifest", manifest_body(m.dump()));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body.find('<'), std::string::npos) << r->body;
  EXPECT_EQ(r->body.find('&'), std::string::npos) << r->body;
  EXPECT_NE(r->body.find(R"(\u003cb\u0026m\u003e)"), std::string::npos) << r->body;
}

TEST_F(ClientApiTest, RecoveryEndpointsOutsideRecovery) {
  expect_error(call("GET", "/api/v2/recover/public-key"), 500, kWrongState);
  const std::string plain16 = base64_encode(Bytes(16, 1));
  // Same status and envelope as upstream; the message says why there is nothing to recover.
  expect_error(call("POST", "/api/v2/recover",
                    R"({"recoverySecret":")" + plain16 + R"(","recoverySecretSignature":"AA=="})"),
               500,
               std::string(kWrongState) +
                   ": the Coordinator is not in recovery mode: it holds no sealed state (state 2, "
                   "ready to accept a manifest); set a manifest instead");
  const std::string encrypted = base64_encode(Bytes(100, 1));
  expect_fail(call("POST", "/api/v2/recover", R"({"recoverySecret":")" + encrypted + "\"}"),
              std::string("failed to decrypt recovery secret: ") + std::string(kWrongState));
  expect_fail(call("POST", "/api/v2/recover", std::string(20481, ' ')),
              "http: request body too large");
  expect_error(call("POST", "/recover", "{}"), 410, kV1RecoverDisabledMessage);
  expect_error(call("GET", "/recover"), 405, "");
  expect_error(call("POST", "/api/v2/recover/public-key"), 405, "");
}

TEST_F(ClientApiTest, RecoveryWithTwoOfficersThroughTheEphemeralKey) {
  const auto secrets = set_full_manifest();
  const Bytes original_root = root_der();
  // Restart with another seal key: the stored state cannot be unsealed (state 1).
  stop();
  start(dir_.path() / "other-seal");
  EXPECT_EQ(data(call("GET", "/api/v2/status"))["code"], 1);
  auto conn = testing::TlsConnection::connect(server_->port());
  ASSERT_TRUE(conn);
  EXPECT_NE(conn->server_certificate_der(), original_root);  // the temporary recovery CA

  auto sign = [](int officer, const SecretBytes& s) {
    return base64_encode(*crypto::sign(recovery_key(officer), s.span(), crypto::HashAlg::kSha256));
  };
  // Officer 1 uploads the plain secret.
  auto r = call("POST", "/api/v2/recover",
                R"({"recoverySecret":")" + base64_encode(secrets[0].span()) +
                    R"(","recoverySecretSignature":")" + sign(1, secrets[0]) + "\"}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body,
            "{\"status\":\"success\",\"data\":{\"remaining\":1,\"message\":\"Secret was processed "
            "successfully. "
            "Upload the next secret. Remaining secrets: 1\"}}\n");

  // Officer 2 encrypts to the ephemeral key (air-gapped flow).
  const json pk = data(call("GET", "/api/v2/recover/public-key"));
  EXPECT_EQ(pk["algorithm"], "RSA");
  auto ephemeral =
      crypto::PublicKey::from_der(*base64_decode(pk["ephemeralPublicKey"].get<std::string>()));
  ASSERT_TRUE(ephemeral);
  EXPECT_EQ(ephemeral->bits(), 4096u);
  auto encrypted = crypto::rsa_oaep_encrypt(*ephemeral, secrets[1].span());
  ASSERT_TRUE(encrypted);
  r = call("POST", "/api/v2/recover",
           R"({"RecoverySecret":")" + base64_encode(*encrypted) +
               R"(","recoverySecretSignature":")" + sign(2, secrets[1]) + "\"}");
  ASSERT_TRUE(r);
  EXPECT_EQ(
      r->body,
      "{\"status\":\"success\",\"data\":{\"remaining\":0,\"message\":\"Recovery successful.\"}}\n");

  EXPECT_EQ(data(call("GET", "/api/v2/status"))["message"], kRunning);
  conn = testing::TlsConnection::connect(server_->port());
  ASSERT_TRUE(conn);
  EXPECT_EQ(conn->server_certificate_der(), original_root);  // back to the recovered CA
  EXPECT_EQ(to_string(*base64_decode(
                data(call("GET", "/api/v2/manifest"))["manifest"].get<std::string>())),
            full_);
}

}  // namespace
}  // namespace mr::api::rest
