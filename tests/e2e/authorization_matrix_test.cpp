// The authorization matrix of the client API (issue 11): every route and method of the real
// route table (api/rest/client_routes.h, the one the Coordinator serves), the spec's routes this
// Coordinator does not serve, every other method of every path and unknown paths (405) x five
// client identities x the three states a client can meet (recovery, accepting a manifest,
// accepting Marbles), over real HTTPS (TLS with client certificates) against a real Core. Each
// cell checks the HTTP status, the JSend status and, where the spec fixes it, the message; a
// refused call and every GET must leave the store (every record of the persistent and the
// volatile store) and the published state exactly as they were.
//
// Expected outcomes are the spec's (marblerun-behaviour.md 3, 4.4, 10). Where this Coordinator
// deliberately or knowingly answers otherwise, a named Deviation says what it does instead; the
// test checks that, fails on a deviation no cell uses, and prints them all.
//
// No gap: the rows are checked against the route table in both directions (and the auth policy
// of each route against its row), and the refused methods are generated from it, so a route
// added without a row fails the test.

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "api/rest/client_routes.h"
#include "api/rest/core_identity.h"
#include "api/rest/rest_server.h"
#include "api/rest/router.h"
#include "api/rest/test/https_client.h"
#include "attestation/quote_issuer.h"
#include "base/clock.h"
#include "base/encoding.h"
#include "base/log.h"
#include "base/testing/temp_dir.h"
#include "core/client_api.h"
#include "core/core.h"
#include "core/feature_api.h"
#include "core/secret_api.h"
#include "core/update_api.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/x509.h"
#include "gojson/go_json.h"
#include "seal/file_seal_key_provider.h"
#include "store/memory/memory_store.h"
#include "support/process.h"

namespace mr::test {
namespace {

namespace fs = std::filesystem;
namespace rest = api::rest;
using gojson::Json;
using rest::testing::ClientCertificate;
using rest::testing::RawResponse;
using namespace std::chrono_literals;

// --- identities ------------------------------------------------------------------------------

enum class Who {
  kNoCert,
  kUnknownCert,
  kUserWithoutRole,
  kUserWithRole,
  kOutsiderWithUserAppended
};
constexpr Who kEveryone[] = {Who::kNoCert, Who::kUnknownCert, Who::kUserWithoutRole,
                             Who::kUserWithRole, Who::kOutsiderWithUserAppended};

std::string_view who_name(Who w) {
  switch (w) {
    case Who::kNoCert:
      return "no client certificate";
    case Who::kUnknownCert:
      return "unknown certificate";
    case Who::kUserWithoutRole:
      return "user without the role";
    case Who::kUserWithRole:
      return "user with the role";
    case Who::kOutsiderWithUserAppended:
      return "outsider's certificate with the user's appended";
  }
  return "?";
}

// A self-signed certificate and its key (users are matched by certificate bytes only).
ClientCertificate make_identity(const std::string& name) {
  auto key = crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP256));
  EXPECT_TRUE(key);
  crypto::CertTemplate t;
  t.subject.common_name = name;
  const UnixTime now = SystemClock().now();
  t.not_before = now - std::chrono::hours(1);
  t.not_after = now + std::chrono::hours(24);
  auto cert = crypto::create_certificate(t, key->public_key(), nullptr, *key);
  EXPECT_TRUE(cert) << cert.error().message;
  return {cert->pem(), to_string(key->to_pem().span()), ""};
}

// The users of the manifest: "admin" holds every role; each "no_<role>" user holds every role
// but one, so that a refusal shows the check is on the permission the route needs.
const char* const kUsers[] = {"admin", "no_read", "no_write", "no_package", "no_update"};

struct Identities {
  std::map<std::string, ClientCertificate, std::less<>> users;
  ClientCertificate outsider;             // a certificate no user has
  ClientCertificate outsider_with_admin;  // outsider's leaf and key, admin's certificate appended

  static Identities make() {
    Identities ids;
    for (const char* u : kUsers)
      ids.users[u] = make_identity(u);
    ids.outsider = make_identity("outsider");
    ids.outsider_with_admin = ids.outsider;
    ids.outsider_with_admin.chain_pem = ids.users["admin"].cert_pem;
    return ids;
  }
};

// --- the manifest and the requests ---------------------------------------------------------

std::string key_pem(int officer) {
  return read_file(testdata_key("recovery_" + std::to_string(officer) + ".key.pem"));
}

