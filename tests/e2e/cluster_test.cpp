// Several real Coordinator processes sharing one state in a real etcd on loopback (issue 14):
// a manifest, a user secret and a package update made through one instance are enforced by the
// others within a second; MaxActivations holds across instances under concurrent load; instances
// killed, restarted and wiped rejoin (or recover once for all); etcd stopped under load; and
// records replayed or deleted in etcd behind the Coordinators' backs.
//
// "Within a second": the Coordinators sync on every etcd watch event and at least once a second;
// the polls below allow 1.5 s (kWithinASecond) for scheduling noise on a loaded 2-core machine.
//
// Needs /usr/bin/etcd, node and tests/node/node_modules (scripts/test.sh runs `npm ci` there).

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "attestation/simulated/simulated_dcap.h"
#include "base/clock.h"
#include "base/encoding.h"
#include "base/testing/temp_dir.h"
#include "coordinator.grpc.pb.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/x509.h"
#include "gojson/go_json.h"
#include "store/etcd/etcd_store.h"
#include "store/etcd/testing/etcd_server.h"
#include "store/keys.h"
#include "support/process.h"
#include "support/rest_helpers.h"

namespace mr::test {
namespace {

namespace fs = std::filesystem;
namespace keys = store::keys;
namespace sim = attestation::simulated;
using gojson::Json;
using ::testing::HasSubstr;
using ::testing::Not;
using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr char kUuid[] = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
constexpr int kOk = 0, kDeadlineExceeded = 4, kPermissionDenied = 7;
// The issue's "within a second", with room for a loaded 2-core machine.
constexpr auto kWithinASecond = 1500ms;

// --- REST ------------------------------------------------------------------------------------

HttpResult set_manifest(CoordinatorProcess& c, const std::string& raw) {
  const std::string body = b64_body(raw);
  return curl_https(c.client_url() + "/api/v2/manifest", &body);
}

int status_code(CoordinatorProcess& c) {
  const Json d = json_of(curl_https(c.client_url() + "/api/v2/status"))["data"];
  return d.is_object() && d["code"].is_number() ? d["code"].get<int>() : -1;
}

// root_pem returns the root certificate of the chain /api/v2/quote serves ("" on error).
std::string root_pem(CoordinatorProcess& c) {
  const Json d = json_of(curl_https(c.client_url() + "/api/v2/quote"))["data"];
  if (!d.is_object() || !d["cert"].is_string()) return {};
  const std::string chain = d["cert"];
  const auto second = chain.find("-----BEGIN CERTIFICATE-----", 1);
  return second == std::string::npos ? std::string() : chain.substr(second);
}

HttpResult set_token(CoordinatorProcess& c, const std::string& value) {
  const std::string body =
      Json{{"secrets", {{"token", {{"Key", base64_encode(as_bytes(value))}}}}}}.dump();
  return curl_https(c.client_url() + "/api/v2/secrets", &body, as_user("alice"));
}

// read_token returns the user-defined secret "token" as alice reads it, or nullopt on an error.
std::optional<std::string> read_token(CoordinatorProcess& c) {
  const HttpResult r =
      curl_https(c.client_url() + "/api/v2/secrets?s=token", nullptr, as_user("alice"));
  if (r.status != 200) return std::nullopt;
  const Json t = json_of(r)["data"]["secrets"]["token"];
  for (const char* field : {"Private", "Public"}) {
    if (t.is_object() && t[field].is_string()) {
      auto bytes = base64_decode(t[field].get<std::string>());
      if (bytes) return to_string(*bytes);
    }
  }
  return std::nullopt;
}

// poll calls |done| until it returns true or |limit| has passed since |since|; returns the time
// from |since| to the first success, or nullopt.
std::optional<SteadyClock::duration> poll(SteadyClock::time_point since,
                                          SteadyClock::duration limit,
                                          const std::function<bool()>& done) {
  while (true) {
    if (done()) return SteadyClock::now() - since;
    if (SteadyClock::now() - since > limit) return std::nullopt;
    std::this_thread::sleep_for(20ms);
  }
}

double ms(SteadyClock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// alive tells whether |pid| runs (exists and is not a zombie).
bool alive(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

// --- Marbles ---------------------------------------------------------------------------------

void write_file(const fs::path& path, ByteSpan data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

// A Marble as upstream premain makes itself: key, self-signed TLS certificate and a CSR, also
// written to files for the Node client.
struct Marble {
  std::string cert_pem, key_pem;
  crypto::Certificate cert;
  Bytes csr;
  fs::path cert_path, key_path, csr_path;
};

Marble make_marble(const fs::path& dir, const std::string& name) {
  auto key = *crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP256));
  crypto::CertTemplate t;
  t.subject.common_name = "MarbleRun Marble";
  t.not_before = SystemClock().now();
  t.not_after = *t.not_before + std::chrono::hours(24);
  t.dns_names = {name};
  t.key_usage = crypto::kKeyUsageDigitalSignature | crypto::kKeyUsageKeyAgreement;
  t.ext_key_usage = std::vector<crypto::ExtKeyUsage>{crypto::ExtKeyUsage::kServerAuth,
                                                     crypto::ExtKeyUsage::kClientAuth};
  t.basic_constraints_valid = true;
  auto cert = *crypto::create_certificate(t, key.public_key(), nullptr, key);
  Marble m{cert.pem(),
           std::string(key.to_pem().view()),
           cert,
           *crypto::create_csr(key, {}, {name}, {}),
           dir / (name + ".cert.pem"),
           dir / (name + ".key.pem"),
           dir / (name + ".csr.der")};
  write_file(m.cert_path, as_bytes(m.cert_pem));
  write_file(m.key_path, as_bytes(m.key_pem));
  write_file(m.csr_path, m.csr);
  return m;
}

struct Outcome {
  int code = -1;  // gRPC status code
  std::string details;
  std::map<std::string, std::string> env;
  SteadyClock::duration latency{};
};

// activate makes one Marble API call on a new channel with |m|'s client certificate.
Outcome activate(int port, const Marble& m, const std::string& type, const Bytes& quote = {},
                 std::chrono::milliseconds deadline = 20s) {
  ::grpc::experimental::TlsChannelCredentialsOptions o;
  o.set_certificate_provider(std::make_shared<::grpc::experimental::StaticDataCertificateProvider>(
      std::vector<::grpc::experimental::IdentityKeyCertPair>{{m.key_pem, m.cert_pem}}));
  o.watch_identity_key_cert_pairs();
  o.set_verify_server_certs(false);  // as upstream premain: InsecureSkipVerify
  o.set_certificate_verifier(std::make_shared<::grpc::experimental::NoOpCertificateVerifier>());
  o.set_check_call_host(false);
  ::grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto channel = ::grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                             ::grpc::experimental::TlsCredentials(o), args);
  auto stub = rpc::Marble::NewStub(channel);
  rpc::ActivationReq req;
  req.set_csr(m.csr.data(), m.csr.size());
  req.set_marbletype(type);
  req.set_uuid(kUuid);
  req.set_quote(quote.data(), quote.size());
  ::grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + deadline);
  rpc::ActivationResp resp;
  const auto start = SteadyClock::now();
  const ::grpc::Status s = stub->Activate(&ctx, req, &resp);
  Outcome out;
  out.latency = SteadyClock::now() - start;
  out.code = s.error_code();
  out.details = s.error_message();
  for (const auto& [k, v] : resp.parameters().env())
    out.env[k] = v;
  return out;
}

// activate_settled is activate, retried for up to 1.5 s while the Coordinator answers
// UNAVAILABLE: after an instance joins, recovers or is updated, its Marble API rebuilds the
// listener for the new certificate and refuses connections for a moment (marble_server.h), which
// a Marble retries.
Outcome activate_settled(int port, const Marble& m, const std::string& type) {
  const auto until = SteadyClock::now() + 1500ms;
  Outcome o = activate(port, m, type);
  while (o.code == 14 && SteadyClock::now() < until) {
    std::this_thread::sleep_for(50ms);
    o = activate(port, m, type);
  }
  return o;
}

// env_of returns the Env variable |name| of a successful activation ("" if it has none).
std::string env_of(const Outcome& o, const std::string& name) {
  auto it = o.env.find(name);
  return it == o.env.end() ? std::string() : it->second;
}

std::string node_binary() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const auto candidate = fs::path(dir) / "node";
    if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return {};
}

