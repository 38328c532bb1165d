// The Marble API of the real marblerun-coordinator process, driven by a client written only from
// proto/coordinator.proto (tests/node/activate.js, @grpc/grpc-js): activation results, the
// Marble's certificates, every refusal with its gRPC status code, the quote checks with the
// simulated DCAP PKI, and MaxActivations under 200 concurrent calls and across a restart.
//
// Needs node and tests/node/node_modules (scripts/test.sh runs `npm ci` there).

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "attestation/simulated/simulated_dcap.h"
#include "base/clock.h"
#include "base/encoding.h"
#include "base/testing/temp_dir.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/x509.h"
#include "gojson/go_json.h"
#include "support/process.h"

namespace mr::test {
namespace {

using gojson::Json;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
namespace sim = attestation::simulated;

constexpr char kUuid[] = "6BA7B810-9DAD-11D1-80B4-00C04FD430C8";  // canonicalised by the Core
constexpr int kOk = 0, kInvalidArgument = 3, kPermissionDenied = 7, kFailedPrecondition = 9,
              kUnavailable = 14;

void write_file(const std::filesystem::path& path, ByteSpan data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

std::string node_binary() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const auto candidate = std::filesystem::path(dir) / "node";
    if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return {};
}

const std::filesystem::path kNodeDir = std::filesystem::path(MR_SOURCE_DIR) / "tests" / "node";

// A Marble as upstream premain makes itself (spec 2.3): key, self-signed TLS certificate and a
// CSR with its names; all written to files for the Node client.
struct Marble {
  crypto::PrivateKey key;
  crypto::Certificate cert;
  Bytes csr;
  std::vector<std::string> dns_names;
  std::vector<IpAddress> ips;
  std::filesystem::path cert_path, key_path, csr_path;
};

Marble make_marble(const std::filesystem::path& dir, const std::string& name) {
  auto key = *crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP384));
  const std::vector<std::string> dns = {name, name + ".ns.svc.cluster.local"};
  const std::vector<IpAddress> ips = {*IpAddress::parse("127.0.0.1"),
                                      *IpAddress::parse("10.1.2.3")};
  crypto::CertTemplate t;
  t.subject.common_name = "MarbleRun Marble";
  t.not_before = SystemClock().now();
  t.not_after = *t.not_before + std::chrono::hours(24 * 365);
  t.dns_names = dns;
  t.ip_addresses = ips;
  t.key_usage = crypto::kKeyUsageDigitalSignature | crypto::kKeyUsageKeyAgreement;
  t.ext_key_usage = std::vector<crypto::ExtKeyUsage>{crypto::ExtKeyUsage::kServerAuth,
                                                     crypto::ExtKeyUsage::kClientAuth};
  t.basic_constraints_valid = true;
  auto cert = *crypto::create_certificate(t, key.public_key(), nullptr, key);
  auto csr = *crypto::create_csr(key, {}, dns, ips);
  Marble m{key,
           cert,
           csr,
           dns,
           ips,
           dir / (name + ".cert.pem"),
           dir / (name + ".key.pem"),
           dir / (name + ".csr.der")};
  write_file(m.cert_path, as_bytes(cert.pem()));
  write_file(m.key_path, key.to_pem().span());
  write_file(m.csr_path, csr);
  return m;
}

struct Call {
  const Marble* marble = nullptr;  // null: no client certificate
  std::string type;
  std::string uuid = kUuid;
  std::optional<std::filesystem::path> quote;
  int count = 1;
  bool tls_info = false;
};

// activate runs tests/node/activate.js against |port| and returns its JSON output.
Json activate(int port, const Call& c) {
  const std::string node = node_binary();
  if (node.empty()) ADD_FAILURE() << "node is not on PATH (scripts/deps.sh installs it)";
  if (!std::filesystem::exists(kNodeDir / "node_modules" / "@grpc" / "grpc-js")) {
    ADD_FAILURE() << "run `(cd tests/node && npm ci)` first (scripts/test.sh does)";
  }
  std::vector<std::string> argv = {node,      (kNodeDir / "activate.js").string(),
                                   "--addr",  "127.0.0.1:" + std::to_string(port),
                                   "--type",  c.type,
                                   "--uuid",  c.uuid,
                                   "--count", std::to_string(c.count)};
  if (c.marble) {
    argv.insert(argv.end(), {"--cert", c.marble->cert_path.string(), "--key",
                             c.marble->key_path.string(), "--csr", c.marble->csr_path.string()});
  }
  if (c.quote) argv.insert(argv.end(), {"--quote", c.quote->string()});
  if (c.tls_info) argv.push_back("--tls-info");
  auto [rc, out] = run_command(argv);
  EXPECT_EQ(rc, 0) << out;
  // The JSON result is the last line that starts with '{'.
  std::size_t pos = out.rfind("\n{");
  pos = pos == std::string::npos ? (out.starts_with("{") ? 0 : std::string::npos) : pos + 1;
  if (pos == std::string::npos) {
    ADD_FAILURE() << "no JSON in the client's output:\n" << out;
    return Json::object();
  }
  Json j = Json::parse(out.substr(pos), nullptr, false);
  if (j.is_discarded()) {
    ADD_FAILURE() << "malformed JSON from the client:\n" << out;
    return Json::object();
  }
  return j;
}