Json manifest_json(const Identities& ids) {
  Json users = Json::object();
  const std::map<std::string, std::vector<std::string>> roles = {
      {"admin", {"reader", "writer", "packager", "updater"}},
      {"no_read", {"writer", "packager", "updater"}},
      {"no_write", {"reader", "packager", "updater"}},
      {"no_package", {"reader", "writer", "updater"}},
      {"no_update", {"reader", "writer", "packager"}}};
  for (const auto& [name, r] : roles)
    users[name] = {{"Certificate", ids.users.at(name).cert_pem}, {"Roles", r}};
  return Json{
      {"Packages",
       {{"app", {{"SignerID", std::string(64, 'a')}, {"ProductID", 1}, {"SecurityVersion", 1}}}}},
      {"Marbles",
       {{"app",
         {{"Package", "app"},
          {"Parameters", {{"Env", {{"TOKEN", "{{ string .Secrets.token }}"}}}}}}}}},
      {"Secrets",
       {{"token", {{"Type", "plain"}, {"UserDefined", true}}},
        {"shared_key", {{"Type", "symmetric-key"}, {"Size", 128}, {"Shared", true}}}}},
      {"Users", users},
      {"Roles",
       {{"reader",
         {{"ResourceType", "Secrets"},
          {"ResourceNames", {"token", "shared_key"}},
          {"Actions", {"ReadSecret"}}}},
        {"writer",
         {{"ResourceType", "Secrets"}, {"ResourceNames", {"token"}}, {"Actions", {"WriteSecret"}}}},
        {"packager",
         {{"ResourceType", "Packages"},
          {"ResourceNames", {"app"}},
          {"Actions", {"UpdateSecurityVersion"}}}},
        {"updater", {{"ResourceType", "Manifest"}, {"Actions", {"UpdateManifest"}}}}}},
      {"RecoveryKeys", {{"officer", read_file(testdata_key("recovery_1.pub.pem"))}}},
      // Two of the four users with UpdateManifest apply a full update.
      {"Config", {{"UpdateThreshold", 2}}}};
}

std::string v2_manifest_body(const std::string& raw) {
  return Json{{"manifest", base64_encode(as_bytes(raw))}}.dump();
}

// Every request body the rows send, valid for the baseline state: an authorized call in the
// right state succeeds.
struct Bodies {
  std::string manifest;        // the initial manifest (raw)
  std::string full_update;     // a full update (raw)
  std::string pending_update;  // the full update the "pending" setup proposes (raw)
  std::string package_update;  // a SecurityVersion update (raw)
  std::string recover_v2;      // the recovery secret and its signature
  std::string secrets_v1;      // an upload of the user-defined secret (v1 map)
  std::string secrets_v2;      // the same, v2 wrapper
};

// --- one Coordinator in process --------------------------------------------------------------

class NoTeeIssuer final : public attestation::QuoteIssuer {
 public:
  Result<Bytes> issue(ByteSpan) override {
    return fail(ErrorCode::kUnimplemented, std::string(attestation::kNoTeeMessage));
  }
};

enum class State { kRecovery = 1, kAcceptingManifest = 2, kAcceptingMarbles = 3 };

void copy_store(store::Store& from, store::Store& to) {
  auto read = std::move(*from.begin_read());
  auto txn = std::move(*to.begin());
  const std::vector<std::string> keys = *read->list("");
  for (const std::string& key : keys) {
    ASSERT_TRUE(txn->put(key, **read->get(key)));
  }
  ASSERT_TRUE(txn->commit());
}

// dump_store appends every record of |s| (length-prefixed key and value) to |out|.
void dump_store(store::Store& s, std::string& out) {
  auto read = std::move(*s.begin_read());
  const std::vector<std::string> keys = *read->list("");
  for (const std::string& key : keys) {
    const Bytes value = **read->get(key);
    out += std::to_string(key.size()) + ':' + key + std::to_string(value.size()) + ':' +
           to_string(value);
  }
}

// Coordinator: a Core over memory stores (the persistent one a copy of a prepared state) behind
// the real RestServer and client_router, wired as main.cpp wires them.
class Coordinator {
 public:
  Coordinator(store::Store* prepared, const fs::path& seal_dir) {
    if (prepared != nullptr) copy_store(*prepared, persistent_);
    seal_keys_ = std::make_unique<seal::FileSealKeyProvider>(seal_dir);
    auto core = core::Core::start(
        core::CoreDeps{&clock_, &persistent_, &volatile_, seal_keys_.get(), &issuer_},
        core::CoreConfig{.simulation = true});
    EXPECT_TRUE(core) << core.error().message;
    core_ = std::move(*core);
    client_ = std::make_unique<core::ClientApi>(*core_);
    secrets_ = std::make_unique<core::SecretApi>(*core_);
    updates_ = std::make_unique<core::UpdateApi>(*core_);
    features_ = std::make_unique<core::FeatureApi>(*core_, nullptr);  // simulation: no verifier
    rest::RestServerConfig config;
    config.address = "127.0.0.1:0";
    config.read_timeout = 5s;
    config.keep_alive_timeout = 1s;
    config.worker_threads = 2;
    auto server = rest::RestServer::create(config, rest::client_router(services()),
                                           rest::core_tls_identity(*core_));
    EXPECT_TRUE(server) << server.error().message;
    server_ = std::move(*server);
    EXPECT_TRUE(server_->start());
  }
  ~Coordinator() { server_.reset(); }

