// Secret hygiene (issue 11): the demo flow through the real Coordinator process with debug
// logging on (EDG_DEBUG_LOGGING=1), and marblerun-premain likewise. A manifest with a secret of
// every type (shared and per-Marble symmetric keys and RSA, ECDSA and Ed25519 certificates;
// user-defined plain, symmetric-key and certificate secrets) is set, a Marble is activated
// (simulation), user secrets are uploaded and read, calls that carry secret-looking input are
// refused, and the Coordinator is recovered after losing its seal key. Then no secret value,
// private key, recovery secret, seal key or uploaded value may appear, raw or in hex, base64 or
// base64url, whole or in part, in any log line of the Coordinator or of premain, nor in any error
// message a client got back; and no PEM "PRIVATE KEY" block may appear there at all.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>

#include "base/clock.h"
#include "base/encoding.h"
#include "base/testing/temp_dir.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/x509.h"
#include "gojson/go_json.h"
#include "support/process.h"
#include "support/rest_helpers.h"

namespace mr::test {
namespace {

namespace fs = std::filesystem;
using gojson::Json;
using ::testing::HasSubstr;

// --- the scanner -------------------------------------------------------------------------------

// LeakScanner holds every form in which a secret could show up in text: for each secret value,
// windows of it (so that a truncated or embedded copy is found too) raw, in lower- and upper-case
// hex, and in standard and URL-safe base64 at every byte alignment.
class LeakScanner {
 public:
  // add registers |value| (at least 16 bytes) under |name|.
  void add(const std::string& name, ByteSpan value) {
    ASSERT_GE(value.size(), 16u) << name << ": too short to look for";
    ++secrets_;
    const std::size_t n = value.size();
    // Raw and hex: 16-byte windows every 4 bytes (any copy of 19 bytes or more contains one).
    for (std::size_t i = 0; i + 16 <= n; i += 4) {
      const ByteSpan w = value.subspan(i, 16);
      add_needle(name, "raw", to_string(w));
      std::string hex = hex_encode(w);
      add_needle(name, "hex", hex);
      std::transform(hex.begin(), hex.end(), hex.begin(), ::toupper);
      add_needle(name, "HEX", hex);
    }
    // Base64: 15-byte windows (20 characters, no padding) at every offset, so that one of any
    // three consecutive offsets lines up with the encoder's 3-byte groups wherever the value
    // sits inside a larger encoded blob (a PEM body, a JSON field).
    for (std::size_t i = 0; i + 15 <= n; ++i) {
      const ByteSpan w = value.subspan(i, 15);
      add_needle(name, "base64", base64_encode(w));
      add_needle(name, "base64url", base64_encode(w, Base64Alphabet::kUrlSafe));
    }
  }
  void add(const std::string& name, std::string_view text) { add(name, as_bytes(text)); }
  // add_private_key registers a private key's PKCS#8 DER.
  void add_private_key(const std::string& name, const crypto::PrivateKey& key) {
    const SecretBytes der = key.to_pkcs8_der();
    add(name, der.span());
  }

  [[nodiscard]] std::size_t secrets() const { return secrets_; }
  [[nodiscard]] std::size_t needles() const { return needles_.size(); }

  // find returns one line per secret found in |haystack| (which secret, in which form).
  [[nodiscard]] std::vector<std::string> find(std::string_view haystack) const {
    std::unordered_set<std::string_view> grams;
    for (std::size_t i = 0; i + kGram <= haystack.size(); ++i)
      grams.insert(haystack.substr(i, kGram));
    std::set<std::string> found;
    for (const Needle& nd : needles_) {
      if (!grams.contains(std::string_view(nd.text).substr(0, kGram))) continue;
      if (haystack.find(nd.text) != std::string_view::npos)
        found.insert(nd.secret + " (" + nd.form + ")");
    }
    if (haystack.find("PRIVATE KEY") != std::string_view::npos)
      found.insert("a PEM PRIVATE KEY block");
    return {found.begin(), found.end()};
  }

