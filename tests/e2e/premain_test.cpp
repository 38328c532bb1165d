// marblerun-premain against the real marblerun-coordinator (simulation mode), as a Marble
// operator runs it: files written with the right modes and content, the environment set, the
// app executed after "--" or from the manifest's Argv, and every failure reported as one line
// with a non-zero exit status before the app starts.

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "attestation/simulated/simulated_dcap.h"
#include "base/clock.h"
#include "base/encoding.h"
#include "base/testing/temp_dir.h"
#include "crypto/x509.h"
#include "gojson/go_json.h"
#include "support/process.h"

namespace mr::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kPremain = std::string(MR_BINARY_DIR) + "/bin/marblerun-premain";

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

// closed_port returns a loopback port that nobody listens on (bound, read, closed).
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

// The app the tests run: records its argv, a few variables and that it ran.
const std::vector<std::string> kRecorder = {
    "/bin/sh",
    "-c",
    "printf '%s\\n' \"$@\" > args.txt; "
    "printf '%s' \"$TEST_VAR\" > test_var.txt; printf '%s' \"$TEST_KEY\" > test_key.txt; "
    "printf '%s' \"$MARBLE_PREDEFINED_MARBLE_CERTIFICATE_CHAIN\" > chain.pem; "
    "printf '%s' \"$MARBLE_PREDEFINED_ROOT_CA\" > root.pem; "
    "printf '%s' \"$MARBLE_PREDEFINED_PRIVATE_KEY\" > key.pem; "
    "printf '%s' \"$MARBLE_PREDEFINED_COORDINATOR_ROOT_CA\" > coordinator_root.pem; "
    "echo app-stdout; echo app-stderr >&2",
    "sh",
    "first arg",
    "second"};

// expect_one_line_failure checks the contract for every failure: non-zero status, exactly one
// line on stderr, nothing on stdout, and the app never ran (no args.txt in |cwd|).
void expect_one_line_failure(const CommandResult& r, int exit_code, const std::string& text,
                             const std::filesystem::path& cwd) {
  EXPECT_EQ(r.exit_code, exit_code) << r.err;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.back(), '\n');
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_THAT(r.err, StartsWith("marblerun-premain: "));
  EXPECT_THAT(r.err, HasSubstr(text));
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(std::filesystem::exists(cwd / "args.txt"));
}

// PremainBase runs marblerun-premain in a fresh working directory with its own UUID file.
class PremainBase : public ::testing::Test {
 protected:
  void SetUp() override { std::filesystem::create_directories(cwd()); }
  std::filesystem::path cwd() const { return test_dir_.path() / "cwd"; }

  // premain runs marblerun-premain in cwd() as Marble |type| (unset if empty) with |args|,
  // against the Coordinator at |coordinator_addr|.
  CommandResult premain(const std::string& type, std::vector<std::string> args,
                        std::map<std::string, std::string> env,
                        const std::string& coordinator_addr) {
    std::map<std::string, std::string> e = {
        {"EDG_MARBLE_COORDINATOR_ADDR", coordinator_addr},
        {"EDG_MARBLE_UUID_FILE", (test_dir_.path() / "uuid").string()},
        // Never pick up a real /dev/attestation on the test machine.
        {"EDG_MARBLE_ATTESTATION_DIR", (test_dir_.path() / "no-tee").string()}};
    if (!type.empty()) e["EDG_MARBLE_TYPE"] = type;
    for (auto& [k, v] : env)
      e[k] = v;
    args.insert(args.begin(), kPremain);
    return run_command_split(args, e, cwd());
  }
  static std::vector<std::string> after_dashes(std::vector<std::string> command) {
    command.insert(command.begin(), "--");
    return command;
  }

  mr::testing::TempDir test_dir_;
};