  rest::ClientServices services() {
    return {*client_, *secrets_, *updates_, features_.get(), "1.2.3", "abcdef"};
  }
  [[nodiscard]] int port() const { return server_->port(); }
  [[nodiscard]] State state() const { return static_cast<State>(core_->snapshot()->state); }
  core::ClientApi& client() { return *client_; }
  core::SecretApi& secrets() { return *secrets_; }
  core::UpdateApi& updates() { return *updates_; }
  store::Store& persistent() { return persistent_; }

  // Fingerprint is what a refused call must not change: every record of both stores, and which
  // state object is published (a commit always publishes a new one).
  struct Fingerprint {
    std::string records;
    const void* snapshot = nullptr;
    friend bool operator==(const Fingerprint&, const Fingerprint&) = default;
  };
  Fingerprint fingerprint() {
    Fingerprint f;
    dump_store(persistent_, f.records);
    f.records += "|volatile|";
    dump_store(volatile_, f.records);
    f.snapshot = core_->snapshot().get();
    return f;
  }

 private:
  SystemClock clock_;
  store::MemoryStore persistent_;
  store::MemoryStore volatile_;
  std::unique_ptr<seal::FileSealKeyProvider> seal_keys_;
  NoTeeIssuer issuer_;
  std::unique_ptr<core::Core> core_;
  std::unique_ptr<core::ClientApi> client_;
  std::unique_ptr<core::SecretApi> secrets_;
  std::unique_ptr<core::UpdateApi> updates_;
  std::unique_ptr<core::FeatureApi> features_;
  std::unique_ptr<rest::RestServer> server_;
};

// --- expectations ------------------------------------------------------------------------------

struct Expect {
  int status = 200;
  std::string jsend = "success";
  std::string message;  // a part of the JSend message; empty: not checked
  bool exact_message = false;
};

const std::string kWrongState = "server is not in expected state";
const std::string kUnknownUser(rest::kUnknownUserMessage);

Expect ok() {
  return {};
}
Expect error(int status, std::string message, bool exact = false) {
  return {status, "error", std::move(message), exact};
}
Expect unauthenticated(rest::ApiVersion v) {
  return {401, v == rest::ApiVersion::kV2 ? "fail" : "error", kUnknownUser, true};
}
Expect method_not_allowed() {
  return {405, "error", "", true};
}

// Setup run before a cell in the state accepting Marbles (a multi-party update proposed by
// no_read and awaiting one more acknowledgement).
enum class Setup { kNone, kPendingUpdate };

// Spec is the outcome the spec (marblerun-behaviour.md 3.1-3.7, 4.4, 10) gives a cell.
using Spec = std::function<Expect(State, Who)>;

struct Row {
  rest::Method method;
  std::string path;   // as in the route table
  std::string query;  // appended to the path
  std::string body;
  Setup setup = Setup::kNone;
  Spec spec;
  std::string variant;     // tells rows of one route apart
  bool spec_only = false;  // a route of the spec that this Coordinator does not serve
};

// open: no authentication; |in_state(state)| is the outcome in each state, the same for everyone.
Spec open(std::function<Expect(State)> in_state) {
  return [in_state](State s, Who) { return in_state(s); };
}

// user: a route for users (spec 3.1, 10), served only in the state accepting Marbles: before a
// manifest, and in recovery, there are no users (401 for everyone, v2 "fail", v1 "error"). The
// user without the role is refused with |denied_status| (the route's error status) and the
// spec's message |denied| (10; 3.6 and 5.10-5.11 for the texts). The spec
// matches every certificate the client presents, so the outsider who appends a user's
// certificate is that user there (see the deviation "leaf only").
Spec user(rest::ApiVersion v, int denied_status, std::string denied) {
  return [v, denied_status, denied](State s, Who w) -> Expect {
    if (s != State::kAcceptingMarbles) return unauthenticated(v);
    switch (w) {
      case Who::kUserWithRole:
      case Who::kOutsiderWithUserAppended:
        return ok();
      case Who::kUserWithoutRole:
        return error(denied_status, denied, true);
      case Who::kNoCert:
      case Who::kUnknownCert:
        break;
    }
    return unauthenticated(v);
  };
}