 private:
  static constexpr std::size_t kGram = 16;  // every needle is at least this long
  struct Needle {
    std::string secret, form, text;
  };
  void add_needle(const std::string& secret, const char* form, std::string text) {
    needles_.push_back({secret, form, std::move(text)});
  }
  std::vector<Needle> needles_;
  std::size_t secrets_ = 0;
};

// --- the flow ------------------------------------------------------------------------------------

const char* const kCertSecrets[] = {"shared_ecdsa", "private_ecdsa", "shared_rsa",
                                    "private_rsa",  "shared_ed",     "private_ed"};
const char* const kReadable[] = {"shared_sym", "shared_ecdsa", "shared_rsa", "shared_ed",
                                 "user_plain", "user_sym",     "user_cert"};

Json manifest() {
  Json files = Json::object();
  files["shared_sym.hex"] = "{{ hex .Secrets.shared_sym }}";
  files["private_sym.hex"] = "{{ hex .Secrets.private_sym }}";
  for (const char* s : kCertSecrets)
    files[std::string(s) + ".pem"] = "{{ pem .Secrets." + std::string(s) + ".Private }}";
  files["user_sym.hex"] = "{{ hex .Secrets.user_sym }}";
  files["user_cert.pem"] = "{{ pem .Secrets.user_cert.Private }}";
  return Json{
      {"Packages", {{"app", {{"Debug", true}}}}},
      {"Marbles",
       {{"app",
         {{"Package", "app"},
          {"Parameters",
           {{"Files", files}, {"Env", {{"USER_PLAIN", "{{ string .Secrets.user_plain }}"}}}}}}}}},
      {"Secrets",
       {{"shared_sym", {{"Type", "symmetric-key"}, {"Size", 256}, {"Shared", true}}},
        {"private_sym", {{"Type", "symmetric-key"}, {"Size", 128}}},
        {"shared_ecdsa", {{"Type", "cert-ecdsa"}, {"Size", 256}, {"Shared", true}}},
        {"private_ecdsa", {{"Type", "cert-ecdsa"}, {"Size", 384}}},
        {"shared_rsa", {{"Type", "cert-rsa"}, {"Size", 2048}, {"Shared", true}}},
        {"private_rsa", {{"Type", "cert-rsa"}, {"Size", 2048}}},
        {"shared_ed", {{"Type", "cert-ed25519"}, {"Shared", true}}},
        {"private_ed", {{"Type", "cert-ed25519"}}},
        {"user_plain", {{"Type", "plain"}, {"UserDefined", true}}},
        {"user_sym", {{"Type", "symmetric-key"}, {"Size", 128}, {"UserDefined", true}}},
        {"user_cert", {{"Type", "cert-ecdsa"}, {"Size", 256}, {"UserDefined", true}}}}},
      {"Users",
       {{"alice",
         {{"Certificate", read_file(testdata_key("alice.cert.pem"))},
          {"Roles", {"reader", "writer"}}}},
        {"bob",
         {{"Certificate", read_file(testdata_key("bob.cert.pem"))}, {"Roles", {"reader"}}}}}},
      {"Roles",
       {{"reader",
         {{"ResourceType", "Secrets"},
          {"ResourceNames", std::vector<std::string>(std::begin(kReadable), std::end(kReadable))},
          {"Actions", {"ReadSecret"}}}},
        {"writer",
         {{"ResourceType", "Secrets"},
          {"ResourceNames", {"user_plain", "user_sym", "user_cert"}},
          {"Actions", {"WriteSecret"}}}}}},
      {"RecoveryKeys", {{"officer", read_file(testdata_key("recovery_1.pub.pem"))}}}};
}

crypto::Certificate self_signed(const crypto::PrivateKey& key, const std::string& name) {
  crypto::CertTemplate t;
  t.subject.common_name = name;
  const UnixTime now = SystemClock().now();
  t.not_before = now - std::chrono::hours(1);
  t.not_after = now + std::chrono::hours(24);
  auto cert = crypto::create_certificate(t, key.public_key(), nullptr, key);
  EXPECT_TRUE(cert) << cert.error().message;
  return *cert;
}

class SecretHygiene : public ::testing::Test {
 protected:
  // call sends one request and keeps the answer: an error answer is a message to scan.
  HttpResult call(const std::string& what, const std::string& path, const std::string* body,
                  const std::vector<std::string>& extra = {}) {
    HttpResult r = curl_https(c_->client_url() + path, body, extra);
    EXPECT_NE(r.status, 0) << what << ": no answer";
    if (r.status != 200) answers_.push_back({what, r.body});
    return r;
  }
  HttpResult get(const std::string& what, const std::string& path,
                 const std::vector<std::string>& extra = {}) {
    return call(what, path, nullptr, extra);
  }
  HttpResult post(const std::string& what, const std::string& path, const std::string& body,
                  const std::vector<std::string>& extra = {}) {
    return call(what, path, &body, extra);
  }
  // refused sends a call that must fail with |status|; |secret| is what it carried.
  void refused(const std::string& what, const std::string& path, const std::string& body,
               int status, const std::vector<std::string>& extra = {}) {
    const std::size_t before = answers_.size();
    const HttpResult r = post(what, path, body, extra);
    EXPECT_EQ(r.status, status) << what << ": " << r.body;
    EXPECT_EQ(answers_.size(), before + 1) << what << " was not refused";
  }
  int status_code() { return json_of(get("status", "/api/v2/status"))["data"]["code"].get<int>(); }
  std::map<std::string, Json> read_secrets() {
    std::string query;
    for (const char* s : kReadable)
      query += std::string(query.empty() ? "?" : "&") + "s=" + s;
    const HttpResult r = get("read secrets", "/api/v2/secrets" + query, as_user("alice"));
    EXPECT_EQ(r.status, 200) << r.body;
    std::map<std::string, Json> out;
    secrets_body_ = r.body;
    const Json body = json_of(r);
    for (const auto& [name, v] : body["data"]["secrets"].items())
      out[name] = v;
    return out;
  }
  // keep_log keeps the running Coordinator's log (its stdout and stderr).
  void keep_log() { coordinator_logs_.push_back(c_->log()); }