// Failures that happen before the Coordinator is contacted.
class PremainOfflineTest : public PremainBase {
 protected:
  CommandResult premain(const std::string& type, std::vector<std::string> args,
                        std::map<std::string, std::string> env = {}) {
    return PremainBase::premain(type, std::move(args), std::move(env),
                                "127.0.0.1:" + std::to_string(closed_port()));
  }
};

// PremainTest shares one simulation-mode Coordinator with the manifest below.
class PremainTest : public PremainBase {
 protected:
  static void SetUpTestSuite() {
    dir_ = new mr::testing::TempDir();
    coordinator_ = CoordinatorProcess::start({dir_->path() / "state"}).release();
    ASSERT_GT(coordinator_->mesh_port(), 0) << "this coordinator build serves no Marble API";
    const std::string raw = manifest().dump();
    const std::string body = gojson::Json{{"manifest", base64_encode(as_bytes(raw))}}.dump();
    const HttpResult set = curl_https(coordinator_->client_url() + "/api/v2/manifest", &body);
    ASSERT_EQ(set.status, 200) << set.body;
  }
  static void TearDownTestSuite() {
    delete coordinator_;
    coordinator_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  static std::filesystem::path out() { return dir_->path() / "out"; }

  static gojson::Json manifest() {
    using gojson::Json;
    const Json params = {
        {"Files",
         {{(out() / "deep" / "dir" / "config.txt").string(), "static content"},
          {(out() / "key.hex").string(), "{{ hex .Secrets.sym }}"},
          {"rel/relative.txt", "relative to the working directory"},
          {(out() / "binary.bin").string(),
           {{"Data", "AAEC/w=="}, {"Encoding", "base64"}, {"NoTemplates", true}}}}},
        {"Env", {{"TEST_VAR", "hello world"}, {"TEST_KEY", "{{ hex .Secrets.sym }}"}}},
        {"Argv", {"/bin/sh", "-c", "printf '%s\\n' \"$0\" \"$1\" > argv.txt", "zero", "one"}}};
    const Json pkg = {{"SignerID", std::string(64, 'a')}, {"ProductID", 1}, {"SecurityVersion", 1}};
    return Json{{"Packages", {{"pkg", pkg}}},
                {"Marbles",
                 {{"app", {{"Package", "pkg"}, {"Parameters", params}}},
                  {"no-argv", {{"Package", "pkg"}}},
                  {"limited", {{"Package", "pkg"}, {"MaxActivations", 1}}},
                  {"limited-exec", {{"Package", "pkg"}, {"MaxActivations", 1}}},
                  {"limited-pinned", {{"Package", "pkg"}, {"MaxActivations", 1}}},
                  {"ttls", {{"Package", "pkg"}, {"TLS", {"web"}}}}}},
                {"Secrets", {{"sym", {{"Type", "symmetric-key"}, {"Size", 128}}}}},
                {"TLS", {{"web", {{"Incoming", {{{"Port", "8080"}}}}}}}}};
  }

  CommandResult premain(const std::string& type, std::vector<std::string> args,
                        std::map<std::string, std::string> env = {}) {
    return PremainBase::premain(type, std::move(args), std::move(env),
                                "127.0.0.1:" + std::to_string(coordinator_->mesh_port()));
  }

  // pin_root writes the Coordinator's root certificate as `marblerun certificate root` would
  // (from GET /api/v2/quote: the intermediate, then the root) and returns the file.
  std::filesystem::path pin_root() {
    const HttpResult r = curl_https(coordinator_->client_url() + "/api/v2/quote");
    EXPECT_EQ(r.status, 200) << r.body;
    const auto chain = crypto::Certificate::chain_from_pem(
        gojson::Json::parse(r.body)["data"]["cert"].get<std::string>());
    EXPECT_TRUE(chain && chain->size() == 2);
    const std::filesystem::path file = test_dir_.path() / "coordinator-root.pem";
    std::ofstream(file) << (chain && chain->size() == 2 ? chain->back().pem() : "");
    return file;
  }

  static mr::testing::TempDir* dir_;
  static CoordinatorProcess* coordinator_;
};

mr::testing::TempDir* PremainTest::dir_ = nullptr;
CoordinatorProcess* PremainTest::coordinator_ = nullptr;

TEST_F(PremainTest, WritesFilesSetsEnvAndExecsTheCommand) {
  const CommandResult r =
      premain("app", after_dashes(kRecorder), {{"EDG_MARBLE_DNS_NAMES", "localhost,10.9.8.7"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "app-stdout\n");
  EXPECT_THAT(r.err, HasSubstr("activated"));
  EXPECT_THAT(r.err, HasSubstr("app-stderr\n"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("marblerun-premain: ")));

  // Files: content and modes (created directories 0700, files 0600).
  EXPECT_EQ(read_file(out() / "deep" / "dir" / "config.txt"), "static content");
  EXPECT_EQ(mode_of(out() / "deep" / "dir" / "config.txt"), 0600u);
  EXPECT_EQ(mode_of(out() / "deep"), 0700u);
  EXPECT_EQ(mode_of(out() / "deep" / "dir"), 0700u);
  EXPECT_EQ(read_file(out() / "binary.bin"), std::string("\x00\x01\x02\xff", 4));
  EXPECT_EQ(mode_of(out() / "binary.bin"), 0600u);
  const std::string key_hex = read_file(out() / "key.hex");
  EXPECT_EQ(key_hex.size(), 32u);
  EXPECT_TRUE(hex_decode(key_hex));
  EXPECT_EQ(read_file(cwd() / "rel" / "relative.txt"), "relative to the working directory");
  EXPECT_EQ(mode_of(cwd() / "rel"), 0700u);

  // The command after -- ran with its arguments (the manifest's Argv did not).
  EXPECT_EQ(read_file(cwd() / "args.txt"), "first arg\nsecond\n");
  EXPECT_FALSE(std::filesystem::exists(cwd() / "argv.txt"));

  // Env: the manifest's variables (templated) and the MARBLE_PREDEFINED_* ones.
  EXPECT_EQ(read_file(cwd() / "test_var.txt"), "hello world");
  EXPECT_EQ(read_file(cwd() / "test_key.txt"), key_hex);
  auto chain = crypto::Certificate::chain_from_pem(read_file(cwd() / "chain.pem"));
  ASSERT_TRUE(chain) << chain.error().message;
  ASSERT_EQ(chain->size(), 2u);
  auto root = crypto::Certificate::from_pem(read_file(cwd() / "root.pem"));
  ASSERT_TRUE(root);
  EXPECT_TRUE(crypto::Certificate::from_pem(read_file(cwd() / "coordinator_root.pem")));
  const crypto::Certificate& leaf = (*chain)[0];
  const UnixTime now = SystemClock().now();
  EXPECT_TRUE(
      crypto::verify_chain(leaf, {(*chain)[1]}, {*root}, now, crypto::ExtKeyUsage::kClientAuth));
  EXPECT_TRUE(crypto::verify_chain(leaf, {}, {*root}, now, crypto::ExtKeyUsage::kServerAuth));
  auto key = crypto::PrivateKey::from_pem(read_file(cwd() / "key.pem"));
  ASSERT_TRUE(key);
  EXPECT_EQ(key->public_key(), leaf.public_key());

  // The leaf carries the UUID from the UUID file (0600) and the CSR's SANs in the CSR's order.
  const std::string uuid = read_file(test_dir_.path() / "uuid");
  EXPECT_EQ(mode_of(test_dir_.path() / "uuid"), 0600u);
  EXPECT_EQ(leaf.subject().common_name, uuid);
  EXPECT_EQ(leaf.dns_names(), (std::vector<std::string>{"localhost"}));
  std::vector<std::string> ips;
  for (const auto& ip : leaf.ip_addresses())
    ips.push_back(ip.to_string());
  EXPECT_EQ(ips, (std::vector<std::string>{"127.0.0.1", "::1", "10.9.8.7"}));
  auto type = leaf.extension("1.3.9903.2.1");
  ASSERT_TRUE(type);
  EXPECT_EQ(to_string(type->value), "app");

  // A restart keeps the UUID and the per-Marble key derived from it.
  std::filesystem::remove(cwd() / "chain.pem");
  const CommandResult again = premain("app", after_dashes(kRecorder));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(read_file(test_dir_.path() / "uuid"), uuid);
  EXPECT_EQ(read_file(out() / "key.hex"), key_hex);
  auto chain2 = crypto::Certificate::chain_from_pem(read_file(cwd() / "chain.pem"));
  ASSERT_TRUE(chain2);
  EXPECT_EQ((*chain2)[0].subject().common_name, uuid);
}

TEST_F(PremainTest, RunsTheManifestsArgvWithoutACommand) {
  const CommandResult r = premain("app", {});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(cwd() / "argv.txt"), "zero\none\n");
  EXPECT_THAT(r.err, HasSubstr("coordinator"));
}

TEST_F(PremainTest, JsonLogFormat) {
  // Success: one JSON line. Failure: one JSON line too.
  const CommandResult r = premain("app", {}, {{"EDG_LOG_FORMAT", "json"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  auto line = gojson::Json::parse(r.err, nullptr, false);
  ASSERT_FALSE(line.is_discarded()) << r.err;
  EXPECT_EQ(line["msg"], "activated, starting the app");
  EXPECT_EQ(line["marble_type"], "app");
  EXPECT_EQ(line["quote"], "empty: no TEE (OE_UNSUPPORTED)");

  const CommandResult bad = premain("nope", {}, {{"EDG_LOG_FORMAT", "json"}});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
  auto error = gojson::Json::parse(bad.err, nullptr, false);
  ASSERT_FALSE(error.is_discarded()) << bad.err;
  EXPECT_EQ(error["level"], "error");
  EXPECT_THAT(error["msg"].get<std::string>(), HasSubstr("PERMISSION_DENIED"));
}

TEST_F(PremainTest, ZapLogFormat) {
  // Upstream's keys in zap's order (level, ts, caller, msg) on success and on failure.
  const std::regex shape(
      R"re(^\{"level":"(info|error)","ts":[0-9]+\.[0-9]+,"caller":"[a-z-]+","msg":".*\}\n$)re");
  const CommandResult r = premain("app", {}, {{"EDG_LOG_FORMAT", "zap"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_match(r.err, shape)) << r.err;
  auto line = gojson::Json::parse(r.err, nullptr, false);
  ASSERT_FALSE(line.is_discarded()) << r.err;
  EXPECT_EQ(line["level"], "info");
  EXPECT_EQ(line["msg"], "activated, starting the app");
  EXPECT_FALSE(line.contains("component")) << r.err;

  const CommandResult bad = premain("nope", {}, {{"EDG_LOG_FORMAT", "zap"}});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_TRUE(std::regex_match(bad.err, shape)) << bad.err;
  auto error = gojson::Json::parse(bad.err, nullptr, false);
  ASSERT_FALSE(error.is_discarded()) << bad.err;
  EXPECT_EQ(error["level"], "error");
  EXPECT_THAT(error["msg"].get<std::string>(), HasSubstr("PERMISSION_DENIED"));
}

TEST_F(PremainOfflineTest, NoTypeFailsWithOneLine) {
  const CommandResult r = premain("", after_dashes(kRecorder));
  expect_one_line_failure(r, 2, "EDG_MARBLE_TYPE is not set", cwd());
  EXPECT_FALSE(std::filesystem::exists(test_dir_.path() / "uuid"));
}

TEST_F(PremainOfflineTest, UnknownMarbleVariableFailsWithOneLine) {
  const CommandResult r = premain("app", after_dashes(kRecorder), {{"EDG_MARBLE_UUIDFILE", "x"}});
  expect_one_line_failure(r, 2, "unknown variable EDG_MARBLE_UUIDFILE", cwd());
}

TEST_F(PremainOfflineTest, UnreachableCoordinatorFailsWithOneLine) {
  const std::string addr = "127.0.0.1:" + std::to_string(closed_port());
  const CommandResult r = PremainBase::premain("app", after_dashes(kRecorder), {}, addr);
  expect_one_line_failure(r, 1, "activation failed: cannot reach the Coordinator at " + addr,
                          cwd());
  // The UUID file was created on the way (it is kept for the next start).
  EXPECT_EQ(mode_of(test_dir_.path() / "uuid"), 0600u);
}

TEST_F(PremainTest, RefusedActivationFailsWithOneLine) {
  const CommandResult r = premain("no-such-marble", after_dashes(kRecorder));
  expect_one_line_failure(r, 1, "refused the activation (PERMISSION_DENIED)", cwd());
  EXPECT_THAT(r.err, HasSubstr("unknown marble type"));
}

TEST_F(PremainTest, MaxActivationsReachedFailsWithOneLine) {
  ASSERT_EQ(premain("limited", after_dashes({"/bin/true"})).exit_code, 0);
  const CommandResult r = premain("limited", after_dashes(kRecorder));
  expect_one_line_failure(r, 1, "refused the activation (PERMISSION_DENIED)", cwd());
  EXPECT_THAT(r.err, HasSubstr("max activations"));
}

TEST_F(PremainTest, MissingProgramFailsBeforeActivating) {
  const CommandResult r = premain("limited-exec", after_dashes({"/nonexistent/app"}));
  expect_one_line_failure(r, 127, "program /nonexistent/app does not exist", cwd());
  // No activation was used up: the one allowed activation still works.
  const CommandResult ok = premain("limited-exec", after_dashes(kRecorder));
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST_F(PremainOfflineTest, NonExecutableProgram) {
  { std::ofstream(cwd() / "script") << "#!/bin/sh\n"; }
  const CommandResult r = premain("app", after_dashes({"./script"}));
  expect_one_line_failure(r, 126, "program ./script is not executable", cwd());
}

TEST_F(PremainTest, NoArgvAndNoCommandFailsWithOneLine) {
  const CommandResult r = premain("no-argv", {});
  expect_one_line_failure(r, 1, "no program to run", cwd());
}

TEST_F(PremainTest, TtlsConfigIsRefusedWithOneLine) {
  const CommandResult r = premain("ttls", after_dashes(kRecorder));
  expect_one_line_failure(r, 1, "MARBLE_TTLS_CONFIG", cwd());
}

// Pinning the Coordinator root (EDG_MARBLE_COORDINATOR_ROOT_CA).
TEST_F(PremainTest, PinnedRootIsAccepted) {
  const std::filesystem::path root = pin_root();
  const CommandResult r =
      premain("app", after_dashes(kRecorder), {{"EDG_MARBLE_COORDINATOR_ROOT_CA", root.string()}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(cwd() / "args.txt"), "first arg\nsecond\n");
  EXPECT_EQ(read_file(cwd() / "coordinator_root.pem"), read_file(root));
}

TEST_F(PremainTest, AnotherRootIsRefusedWithOneLineBeforeActivating) {
  // A self-signed CA that is not this Coordinator's root.
  auto key = crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP384));
  ASSERT_TRUE(key);
  crypto::CertTemplate t;
  t.subject.common_name = "MarbleRun Coordinator";
  t.not_before = SystemClock().now();
  t.not_after = *t.not_before + kGoMaxDuration;
  t.basic_constraints_valid = true;
  t.is_ca = true;
  t.key_usage = crypto::kKeyUsageDigitalSignature | crypto::kKeyUsageCertSign;
  auto other = crypto::create_certificate(t, key->public_key(), nullptr, *key);
  ASSERT_TRUE(other);
  const std::filesystem::path wrong = test_dir_.path() / "other-root.pem";
  std::ofstream(wrong) << other->pem();

  const CommandResult r = premain("limited-pinned", after_dashes(kRecorder),
                                  {{"EDG_MARBLE_COORDINATOR_ROOT_CA", wrong.string()}});
  expect_one_line_failure(r, 1,
                          "activation failed: refusing the Coordinator at 127.0.0.1:" +
                              std::to_string(coordinator_->mesh_port()) +
                              ": its TLS key is not certified by the pinned Coordinator root "
                              "(EDG_MARBLE_COORDINATOR_ROOT_CA)",
                          cwd());
  // The request never reached the Coordinator: the one allowed activation is still there.
  const CommandResult ok = premain("limited-pinned", after_dashes(kRecorder),
                                   {{"EDG_MARBLE_COORDINATOR_ROOT_CA", pin_root().string()}});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST_F(PremainOfflineTest, UnusablePinnedRootFileIsAConfigurationError) {
  const std::filesystem::path garbage = test_dir_.path() / "garbage.pem";
  std::ofstream(garbage) << "not a certificate";
  const std::filesystem::path missing = test_dir_.path() / "missing.pem";
  const std::vector<std::pair<std::filesystem::path, std::string>> cases = {
      {garbage, "no PEM block in it"}, {missing, "cannot open: No such file or directory"}};
  for (const auto& [file, reason] : cases) {
    const CommandResult r = premain("app", after_dashes(kRecorder),
                                    {{"EDG_MARBLE_COORDINATOR_ROOT_CA", file.string()}});
    expect_one_line_failure(
        r, 2, "configuration: EDG_MARBLE_COORDINATOR_ROOT_CA: " + file.string() + ": " + reason,
        cwd());
  }
  const CommandResult empty =
      premain("app", after_dashes(kRecorder), {{"EDG_MARBLE_COORDINATOR_ROOT_CA", ""}});
  expect_one_line_failure(empty, 2, "EDG_MARBLE_COORDINATOR_ROOT_CA is set but empty", cwd());
  EXPECT_FALSE(std::filesystem::exists(test_dir_.path() / "uuid"));  // nothing happened
}

TEST_F(PremainOfflineTest, CorruptUuidFileFailsWithOneLine) {
  { std::ofstream(test_dir_.path() / "uuid") << "garbage"; }
  const CommandResult r = premain("app", after_dashes(kRecorder));
  expect_one_line_failure(r, 1, "does not hold a UUID", cwd());
}

TEST(PremainWithoutManifest, CoordinatorNotReadyFailsWithOneLine) {
  mr::testing::TempDir dir;
  auto coordinator = CoordinatorProcess::start({dir.path() / "state"});
  ASSERT_GT(coordinator->mesh_port(), 0);
  std::filesystem::create_directories(dir.path() / "cwd");
  const CommandResult r = run_command_split(
      {kPremain, "--", "/bin/sh", "-c", "touch args.txt"},
      {{"EDG_MARBLE_TYPE", "app"},
       {"EDG_MARBLE_COORDINATOR_ADDR", "127.0.0.1:" + std::to_string(coordinator->mesh_port())},
       {"EDG_MARBLE_UUID_FILE", (dir.path() / "uuid").string()},
       {"EDG_MARBLE_ATTESTATION_DIR", (dir.path() / "no-tee").string()}},
      dir.path() / "cwd");
  expect_one_line_failure(r, 1, "(FAILED_PRECONDITION): cannot accept marbles in current state",
                          dir.path() / "cwd");
}

// A Coordinator that verifies Marble quotes against a simulated DCAP PKI
// (EDG_COORDINATOR_SIMULATED_DCAP_PKI), and Marbles quoting with the same PKI
// (EDG_MARBLE_SIMULATED_DCAP_PKI): the quote binds the TLS certificate and carries the
// measurements the manifest's package asks for.
class PremainSimulatedDcapTest : public PremainBase {
 protected:
  static void SetUpTestSuite() {
    dir_ = new mr::testing::TempDir();
    auto pki = attestation::simulated::SimulatedDcapPki::create({SystemClock().now(), {}, {}});
    ASSERT_TRUE(pki) << pki.error().message;
    pki_path_ = new std::string((dir_->path() / "pki.json").string());
    std::ofstream(*pki_path_) << (*pki)->to_json();
    coordinator_ = CoordinatorProcess::start({dir_->path() / "state",
                                              {{"OE_SIMULATION", "0"},
                                               {"EDG_COORDINATOR_SIMULATED_DCAP_PKI", *pki_path_}}})
                       .release();
    ASSERT_GT(coordinator_->mesh_port(), 0);
    const gojson::Json pkg = {
        {"SignerID", std::string(64, 'b')}, {"ProductID", 3}, {"SecurityVersion", 2}};
    const gojson::Json m = {{"Packages", {{"pkg", pkg}}},
                            {"Marbles", {{"app", {{"Package", "pkg"}}}}}};
    const std::string raw = m.dump();
    const std::string body = gojson::Json{{"manifest", base64_encode(as_bytes(raw))}}.dump();
    const HttpResult set = curl_https(coordinator_->client_url() + "/api/v2/manifest", &body);
    ASSERT_EQ(set.status, 200) << set.body;
  }
  static void TearDownTestSuite() {
    delete coordinator_;
    delete pki_path_;
    delete dir_;
  }
  CommandResult premain(std::map<std::string, std::string> env) {
    return PremainBase::premain("app", after_dashes(kRecorder), std::move(env),
                                "127.0.0.1:" + std::to_string(coordinator_->mesh_port()));
  }
  static std::map<std::string, std::string> simulated_enclave(const std::string& svn) {
    return {{"EDG_MARBLE_SIMULATED_DCAP_PKI", *pki_path_},
            {"EDG_MARBLE_SIMULATED_MRSIGNER", std::string(64, 'b')},
            {"EDG_MARBLE_SIMULATED_PRODUCT_ID", "3"},
            {"EDG_MARBLE_SIMULATED_SVN", svn}};
  }

  static mr::testing::TempDir* dir_;
  static std::string* pki_path_;
  static CoordinatorProcess* coordinator_;
};

mr::testing::TempDir* PremainSimulatedDcapTest::dir_ = nullptr;
std::string* PremainSimulatedDcapTest::pki_path_ = nullptr;
CoordinatorProcess* PremainSimulatedDcapTest::coordinator_ = nullptr;

TEST_F(PremainSimulatedDcapTest, MatchingQuoteIsAccepted) {
  const CommandResult r = premain(simulated_enclave("2"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("SIMULATED DCAP"));  // said loudly
  EXPECT_EQ(read_file(cwd() / "args.txt"), "first arg\nsecond\n");
}

TEST_F(PremainSimulatedDcapTest, LowerSecurityVersionIsRefused) {
  const CommandResult r = premain(simulated_enclave("1"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("refused the activation (PERMISSION_DENIED)"));
  EXPECT_FALSE(std::filesystem::exists(cwd() / "args.txt"));
}

TEST_F(PremainSimulatedDcapTest, EmptyQuoteIsRefusedAndTheLineSaysWhy) {
  const CommandResult r = premain({});
  expect_one_line_failure(r, 1, "refused the activation (PERMISSION_DENIED)", cwd());
  EXPECT_THAT(r.err, HasSubstr("[this Marble sent an empty quote: no TEE"));
}

TEST(PremainHelp, PrintsUsage) {
  const CommandResult r = run_command_split({kPremain, "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("EDG_MARBLE_COORDINATOR_ADDR"));
}

TEST(PremainHelp, PrintsItsVersion) {
  const CommandResult r = run_command_split({kPremain, "--version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::StartsWith("marblerun-premain "));
  EXPECT_TRUE(r.err.empty()) << r.err;
}

}  // namespace
}  // namespace mr::test