// The refusals of the users without the role (see identity_for), in the spec's words.
const std::string kDeniedPackage =
    "user no_package is not allowed to update one or more packages of [app]";
const std::string kDeniedFull = "user no_update is not allowed to update the complete manifest";
const std::string kDeniedAck = "user no_update is not allowed to acknowledge manifest updates";
const std::string kDeniedCancel = "user no_update is not allowed to cancel the manifest update";
const std::string kDeniedRead =
    "user no_read is not allowed to read one or more secrets of: [token shared_key]";
const std::string kDeniedWrite = "user no_write is not allowed to update secret: token";

std::vector<Row> served_rows(const Bodies& b) {
  using rest::ApiVersion;
  using rest::Method;
  const auto v2 = ApiVersion::kV2;
  const auto v1 = ApiVersion::kV1;
  auto any_state = [](State) { return ok(); };
  auto only = [](State allowed, int wrong_status, std::string message) {
    return [=](State s) { return s == allowed ? ok() : error(wrong_status, message); };
  };
  auto before_manifest = [](int wrong_status) {
    return [=](State s) {
      return s != State::kAcceptingMarbles ? ok() : error(wrong_status, kWrongState);
    };
  };
  auto manifest_get_v2 = [](State s) {
    return s == State::kAcceptingMarbles ? ok() : error(500, "requested value not set", true);
  };
  auto pending_get = [](State s) {
    return s == State::kAcceptingMarbles ? ok() : error(404, "no update in progress", true);
  };
  auto gate_off = [](std::string gate) {
    return
        [=](State) { return error(403, gate + " feature is not enabled in the manifest", true); };
  };
  const std::string v1_recover_message(rest::kV1RecoverDisabledMessage);
  const std::string secrets_query = "?s=token&s=shared_key";
  const State marbles = State::kAcceptingMarbles;
  const State recovery = State::kRecovery;

  return {
      // v2, open (3.6)
      {Method::kGet, "/api/v2/status", "", "", Setup::kNone, open(any_state)},
      {Method::kGet, "/api/v2/quote", "", "", Setup::kNone, open(any_state)},
      {Method::kGet, "/api/v2/version", "", "", Setup::kNone, open(any_state)},
      {Method::kGet, "/api/v2/manifest", "", "", Setup::kNone, open(manifest_get_v2)},
      {Method::kPost, "/api/v2/manifest", "", v2_manifest_body(b.manifest), Setup::kNone,
       open(before_manifest(500))},
      {Method::kPost, "/api/v2/recover", "", b.recover_v2, Setup::kNone,
       open(only(recovery, 500, kWrongState))},
      {Method::kGet, "/api/v2/recover/public-key", "", "", Setup::kNone,
       open(only(recovery, 500, kWrongState))},
      {Method::kGet, "/api/v2/update", "", "", Setup::kNone, open(only(marbles, 500, kWrongState))},
      {Method::kGet, "/api/v2/update-manifest", "", "", Setup::kPendingUpdate, open(pending_get)},
      // v2, users (3.6, 10)
      {Method::kPost, "/api/v2/update", "", v2_manifest_body(b.package_update), Setup::kNone,
       user(v2, 500, kDeniedPackage), "package update"},
      {Method::kPost, "/api/v2/update", "", v2_manifest_body(b.full_update), Setup::kNone,
       user(v2, 500, kDeniedFull), "full update"},
      {Method::kPost, "/api/v2/update-manifest", "", v2_manifest_body(b.pending_update),
       Setup::kPendingUpdate, user(v2, 500, kDeniedAck)},
      {Method::kPost, "/api/v2/update-cancel", "", "", Setup::kPendingUpdate,
       user(v2, 500, kDeniedCancel)},
      {Method::kGet, "/api/v2/secrets", secrets_query, "", Setup::kNone,
       user(v2, 500, kDeniedRead)},
      {Method::kPost, "/api/v2/secrets", "", b.secrets_v2, Setup::kNone,
       user(v2, 500, kDeniedWrite)},
      // v1 (3.7)
      {Method::kGet, "/status", "", "", Setup::kNone, open(any_state)},
      {Method::kGet, "/quote", "", "", Setup::kNone, open(any_state)},
      {Method::kGet, "/manifest", "", "", Setup::kNone, open(any_state)},
      {Method::kPost, "/manifest", "", b.manifest, Setup::kNone, open(before_manifest(400))},
      {Method::kPost, "/recover", "", b.recover_v2, Setup::kNone,
       open([=](State) { return error(410, v1_recover_message, true); })},
      {Method::kGet, "/update", "", "", Setup::kNone, open(only(marbles, 500, kWrongState))},
      {Method::kGet, "/update-manifest", "", "", Setup::kPendingUpdate, open(pending_get)},
      {Method::kPost, "/update", "", b.package_update, Setup::kNone, user(v1, 400, kDeniedPackage),
       "package update"},
      {Method::kPost, "/update", "", b.full_update, Setup::kNone, user(v1, 400, kDeniedFull),
       "full update"},
      {Method::kPost, "/update-manifest", "", b.pending_update, Setup::kPendingUpdate,
       user(v1, 500, kDeniedAck)},
      {Method::kPost, "/update-cancel", "", "", Setup::kPendingUpdate,
       user(v1, 500, kDeniedCancel)},
      {Method::kGet, "/secrets", secrets_query, "", Setup::kNone, user(v1, 400, kDeniedRead)},
      {Method::kPost, "/secrets", "", b.secrets_v1, Setup::kNone, user(v1, 400, kDeniedWrite)},
      // The spec's feature-gated routes (3.6): the manifest enables neither gate, so 403 in every
      // state for everyone (the gate is checked before anything else).
      {Method::kPost, "/api/v2/sign-quote", "",
       Json{{"sgxQuote", base64_encode(as_bytes("not a quote"))}}.dump(), Setup::kNone,
       open(gate_off("SignQuoteEndpoint"))},
      {Method::kPost, "/api/v2/monotonic-counter", "", R"({"name":"c","value":1})", Setup::kNone,
       open(gate_off("MonotonicCounter"))},
  };
}

