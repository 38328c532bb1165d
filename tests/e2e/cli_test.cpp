// The marblerun CLI (issue 7) as users run it: build/bin/marblerun against the real
// marblerun-coordinator process. Every command, its output and exit code, Coordinator
// verification (simulation mode, simulated DCAP quotes with an era config), the certificate
// cache (trust on first use, refusal of a changed root), recovery and multi-party updates.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "attestation/sgx_dcap/collateral.h"
#include "attestation/simulated/simulated_dcap.h"
#include "base/encoding.h"
#include "base/testing/temp_dir.h"
#include "crypto/hash.h"
#include "crypto/pem.h"
#include "gojson/go_json.h"
#include "support/process.h"

namespace mr::test {
namespace {

using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
namespace fs = std::filesystem;

void write_file(const fs::path& path, std::string_view data) {
  std::ofstream(path, std::ios::binary) << data;
}

std::string key(const std::string& name) {
  return std::string(MR_SOURCE_DIR) + "/tests/testdata/keys/" + name;
}

std::string sample(const std::string& name) {
  return std::string(MR_SOURCE_DIR) + "/samples/" + name;
}

// as_user appends the CLI's flags for |user|'s certificate and key (tests/testdata/keys) to |cmd|.
void as_user(std::vector<std::string>& cmd, const std::string& user) {
  cmd.insert(cmd.end(), {"-c", key(user + ".cert.pem"), "-k", key(user + ".key.pem")});
}

std::string sha256_hex(std::string_view data) {
  return hex_encode(crypto::sha256(as_bytes(data)));
}

// free_port returns a TCP port that nothing listens on right now.
int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// Errors are one line on stderr, the last one ("Error: ..."); progress and notices may come
// before it.
MATCHER(IsOneErrorLine, "") {
  if (!arg.ends_with("\n")) return false;
  const std::size_t start = arg.rfind('\n', arg.size() - 2);
  const std::string last = arg.substr(start == std::string::npos ? 0 : start + 1);
  return last.starts_with("Error: ") && arg.find("Error: ") == arg.size() - last.size();
}

// A secrets/RBAC manifest: alice may read and write "token" and "tlscert" and update package
// "app"; bob may only update the manifest; carol is not a user.
gojson::Json secrets_manifest() {
  using J = gojson::Json;
  return J{
      {"Packages", {{"app", {{"Debug", true}, {"SecurityVersion", 1}}}}},
      {"Marbles", {{"app", {{"Package", "app"}}}}},
      {"Secrets",
       {{"token", {{"Type", "plain"}, {"UserDefined", true}}},
        {"tlscert", {{"Type", "cert-ecdsa"}, {"UserDefined", true}}},
        {"shared", {{"Type", "symmetric-key"}, {"Size", 128}, {"Shared", true}}}}},
      {"Users",
       {{"alice",
         {{"Certificate", read_file(key("alice.cert.pem"))}, {"Roles", {"secrets", "packages"}}}},
        {"bob", {{"Certificate", read_file(key("bob.cert.pem"))}, {"Roles", {"updater"}}}}}},
      {"Roles",
       {{"secrets",
         {{"ResourceType", "Secrets"},
          {"ResourceNames", {"token", "tlscert"}},
          {"Actions", {"ReadSecret", "WriteSecret"}}}},
        {"packages",
         {{"ResourceType", "Packages"},
          {"ResourceNames", {"app"}},
          {"Actions", {"UpdateSecurityVersion"}}}},
        {"updater", {{"ResourceType", "Manifest"}, {"Actions", {"UpdateManifest"}}}}}}};
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(work_);
    start();
  }

  // start launches a simulation-mode Coordinator on |port| (0: any port).
  void start(int port = 0, std::map<std::string, std::string> env = {}) {
    if (port != 0) env["EDG_COORDINATOR_CLIENT_ADDR"] = "127.0.0.1:" + std::to_string(port);
    coordinator_ = CoordinatorProcess::start({seal_dir_, env, {}});
    host_ = "127.0.0.1:" + std::to_string(coordinator_->client_port());
  }

  // restart stops the Coordinator and starts it again behind the same address.
  void restart() {
    const int port = coordinator_->client_port();
    coordinator_->stop();
    start(port);
  }

  // marblerun runs the CLI with a private config dir (so the certificate cache is ours).
  CommandResult marblerun(std::vector<std::string> args, const fs::path& cwd = {}) {
    args.insert(args.begin(), std::string(MR_BINARY_DIR) + "/bin/marblerun");
    return run_command_split(
        args,
        {{"XDG_CONFIG_HOME", (dir_.path() / "config").string()}, {"HOME", dir_.path().string()}},
        cwd.empty() ? work_ : cwd);
  }

  fs::path cache() const { return dir_.path() / "config" / "marblerun" / "coordinator-cert.pem"; }

  // set_manifest sets |file| (trusting the simulation-mode Coordinator) and expects success.
  void set_manifest(const std::string& file, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"manifest", "set", file, host_, "--accept-simulation"};
    args.insert(args.end(), extra.begin(), extra.end());
    const CommandResult r = marblerun(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_THAT(r.out, StartsWith("Manifest successfully set\n"));
  }
  // apply_update runs `manifest update apply |file|` as alice.
  CommandResult apply_update(const fs::path& file) {
    std::vector<std::string> apply = {"manifest", "update", "apply", file.string(), host_};
    as_user(apply, "alice");
    return marblerun(apply);
  }

  mr::testing::TempDir dir_;
  fs::path work_ = dir_.path() / "work";
  fs::path seal_dir_ = dir_.path() / "data";
  std::unique_ptr<CoordinatorProcess> coordinator_;
  std::string host_;
};

TEST_F(Cli, StatusTrustsOnFirstUseOnlyWithConsentToSimulation) {
  CommandResult refused = marblerun({"status", host_});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.out, "");
  EXPECT_THAT(refused.err, IsOneErrorLine());
  EXPECT_THAT(refused.err, HasSubstr("simulation mode"));
  EXPECT_THAT(refused.err, HasSubstr("--accept-simulation"));
  EXPECT_FALSE(fs::exists(cache()));