  mr::testing::TempDir dir_;
  std::unique_ptr<CoordinatorProcess> c_;
  std::vector<std::pair<std::string, std::string>> answers_;  // error answers: (call, body)
  std::vector<std::string> coordinator_logs_;                 // one per process
  std::string premain_log_;                                   // stdout and stderr
  std::string secrets_body_;                                  // the last GET secrets answer
  LeakScanner scanner_;
};

TEST_F(SecretHygiene, NoSecretInAnyLogLineOrErrorMessage) {
  const fs::path state = dir_.path() / "state";
  const std::map<std::string, std::string> debug = {{"EDG_DEBUG_LOGGING", "1"}};
  c_ = CoordinatorProcess::start({state, debug});
  ASSERT_EQ(status_code(), 2);

  // Manifests that paste private keys where certificates and public keys belong: refused, and
  // the refusal must not quote them.
  auto officer_key = *crypto::PrivateKey::from_pem(read_file(testdata_key("recovery_1.key.pem")));
  auto alice_key = *crypto::PrivateKey::from_pem(read_file(testdata_key("alice.key.pem")));
  scanner_.add_private_key("recovery key (private)", officer_key);
  scanner_.add_private_key("alice's key", alice_key);
  {
    Json m = manifest();
    m["RecoveryKeys"]["officer"] = read_file(testdata_key("recovery_1.key.pem"));
    refused("manifest with a private recovery key", "/api/v2/manifest", b64_body(m.dump()), 500);
    m = manifest();
    m["Users"]["alice"]["Certificate"] = read_file(testdata_key("alice.key.pem"));
    refused("manifest with a private key as a user certificate", "/api/v2/manifest",
            b64_body(m.dump()), 500);
    // v1, cut off in the middle of a secret value.
    const std::string cut = random_text(40);
    scanner_.add("cut-off manifest value", cut);
    refused("cut-off v1 manifest", "/manifest",
            R"({"Secrets":{"x":{"Type":"plain","Private":")" + cut, 400);
  }

  // The manifest: the encrypted recovery secret comes back; the officer decrypts it.
  const HttpResult set = post("set manifest", "/api/v2/manifest", b64_body(manifest().dump()));
  ASSERT_EQ(set.status, 200) << set.body;
  const SecretBytes recovery_secret = *crypto::rsa_oaep_decrypt(
      officer_key,
      *base64_decode(json_of(set)["data"]["RecoverySecrets"]["officer"].get<std::string>()));
  scanner_.add("recovery secret", recovery_secret.span());
  const Bytes recovery_signature =
      *crypto::sign(officer_key, recovery_secret.span(), crypto::HashAlg::kSha256);

  // User secrets, uploaded by alice.
  const std::string plain = random_text(48);
  const Bytes user_sym = crypto::random_bytes(16);
  const auto user_cert_key =
      *crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP256));
  const crypto::Certificate user_cert = self_signed(user_cert_key, "user cert");
  scanner_.add("uploaded plain secret", plain);
  scanner_.add("uploaded symmetric key", user_sym);
  scanner_.add_private_key("uploaded certificate's key", user_cert_key);
  {
    const Json upload = {{"user_plain", {{"Key", base64_encode(as_bytes(plain))}}},
                         {"user_sym", {{"Key", base64_encode(user_sym)}}},
                         {"user_cert",
                          {{"Cert", base64_encode(user_cert.der())},
                           {"Private", base64_encode(user_cert_key.to_pkcs8_der().span())}}}};
    const HttpResult up =
        post("upload", "/api/v2/secrets", Json{{"secrets", upload}}.dump(), as_user("alice"));
    ASSERT_EQ(up.status, 200) << up.body;
    // The same once more through v1 (a map without the wrapper).
    const HttpResult v1 = post("v1 upload", "/secrets", upload.dump(), as_user("alice"));
    ASSERT_EQ(v1.status, 200) << v1.body;
  }