// Paths no route has (spec 3.2: unregistered paths, trailing-slash variants included, answer
// 405 to every method).
const char* const kUnknownPaths[] = {"/", "/api/v2/status/", "/api/v2/no-such-route"};
// The methods tried on every path; those without a route answer 405 (spec 3.2).
const char* const kMethods[] = {"GET", "POST", "PUT", "DELETE"};

// --- where this Coordinator differs from the spec -----------------------------------------------

// A Cell is one request of the matrix.
struct Cell {
  State state;
  Who who;
  std::string method;
  std::string path;
};

// Deviation: cells where this Coordinator answers other than the spec says. Each is checked
// against what the code does instead (so a change either way is noticed), must be used by at
// least one cell, and is reported.
struct Deviation {
  std::string name;
  std::string why;
  std::function<bool(const Cell&)> applies;
  std::function<Expect(const Cell&)> instead;
};

rest::ApiVersion version_of(std::string_view path) {
  return path.starts_with("/api/v2/") ? rest::ApiVersion::kV2 : rest::ApiVersion::kV1;
}

using RouteKey = std::pair<std::string, std::string>;  // (method, path)

std::vector<Deviation> deviations(const std::set<RouteKey>& /*table*/,
                                  const std::map<RouteKey, rest::Auth>& auth) {
  return {
      {"leaf only",
       "users are authenticated by the TLS leaf certificate only, whose key the client proved; "
       "the spec (3.1) matches any presented certificate, so an appended user certificate "
       "would make the outsider that user (docs/compatibility.md, \"User authentication\")",
       [&auth](const Cell& c) {
         const auto a = auth.find({c.method, c.path});
         return c.who == Who::kOutsiderWithUserAppended && c.state == State::kAcceptingMarbles &&
                a != auth.end() && a->second == rest::Auth::kUser;
       },
       [](const Cell& c) { return unauthenticated(version_of(c.path)); }},
  };
}

// Who, for an Auth::kUser row, presents which certificate; |without_role| depends on the row.
const ClientCertificate* identity_for(const Identities& ids, Who w, const Row& row) {
  switch (w) {
    case Who::kNoCert:
      return nullptr;
    case Who::kUnknownCert:
      return &ids.outsider;
    case Who::kUserWithRole:
      return &ids.users.at("admin");
    case Who::kOutsiderWithUserAppended:
      return &ids.outsider_with_admin;
    case Who::kUserWithoutRole:
      break;
  }
  // The user holding every role but the one this route needs.
  if (row.path.ends_with("/secrets"))
    return &ids.users.at(row.method == rest::Method::kGet ? "no_read" : "no_write");
  if (row.variant == "package update") return &ids.users.at("no_package");
  return &ids.users.at("no_update");  // full update, acknowledge, cancel
}