  CommandResult first = marblerun({"status", host_, "--accept-simulation"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, "2: Coordinator is ready to accept a manifest.\n");
  EXPECT_THAT(first.err, HasSubstr("First contact with the Coordinator at " + host_));
  EXPECT_THAT(first.err, HasSubstr("NOT attested (simulation mode accepted)"));
  EXPECT_THAT(first.err, HasSubstr(cache().string()));
  const auto cached = crypto::pem_decode_all(read_file(cache()));
  ASSERT_EQ(cached.size(), 2u);

  // Pinned now: no consent needed, but never silent: every call that trusts the simulation
  // Coordinator through the pin warns.
  for (int i = 0; i < 2; ++i) {
    CommandResult again = marblerun({"status", host_});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_THAT(again.err, HasSubstr("WARNING: the Coordinator at " + host_ +
                                     " runs in simulation mode and is NOT attested"));
    EXPECT_THAT(again.err, HasSubstr(cache().string()));
  }
  EXPECT_THAT(marblerun({"manifest", "signature", sample("minimal.json")}).err,
              Not(HasSubstr("WARNING")));

  CommandResult json = marblerun({"status", host_, "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto parsed = gojson::parse(json.out);
  ASSERT_TRUE(parsed) << json.out;
  EXPECT_EQ((*parsed)["code"], 2);
  EXPECT_EQ((*parsed)["message"], "Coordinator is ready to accept a manifest.");
}

TEST_F(Cli, InsecureSaysSoAndKeepsNoCache) {
  CommandResult r = marblerun({"-i", "status", host_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "2: Coordinator is ready to accept a manifest.\n");
  EXPECT_THAT(r.err, HasSubstr("WARNING: --insecure"));
  EXPECT_FALSE(fs::exists(cache()));
  // The flag may also follow the command.
  EXPECT_EQ(marblerun({"status", host_, "--insecure"}).exit_code, 0);
}

TEST_F(Cli, ManifestSetGetVerifySignatureAndLog) {
  const std::string manifest = sample("multi-party.json");
  const std::string raw = read_file(manifest);
  const fs::path recovery = work_ / "recovery.json";
  CommandResult set = marblerun(
      {"manifest", "set", manifest, host_, "--accept-simulation", "-r", recovery.string()});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_EQ(set.out,
            "Manifest successfully set\nRecovery data saved to " + recovery.string() + "\n");
  auto data = gojson::parse(read_file(recovery));
  ASSERT_TRUE(data);
  EXPECT_EQ((*data)["RecoverySecrets"].size(), 3u);
  EXPECT_TRUE((*data)["RecoverySecrets"].contains("officer1"));

  // get: the same bytes, to a file and to stdout.
  const fs::path got = work_ / "got.json";
  CommandResult get = marblerun({"manifest", "get", host_, "-o", got.string()});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(read_file(got), raw);
  CommandResult printed = marblerun({"manifest", "get", host_});
  ASSERT_EQ(printed.exit_code, 0) << printed.err;
  EXPECT_EQ(printed.out, raw + "\n");
  CommandResult signed_get = marblerun({"manifest", "get", host_, "--signature"});
  ASSERT_EQ(signed_get.exit_code, 0);
  EXPECT_THAT(signed_get.out, StartsWith("{\"ManifestSignature\": \"" + sha256_hex(raw) + "\",\n"));

  // signature (offline) and verify (match and mismatch).
  CommandResult sig = marblerun({"manifest", "signature", manifest});
  ASSERT_EQ(sig.exit_code, 0);
  EXPECT_EQ(sig.out, sha256_hex(raw) + "\n");
  CommandResult verify = marblerun({"manifest", "verify", manifest, host_});
  ASSERT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_EQ(verify.out, "OK\n");
  EXPECT_EQ(marblerun({"manifest", "verify", sha256_hex(raw), host_}).out, "OK\n");
  CommandResult mismatch = marblerun({"manifest", "verify", sample("minimal.json"), host_});
  EXPECT_EQ(mismatch.exit_code, 1);
  EXPECT_EQ(mismatch.out, "");
  EXPECT_THAT(mismatch.err, IsOneErrorLine());
  EXPECT_THAT(mismatch.err, HasSubstr("the Coordinator's manifest does not match"));
  CommandResult json_verify =
      marblerun({"manifest", "verify", manifest, host_, "--format", "json"});
  EXPECT_EQ((*gojson::parse(json_verify.out))["verified"], true);
  EXPECT_EQ(marblerun({"manifest", "verify", "not-a-file-or-hash", host_}).exit_code, 1);

  // log.
  CommandResult log = marblerun({"manifest", "log", host_});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  EXPECT_THAT(log.out, HasSubstr("\"update\":\"Initial manifest set\""));
  CommandResult json_log = marblerun({"manifest", "log", host_, "--format", "json"});
  auto log_json = gojson::parse(json_log.out);
  ASSERT_TRUE(log_json) << json_log.out;
  EXPECT_EQ((*log_json)["updateLog"][0]["update"], "Initial manifest set");

  // A second manifest is refused by the Coordinator; the CLI says what to do instead.
  CommandResult again = marblerun({"manifest", "set", manifest, host_});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, IsOneErrorLine());
  EXPECT_THAT(again.err, HasSubstr("setting the manifest: a manifest is already set: use "
                                   "`marblerun manifest update apply` to change it"));
  EXPECT_THAT(again.err, HasSubstr("server is not in expected state"));
}

TEST_F(Cli, ManifestGetBeforeAnyManifestFails) {
  CommandResult r = marblerun({"manifest", "get", host_, "--accept-simulation"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, IsOneErrorLine());
  EXPECT_THAT(r.err, HasSubstr("getting the manifest"));
}

TEST_F(Cli, CertificateCommandsWriteFiles) {
  const fs::path chain = work_ / "chain.pem";
  CommandResult r =
      marblerun({"certificate", "chain", host_, "--accept-simulation", "-o", chain.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Certificate chain written to " + chain.string() + "\n");
  const auto blocks = crypto::pem_decode_all(read_file(chain));
  ASSERT_EQ(blocks.size(), 2u);
  // intermediate first, then the root: the same two the cache pinned.
  EXPECT_EQ(read_file(chain), read_file(cache()));

  CommandResult root = marblerun({"certificate", "root", host_});  // default file name
  ASSERT_EQ(root.exit_code, 0) << root.err;
  EXPECT_EQ(read_file(work_ / "marblerunRootCA.crt"),
            crypto::pem_encode("CERTIFICATE", blocks[1].der));
  CommandResult intermediate = marblerun({"certificate", "intermediate", host_});
  ASSERT_EQ(intermediate.exit_code, 0) << intermediate.err;
  EXPECT_EQ(read_file(work_ / "marblerunIntermediateCA.crt"),
            crypto::pem_encode("CERTIFICATE", blocks[0].der));
  CommandResult to_stdout = marblerun({"certificate", "root", host_, "-o", "-"});
  EXPECT_EQ(to_stdout.out, crypto::pem_encode("CERTIFICATE", blocks[1].der));
  CommandResult json = marblerun(
      {"certificate", "root", host_, "--format", "json", "-o", (work_ / "r.crt").string()});
  EXPECT_EQ((*gojson::parse(json.out))["sha256"], hex_encode(crypto::sha256(blocks[1].der)));
}

TEST_F(Cli, MultiPartyUpdateRound) {
  set_manifest(sample("multi-party.json"));
  auto next = *gojson::parse(read_file(sample("multi-party.json")));
  next["Secrets"]["added"] = {{"Type", "symmetric-key"}, {"Size", 128}};
  const fs::path update = work_ / "update.json";
  write_file(update, next.dump(2));

  CommandResult applied = apply_update(update);
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_EQ(applied.out,
            "Update manifest set successfully. Waiting for 1 more acknowledgement(s); not yet "
            "acknowledged by: bob, carol\n");

  CommandResult missing = marblerun({"manifest", "update", "get", host_, "--missing"});
  ASSERT_EQ(missing.exit_code, 0) << missing.err;
  EXPECT_EQ(missing.out,
            "1 user still needs to acknowledge the update manifest\nNot yet acknowledged by: bob, "
            "carol\n");
  const fs::path pending = work_ / "pending.json";
  ASSERT_EQ(marblerun({"manifest", "update", "get", host_, "-o", pending.string()}).exit_code, 0);
  EXPECT_EQ(read_file(pending), read_file(update));

  // bob acknowledges other bytes: refused; the same bytes: applied.
  std::vector<std::string> wrong = {"manifest", "update", "acknowledge", sample("multi-party.json"),
                                    host_};
  as_user(wrong, "bob");
  CommandResult refused = marblerun(wrong);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("provided manifest does not match the pending manifest"));
  std::vector<std::string> ack = {"manifest", "update", "acknowledge", pending.string(), host_};
  as_user(ack, "bob");
  CommandResult acked = marblerun(ack);
  ASSERT_EQ(acked.exit_code, 0) << acked.err;
  EXPECT_EQ(acked.out,
            "Acknowledgement successful: All users have acknowledged the update manifest. Update "
            "successfully applied\n");

  CommandResult none = marblerun({"manifest", "update", "get", host_});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_THAT(none.err, HasSubstr("no update in progress"));
  const fs::path got = work_ / "got.json";
  ASSERT_EQ(marblerun({"manifest", "get", host_, "-o", got.string()}).exit_code, 0);
  EXPECT_EQ(read_file(got), read_file(update));
  EXPECT_EQ(marblerun({"manifest", "verify", update.string(), host_}).out, "OK\n");

  // Round two: proposed by carol, cancelled by bob (JSON output for scripts).
  std::vector<std::string> propose = {"manifest", "update",   "apply", sample("multi-party.json"),
                                      host_,      "--format", "json"};
  as_user(propose, "carol");
  CommandResult proposed = marblerun(propose);
  ASSERT_EQ(proposed.exit_code, 0) << proposed.err;
  EXPECT_EQ((*gojson::parse(proposed.out))["missingAcknowledgments"], 1);
  std::vector<std::string> cancel = {"manifest", "update", "cancel", host_};
  as_user(cancel, "bob");
  CommandResult cancelled = marblerun(cancel);
  ASSERT_EQ(cancelled.exit_code, 0) << cancelled.err;
  EXPECT_EQ(cancelled.out, "Update successfully cancelled\n");
  CommandResult again = marblerun(cancel);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("no update in progress"));

  CommandResult log = marblerun({"manifest", "log", host_, "--format", "json"});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  std::vector<std::string> events;
  const gojson::Json parsed = *gojson::parse(log.out);
  for (const auto& e : parsed["updateLog"])
    events.push_back(e["update"]);
  EXPECT_THAT(events, ElementsAre("Initial manifest set",
                                  "Complete Manifest update initiated by user. Waiting for "
                                  "acknowledgments to apply the update",
                                  "Complete Manifest update acknowledged by user",
                                  "Complete Manifest updated",
                                  "Complete Manifest update initiated by user. Waiting for "
                                  "acknowledgments to apply the update",
                                  "Complete Manifest update cancelled by user"));
}

TEST_F(Cli, SecretsWithAUserCertificate) {
  const fs::path manifest = work_ / "secrets.json";
  write_file(manifest, secrets_manifest().dump(2));
  set_manifest(manifest.string());

  const fs::path token = work_ / "token.json";
  write_file(token,
             gojson::Json{{"token", {{"Key", base64_encode(as_bytes("t0p-s3cret"))}}}}.dump());
  std::vector<std::string> set = {"secret", "set", token.string(), host_};
  as_user(set, "alice");
  CommandResult r = marblerun(set);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Secret successfully set\n");

  std::vector<std::string> get = {"secret", "get", "token", host_};
  as_user(get, "alice");
  CommandResult read = marblerun(get);
  ASSERT_EQ(read.exit_code, 0) << read.err;
  EXPECT_THAT(read.out, StartsWith("token:\n"));
  EXPECT_THAT(read.out, HasSubstr("Type:         plain\n"));
  EXPECT_THAT(read.out, HasSubstr("Data:         t0p-s3cret\n"));

  get.insert(get.end(), {"--format", "json"});
  CommandResult json = marblerun(get);
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto secrets = gojson::parse(json.out);
  ASSERT_TRUE(secrets) << json.out;
  EXPECT_EQ((*secrets)["token"]["UserDefined"], true);
  EXPECT_EQ((*secrets)["token"]["Private"], base64_encode(as_bytes("t0p-s3cret")));

  const fs::path out = work_ / "secrets-out.json";
  std::vector<std::string> to_file = {"secret", "get", "token", host_, "-o", out.string()};
  as_user(to_file, "alice");
  ASSERT_EQ(marblerun(to_file).exit_code, 0);
  EXPECT_EQ((*gojson::parse(read_file(out)))["token"]["Type"], "plain");

  // --from-pem: alice's certificate and key as the user-defined certificate secret.
  const fs::path pem = work_ / "tls.pem";
  write_file(pem, read_file(key("alice.cert.pem")) + read_file(key("alice.key.pem")));
  std::vector<std::string> from_pem = {"secret", "set",        pem.string(),
                                       host_,    "--from-pem", "tlscert"};
  as_user(from_pem, "alice");
  CommandResult pem_set = marblerun(from_pem);
  ASSERT_EQ(pem_set.exit_code, 0) << pem_set.err;
  std::vector<std::string> get_cert = {"secret", "get", "tlscert", "token", host_};
  as_user(get_cert, "alice");
  CommandResult cert = marblerun(get_cert);
  ASSERT_EQ(cert.exit_code, 0) << cert.err;
  EXPECT_THAT(cert.out, HasSubstr("tlscert:\n"));
  EXPECT_THAT(cert.out, HasSubstr("  Certificate:\n    -----BEGIN CERTIFICATE-----\n"));
  EXPECT_THAT(cert.out, HasSubstr("token:\n"));

  // bob is a user without the permission; carol is no user at all.
  std::vector<std::string> bob = {"secret", "get", "token", host_};
  as_user(bob, "bob");
  CommandResult denied = marblerun(bob);
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_THAT(denied.err, IsOneErrorLine());
  EXPECT_THAT(denied.err,
              HasSubstr("user bob is not allowed to read one or more secrets of: [token]"));
  std::vector<std::string> carol = {"secret", "set", token.string(), host_};
  as_user(carol, "carol");
  CommandResult unknown = marblerun(carol);
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err,
              HasSubstr("authorizing user: unauthorized user: client certificate did not match any "
                        "MarbleRun users"));
  // A key that is not the certificate's never reaches the Coordinator.
  CommandResult mismatch = marblerun(
      {"secret", "get", "token", host_, "-c", key("alice.cert.pem"), "-k", key("bob.key.pem")});
  EXPECT_EQ(mismatch.exit_code, 1);
  EXPECT_THAT(mismatch.err, HasSubstr("the client key does not belong to the client certificate"));
  // Without credentials: a usage error.
  CommandResult usage = marblerun({"secret", "get", "token", host_});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_THAT(usage.err, IsOneErrorLine());
}

TEST_F(Cli, PackageUpdateAndDisplayUpdate) {
  const fs::path manifest = work_ / "secrets.json";
  write_file(manifest, secrets_manifest().dump(2));
  set_manifest(manifest.string());
  const fs::path update = work_ / "package-update.json";
  write_file(update, R"({"Packages": {"app": {"SecurityVersion": 4}}})");
  CommandResult r = apply_update(update);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Update manifest set successfully\n");

  // The manifest itself is unchanged; --display-update shows the raised SecurityVersion.
  EXPECT_EQ(marblerun({"manifest", "verify", manifest.string(), host_}).out, "OK\n");
  CommandResult shown = marblerun({"manifest", "get", host_, "--display-update"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  auto m = gojson::parse(shown.out);
  ASSERT_TRUE(m) << shown.out;
  EXPECT_EQ((*m)["Packages"]["app"]["SecurityVersion"], 4);
  CommandResult log = marblerun({"manifest", "log", host_});
  EXPECT_THAT(log.out, HasSubstr("\"update\":\"SecurityVersion increased\""));
}

TEST_F(Cli, RecoveryAfterTheSealKeyIsRemoved) {
  const fs::path recovery = work_ / "recovery.json";
  set_manifest(sample("multi-party.json"), {"-r", recovery.string()});
  const auto secrets = (*gojson::parse(read_file(recovery)))["RecoverySecrets"];
  for (const char* officer : {"officer1", "officer2", "officer3"}) {
    write_file(work_ / (std::string(officer) + ".bin"),
               to_string(*base64_decode(secrets[officer].get<std::string>())));
  }

  fs::remove(seal_dir_ / "seal.key");
  restart();
  // The pinned root is gone until recovery: status still works and says what to do next.
  CommandResult status = marblerun({"status", host_});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, StartsWith("1: Coordinator is in recovery mode."));
  EXPECT_THAT(status.err,
              HasSubstr("WARNING: the Coordinator at " + host_ + " runs in simulation"));
  EXPECT_THAT(status.err, HasSubstr("`marblerun recover <recovery_secret_file> " + host_ +
                                    " -k <recovery_key.pem>`"));
  const std::string pinned = read_file(cache());
  // Other commands refuse the temporary root and point at recovery.
  CommandResult log_refused = marblerun({"manifest", "log", host_});
  EXPECT_EQ(log_refused.exit_code, 1);
  EXPECT_THAT(log_refused.err, IsOneErrorLine());
  EXPECT_THAT(log_refused.err, HasSubstr("is in recovery mode"));
  EXPECT_EQ(read_file(cache()), pinned);
  CommandResult insecure_status = marblerun({"status", host_, "-i"});
  EXPECT_EQ(insecure_status.out,
            "1: Coordinator is in recovery mode. Either upload a key to unseal the saved state, or "
            "set a new manifest. For more information on how to proceed, consult the "
            "documentation.\n");

  // recover: the simulation-mode Coordinator is refused without consent.
  const std::vector<std::string> first = {"recover", (work_ / "officer1.bin").string(), host_, "-k",
                                          key("recovery_1.key.pem")};
  CommandResult refused = marblerun(first);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("simulation mode"));
  std::vector<std::string> consent = first;
  consent.push_back("--accept-simulation");
  CommandResult one = marblerun(consent);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out,
            "Secret was processed successfully. Upload the next secret. Remaining secrets: 2\n");
  // The wrong key for a share cannot decrypt it.
  CommandResult wrong_key = marblerun({"recover", (work_ / "officer2.bin").string(), host_, "-k",
                                       key("recovery_1.key.pem"), "--accept-simulation"});
  EXPECT_EQ(wrong_key.exit_code, 1);
  EXPECT_THAT(wrong_key.err, HasSubstr("decrypting the recovery secret"));

  // The second share goes the air-gapped way: ephemeral key, sign, encrypt, recover-with-signature.
  const std::string pub = (work_ / "ephemeral.pem").string();
  CommandResult key_cmd =
      marblerun({"recover-with-signature", "public-key", host_, "--accept-simulation", "-o", pub});
  ASSERT_EQ(key_cmd.exit_code, 0) << key_cmd.err;
  EXPECT_THAT(read_file(pub), StartsWith("-----BEGIN PUBLIC KEY-----\n"));
  const std::string share = (work_ / "officer2.bin").string();
  const std::string sig = (work_ / "officer2.sig").string();
  const std::string enc = (work_ / "officer2.enc").string();
  CommandResult signed_share = marblerun(
      {"recover-with-signature", "sign-secret", share, "-k", key("recovery_2.key.pem"), "-o", sig});
  ASSERT_EQ(signed_share.exit_code, 0) << signed_share.err;
  CommandResult encrypted =
      marblerun({"recover-with-signature", "encrypt-secret", share, "--coordinator-pub-key", pub,
                 "-k", key("recovery_2.key.pem"), "-o", enc});
  ASSERT_EQ(encrypted.exit_code, 0) << encrypted.err;
  CommandResult two = marblerun(
      {"recover-with-signature", enc, host_, "-s", sig, "--accept-simulation", "--format", "json"});
  ASSERT_EQ(two.exit_code, 0) << two.err;
  auto result = gojson::parse(two.out);
  ASSERT_TRUE(result) << two.out;
  EXPECT_EQ((*result)["remaining"], 0);
  EXPECT_EQ((*result)["message"], "Recovery successful.");

  // Recovered: the pinned root is back, the manifest is the old one.
  CommandResult after = marblerun({"status", host_});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(after.out, "3: Coordinator is running correctly and ready to accept marbles.\n");
  EXPECT_EQ(marblerun({"manifest", "verify", sample("multi-party.json"), host_}).out, "OK\n");
}

TEST_F(Cli, AChangedRootIsRefusedUntilTheCacheEntryIsRemoved) {
  ASSERT_EQ(marblerun({"status", host_, "--accept-simulation"}).exit_code, 0);
  const std::string pinned = read_file(cache());

  // Fresh state behind the same address.
  const int port = coordinator_->client_port();
  coordinator_->stop();
  fs::remove_all(seal_dir_);
  start(port);
  ASSERT_EQ(coordinator_->client_port(), port);

  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"status", host_},
        std::vector<std::string>{"status", host_, "--accept-simulation"},
        std::vector<std::string>{"manifest", "set", sample("minimal.json"), host_,
                                 "--accept-simulation"},
        std::vector<std::string>{"certificate", "root", host_, "--accept-simulation"}}) {
    CommandResult r = marblerun(args);
    EXPECT_EQ(r.exit_code, 1) << args[0];
    EXPECT_EQ(r.out, "");
    EXPECT_THAT(r.err, IsOneErrorLine());
    EXPECT_THAT(r.err, HasSubstr("the Coordinator's root certificate changed"));
    EXPECT_THAT(r.err, HasSubstr("remove " + cache().string() + " if this is expected"));
  }
  EXPECT_EQ(read_file(cache()), pinned);
  EXPECT_FALSE(fs::exists(work_ / "marblerunRootCA.crt"));

  fs::remove(cache());
  CommandResult trusted = marblerun({"status", host_, "--accept-simulation"});
  ASSERT_EQ(trusted.exit_code, 0) << trusted.err;
  EXPECT_THAT(trusted.err, HasSubstr("First contact"));
  EXPECT_NE(read_file(cache()), pinned);
}