  // Read back: every readable secret's private part is a secret to look for.
  std::map<std::string, Json> secrets = read_secrets();
  ASSERT_EQ(secrets.size(), std::size(kReadable));
  EXPECT_EQ(to_string(*base64_decode(secrets["user_plain"]["Private"].get<std::string>())), plain);
  EXPECT_EQ(*base64_decode(secrets["user_sym"]["Private"].get<std::string>()), user_sym);
  for (const char* s : {"shared_sym", "shared_ecdsa", "shared_rsa", "shared_ed"}) {
    ASSERT_TRUE(secrets[s]["Private"].is_string()) << s;
    scanner_.add(std::string("shared secret ") + s,
                 *base64_decode(secrets[s]["Private"].get<std::string>()));
  }
  EXPECT_EQ(get("v1 read", "/secrets?s=user_plain", as_user("alice")).status, 200);

  // A Marble (premain, simulation, debug logging) gets its per-Marble secrets in files and its
  // TLS key in the environment; the app saves the key and the plain secret from its environment.
  const fs::path cwd = dir_.path() / "marble";
  fs::create_directories(cwd);
  const CommandResult marble = run_command_split(
      {std::string(MR_BINARY_DIR) + "/bin/marblerun-premain", "--", "/bin/sh", "-c",
       "printf '%s' \"$MARBLE_PREDEFINED_PRIVATE_KEY\" > marble_key.pem; "
       "printf '%s' \"$USER_PLAIN\" > user_plain.txt"},
      {{"EDG_MARBLE_TYPE", "app"},
       {"EDG_MARBLE_COORDINATOR_ADDR", "127.0.0.1:" + std::to_string(c_->mesh_port())},
       {"EDG_MARBLE_UUID_FILE", (cwd / "uuid").string()},
       {"EDG_MARBLE_DNS_NAMES", "localhost"},
       {"EDG_MARBLE_ATTESTATION_DIR", (dir_.path() / "no-tee").string()},
       {"EDG_DEBUG_LOGGING", "1"}},
      cwd);
  ASSERT_EQ(marble.exit_code, 0) << marble.err;
  premain_log_ = marble.out + marble.err;
  EXPECT_EQ(read_file(cwd / "user_plain.txt"), plain);
  EXPECT_EQ(*hex_decode(read_file(cwd / "user_sym.hex")), user_sym);
  EXPECT_EQ(*hex_decode(read_file(cwd / "shared_sym.hex")),
            *base64_decode(secrets["shared_sym"]["Private"].get<std::string>()));
  scanner_.add("per-Marble symmetric key", *hex_decode(read_file(cwd / "private_sym.hex")));
  for (const char* s : kCertSecrets) {
    auto key = crypto::PrivateKey::from_pem(read_file(cwd / (std::string(s) + ".pem")));
    ASSERT_TRUE(key) << s << ": " << key.error().message;
    scanner_.add_private_key(std::string("Marble file ") + s, *key);
  }
  auto marble_key = crypto::PrivateKey::from_pem(read_file(cwd / "marble_key.pem"));
  ASSERT_TRUE(marble_key) << marble_key.error().message;
  scanner_.add_private_key("the Marble's TLS key", *marble_key);
  EXPECT_EQ(crypto::PrivateKey::from_pem(read_file(cwd / "user_cert.pem"))->to_pkcs8_der().view(),
            user_cert_key.to_pkcs8_der().view());