std::string method_text(rest::Method m) {
  return std::string(rest::method_name(m));
}

// --- the fixture -------------------------------------------------------------------------------

class AuthorizationMatrix : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    log::configure(log::Format::kJson, log::Level::kError);  // 1350 request lines otherwise
    dir_ = new mr::testing::TempDir();
    ids_ = new Identities(Identities::make());
    bodies_ = new Bodies();
    prepared_ = new store::MemoryStore();
    Bodies& b = *bodies_;
    const Json m = manifest_json(*ids_);
    b.manifest = m.dump();
    Json full = m;
    full["Secrets"]["added"] = {{"Type", "symmetric-key"}, {"Size", 256}, {"Shared", true}};
    b.full_update = full.dump();
    Json pending = m;
    pending["Secrets"]["proposed"] = {{"Type", "symmetric-key"}, {"Size", 128}, {"Shared", true}};
    b.pending_update = pending.dump();
    b.package_update = Json{{"Packages", {{"app", {{"SecurityVersion", 2}}}}}}.dump();
    const Json upload = {{"token", {{"Key", base64_encode(as_bytes("uploaded by admin"))}}}};
    b.secrets_v1 = upload.dump();
    b.secrets_v2 = Json{{"secrets", upload}}.dump();

    // The state accepting Marbles: the manifest set and the user-defined secret uploaded, kept
    // in |prepared_| for the Coordinators built from it.
    Coordinator c(prepared_, seal_dir());
    auto encrypted = c.client().set_manifest(b.manifest);
    ASSERT_TRUE(encrypted) << encrypted.error().message;
    auto key = *crypto::PrivateKey::from_pem(key_pem(1));
    auto plain = crypto::rsa_oaep_decrypt(key, encrypted->at("officer"));
    ASSERT_TRUE(plain);
    auto signature = crypto::sign(key, plain->span(), crypto::HashAlg::kSha256);
    ASSERT_TRUE(signature);
    b.recover_v2 = Json{{"recoverySecret", base64_encode(plain->span())},
                        {"recoverySecretSignature", base64_encode(*signature)}}
                       .dump();
    auto first = core::parse_user_secrets(
        Json{{"token", {{"Key", base64_encode(as_bytes("first upload"))}}}});
    ASSERT_TRUE(first);
    ASSERT_TRUE(c.secrets().set("admin", *first));
    copy_store(c.persistent(), *prepared_);
  }
  static void TearDownTestSuite() {
    delete prepared_;
    delete bodies_;
    delete ids_;
    delete dir_;
  }

  static fs::path seal_dir() { return dir_->path() / "seal"; }
  // A fresh Coordinator in |state|: accepting a manifest (empty stores), accepting Marbles (the
  // prepared state), or recovery (the prepared state under a seal key that cannot unseal it).
  static std::unique_ptr<Coordinator> coordinator(State state) {
    switch (state) {
      case State::kAcceptingManifest:
        return std::make_unique<Coordinator>(nullptr, dir_->path() / "seal-fresh");
      case State::kAcceptingMarbles:
        return std::make_unique<Coordinator>(prepared_, seal_dir());
      case State::kRecovery:
        return std::make_unique<Coordinator>(prepared_, dir_->path() / "seal-other");
    }
    return nullptr;
  }

  static mr::testing::TempDir* dir_;
  static Identities* ids_;
  static Bodies* bodies_;
  static store::MemoryStore* prepared_;
};

mr::testing::TempDir* AuthorizationMatrix::dir_ = nullptr;
Identities* AuthorizationMatrix::ids_ = nullptr;
Bodies* AuthorizationMatrix::bodies_ = nullptr;
store::MemoryStore* AuthorizationMatrix::prepared_ = nullptr;