const fs::path kNodeDir = fs::path(MR_SOURCE_DIR) / "tests" / "node";

// activate_node runs tests/node/activate.js: |count| concurrent calls on one channel; returns
// the gRPC code and details of each call.
std::vector<std::pair<int, std::string>> activate_node(int port, const Marble& m,
                                                       const std::string& type, int count,
                                                       int timeout_ms = 30000) {
  const std::string node = node_binary();
  if (node.empty()) ADD_FAILURE() << "node is not on PATH (scripts/deps.sh installs it)";
  if (!fs::exists(kNodeDir / "node_modules" / "@grpc" / "grpc-js")) {
    ADD_FAILURE() << "run `(cd tests/node && npm ci)` first (scripts/test.sh does)";
  }
  // --count 1 prints a single result; ask for 2 and drop one? No: handle both shapes.
  auto [rc, out] = run_command({node, (kNodeDir / "activate.js").string(), "--addr",
                                "127.0.0.1:" + std::to_string(port), "--type", type, "--uuid",
                                kUuid, "--count", std::to_string(count), "--timeout-ms",
                                std::to_string(timeout_ms), "--cert", m.cert_path.string(), "--key",
                                m.key_path.string(), "--csr", m.csr_path.string()});
  EXPECT_EQ(rc, 0) << out;
  std::size_t pos = out.rfind("\n{");
  pos = pos == std::string::npos ? (out.starts_with("{") ? 0 : std::string::npos) : pos + 1;
  std::vector<std::pair<int, std::string>> results;
  if (pos == std::string::npos) {
    ADD_FAILURE() << "no JSON in the client's output:\n" << out;
    return results;
  }
  const Json j = Json::parse(out.substr(pos), nullptr, false);
  if (j.is_discarded()) {
    ADD_FAILURE() << "malformed JSON from the client:\n" << out;
    return results;
  }
  if (j.contains("results")) {
    for (const Json& one : j["results"])
      results.emplace_back(one["code"].get<int>(), one["details"].get<std::string>());
  } else {
    results.emplace_back(j["code"].get<int>(), j["details"].get<std::string>());
  }
  return results;
}