TEST_F(Cli, WaitsForTheCoordinatorWithProgress) {
  const int port = free_port();
  const std::string host = "127.0.0.1:" + std::to_string(port);
  const auto begin = std::chrono::steady_clock::now();
  CommandResult gave_up = marblerun({"status", host, "-i", "--timeout", "2s"});
  EXPECT_GE(std::chrono::steady_clock::now() - begin, std::chrono::milliseconds(1500));
  EXPECT_EQ(gave_up.exit_code, 1);
  EXPECT_THAT(gave_up.err, HasSubstr("waiting for the Coordinator at " + host));
  EXPECT_THAT(gave_up.err, HasSubstr("Error: getting the Coordinator's quote: the Coordinator at " +
                                     host + " refused the connection: nothing listens on port"));
  EXPECT_THAT(gave_up.err, HasSubstr("(gave up after"));

  // The Coordinator comes up while the CLI waits.
  coordinator_->stop();
  auto pending = std::async(std::launch::async, [&] {
    return marblerun({"status", host, "--accept-simulation", "--timeout", "30s"});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  start(port);
  CommandResult r = pending.get();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "2: Coordinator is ready to accept a manifest.\n");
  EXPECT_THAT(r.err, HasSubstr("waiting for the Coordinator at " + host));
}

TEST_F(Cli, KubernetesCommandsAreNotPartOfThisDistribution) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"install"}, std::vector<std::string>{"install", "--domain", "x"},
        std::vector<std::string>{"uninstall"}, std::vector<std::string>{"precheck"},
        std::vector<std::string>{"check", "--timeout", "10"},
        std::vector<std::string>{"package-info", "enclave.so"}}) {
    CommandResult r = marblerun(args);
    EXPECT_EQ(r.exit_code, 2) << args[0];
    EXPECT_THAT(r.err, IsOneErrorLine());
    EXPECT_THAT(r.err, HasSubstr("is not part of this distribution"));
    if (args[0] == "package-info") {
      EXPECT_THAT(r.err, Not(HasSubstr("Kubernetes")));
    }
  }
}