// The test client really sends the appended certificate: a bare TLS server (OpenSSL, accepting
// any client certificate) sees a chain of two, the outsider's leaf then admin's certificate.
TEST_F(AuthorizationMatrix, TheOutsiderReallyPresentsTheUsersCertificate) {
  const ClientCertificate server_id = make_identity("server");
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  ASSERT_NE(ctx, nullptr);
  BIO* cb = BIO_new_mem_buf(server_id.cert_pem.data(), static_cast<int>(server_id.cert_pem.size()));
  X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
  BIO_free(cb);
  BIO* kb = BIO_new_mem_buf(server_id.key_pem.data(), static_cast<int>(server_id.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
  BIO_free(kb);
  ASSERT_EQ(SSL_CTX_use_certificate(ctx, cert), 1);
  ASSERT_EQ(SSL_CTX_use_PrivateKey(ctx, key), 1);
  X509_free(cert);
  EVP_PKEY_free(key);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 1; });

  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);

  std::vector<Bytes> seen;
  std::thread server([&] {
    const int fd = ::accept(listener, nullptr, nullptr);
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
      auto keep = [&seen](X509* c) {
        unsigned char* der = nullptr;
        const int n = i2d_X509(c, &der);
        seen.emplace_back(der, der + std::max(n, 0));
        OPENSSL_free(der);
      };
      if (X509* leaf = SSL_get0_peer_certificate(ssl)) keep(leaf);
      STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);  // server side: without the leaf
      for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i)
        keep(sk_X509_value(chain, i));
      SSL_shutdown(ssl);
    }
    ERR_clear_error();
    SSL_free(ssl);
    ::close(fd);
  });
  auto conn =
      rest::testing::TlsConnection::connect(ntohs(addr.sin_port), &ids_->outsider_with_admin);
  EXPECT_NE(conn, nullptr);
  server.join();
  conn.reset();
  ::close(listener);
  SSL_CTX_free(ctx);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], crypto::Certificate::from_pem(ids_->outsider.cert_pem)->der());
  EXPECT_EQ(seen[1], crypto::Certificate::from_pem(ids_->users.at("admin").cert_pem)->der());
}