std::string decode(const Json& b64) {
  auto bytes = base64_decode(b64.get<std::string>());
  EXPECT_TRUE(bytes);
  return bytes ? to_string(*bytes) : std::string();
}

// The manifest: "backend" with templated Files/Env/Argv, "limited" with MaxActivations 100.
// The package pins |mr_enclave| (checked only by a Coordinator that verifies quotes).
std::string manifest(const sim::SimulatedEnclave& e) {
  Json pkg = {{"UniqueID", hex_encode(e.mr_enclave)}, {"Debug", false}};
  Json m = {{"Packages", {{"backend", pkg}}},
            {"Marbles",
             {{"backend",
               {{"Package", "backend"},
                {"Parameters",
                 {{"Files",
                   {{"/etc/backend/key.hex", "{{ hex .Secrets.symKey }}"},
                    {"/etc/backend/cert.pem", "{{ pem .MarbleRun.MarbleCert.Cert }}"}}},
                  {"Env", {{"GREETING", "hello"}, {"ROOT", "{{ pem .MarbleRun.RootCA.Cert }}"}}},
                  {"Argv", {"backend", "--port", "8080"}}}}}},
              {"limited",
               {{"Package", "backend"},
                {"MaxActivations", 100},
                {"Parameters", {{"Argv", {"limited"}}}}}}}},
            {"Secrets", {{"symKey", {{"Type", "symmetric-key"}, {"Size", 128}}}}}};
  return m.dump();
}

// set_manifest POSTs |raw| and returns the response's data.
Json set_manifest(CoordinatorProcess& c, const std::string& raw) {
  const std::string body = Json{{"manifest", base64_encode(as_bytes(raw))}}.dump();
  const HttpResult r = curl_https(c.client_url() + "/api/v2/manifest", &body);
  EXPECT_EQ(r.status, 200) << r.body;
  const Json j = Json::parse(r.body, nullptr, false);
  return j.is_discarded() ? Json() : j["data"];
}

sim::SimulatedEnclave backend_enclave() {
  sim::SimulatedEnclave e;
  e.mr_enclave.fill(0xa1);
  e.mr_signer.fill(0xb2);
  e.isv_prod_id = 7;
  e.isv_svn = 3;
  return e;
}