TEST_F(Cli, UsageErrorsExitWithTwoOnOneLine) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{}, std::vector<std::string>{"status"},
        std::vector<std::string>{"status", host_, "--bogus"},
        std::vector<std::string>{"status", host_, "--format", "yaml"},
        std::vector<std::string>{"frobnicate"},
        std::vector<std::string>{"secret", "get", host_, "-c", key("alice.cert.pem"), "-k",
                                 key("alice.key.pem")},
        std::vector<std::string>{"recover-with-signature", "secret.bin", host_},
        std::vector<std::string>{"manifest", "update"},
        // A typo would never match a quote's status: refused, not silently used.
        std::vector<std::string>{"status", host_, "--accepted-tcb-statuses", "uptodate"}}) {
    CommandResult r = marblerun(args);
    EXPECT_EQ(r.exit_code, 2) << (args.empty() ? "" : args[0]) << ": " << r.err;
    EXPECT_THAT(r.err, IsOneErrorLine());
  }
  CommandResult bad_host = marblerun({"status", "127.0.0.1:notaport", "-i"});
  EXPECT_EQ(bad_host.exit_code, 1);
  EXPECT_THAT(bad_host.err, HasSubstr("invalid Coordinator address"));
  EXPECT_EQ(marblerun({"--help"}).exit_code, 0);
}