  // Refused calls that carry secret-looking input.
  {
    const Bytes bad_secret = crypto::random_bytes(32);
    const Bytes bad_encrypted = crypto::random_bytes(64);
    scanner_.add("bad recovery secret", bad_secret);
    scanner_.add("bad encrypted recovery secret", bad_encrypted);
    const auto recover_body = [](ByteSpan secret, ByteSpan signature) {
      return Json{{"recoverySecret", base64_encode(secret)},
                  {"recoverySecretSignature", base64_encode(signature)}}
          .dump();
    };
    refused("recover outside recovery mode", "/api/v2/recover",
            recover_body(bad_secret, recovery_signature), 500);
    refused("recover with an undecryptable secret", "/api/v2/recover",
            recover_body(bad_encrypted, recovery_signature), 400);
    const std::string cut = base64_encode(crypto::random_bytes(24));
    scanner_.add("cut-off recovery body", cut);
    refused("cut-off recover body", "/api/v2/recover", R"({"recoverySecret":")" + cut, 400);

    const Bytes long_key = crypto::random_bytes(20);
    scanner_.add("symmetric key of the wrong size", long_key);
    refused("upload of the wrong size", "/api/v2/secrets",
            Json{{"secrets", {{"user_sym", {{"Key", base64_encode(long_key)}}}}}}.dump(), 500,
            as_user("alice"));
    refused("v1 upload of the wrong size", "/secrets",
            Json{{"user_sym", {{"Key", base64_encode(long_key)}}}}.dump(), 400, as_user("alice"));
    const std::string not_base64 = "NotBase64!" + random_text(32);
    scanner_.add("upload that is not base64", not_base64);
    refused("upload that is not base64", "/api/v2/secrets",
            Json{{"secrets", {{"user_plain", {{"Key", not_base64}}}}}}.dump(), 400,
            as_user("alice"));
    const std::string unknown = random_text(32);
    scanner_.add("upload to an unknown secret", unknown);
    refused(
        "upload to an unknown secret", "/api/v2/secrets",
        Json{{"secrets", {{"no_such_secret", {{"Key", base64_encode(as_bytes(unknown))}}}}}}.dump(),
        500, as_user("alice"));
    const std::string not_allowed = random_text(32);
    scanner_.add("upload by a user without the role", not_allowed);
    refused(
        "upload by a user without the role", "/api/v2/secrets",
        Json{{"secrets", {{"user_plain", {{"Key", base64_encode(as_bytes(not_allowed))}}}}}}.dump(),
        500, as_user("bob"));
    const std::string anonymous = random_text(32);
    scanner_.add("upload without a client certificate", anonymous);
    refused(
        "upload without a client certificate", "/api/v2/secrets",
        Json{{"secrets", {{"user_plain", {{"Key", base64_encode(as_bytes(anonymous))}}}}}}.dump(),
        401);
    const std::string cut_upload = base64_encode(as_bytes(random_text(30)));
    scanner_.add("cut-off upload", *base64_decode(cut_upload));
    refused("cut-off upload", "/api/v2/secrets",
            R"({"secrets":{"user_plain":{"Key":")" + cut_upload, 400, as_user("alice"));
    // A certificate secret whose key does not belong to the certificate, and one whose
    // certificate is garbage: the keys must not be quoted.
    const auto other = *crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP256));
    scanner_.add_private_key("mismatched uploaded key", other);
    refused("upload of a mismatched key", "/api/v2/secrets",
            Json{{"secrets",
                  {{"user_cert",
                    {{"Cert", base64_encode(user_cert.der())},
                     {"Private", base64_encode(other.to_pkcs8_der().span())}}}}}}
                .dump(),
            500, as_user("alice"));
    const Bytes garbage_cert = crypto::random_bytes(40);
    scanner_.add("garbage certificate", garbage_cert);
    refused("upload of a garbage certificate", "/api/v2/secrets",
            Json{{"secrets",
                  {{"user_cert",
                    {{"Cert", base64_encode(garbage_cert)},
                     {"Private", base64_encode(other.to_pkcs8_der().span())}}}}}}
                .dump(),
            500, as_user("alice"));
    // A manifest update (alice may not) and a manifest outside states 1 and 2.
    refused("update by a user without the role", "/api/v2/update", b64_body(manifest().dump()), 500,
            as_user("alice"));
    refused("manifest in state 3", "/api/v2/manifest", b64_body(manifest().dump()), 500);
  }
  // Nothing above changed the uploaded secrets.
  EXPECT_EQ(read_secrets(), secrets);

  // Recovery: the seal key is lost; the officer uploads a wrong secret first, then the real one
  // encrypted to the Coordinator's ephemeral key.
  keep_log();
  ASSERT_EQ(c_->stop(), 0);
  // The simulation seal key (a file of 32 random bytes) is a secret too, the old and the new.
  scanner_.add("seal key of run 1", as_bytes(read_file(state / "seal.key")));
  fs::remove(state / "seal.key");
  c_ = CoordinatorProcess::start({state, debug});
  ASSERT_EQ(status_code(), 1);
  {
    const HttpResult pk = get("ephemeral key", "/api/v2/recover/public-key");
    ASSERT_EQ(pk.status, 200) << pk.body;
    auto ephemeral = crypto::PublicKey::from_der(
        *base64_decode(json_of(pk)["data"]["ephemeralPublicKey"].get<std::string>()));
    ASSERT_TRUE(ephemeral);
    const Bytes wrong = crypto::random_bytes(32);
    scanner_.add("wrong recovery secret", wrong);
    const Bytes wrong_signature = *crypto::sign(officer_key, wrong, crypto::HashAlg::kSha256);
    const HttpResult first =
        post("wrong recovery secret", "/api/v2/recover",
             Json{{"recoverySecret", base64_encode(*crypto::rsa_oaep_encrypt(*ephemeral, wrong))},
                  {"recoverySecretSignature", base64_encode(wrong_signature)}}
                 .dump());
    EXPECT_EQ(json_of(first)["data"]["remaining"], 1) << first.body;
    const Bytes garbage = crypto::random_bytes(512);
    scanner_.add("garbage encrypted recovery secret", garbage);
    refused("garbage encrypted recovery secret", "/api/v2/recover",
            Json{{"recoverySecret", base64_encode(garbage)},
                 {"recoverySecretSignature", base64_encode(recovery_signature)}}
                .dump(),
            400);
    const HttpResult ok =
        post("recover", "/api/v2/recover",
             Json{{"recoverySecret",
                   base64_encode(*crypto::rsa_oaep_encrypt(*ephemeral, recovery_secret.span()))},
                  {"recoverySecretSignature", base64_encode(recovery_signature)}}
                 .dump());
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(json_of(ok)["data"]["message"], "Recovery successful.");
  }
  ASSERT_EQ(status_code(), 3);
  EXPECT_EQ(read_secrets(), secrets);
  scanner_.add("seal key of run 2", as_bytes(read_file(state / "seal.key")));
  keep_log();
  c_->stop();

  // Debug logging was really on, and the refusals were logged (with their reasons).
  ASSERT_EQ(coordinator_logs_.size(), 2u);
  for (const std::string& log : coordinator_logs_) {
    EXPECT_THAT(log, HasSubstr(R"("level":"debug")"));
    EXPECT_THAT(log, HasSubstr(R"("msg":"request failed")"));
  }
  EXPECT_THAT(premain_log_, HasSubstr("wrote file")) << "premain's debug lines";
  // The security events have lines of their own (issue 15), naming secrets, users and
  // certificates (by SHA-256) but never their values: the scan below checks these lines too.
  EXPECT_THAT(
      coordinator_logs_[0],
      HasSubstr(R"("msg":"secrets set","user":"alice","secrets":"user_cert,user_plain,user_sym")"));
  EXPECT_THAT(
      coordinator_logs_[0],
      HasSubstr(
          R"("msg":"request refused: unknown client certificate","path":"/api/v2/secrets","certificate_sha256":"none")"));
  EXPECT_THAT(coordinator_logs_[0],
              HasSubstr(R"("msg":"user refused: not permitted","user":"bob")"));
  EXPECT_THAT(coordinator_logs_[1],
              HasSubstr("Recover it with `marblerun recover <secret> <coordinator>`"));
  EXPECT_THAT(coordinator_logs_[1], HasSubstr(R"("msg":"recovery secret received","remaining":1)"));
  EXPECT_THAT(
      coordinator_logs_[1],
      HasSubstr(R"("msg":"recovery secret refused: it does not decrypt with the ephemeral key")"));
  EXPECT_THAT(coordinator_logs_[1], HasSubstr(R"("msg":"recovered the sealed state")"));
  EXPECT_GE(answers_.size(), 18u);

  // Positive controls: the scanner finds the secrets where they belong, in the forms the
  // Coordinator and premain really use (base64 in JSON, PEM and hex in the Marble's files).
  const std::vector<std::string> in_answer = scanner_.find(secrets_body_);
  EXPECT_THAT(in_answer, ::testing::Contains("uploaded plain secret (base64)"));
  EXPECT_THAT(in_answer, ::testing::Contains("shared secret shared_rsa (base64)"));
  const std::vector<std::string> in_files = scanner_.find(
      read_file(cwd / "private_rsa.pem") + read_file(cwd / "private_sym.hex") + plain);
  EXPECT_THAT(in_files, ::testing::Contains("Marble file private_rsa (base64)"));
  EXPECT_THAT(in_files, ::testing::Contains("a PEM PRIVATE KEY block"));
  EXPECT_THAT(in_files, ::testing::Contains("per-Marble symmetric key (hex)"));
  EXPECT_THAT(in_files, ::testing::Contains("uploaded plain secret (raw)"));

  for (std::size_t i = 0; i < coordinator_logs_.size(); ++i) {
    EXPECT_THAT(scanner_.find(coordinator_logs_[i]), ::testing::IsEmpty())
        << "in the log of Coordinator run " << i + 1;
  }
  EXPECT_THAT(scanner_.find(premain_log_), ::testing::IsEmpty()) << "in premain's log";
  for (const auto& [what, body] : answers_) {
    EXPECT_THAT(scanner_.find(body), ::testing::IsEmpty())
        << "in the answer to \"" << what << "\": " << body;
  }
  RecordProperty("secrets", static_cast<int>(scanner_.secrets()));
  RecordProperty("needles", static_cast<int>(scanner_.needles()));
  RecordProperty("error_answers", static_cast<int>(answers_.size()));
}