TEST(MarbleApiProcess, ActivationCertificatesAndRefusals) {
  mr::testing::TempDir dir;
  const auto seal_dir = dir.path() / "data";
  auto c = CoordinatorProcess::start({seal_dir});
  ASSERT_GT(c->mesh_port(), 0) << c->log();
  EXPECT_THAT(c->log(),
              HasSubstr(R"("msg":"Marble API listening","address":"127.0.0.1:0","port":)"));
  const Marble marble = make_marble(dir.path(), "backend");

  // State 2 (no manifest yet).
  Json r = activate(c->mesh_port(), {&marble, "backend"});
  EXPECT_EQ(r["code"], kFailedPrecondition) << r.dump();
  EXPECT_EQ(r["details"], "cannot accept marbles in current state");

  ASSERT_NO_FATAL_FAILURE(set_manifest(*c, manifest(backend_enclave())));

  // A successful activation returns the rendered parameters.
  r = activate(c->mesh_port(), {&marble, "backend", kUuid, std::nullopt, 1, /*tls_info=*/true});
  ASSERT_EQ(r["code"], kOk) << r.dump();
  const Json& p = r["parameters"];
  EXPECT_EQ(p["Argv"], Json({"backend", "--port", "8080"}));
  EXPECT_EQ(decode(p["Env"]["GREETING"]), "hello");
  const std::string key_hex = decode(p["Files"]["/etc/backend/key.hex"]);
  EXPECT_EQ(key_hex.size(), 32u);
  EXPECT_TRUE(hex_decode(key_hex));

  // The leaf certificate: CN = canonical UUID, the CSR's SANs, the Marble type extension, issued
  // by the Marble root (MARBLE_PREDEFINED_ROOT_CA) with the intermediate key, for the key in
  // MARBLE_PREDEFINED_PRIVATE_KEY; the intermediate chains to the Coordinator root.
  auto root = crypto::Certificate::from_pem(decode(p["Env"]["MARBLE_PREDEFINED_ROOT_CA"]));
  ASSERT_TRUE(root);
  EXPECT_EQ(decode(p["Env"]["ROOT"]), root->pem());
  auto chain = crypto::Certificate::chain_from_pem(
      decode(p["Env"]["MARBLE_PREDEFINED_MARBLE_CERTIFICATE_CHAIN"]));
  ASSERT_TRUE(chain);
  ASSERT_EQ(chain->size(), 2u);
  const crypto::Certificate& leaf = (*chain)[0];
  EXPECT_TRUE(leaf.check_signature_from(root->public_key()));
  EXPECT_EQ(leaf.issuer(), root->subject());
  EXPECT_FALSE(leaf.is_ca());
  EXPECT_EQ(leaf.subject().common_name, "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
  EXPECT_EQ(leaf.dns_names(), marble.dns_names);
  EXPECT_EQ(leaf.ip_addresses(), marble.ips);
  ASSERT_TRUE(leaf.extension("1.3.9903.2.1"));
  EXPECT_EQ(to_string(leaf.extension("1.3.9903.2.1")->value), "backend");
  EXPECT_NE(leaf.public_key(), marble.key.public_key());  // a Coordinator-generated key
  auto leaf_key = crypto::PrivateKey::from_pem(decode(p["Env"]["MARBLE_PREDEFINED_PRIVATE_KEY"]));
  ASSERT_TRUE(leaf_key);
  EXPECT_EQ(leaf_key->public_key(), leaf.public_key());
  auto coordinator_root =
      crypto::Certificate::from_pem(decode(p["Env"]["MARBLE_PREDEFINED_COORDINATOR_ROOT_CA"]));
  ASSERT_TRUE(coordinator_root);
  EXPECT_TRUE((*chain)[1].check_signature_from(coordinator_root->public_key()));
  EXPECT_EQ(decode(p["Files"]["/etc/backend/cert.pem"]), leaf.pem());

  // The server presents the Marble root over TLS 1.3 with ALPN h2.
  EXPECT_EQ(r["tls"]["server_cert"], base64_encode(root->der())) << r["tls"].dump();
  EXPECT_EQ(r["tls"]["alpn"], "h2");
  EXPECT_EQ(r["tls"]["protocol"], "TLSv1.3");

  // Refusals, each with its status code.
  r = activate(c->mesh_port(), {&marble, "frontend"});
  EXPECT_EQ(r["code"], kPermissionDenied) << r.dump();
  EXPECT_EQ(r["details"], "marble verification failed: unknown marble type requested");
  r = activate(c->mesh_port(), {&marble, "backend", "not-a-uuid"});
  EXPECT_EQ(r["code"], kInvalidArgument) << r.dump();
  EXPECT_THAT(r["details"].get<std::string>(), StartsWith("invalid UUID: "));
  r = activate(c->mesh_port(), {nullptr, "backend"});  // no client certificate
  EXPECT_EQ(r["code"], kUnavailable) << r.dump();      // the handshake fails
  EXPECT_EQ(r["parameters"], nullptr);

  // MaxActivations 100 under 200 concurrent activations: exactly 100 succeed.
  const Marble limited = make_marble(dir.path(), "limited");
  r = activate(c->mesh_port(), {&limited, "limited", kUuid, std::nullopt, 200});
  ASSERT_TRUE(r["results"].is_array()) << r.dump();
  ASSERT_EQ(r["results"].size(), 200u);
  const std::string exhausted =
      R"(marble verification failed: reached max activations count (100) for marble type "limited")";
  int ok = 0, refused = 0;
  for (const Json& one : r["results"]) {
    if (one["code"] == kOk) {
      ++ok;
    } else if (one["code"] == kPermissionDenied && one["details"] == exhausted) {
      ++refused;
    } else {
      ADD_FAILURE() << "unexpected result " << one.dump();
    }
  }
  EXPECT_EQ(ok, 100);
  EXPECT_EQ(refused, 100);

  // After a restart the counter still reads 100.
  ASSERT_EQ(c->stop(), 0);
  EXPECT_THAT(c->log(), HasSubstr(R"("msg":"Marble API stopped")"));
  c = CoordinatorProcess::start({seal_dir});
  ASSERT_GT(c->mesh_port(), 0);
  r = activate(c->mesh_port(), {&limited, "limited"});
  EXPECT_EQ(r["code"], kPermissionDenied) << r.dump();
  EXPECT_EQ(r["details"], exhausted);
  r = activate(c->mesh_port(), {&marble, "backend"});  // unlimited Marbles still activate
  EXPECT_EQ(r["code"], kOk) << r.dump();
  EXPECT_EQ(c->stop(), 0);
}

// A Coordinator that verifies quotes with the simulated DCAP PKI: the quote must come from that
// PKI, measure the package's enclave and carry SHA-256 of the TLS client certificate.
TEST(MarbleApiProcess, QuoteChecksWithTheSimulatedDcapPki) {
  mr::testing::TempDir dir;
  auto pki = sim::SimulatedDcapPki::create({SystemClock().now(), {}, {}});
  ASSERT_TRUE(pki) << pki.error().message;
  const auto pki_path = dir.path() / "pki.json";
  write_file(pki_path, as_bytes((*pki)->to_json()));
  auto c = CoordinatorProcess::start(
      {dir.path() / "data",
       {{"OE_SIMULATION", "0"}, {"EDG_COORDINATOR_SIMULATED_DCAP_PKI", pki_path.string()}}});
  ASSERT_GT(c->mesh_port(), 0) << c->log();
  EXPECT_THAT(c->log(), HasSubstr("SIMULATED DCAP ATTESTATION"));
  EXPECT_THAT(c->log(), HasSubstr(R"("simulation":false)"));
  EXPECT_THAT(c->log(), Not(HasSubstr("SIMULATION MODE")));

  const sim::SimulatedEnclave backend = backend_enclave();
  ASSERT_NO_FATAL_FAILURE(set_manifest(*c, manifest(backend)));
  const Marble marble = make_marble(dir.path(), "backend");
  const Marble other = make_marble(dir.path(), "other");
  auto quote_file = [&](const std::string& name, std::shared_ptr<const sim::SimulatedDcapPki> with,
                        const sim::SimulatedEnclave& e, const crypto::Certificate& over) {
    sim::SimulatedDcapIssuer issuer(std::move(with), e);
    auto q = issuer.issue(crypto::sha256(over.der()));
    EXPECT_TRUE(q) << q.error().message;
    const auto path = dir.path() / name;
    write_file(path, q ? ByteSpan(*q) : ByteSpan());
    return path;
  };

  // The right enclave, quoting the certificate of this TLS connection: admitted.
  Json r = activate(c->mesh_port(), {&marble, "backend", kUuid,
                                     quote_file("good.quote", *pki, backend, marble.cert)});
  EXPECT_EQ(r["code"], kOk) << r.dump();

  // Package mismatch: another MRENCLAVE.
  sim::SimulatedEnclave wrong = backend;
  wrong.mr_enclave[0] ^= 0xff;
  r = activate(c->mesh_port(),
               {&marble, "backend", kUuid, quote_file("wrong.quote", *pki, wrong, marble.cert)});
  EXPECT_EQ(r["code"], kPermissionDenied) << r.dump();
  EXPECT_THAT(r["details"].get<std::string>(),
              StartsWith("marble verification failed: invalid quote: "));
  EXPECT_THAT(r["details"].get<std::string>(), HasSubstr("UniqueID does not match"));

  // Report data for another certificate than the one presented in the handshake.
  r = activate(c->mesh_port(),
               {&marble, "backend", kUuid, quote_file("other.quote", *pki, backend, other.cert)});
  EXPECT_EQ(r["code"], kPermissionDenied) << r.dump();
  EXPECT_THAT(r["details"].get<std::string>(), HasSubstr("hash(cert) != report.Data"));

  // A quote from a PKI the Coordinator does not trust, and no quote at all.
  auto foreign = sim::SimulatedDcapPki::create({SystemClock().now(), {}, {}});
  ASSERT_TRUE(foreign);
  r = activate(c->mesh_port(), {&marble, "backend", kUuid,
                                quote_file("foreign.quote", *foreign, backend, marble.cert)});
  EXPECT_EQ(r["code"], kPermissionDenied) << r.dump();
  EXPECT_THAT(r["details"].get<std::string>(),
              StartsWith("marble verification failed: invalid quote: "));
  EXPECT_THAT(r["details"].get<std::string>(), HasSubstr("PCK certificate chain"));
  r = activate(c->mesh_port(), {&marble, "backend"});
  EXPECT_EQ(r["code"], kPermissionDenied) << r.dump();
  EXPECT_THAT(r["details"].get<std::string>(),
              StartsWith("marble verification failed: invalid quote: "));
  EXPECT_EQ(c->stop(), 0);
}

// Recovery switches the CA: the Marble API serves the temporary Marble root in recovery mode and
// the recovered one afterwards, without a restart.
TEST(MarbleApiProcess, ServerCertificateFollowsRecovery) {
  mr::testing::TempDir dir;
  const auto seal_dir = dir.path() / "data";
  auto c = CoordinatorProcess::start({seal_dir});
  Json m = Json::parse(manifest(backend_enclave()));
  m["RecoveryKeys"]["officer1"] =
      read_file(std::filesystem::path(MR_SOURCE_DIR) / "tests/testdata/keys/recovery_1.pub.pem");
  Json data;
  ASSERT_NO_FATAL_FAILURE(data = set_manifest(*c, m.dump()));
  const std::string secret_b64 = data["RecoverySecrets"]["officer1"].get<std::string>();
  const Marble marble = make_marble(dir.path(), "backend");
  Json r = activate(c->mesh_port(), {&marble, "backend", kUuid, std::nullopt, 1, true});
  ASSERT_EQ(r["code"], kOk) << r.dump();
  const std::string marble_root = r["tls"]["server_cert"].get<std::string>();
  EXPECT_EQ(decode(r["parameters"]["Env"]["MARBLE_PREDEFINED_ROOT_CA"]),
            crypto::Certificate::from_der(*base64_decode(marble_root))->pem());
  ASSERT_EQ(c->stop(), 0);

  // The seal key is lost: recovery mode (state 1) with a temporary CA.
  std::filesystem::remove(seal_dir / "seal.key");
  c = CoordinatorProcess::start({seal_dir});
  r = activate(c->mesh_port(), {&marble, "backend", kUuid, std::nullopt, 1, true});
  EXPECT_EQ(r["code"], kFailedPrecondition) << r.dump();
  EXPECT_NE(r["tls"]["server_cert"], marble_root);

  auto key = *crypto::PrivateKey::from_pem(
      read_file(std::filesystem::path(MR_SOURCE_DIR) / "tests/testdata/keys/recovery_1.key.pem"));
  auto plain = *crypto::rsa_oaep_decrypt(key, *base64_decode(secret_b64));
  auto sig = *crypto::sign(key, plain.span(), crypto::HashAlg::kSha256);
  const std::string recover = Json{
      {"recoverySecret", base64_encode(plain.span())},
      {"recoverySecretSignature",
       base64_encode(sig)}}.dump();
  const HttpResult rec = curl_https(c->client_url() + "/api/v2/recover", &recover);
  ASSERT_EQ(rec.status, 200) << rec.body;

  // Within the identity poll interval the recovered Marble root is served on the same port.
  const int port = c->mesh_port();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    r = activate(port, {&marble, "backend", kUuid, std::nullopt, 1, true});
    if (r["code"] == kOk && r["tls"]["server_cert"] == marble_root) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(r["code"], kOk) << r.dump();
  EXPECT_EQ(r["tls"]["server_cert"], marble_root);
  EXPECT_EQ(decode(r["parameters"]["Env"]["MARBLE_PREDEFINED_ROOT_CA"]),
            crypto::Certificate::from_der(*base64_decode(marble_root))->pem());
  EXPECT_THAT(c->log(), HasSubstr("Marble API TLS certificate changed"));
  EXPECT_EQ(c->stop(), 0);
}

TEST(MarbleApiProcess, AnUnreadableSimulatedDcapPkiIsFatal) {
  mr::testing::TempDir dir;
  auto [rc, out] =
      run_command({std::string(MR_BINARY_DIR) + "/bin/marblerun-coordinator-sim"},
                  {{"OE_SIMULATION", "0"},
                   {"EDG_COORDINATOR_SEAL_DIR", (dir.path() / "d").string()},
                   {"EDG_COORDINATOR_SIMULATED_DCAP_PKI", (dir.path() / "none.json").string()}});
  EXPECT_EQ(rc, 1);
  EXPECT_THAT(out, HasSubstr("EDG_COORDINATOR_SIMULATED_DCAP_PKI: cannot read"));
  write_file(dir.path() / "bad.json", as_bytes("{}"));
  auto [rc2, out2] =
      run_command({std::string(MR_BINARY_DIR) + "/bin/marblerun-coordinator-sim"},
                  {{"OE_SIMULATION", "0"},
                   {"EDG_COORDINATOR_SEAL_DIR", (dir.path() / "d").string()},
                   {"EDG_COORDINATOR_SIMULATED_DCAP_PKI", (dir.path() / "bad.json").string()}});
  EXPECT_EQ(rc2, 1);
  EXPECT_THAT(out2, HasSubstr("loading the simulated DCAP PKI"));
}

}  // namespace
}  // namespace mr::test