TEST_F(Cli, VersionAndOfflineManifestCheck) {
  CommandResult v = marblerun({"version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_THAT(v.out, StartsWith("CLI Version: v"));
  EXPECT_EQ((*gojson::parse(marblerun({"version", "--format", "json"}).out))["cliVersion"],
            "v" + v.out.substr(14, v.out.size() - 15));
  CommandResult check = marblerun({"manifest", "check", sample("minimal.json")});
  EXPECT_EQ(check.exit_code, 0);
  EXPECT_EQ(check.out, "OK: " + sample("minimal.json") + "\n");

  // With an address, the Coordinator's version too (GET /api/v2/version), as trusted as status.
  CommandResult both = marblerun({"version", host_, "--accept-simulation"});
  ASSERT_EQ(both.exit_code, 0) << both.err;
  EXPECT_THAT(both.out, HasSubstr(v.out));
  EXPECT_THAT(both.out, HasSubstr("Coordinator Version: v" + v.out.substr(14, v.out.size() - 15)));
  auto json = gojson::parse(marblerun({"version", host_, "--format", "json"}).out);
  ASSERT_TRUE(json);
  EXPECT_EQ((*json)["coordinatorVersion"], (*json)["cliVersion"]);
  // Nothing there: the CLI's version, and why the Coordinator's is unknown.
  CommandResult none = marblerun({"version", "127.0.0.1:1"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_THAT(none.out, StartsWith("CLI Version: v"));
  EXPECT_THAT(none.err, HasSubstr("Coordinator Version: unknown ("));
}

// Issue 15: YAML manifests are converted to JSON as upstream's CLI does; the signature of a YAML
// file is that of the JSON the Coordinator holds.
TEST_F(Cli, YamlManifestIsTheJsonItConvertsTo) {
  const fs::path yaml = work_ / "manifest.yaml";
  const fs::path json = work_ / "manifest.json";
  write_file(
      yaml,
      "# the same manifest as manifest.json\n"
      "Packages:\n  app:\n    Debug: yes\n    SecurityVersion: 1\n"
      "Marbles:\n  app:\n    Package: app\n    Parameters:\n      Argv: [app, \"--port\", "
      "'8080']\n"
      "RecoveryKeys:\n  officer: |\n" +
          [] {
            std::string out;
            std::istringstream in(read_file(key("recovery_1.pub.pem")));
            for (std::string line; std::getline(in, line);)
              out += "    " + line + "\n";
            return out;
          }());
  // What Go's json.Marshal writes: compact, keys sorted, newlines escaped.
  gojson::Json expected = {
      {"Marbles",
       {{"app", {{"Package", "app"}, {"Parameters", {{"Argv", {"app", "--port", "8080"}}}}}}}},
      {"Packages", {{"app", {{"Debug", true}, {"SecurityVersion", 1}}}}},
      {"RecoveryKeys", {{"officer", read_file(key("recovery_1.pub.pem"))}}}};
  write_file(json, expected.dump());
  CommandResult ys = marblerun({"manifest", "signature", yaml.string()});
  ASSERT_EQ(ys.exit_code, 0) << ys.err;
  CommandResult js = marblerun({"manifest", "signature", json.string()});
  EXPECT_EQ(ys.out, js.out);
  EXPECT_EQ(ys.out, sha256_hex(expected.dump()) + "\n");
  EXPECT_EQ(marblerun({"manifest", "check", yaml.string()}).exit_code, 0);

  // Set as YAML (with upstream docs' --recovery-data=FILE); the Coordinator holds the JSON.
  const fs::path recovery = work_ / "recovery.json";
  CommandResult set = marblerun({"manifest", "set", yaml.string(), host_, "--accept-simulation",
                                 "--recovery-data=" + recovery.string()});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_TRUE((*gojson::parse(read_file(recovery)))["RecoverySecrets"].contains("officer"));
  EXPECT_EQ(marblerun({"manifest", "get", host_}).out, expected.dump() + "\n");
  EXPECT_EQ(marblerun({"manifest", "verify", yaml.string(), host_}).out, "OK\n");
  EXPECT_EQ(marblerun({"manifest", "verify", json.string(), host_}).out, "OK\n");

  // A YAML file that is not a manifest mapping, or not YAML at all, never reaches the Coordinator.
  const fs::path broken = work_ / "broken.yaml";
  write_file(broken, "Packages:\n  app: {Debug: true\n");
  CommandResult bad = marblerun({"manifest", "set", broken.string(), host_});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, IsOneErrorLine());
  EXPECT_THAT(bad.err, HasSubstr("is neither valid JSON nor YAML: invalid YAML: line"));
  EXPECT_THAT(bad.err, Not(HasSubstr("WARNING")));  // refused before any connection
}

TEST_F(Cli, YamlPackageUpdate) {
  const fs::path manifest = work_ / "secrets.json";
  write_file(manifest, secrets_manifest().dump(2));
  set_manifest(manifest.string());
  const fs::path update = work_ / "update.yml";
  write_file(update, "Packages:\n  app:\n    SecurityVersion: 5\n");
  CommandResult r = apply_update(update);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Update manifest set successfully\n");
  CommandResult shown = marblerun({"manifest", "get", host_, "--display-update"});
  EXPECT_EQ((*gojson::parse(shown.out))["Packages"]["app"]["SecurityVersion"], 5);
}

// Issue 15: connection errors say what is wrong at once; only a refusing (starting) Coordinator
// is waited for, briefly by default.
TEST_F(Cli, ConnectionErrorsSayWhatIsWrongAtOnce) {
  auto timed = [&](std::vector<std::string> args) {
    const auto begin = std::chrono::steady_clock::now();
    CommandResult r = marblerun(std::move(args));
    return std::pair{r, std::chrono::steady_clock::now() - begin};
  };
  // A host name that does not resolve: no waiting.
  auto [dns, dns_took] = timed({"status", "no-such-coordinator.invalid:4433", "-i"});
  EXPECT_EQ(dns.exit_code, 1);
  EXPECT_THAT(dns.err, IsOneErrorLine());
  EXPECT_THAT(dns.err, HasSubstr("cannot resolve the host name \"no-such-coordinator.invalid\""));
  EXPECT_THAT(dns.err, Not(HasSubstr("waiting")));
  EXPECT_LT(dns_took, std::chrono::seconds(4));

  // Nothing listens: a short default wait (a Coordinator may be starting), not 60 s.
  const std::string closed = "127.0.0.1:" + std::to_string(free_port());
  auto [refused, refused_took] = timed({"status", closed, "-i"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("refused the connection: nothing listens on port"));
  EXPECT_THAT(refused.err, HasSubstr("retrying for up to 5s (--timeout to wait longer)"));
  EXPECT_LT(refused_took, std::chrono::seconds(8));

  // The Marble API's gRPC port: said at once.
  ASSERT_NE(coordinator_->mesh_port(), 0);
  const std::string mesh = "127.0.0.1:" + std::to_string(coordinator_->mesh_port());
  auto [grpc, grpc_took] = timed({"status", mesh, "-i"});
  EXPECT_EQ(grpc.exit_code, 1);
  EXPECT_THAT(grpc.err, IsOneErrorLine());
  EXPECT_THAT(grpc.err, HasSubstr(mesh + " is not the Coordinator's client API: it speaks gRPC"));
  EXPECT_LT(grpc_took, std::chrono::seconds(4));

  // A plain-HTTP server (it answers the TLS ClientHello with an HTTP error): said at once.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 8), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::thread http([fd] {
    for (int i = 0; i < 2; ++i) {  // the request, then the CLI's diagnosis
      const int c = accept(fd, nullptr, nullptr);
      if (c < 0) return;
      char buf[512];
      (void)!read(c, buf, sizeof(buf));
      const std::string reply = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
      (void)!write(c, reply.data(), reply.size());
      close(c);
    }
  });
  const std::string plain_host = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  auto [plain, plain_took] = timed({"status", plain_host, "-i"});
  shutdown(fd, SHUT_RDWR);
  close(fd);
  http.join();
  EXPECT_EQ(plain.exit_code, 1);
  EXPECT_THAT(plain.err, IsOneErrorLine());
  EXPECT_THAT(plain.err, HasSubstr(plain_host + " does not speak TLS"));
  EXPECT_LT(plain_took, std::chrono::seconds(4));
}

// Issue 15: a root mismatch never advises deleting the user's own --coordinator-cert file.
TEST_F(Cli, RootMismatchAdviceNamesTheFileThatPinsTheRoot) {
  const fs::path mine = work_ / "admin_certificate.crt";
  ASSERT_EQ(marblerun({"status", host_, "--accept-simulation", "--coordinator-cert", mine.string()})
                .exit_code,
            0);
  const int port = coordinator_->client_port();
  coordinator_->stop();
  fs::remove_all(seal_dir_);
  start(port);
  CommandResult r = marblerun({"status", host_, "--coordinator-cert", mine.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, IsOneErrorLine());
  EXPECT_THAT(r.err, HasSubstr("but " + mine.string() + " pins SHA-256"));
  EXPECT_THAT(r.err, HasSubstr("give --coordinator-cert a new file name"));
  EXPECT_THAT(r.err, Not(HasSubstr("remove " + mine.string())));
  EXPECT_TRUE(fs::exists(mine));
}

// Issue 15: recover on a running Coordinator says it is not in recovery mode.
TEST_F(Cli, RecoverOnARunningCoordinatorSaysSo) {
  set_manifest(sample("multi-party.json"), {"-r", (work_ / "recovery.json").string()});
  write_file(work_ / "share.bin", std::string(16, 'x'));
  CommandResult r = marblerun({"recover", (work_ / "share.bin").string(), host_, "-k",
                               key("recovery_1.key.pem"), "--accept-simulation"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, IsOneErrorLine());
  EXPECT_THAT(r.err, HasSubstr("the Coordinator at " + host_ +
                               " is not in recovery mode, so there is nothing to recover"));
  EXPECT_THAT(r.err, HasSubstr("(its status: 3: "));
}

// Issue 15: unknown commands name the closest one; `help` prints help; completion scripts.
TEST_F(Cli, UnknownCommandsHelpVersionAndCompletion) {
  CommandResult foo = marblerun({"foo"});
  EXPECT_EQ(foo.exit_code, 2);
  EXPECT_THAT(foo.err, IsOneErrorLine());
  EXPECT_THAT(foo.err,
              HasSubstr("unknown command \"foo\" for \"marblerun\"; its commands: manifest"));
  CommandResult typo = marblerun({"manifest", "sett", sample("minimal.json"), host_});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_THAT(typo.err, HasSubstr("unknown command \"sett\" for \"marblerun manifest\"; did you "
                                  "mean \"set\"?"));
  EXPECT_THAT(marblerun({"stauts", host_}).err, HasSubstr("did you mean \"status\"?"));
  EXPECT_THAT(
      marblerun({"manifest", "update"}).err,
      HasSubstr("marblerun manifest update needs a command: apply, acknowledge, cancel, get"));

  CommandResult help = marblerun({"help"});
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_THAT(help.out, HasSubstr("Usage: marblerun [OPTIONS] SUBCOMMAND"));
  CommandResult sub = marblerun({"help", "manifest", "update"});
  EXPECT_EQ(sub.exit_code, 0) << sub.err;
  EXPECT_THAT(sub.out, HasSubstr("Usage: marblerun manifest update"));
  EXPECT_THAT(marblerun({"help", "manifst"}).err, HasSubstr("did you mean \"manifest\"?"));

  CommandResult version = marblerun({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.out, StartsWith("marblerun v"));

  CommandResult pkcs11 = marblerun({"secret", "get", "x", host_, "-c", key("alice.cert.pem"), "-k",
                                    key("alice.key.pem"), "--pkcs11-config", "p.json"});
  EXPECT_EQ(pkcs11.exit_code, 2);
  EXPECT_THAT(pkcs11.err, StartsWith("Error: --pkcs11-*: PKCS#11 keys are not supported"));

  // bash: the script completes commands at every level.
  CommandResult bash = marblerun({"completion", "bash"});
  ASSERT_EQ(bash.exit_code, 0);
  const fs::path script = work_ / "completion.bash";
  write_file(script, bash.out);
  CommandResult completed = run_command_split(
      {"/bin/bash", "-c",
       "source " + script.string() +
           " && COMP_WORDS=(marblerun manifest up) COMP_CWORD=2 && _marblerun && echo "
           "\"${COMPREPLY[*]}\" && COMP_WORDS=(marblerun sta) COMP_CWORD=1 && _marblerun && echo "
           "\"${COMPREPLY[*]}\" && COMP_WORDS=(marblerun status --acc) COMP_CWORD=2 && _marblerun "
           "&& echo \"${COMPREPLY[*]}\""});
  ASSERT_EQ(completed.exit_code, 0) << completed.err;
  EXPECT_EQ(completed.out,
            "update\nstatus\n--accept-simulation --accepted-advisories "
            "--accepted-tcb-statuses\n");
  CommandResult zsh = marblerun({"completion", "zsh"});
  EXPECT_THAT(zsh.out, StartsWith("#compdef marblerun\n"));
  CommandResult fish = marblerun({"completion", "fish"});
  EXPECT_THAT(fish.out, HasSubstr("complete -c marblerun -n '__fish_use_subcommand' -a manifest"));
  EXPECT_THAT(fish.out,
              HasSubstr("-n '__fish_seen_subcommand_from update; and not "
                        "__fish_seen_subcommand_from apply acknowledge cancel get' -a apply"));
  EXPECT_EQ(marblerun({"completion", "tcsh"}).exit_code, 2);
}

// A Coordinator quoting itself with a simulated DCAP PKI: real quote verification against an era
// config, the simulated root and its collateral.
class CliAttested : public Cli {
 protected:
  void SetUp() override {
    fs::create_directories(work_);
    auto pki = attestation::simulated::SimulatedDcapPki::create({SystemClock().now(), {}, {}});
    ASSERT_TRUE(pki) << pki.error().message;
    write_file(dir_.path() / "pki.json", (*pki)->to_json());
    write_file(root_ca_, to_string((*pki)->root_ca_der()));
    write_file(collateral_, attestation::dcap::to_collateral_json((*pki)->collateral()));
    // The Coordinator's simulated enclave: all-zero MRENCLAVE/MRSIGNER, ProductID 0, ISVSVN 0.
    write_file(era_, R"({"UniqueID": ")" + std::string(64, '0') +
                         R"(", "ProductID": 0, "SecurityVersion": 0, "Debug": false})");
    write_file(wrong_era_, R"({"UniqueID": ")" + std::string(64, '1') + R"(", "ProductID": 0})");
    start(0, {{"OE_SIMULATION", "0"},
              {"EDG_COORDINATOR_SIMULATED_DCAP_PKI", (dir_.path() / "pki.json").string()}});
  }

  std::vector<std::string> dcap() const {
    return {"--dcap-root-ca", root_ca_.string(), "--dcap-collateral", collateral_.string()};
  }
  std::vector<std::string> with(std::vector<std::string> args,
                                const std::vector<std::string>& more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }

  fs::path root_ca_ = dir_.path() / "sim-root.der";
  fs::path collateral_ = dir_.path() / "collateral.json";
  fs::path era_ = dir_.path() / "era.json";
  fs::path wrong_era_ = dir_.path() / "wrong-era.json";
};

TEST_F(CliAttested, AQuoteNeedsAnAttestationPolicy) {
  CommandResult r = marblerun({"status", host_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, IsOneErrorLine());
  EXPECT_THAT(r.err, HasSubstr("no attestation policy for the Coordinator"));
  EXPECT_THAT(r.err, HasSubstr("--era-config"));
  EXPECT_THAT(r.err, HasSubstr("--insecure"));
  // --accept-simulation does not help: this Coordinator is not in simulation mode.
  EXPECT_EQ(marblerun({"status", host_, "--accept-simulation"}).exit_code, 1);
  EXPECT_FALSE(fs::exists(cache()));
}

TEST_F(CliAttested, VerifiesTheQuoteAgainstTheEraConfig) {
  CommandResult r = marblerun(with({"status", host_, "--era-config", era_.string()}, dcap()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "2: Coordinator is ready to accept a manifest.\n");
  EXPECT_THAT(r.err,
              HasSubstr("First contact with the Coordinator at " + host_ + ": quote verified"));
  EXPECT_TRUE(fs::exists(cache()));

  // Commands that attest verify again (and with a nonce, a fresh quote); the quote can be saved
  // and checked offline with `attestation verify`.
  const fs::path quote = work_ / "quote.bin";
  CommandResult set =
      marblerun(with({"manifest", "set", sample("minimal.json"), host_, "--era-config",
                      era_.string(), "--nonce", "fresh-nonce", "--save-sgx-quote", quote.string()},
                     dcap()));
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_GT(fs::file_size(quote), 1000u);
  CommandResult offline =
      marblerun({"attestation", "verify", "--quote", quote.string(), "--collateral",
                 collateral_.string(), "--root-ca", root_ca_.string()});
  EXPECT_EQ(offline.exit_code, 0) << offline.out;
  EXPECT_EQ((*gojson::parse(offline.out))["verified"], true);
}

TEST_F(CliAttested, EraConfigInTheWorkingDirectoryIsUsed) {
  write_file(work_ / "era-config.json", read_file(era_));
  CommandResult r = marblerun(with({"certificate", "root", host_}, dcap()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(work_ / "marblerunRootCA.crt"));
}

TEST_F(CliAttested, RefusesAnotherEnclaveAndAnUntrustedRoot) {
  CommandResult wrong =
      marblerun(with({"status", host_, "--era-config", wrong_era_.string()}, dcap()));
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_THAT(wrong.err, IsOneErrorLine());
  EXPECT_THAT(wrong.err,
              HasSubstr("the Coordinator does not match the attestation policy: invalid UniqueID"));
  EXPECT_FALSE(fs::exists(cache()));

  // Intel's root (the default) does not vouch for the simulated PKI.
  CommandResult intel = marblerun(
      {"status", host_, "--era-config", era_.string(), "--dcap-collateral", collateral_.string()});
  EXPECT_EQ(intel.exit_code, 1);
  EXPECT_THAT(intel.err, HasSubstr("verifying the Coordinator's quote"));
  EXPECT_FALSE(fs::exists(cache()));

  // A TCB status outside the accepted list is refused as well (the simulated platform is
  // UpToDate, so accepting only SWHardeningNeeded still passes: UpToDate is always fine).
  CommandResult tcb = marblerun(with({"status", host_, "--era-config", era_.string(),
                                      "--accepted-tcb-statuses", "SWHardeningNeeded"},
                                     dcap()));
  EXPECT_EQ(tcb.exit_code, 0) << tcb.err;
}

}  // namespace
}  // namespace mr::test