// The scanner itself finds a secret in each form it claims to, inside larger text.
TEST(LeakScannerTest, FindsEveryFormAndAlignment) {
  const Bytes secret = crypto::random_bytes(40);
  LeakScanner s;
  s.add("s", secret);
  EXPECT_TRUE(s.find("nothing here").empty());
  for (std::size_t pad = 0; pad < 3; ++pad) {
    const Bytes embedded = concat(Bytes(pad, 0x41), secret);
    EXPECT_FALSE(s.find("x" + base64_encode(embedded) + "y").empty()) << pad;
    EXPECT_FALSE(s.find(base64_encode(embedded, Base64Alphabet::kUrlSafe)).empty()) << pad;
  }
  EXPECT_FALSE(s.find("[" + hex_encode(ByteSpan(secret).subspan(5, 20)) + "]").empty());
  std::string upper = hex_encode(secret);
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  EXPECT_FALSE(s.find(upper).empty());
  EXPECT_FALSE(s.find("\"" + to_string(ByteSpan(secret).subspan(3, 19)) + "\"").empty());
  EXPECT_THAT(s.find("-----BEGIN PRIVATE KEY-----"),
              ::testing::ElementsAre("a PEM PRIVATE KEY block"));
}

}  // namespace
}  // namespace mr::test