int count_code(const std::vector<std::pair<int, std::string>>& results, int code) {
  int n = 0;
  for (const auto& r : results)
    n += r.first == code ? 1 : 0;
  return n;
}

// --- The cluster -----------------------------------------------------------------------------

// Cluster: a real etcd and three Coordinators (A, B, C) on it, each with its own seal directory
// (its own machine's seal key).
class Cluster {
 public:
  explicit Cluster(std::map<std::string, std::string> env = {{"OE_SIMULATION", "1"}})
      : env_(std::move(env)) {
    auto etcd = store::testing::EtcdServer::start();
    if (!etcd) throw std::runtime_error("etcd: " + etcd.error().message);
    etcd_ = std::move(*etcd);
    env_["EDG_COORDINATOR_STORE"] = "etcd:" + etcd_->endpoint();
    env_["EDG_COORDINATOR_KEY_SERVER_ADDR"] = "127.0.0.1:0";
    if (env_["OE_SIMULATION"] == "1") env_["EDG_COORDINATOR_ACCEPT_SIMULATED_PEERS"] = "1";
  }

  fs::path seal_dir(int i) const { return dir_.path() / std::string(1, char('a' + i)) / "data"; }

  // start runs instance |i| on its seal directory and waits until it registered with the others.
  void start(int i) {
    auto c = CoordinatorProcess::start({seal_dir(i), env_});
    const auto registered = poll(SteadyClock::now(), 20s, [&] {
      return c->log().find("registered with the other Coordinators") != std::string::npos;
    });
    if (!registered) throw std::runtime_error("instance did not register:\n" + c->log());
    c_[i] = std::move(c);
  }
  void start_all() {
    for (int i = 0; i < 3; ++i)
      start(i);
  }
  void stop_all() {
    for (auto& c : c_)
      if (c) c->stop();
  }

  CoordinatorProcess& operator[](int i) { return *c_[i]; }
  std::unique_ptr<CoordinatorProcess>& slot(int i) { return c_[i]; }
  store::testing::EtcdServer& etcd() { return *etcd_; }
  const fs::path& dir() const { return dir_.path(); }
  // logs returns the three logs, for failure messages.
  std::string logs() const {
    std::string out;
    for (int i = 0; i < 3; ++i) {
      out += std::string("---- ") + char('A' + i) + " ----\n";
      out += c_[i] ? c_[i]->log() : std::string("(not running)\n");
    }
    return out;
  }

  // all_in_state polls until every running instance reports |state|; the time it took.
  std::optional<SteadyClock::duration> all_in_state(int state, SteadyClock::time_point since,
                                                    SteadyClock::duration limit) {
    return poll(since, limit, [&] {
      for (auto& c : c_)
        if (c && status_code(*c) != state) return false;
      return true;
    });
  }

 private:
  mr::testing::TempDir dir_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<store::testing::EtcdServer> etcd_;
  std::array<std::unique_ptr<CoordinatorProcess>, 3> c_;
};

constexpr int A = 0, B = 1, C = 2;