TEST_F(AuthorizationMatrix, EveryRouteMethodIdentityAndState) {
  const auto started = std::chrono::steady_clock::now();
  const std::vector<Row> rows = served_rows(*bodies_);

  // The route table the Coordinator serves (main.cpp serves client_router too).
  std::set<RouteKey> table;
  std::map<RouteKey, rest::Auth> auth;
  {
    std::unique_ptr<Coordinator> probe = coordinator(State::kAcceptingManifest);
    const rest::Router router = rest::client_router(probe->services());
    for (const rest::Route& r : router.routes()) {
      const RouteKey key{method_text(r.method), std::string(r.path)};
      table.insert(key);
      auth[key] = r.auth;
    }
  }

  // No gap: every route has a row, every row a route (but the spec's routes not served here),
  // and a route's auth policy is the one the spec gives its row.
  std::set<RouteKey> covered;
  std::set<RouteKey> unserved;
  for (const Row& row : rows) {
    const RouteKey key{method_text(row.method), row.path};
    (row.spec_only ? unserved : covered).insert(key);
    if (row.spec_only) {
      EXPECT_FALSE(table.contains(key))
          << key.first << " " << key.second << " is served now: make its row an ordinary one";
      continue;
    }
    const bool spec_user = row.spec(State::kAcceptingMarbles, Who::kNoCert).status == 401;
    EXPECT_EQ(auth[key] == rest::Auth::kUser, spec_user)
        << key.first << " " << key.second << ": the route's auth policy is not the spec's";
  }
  EXPECT_EQ(covered, table) << "every route of client_routes() needs a row here, and every row "
                               "a route";
  EXPECT_EQ(table.size(), 28u) << "the route table changed: review the matrix";

  // Every other method of every path, and every method of unknown paths, answers 405.
  std::vector<RouteKey> refused;
  std::set<std::string> paths(std::begin(kUnknownPaths), std::end(kUnknownPaths));
  for (const auto& [m, p] : table)
    paths.insert(p);
  for (const auto& [m, p] : unserved)
    paths.insert(p);
  for (const std::string& p : paths) {
    for (const char* m : kMethods) {
      if (!table.contains({m, p}) && !unserved.contains({m, p})) refused.emplace_back(m, p);
    }
  }
  EXPECT_EQ(refused.size(), paths.size() * std::size(kMethods) - table.size() - unserved.size());

  const std::vector<Deviation> devs = deviations(table, auth);
  std::vector<int> used(devs.size(), 0);
  // expect is the spec's outcome for |cell|, or a deviation's.
  auto expect = [&](const Cell& cell, const Expect& spec) {
    for (std::size_t i = 0; i < devs.size(); ++i) {
      if (devs[i].applies(cell)) {
        ++used[i];
        return devs[i].instead(cell);
      }
    }
    return spec;
  };

  int cells = 0;
  int writes = 0;  // successful writes (each followed by a fresh Coordinator)
  for (const State state :
       {State::kRecovery, State::kAcceptingManifest, State::kAcceptingMarbles}) {
    SCOPED_TRACE("state " + std::to_string(static_cast<int>(state)));
    std::unique_ptr<Coordinator> c;
    auto fresh = [&] {
      c.reset();
      c = coordinator(state);
      ASSERT_EQ(c->state(), state);
    };
    fresh();
    if (HasFatalFailure()) return;

    // run sends one request and checks the cell. |may_change|: a success may change the state
    // (the Coordinator is rebuilt afterwards); anything else must leave it as it was.
    auto run = [&](const Cell& cell, const std::string& target, const std::string& body,
                   const ClientCertificate* who, const Expect& e, bool may_change) {
      ++cells;
      const Coordinator::Fingerprint before = c->fingerprint();
      const std::optional<RawResponse> r =
          rest::testing::request(c->port(), cell.method, target, body, {}, who);
      ASSERT_TRUE(r) << "no response";
      EXPECT_EQ(r->status, e.status) << r->body;
      const Json j = Json::parse(r->body, nullptr, false);
      ASSERT_TRUE(j.is_object()) << r->body;
      EXPECT_EQ(j.value("status", ""), e.jsend) << r->body;
      if (e.exact_message) {
        EXPECT_EQ(j.value("message", ""), e.message) << r->body;
        // An empty message is left out (spec 3.3: the 405 body is {"status":"error","data":null}).
        if (e.message.empty()) {
          EXPECT_FALSE(j.contains("message")) << r->body;
        }
      } else if (!e.message.empty()) {
        EXPECT_THAT(j.value("message", ""), ::testing::HasSubstr(e.message)) << r->body;
      }
      // The envelope (spec 3.3): errors and failures carry no data; errors are sent as
      // text/plain (Go's http.Error), successes and failures as application/json.
      if (e.jsend != "success") {
        EXPECT_TRUE(j.contains("data") && j["data"].is_null()) << r->body;
      }
      EXPECT_EQ(r->header("Content-Type"),
                e.jsend == "error" ? "text/plain; charset=utf-8" : "application/json")
          << r->body;
      if (e.jsend == "error") {
        EXPECT_EQ(r->header("X-Content-Type-Options"), "nosniff");
      }
      const bool changed = !(c->fingerprint() == before);
      if (r->status == 200 && may_change) {
        // Every write the matrix makes with success changes the store (so the fingerprint
        // sees changes at all); the next cell needs the state as it was.
        EXPECT_TRUE(changed) << "a successful write changed nothing in the store";
        ++writes;
        fresh();
      } else {
        EXPECT_FALSE(changed) << "a refused call (or a read) changed the stored state";
      }
    };

    for (const Row& row : rows) {
      for (const Who who : kEveryone) {
        SCOPED_TRACE(method_text(row.method) + " " + row.path + row.query + " " + row.variant +
                     " as " + std::string(who_name(who)));
        if (row.setup == Setup::kPendingUpdate && state == State::kAcceptingMarbles) {
          auto proposed = c->updates().update("no_read", bodies_->pending_update);
          ASSERT_TRUE(proposed) << proposed.error().message;
          ASSERT_EQ(proposed->missing_acknowledgments, 1u);
        }
        const Cell cell{state, who, method_text(row.method), row.path};
        run(cell, row.path + row.query, row.body, identity_for(*ids_, who, row),
            expect(cell, row.spec(state, who)), row.method == rest::Method::kPost);
        if (row.setup == Setup::kPendingUpdate && state == State::kAcceptingMarbles) fresh();
        if (HasFatalFailure()) return;
      }
    }
    for (const auto& [method, path] : refused) {
      for (const Who who : kEveryone) {
        SCOPED_TRACE(method + " " + path + " as " + std::string(who_name(who)));
        const Row any{rest::Method::kGet, path};
        const Cell cell{state, who, method, path};
        run(cell, path, method == "GET" ? "" : "{}", identity_for(*ids_, who, any),
            expect(cell, method_not_allowed()), false);
        if (HasFatalFailure()) return;
      }
    }
  }
  const int expected_cells = 3 * 5 * static_cast<int>(rows.size() + refused.size());
  EXPECT_EQ(cells, expected_cells);
  for (std::size_t i = 0; i < devs.size(); ++i) {
    EXPECT_GT(used[i], 0) << "deviation \"" << devs[i].name << "\" no longer applies: remove it";
    std::cout << "[ DEVIATION ] " << devs[i].name << " (" << used[i] << " cells): " << devs[i].why
              << "\n";
  }
  const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "[ MATRIX    ] " << rows.size() << " served rows + " << refused.size()
            << " refused (method, path) pairs x " << std::size(kEveryone) << " identities x 3 "
            << "states = " << cells << " cells (" << writes << " successful writes) in " << seconds
            << " s\n";
  RecordProperty("cells", cells);
}

}  // namespace
}  // namespace mr::test