// The manifest: "app" (Env TOKEN from the user-defined secret), "backend" (no secrets),
// "limited" with MaxActivations
// |max|, alice may read and write "token", recovery key 1.
std::string manifest(int max = 200) {
  return Json{
      {"Packages", {{"app", {{"Debug", true}}}}},
      {"Marbles",
       {{"app",
         {{"Package", "app"},
          {"Parameters", {{"Env", {{"TOKEN", "{{ string .Secrets.token }}"}}}}}}},
        {"backend", {{"Package", "app"}, {"Parameters", {{"Argv", {"backend"}}}}}},
        {"limited", {{"Package", "app"}, {"MaxActivations", max}}}}},
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

// --- 1 and 2: manifest and user secret --------------------------------------------------------

TEST(Cluster, ManifestThroughAIsEnforcedByBAndCAndASecretThroughCReachesA) {
  Cluster cluster;
  cluster.start_all();
  for (int i : {A, B, C})
    ASSERT_EQ(status_code(cluster[i]), 2) << cluster.logs();

  const HttpResult set = set_manifest(cluster[A], manifest());
  const auto set_at = SteadyClock::now();
  ASSERT_EQ(set.status, 200) << set.body;
  const auto joined = cluster.all_in_state(3, set_at, kWithinASecond);
  ASSERT_TRUE(joined) << "B and C did not reach state 3 within " << ms(kWithinASecond) << " ms\n"
                      << cluster.logs();
  std::cout << "[ measured ] B and C in state 3 " << ms(*joined) << " ms after the manifest\n";
  const std::string root = root_pem(cluster[A]);
  ASSERT_FALSE(root.empty());
  EXPECT_EQ(root_pem(cluster[B]), root);
  EXPECT_EQ(root_pem(cluster[C]), root);

  // Marbles activate through B and C (the Node client), with the one root.
  const Marble app = make_marble(cluster.dir(), "app");
  const Marble backend = make_marble(cluster.dir(), "backend");
  for (int i : {B, C}) {
    const auto r = activate_node(cluster[i].mesh_port(), backend, "backend", 2);
    EXPECT_EQ(count_code(r, kOk), 2) << (r.empty() ? "" : r[0].second);
    const Outcome o = activate_settled(cluster[i].mesh_port(), backend, "backend");
    ASSERT_EQ(o.code, kOk) << o.details;
    auto served_root =
        crypto::Certificate::from_pem(env_of(o, "MARBLE_PREDEFINED_COORDINATOR_ROOT_CA"));
    ASSERT_TRUE(served_root);
    EXPECT_EQ(served_root->der(), crypto::Certificate::from_pem(root)->der());
  }

  // A user secret set through C is in the Env of a Marble activated through A.
  const HttpResult secret = set_token(cluster[C], "from-C");
  const auto secret_at = SteadyClock::now();
  ASSERT_EQ(secret.status, 200) << secret.body;
  std::string seen;
  const auto served = poll(secret_at, kWithinASecond, [&] {
    const Outcome o = activate(cluster[A].mesh_port(), app, "app");
    seen = o.code == kOk ? env_of(o, "TOKEN") : "error: " + o.details;
    return seen == "from-C";
  });
  EXPECT_TRUE(served) << "A served TOKEN \"" << seen << "\"\n" << cluster.logs();
  if (served)
    std::cout << "[ measured ] secret through C served by A after " << ms(*served) << " ms\n";
  EXPECT_EQ(read_token(cluster[B]), "from-C");
}

// --- 3: package update -----------------------------------------------------------------------

// With the simulated DCAP PKI the Coordinators check Marble quotes (and attest each other with
// that PKI's quotes for the key exchange): an update of SecurityVersion through B makes A and C
// refuse a Marble with the old one within a second.
TEST(Cluster, PackageUpdateThroughBIsEnforcedByAAndC) {
  mr::testing::TempDir pki_dir;
  auto pki = sim::SimulatedDcapPki::create({SystemClock().now(), {}, {}});
  ASSERT_TRUE(pki) << pki.error().message;
  const fs::path pki_path = pki_dir.path() / "pki.json";
  write_file(pki_path, as_bytes((*pki)->to_json()));
  Cluster cluster({{"OE_SIMULATION", "0"}, {"EDG_COORDINATOR_SIMULATED_DCAP_PKI", pki_path}});
  cluster.start_all();

  const std::string signer(64, 'b');
  const Json m = {
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
  const HttpResult set = set_manifest(cluster[A], m.dump());
  ASSERT_EQ(set.status, 200) << set.body;
  ASSERT_TRUE(cluster.all_in_state(3, SteadyClock::now(), 10s)) << cluster.logs();

  const Marble marble = make_marble(cluster.dir(), "app");
  auto quote = [&](std::uint16_t svn) {
    sim::SimulatedEnclave e;
    e.mr_enclave.fill(0xa1);
    e.mr_signer.fill(0xbb);
    e.isv_prod_id = 3;
    e.isv_svn = svn;
    sim::SimulatedDcapIssuer issuer(*pki, e);
    auto q = issuer.issue(crypto::sha256(marble.cert.der()));
    EXPECT_TRUE(q) << q.error().message;
    return q ? *q : Bytes();
  };
  const Bytes svn3 = quote(3), svn4 = quote(4);
  for (int i : {A, B, C}) {
    const Outcome o = activate(cluster[i].mesh_port(), marble, "app", svn3);
    ASSERT_EQ(o.code, kOk) << char('A' + i) << ": " << o.details;
  }

  const std::string update = b64_body(R"({"Packages":{"pkg":{"SecurityVersion":4}}})");
  const HttpResult r =
      curl_https(cluster[B].client_url() + "/api/v2/update", &update, as_user("alice"));
  const auto updated_at = SteadyClock::now();
  ASSERT_EQ(r.status, 200) << r.body;
  for (int i : {A, C}) {
    Outcome last;
    const auto refused = poll(updated_at, kWithinASecond, [&] {
      last = activate(cluster[i].mesh_port(), marble, "app", svn3);
      return last.code == kPermissionDenied;
    });
    EXPECT_TRUE(refused) << char('A' + i) << " still answers " << last.code << " " << last.details
                         << "\n"
                         << cluster.logs();
    if (refused) {
      std::cout << "[ measured ] " << char('A' + i) << " refuses SecurityVersion 3 " << ms(*refused)
                << " ms after the update\n";
    }
    // The update rotates the Marble API's certificate: for a moment the listener is rebuilt and
    // refuses connections (marble_server.h), which a Marble retries.
    Outcome fresh;
    EXPECT_TRUE(poll(SteadyClock::now(), kWithinASecond,
                     [&] {
                       fresh = activate(cluster[i].mesh_port(), marble, "app", svn4);
                       return fresh.code == kOk;
                     }))
        << fresh.code << " " << fresh.details;
  }
}

// --- 4: MaxActivations across instances ------------------------------------------------------

TEST(Cluster, MaxActivationsHoldsAcrossInstances) {
  Cluster cluster;
  cluster.start_all();
  ASSERT_EQ(set_manifest(cluster[A], manifest(200)).status, 200);
  ASSERT_TRUE(cluster.all_in_state(3, SteadyClock::now(), 10s)) << cluster.logs();
  const Marble limited = make_marble(cluster.dir(), "limited");

  std::array<std::vector<std::pair<int, std::string>>, 3> results;
  {
    std::vector<std::thread> clients;
    for (int i : {A, B, C}) {
      clients.emplace_back([&, i, port = cluster[i].mesh_port()] {
        results[i] = activate_node(port, limited, "limited", 100);
      });
    }
    for (auto& t : clients)
      t.join();
  }
  const std::string exhausted =
      R"(marble verification failed: reached max activations count (200) for marble type "limited")";
  int ok = 0, refused = 0;
  for (int i : {A, B, C}) {
    ASSERT_EQ(results[i].size(), 100u);
    std::cout << "[ measured ] " << char('A' + i) << ": " << count_code(results[i], kOk)
              << " activations succeeded\n";
    for (const auto& [code, details] : results[i]) {
      if (code == kOk) {
        ++ok;
      } else if (code == kPermissionDenied && details == exhausted) {
        ++refused;
      } else {
        ADD_FAILURE() << char('A' + i) << ": unexpected result " << code << " " << details;
      }
    }
  }
  EXPECT_EQ(ok, 200) << cluster.logs();
  EXPECT_EQ(refused, 100);
  for (int i : {A, B, C}) {
    const Outcome o = activate(cluster[i].mesh_port(), limited, "limited");
    EXPECT_EQ(o.code, kPermissionDenied) << o.details;
  }
}

// --- 5: killed, restarted, wiped -------------------------------------------------------------

TEST(Cluster, KilledRestartedAndWipedInstances) {
  Cluster cluster;
  cluster.start_all();
  const HttpResult set = set_manifest(cluster[A], manifest());
  ASSERT_EQ(set.status, 200) << set.body;
  const std::string secret_b64 = json_of(set)["data"]["RecoverySecrets"]["officer"];
  ASSERT_TRUE(cluster.all_in_state(3, SteadyClock::now(), 10s)) << cluster.logs();
  const std::string root = root_pem(cluster[A]);
  const Marble app = make_marble(cluster.dir(), "app");
  const Marble backend = make_marble(cluster.dir(), "backend");

  // A killed: B and C carry on.
  cluster[A].kill();
  for (int i : {B, C}) {
    // A listener rebuilt for the joined state's certificate may still refuse for a moment.
    Outcome o;
    EXPECT_TRUE(poll(SteadyClock::now(), kWithinASecond,
                     [&] {
                       o = activate(cluster[i].mesh_port(), backend, "backend");
                       return o.code == kOk;
                     }))
        << o.code << " " << o.details;
    EXPECT_EQ(status_code(cluster[i]), 3);
  }
  ASSERT_EQ(set_token(cluster[B], "while-A-was-down").status, 200);

  // A restarted on its seal directory: state 3 at once, no recovery, the newer secret.
  cluster.start(A);
  EXPECT_EQ(status_code(cluster[A]), 3) << cluster[A].log();
  EXPECT_THAT(cluster[A].log(), Not(HasSubstr("RECOVERY MODE")));
  EXPECT_EQ(root_pem(cluster[A]), root);
  EXPECT_EQ(read_token(cluster[A]), "while-A-was-down");
  EXPECT_EQ(activate_settled(cluster[A].mesh_port(), app, "app").code, kOk);

  // All three stopped and restarted: state 3 again, each with its own sealed copy of the key.
  cluster.stop_all();
  cluster.start_all();
  for (int i : {A, B, C}) {
    EXPECT_EQ(status_code(cluster[i]), 3) << cluster[i].log();
    EXPECT_THAT(cluster[i].log(), Not(HasSubstr("RECOVERY MODE")));
    EXPECT_EQ(root_pem(cluster[i]), root);
  }

  // All seal directories wiped (every machine lost its seal key): recovery mode everywhere.
  cluster.stop_all();
  for (int i : {A, B, C})
    fs::remove_all(cluster.seal_dir(i));
  cluster.start_all();
  ASSERT_TRUE(cluster.all_in_state(1, SteadyClock::now(), 5s)) << cluster.logs();
  EXPECT_NE(root_pem(cluster[A]), root);

  // One recover on B: all three back in state 3 with the old root.
  auto key = *crypto::PrivateKey::from_pem(read_file(testdata_key("recovery_1.key.pem")));
  auto plain = *crypto::rsa_oaep_decrypt(key, *base64_decode(secret_b64));
  auto sig = *crypto::sign(key, plain.span(), crypto::HashAlg::kSha256);
  const std::string recover = Json{
      {"recoverySecret", base64_encode(plain.span())},
      {"recoverySecretSignature",
       base64_encode(sig)}}.dump();
  const HttpResult rec = curl_https(cluster[B].client_url() + "/api/v2/recover", &recover);
  const auto recovered_at = SteadyClock::now();
  ASSERT_EQ(rec.status, 200) << rec.body;
  const auto back = cluster.all_in_state(3, recovered_at, 5s);
  ASSERT_TRUE(back) << cluster.logs();
  std::cout << "[ measured ] all three in state 3 " << ms(*back) << " ms after one recover\n";
  for (int i : {A, B, C}) {
    EXPECT_EQ(root_pem(cluster[i]), root);
    EXPECT_EQ(read_token(cluster[i]), "while-A-was-down");
    EXPECT_EQ(activate_settled(cluster[i].mesh_port(), app, "app").code, kOk);
  }
  // And a restart after the recovery needs none (each re-sealed its copy of the key).
  cluster.stop_all();
  cluster.start_all();
  for (int i : {A, B, C})
    EXPECT_EQ(status_code(cluster[i]), 3) << cluster[i].log();
}

// --- 6: etcd stopped under load --------------------------------------------------------------

TEST(Cluster, EtcdStoppedUnderLoad) {
  constexpr int kMax = 300;
  Cluster cluster;
  cluster.start_all();
  ASSERT_EQ(set_manifest(cluster[A], manifest(kMax)).status, 200);
  ASSERT_TRUE(cluster.all_in_state(3, SteadyClock::now(), 10s)) << cluster.logs();
  const Marble limited = make_marble(cluster.dir(), "limited");

  // Acknowledged before the outage.
  int acknowledged = count_code(activate_node(cluster[A].mesh_port(), limited, "limited", 30), kOk);
  ASSERT_EQ(acknowledged, 30);

  // Load on B and C while etcd stops.
  std::atomic<bool> stop_load{false};
  std::mutex mu;
  std::vector<Outcome> during;
  std::vector<std::thread> load;
  for (int i : {B, C}) {
    load.emplace_back([&, port = cluster[i].mesh_port()] {
      while (!stop_load) {
        Outcome o = activate(port, limited, "limited", {}, 20s);
        std::scoped_lock lock(mu);
        during.push_back(std::move(o));
      }
    });
  }
  std::this_thread::sleep_for(300ms);
  cluster.etcd().stop();
  const auto stopped_at = SteadyClock::now();
  // A call during the outage fails with a gRPC error, well within its deadline.
  const Outcome outage = activate(cluster[A].mesh_port(), limited, "limited", {}, 20s);
  EXPECT_NE(outage.code, kOk);
  EXPECT_NE(outage.code, kDeadlineExceeded) << "the call hung until the client's deadline";
  EXPECT_LT(outage.latency, 12s);
  std::cout << "[ measured ] activation during the outage: code " << outage.code << " \""
            << outage.details << "\" after " << ms(outage.latency) << " ms\n";
  // The client API still answers.
  EXPECT_EQ(curl_https(cluster[B].client_url() + "/api/v2/status").status, 200);
  std::this_thread::sleep_for(
      std::max(SteadyClock::duration(0), 2s - (SteadyClock::now() - stopped_at)));

  // The load stops before etcd comes back: with it running, B and C could use up the remaining
  // activations before the resumption below is checked on every instance.
  stop_load = true;
  for (auto& t : load)
    t.join();
  ASSERT_TRUE(cluster.etcd().restart());
  const auto restarted_at = SteadyClock::now();
  // Service resumes without restarting a Coordinator.
  for (int i : {A, B, C}) {
    Outcome last;
    const auto resumed = poll(restarted_at, 20s, [&] {
      last = activate(cluster[i].mesh_port(), limited, "limited", {}, 20s);
      return last.code == kOk;
    });
    EXPECT_TRUE(resumed) << char('A' + i) << ": " << last.code << " " << last.details << "\n"
                         << cluster.logs();
    if (resumed) {
      ++acknowledged;
      std::cout << "[ measured ] " << char('A' + i) << " activates again " << ms(*resumed)
                << " ms after etcd restarted\n";
    }
  }
  int failed = 0;
  std::map<std::string, int> errors;
  for (const Outcome& o : during) {
    if (o.code == kOk) {
      ++acknowledged;
    } else {
      ++failed;
      ++errors[std::to_string(o.code) + " " + o.details];
      EXPECT_NE(o.code, kDeadlineExceeded) << "a call hung until the client's deadline";
      EXPECT_LT(o.latency, 12s) << o.details;
    }
  }
  for (const auto& [e, n] : errors)
    std::cout << "[ measured ] during the outage " << n << "x: " << e << "\n";
  EXPECT_GT(failed, 0) << "no call failed: the outage was not under load";

  for (int i : {A, B, C})
    EXPECT_TRUE(alive(cluster[i].pid())) << char('A' + i) << " died\n" << cluster.logs();

  // Nothing acknowledged is lost: at most kMax - acknowledged more succeed. A call that failed
  // while its commit reached etcd may have been counted too (at most |failed| of them).
  const int remaining = count_code(
      activate_node(cluster[C].mesh_port(), limited, "limited", kMax - acknowledged + 20), kOk);
  std::cout << "[ measured ] acknowledged " << acknowledged << ", failed " << failed << ", then "
            << remaining << " more succeeded (max " << kMax << ")\n";
  EXPECT_LE(acknowledged + remaining, kMax);
  EXPECT_GE(acknowledged + remaining + failed + 1, kMax);  // +1: the single outage call
}

// --- 7: records replayed or deleted in etcd ---------------------------------------------------

// The host's hands on etcd: the raw records under the Coordinators' prefix.
class HostEtcd {
 public:
  explicit HostEtcd(const std::string& endpoint) {
    store::EtcdStoreConfig config;
    config.endpoints = {endpoint};
    config.key_prefix = "/marblerun/";
    auto s = store::EtcdStore::open(std::move(config));
    if (!s) throw std::runtime_error(s.error().message);
    store_ = std::move(*s);
  }
  std::map<std::string, Bytes> dump() {
    std::map<std::string, Bytes> out;
    auto txn = std::move(*store_->begin_read());
    const std::vector<std::string> names = *txn->list("");
    for (const std::string& k : names)
      out[k] = **txn->get(k);
    return out;
  }
  // restore makes the records exactly |records|.
  void restore(const std::map<std::string, Bytes>& records) {
    auto txn = std::move(*store_->begin());
    ASSERT_TRUE(txn->erase_prefix(""));
    for (const auto& [k, v] : records)
      ASSERT_TRUE(txn->put(k, v));
    ASSERT_TRUE(txn->commit());
  }
  void put(std::string_view key, ByteSpan value) {
    auto txn = std::move(*store_->begin());
    ASSERT_TRUE(txn->put(key, value));
    ASSERT_TRUE(txn->commit());
  }
  void erase(std::string_view key) {
    auto txn = std::move(*store_->begin());
    ASSERT_TRUE(txn->erase(key));
    ASSERT_TRUE(txn->commit());
  }

 private:
  std::unique_ptr<store::EtcdStore> store_;
};

TEST(Cluster, RecordsReplayedOrDeletedInEtcdAreRefused) {
  Cluster cluster;
  cluster.start_all();
  ASSERT_EQ(set_manifest(cluster[A], manifest()).status, 200);
  ASSERT_TRUE(cluster.all_in_state(3, SteadyClock::now(), 10s)) << cluster.logs();
  const Marble app = make_marble(cluster.dir(), "app");
  HostEtcd host(cluster.etcd().endpoint());

  ASSERT_EQ(set_token(cluster[A], "first").status, 200);
  ASSERT_TRUE(poll(SteadyClock::now(), 5s, [&] { return read_token(cluster[C]) == "first"; }));
  const std::map<std::string, Bytes> old_state = host.dump();
  ASSERT_TRUE(old_state.contains(keys::secret("token")));
  ASSERT_EQ(set_token(cluster[B], "second").status, 200);
  ASSERT_TRUE(poll(SteadyClock::now(), 5s, [&] {
    return read_token(cluster[A]) == "second" && read_token(cluster[C]) == "second";
  }));
  const std::map<std::string, Bytes> good_state = host.dump();
  ASSERT_NE(good_state.at(keys::secret("token")), old_state.at(keys::secret("token")));

  // What no instance may do after an attack: serve "first" (to alice or to a Marble).
  auto serves_old = [&](int i) {
    const Outcome o = activate(cluster[i].mesh_port(), app, "app");
    return read_token(cluster[i]) == "first" || (o.code == kOk && env_of(o, "TOKEN") == "first");
  };
  // A restarted on its seal directory must refuse the state; restart_a returns its log.
  auto restart_a = [&]() -> std::string {
    cluster.slot(A)->stop();
    try {
      cluster.start(A);
    } catch (const std::runtime_error& e) {
      cluster.slot(A).reset();
      return e.what();
    }
    // Started: it must not be serving the state.
    EXPECT_NE(status_code(cluster[A]), 3) << cluster[A].log();
    EXPECT_FALSE(serves_old(A));
    return cluster[A].log();
  };

  struct Attack {
    const char* name;
    std::function<void()> run;
  };
  std::string first_update_log;
  for (const auto& [k, v] : good_state) {
    if (k.starts_with(keys::kUpdateLogPrefix)) {
      first_update_log = k;
      break;
    }
  }
  ASSERT_FALSE(first_update_log.empty());
  const Attack attacks[] = {
      {"one record replayed",
       [&] { host.put(keys::secret("token"), old_state.at(keys::secret("token"))); }},
      {"the whole state rolled back (integrity root included)", [&] { host.restore(old_state); }},
      {"a record deleted", [&] { host.erase(first_update_log); }},
  };
  for (const Attack& attack : attacks) {
    SCOPED_TRACE(attack.name);
    const std::size_t b_log = cluster[B].log().size(), c_log = cluster[C].log().size();
    attack.run();
    const auto attacked_at = SteadyClock::now();
    // For a second and a half no running instance serves the old value.
    while (SteadyClock::now() - attacked_at < kWithinASecond) {
      for (int i : {B, C})
        EXPECT_FALSE(serves_old(i)) << char('A' + i) << "\n" << cluster.logs();
    }
    const Outcome b = activate(cluster[B].mesh_port(), app, "app");
    std::cout << "[ measured ] " << attack.name << ": B answers an activation with " << b.code
              << " \"" << b.details << "\"\n";
    // A Coordinator restarted on its seal directory refuses the state (for the whole state
    // rolled back: a running peer has seen a later commit).
    const std::string a_log = restart_a();
    EXPECT_THAT(a_log, HasSubstr("integrity")) << a_log;
    // The running instances noticed too (a replay of a single record that nothing reads yet
    // may only be found when read: reported below, not required).
    for (int i : {B, C}) {
      const std::string log = cluster[i].log().substr(i == B ? b_log : c_log);
      const auto at = log.find("integrity");
      const bool noticed = at != std::string::npos;
      if (noticed) {
        const auto begin = log.rfind('\n', at) + 1;
        std::cout << "[ log ] " << log.substr(begin, log.find('\n', at) - begin) << "\n";
      }
      std::cout << "[ measured ] " << attack.name << ": " << char('A' + i)
                << (noticed ? " logged an integrity failure" : " logged no integrity failure")
                << "\n";
    }

    // Restored to what the Coordinators last committed: everything works again (so the refusals
    // above came from the attack).
    host.restore(good_state);
    if (cluster.slot(A)) cluster.slot(A)->stop();
    cluster.start(A);
    EXPECT_TRUE(cluster.all_in_state(3, SteadyClock::now(), 5s)) << cluster.logs();
    for (int i : {A, B, C}) {
      Outcome o;
      EXPECT_TRUE(poll(SteadyClock::now(), 5s,
                       [&] {
                         o = activate(cluster[i].mesh_port(), app, "app");
                         return o.code == kOk;
                       }))
          << char('A' + i) << ": " << o.details << "\n"
          << cluster.logs();
      EXPECT_EQ(env_of(o, "TOKEN"), "second");
    }
  }
}

// "Replaying a whole earlier state" (docs/security.md) in the HA mode: the host writes back an
// entire earlier state (integrity root included) and restarts ONE instance. The running ones
// refuse it (RecordsReplayedOrDeletedInEtcdAreRefused), and the restarted one learns the newest
// commit from a running peer (it comes with the data key) and refuses to start on the old state.
TEST(Cluster, ARestartedInstanceRefusesAWholeStateRollback) {
  Cluster cluster;
  cluster.start_all();
  ASSERT_EQ(set_manifest(cluster[A], manifest()).status, 200);
  ASSERT_TRUE(cluster.all_in_state(3, SteadyClock::now(), 10s)) << cluster.logs();
  HostEtcd host(cluster.etcd().endpoint());
  ASSERT_EQ(set_token(cluster[A], "first").status, 200);
  const std::map<std::string, Bytes> old_state = host.dump();
  ASSERT_EQ(set_token(cluster[B], "second").status, 200);
  ASSERT_TRUE(poll(SteadyClock::now(), 5s, [&] { return read_token(cluster[A]) == "second"; }));

  host.restore(old_state);
  cluster.slot(A)->stop();
  std::string log;
  try {
    cluster.start(A);
    EXPECT_NE(read_token(cluster[A]), "first");
    EXPECT_NE(status_code(cluster[A]), 3);
    log = cluster[A].log();
  } catch (const std::runtime_error& e) {
    log = e.what();
  }
  EXPECT_THAT(log, HasSubstr("replay")) << log;
}

}  // namespace
}  // namespace mr::test
