// The Coordinator's log through the real process (issue 15): a normal walk through upstream's
// workflows (status and quote, manifest set, user secrets, refused and unknown clients, a
// multi-party update acknowledged and one cancelled, shutdown) leaves at info one line per
// security-relevant event and no per-request line; the SIMULATION warning appears once; secret
// values and certificates never appear; the per-request lines are still there at debug; and
// EDG_LOG_FORMAT=zap writes upstream's keys.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "base/encoding.h"
#include "base/testing/temp_dir.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/x509.h"
#include "gojson/go_json.h"
#include "support/process.h"
#include "support/rest_helpers.h"

namespace mr::test {
namespace {

using gojson::Json;
using ::testing::HasSubstr;
using ::testing::Not;

// Line is one parsed JSON log line.
struct Line {
  std::string raw;
  Json json;
  [[nodiscard]] std::string msg() const { return json.value("msg", std::string()); }
  [[nodiscard]] std::string level() const { return json.value("level", std::string()); }
};

std::vector<Line> parse_log(const std::string& log) {
  std::vector<Line> out;
  std::istringstream in(log);
  std::string raw;
  while (std::getline(in, raw)) {
    if (raw.empty()) continue;
    Json j = Json::parse(raw, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not a JSON line: " << raw;
    if (j.is_discarded()) continue;
    out.push_back({raw, std::move(j)});
  }
  return out;
}

std::vector<Line> with_msg(const std::vector<Line>& lines, const std::string& msg) {
  std::vector<Line> out;
  for (const Line& l : lines) {
    if (l.msg() == msg) out.push_back(l);
  }
  return out;
}

std::size_t containing(const std::vector<Line>& lines, const std::string& text) {
  std::size_t n = 0;
  for (const Line& l : lines)
    n += l.raw.find(text) != std::string::npos ? 1 : 0;
  return n;
}

std::string certificate_sha256(const std::string& pem_file) {
  auto cert = crypto::Certificate::from_pem(read_file(testdata_key(pem_file)));
  EXPECT_TRUE(cert);
  return cert ? hex_encode(crypto::sha256(cert->der())) : std::string();
}

class CoordinatorLog : public ::testing::Test {
 protected:
  HttpResult get(const std::string& path, const std::vector<std::string>& extra = {}) {
    ++requests_;
    return curl_https(c_->client_url() + path, nullptr, extra);
  }
  HttpResult post(const std::string& path, const std::string& body,
                  const std::vector<std::string>& extra = {}) {
    ++requests_;
    return curl_https(c_->client_url() + path, &body, extra);
  }

  // walk runs the normal workflow against a fresh Coordinator started with |env|, stops it and
  // returns its log.
  std::vector<Line> walk(const std::map<std::string, std::string>& env) {
    c_ = CoordinatorProcess::start({dir_.path() / "data", env});
    for (int i = 0; i < 3; ++i)
      EXPECT_EQ(get("/api/v2/status").status, 200);
    EXPECT_EQ(get("/api/v2/quote").status, 200);
    EXPECT_EQ(get("/quote").status, 200);
    EXPECT_EQ(post("/api/v2/manifest", b64_body(users_manifest().dump())).status, 200);
    EXPECT_EQ(get("/api/v2/status").status, 200);
    EXPECT_EQ(get("/api/v2/manifest").status, 200);

    // A user secret: alice uploads and reads it; bob may not; nobody and carol are unknown.
    const std::string upload =
        Json{{"secrets", {{"token", {{"Key", base64_encode(as_bytes(secret_))}}}}}}.dump();
    EXPECT_EQ(post("/api/v2/secrets", upload, as_user("alice")).status, 200);
    EXPECT_EQ(get("/api/v2/secrets?s=token", as_user("alice")).status, 200);
    EXPECT_EQ(get("/api/v2/secrets?s=token", as_user("bob")).status, 500);
    EXPECT_EQ(post("/api/v2/secrets", upload, as_user("bob")).status, 500);
    EXPECT_EQ(post("/api/v2/secrets", upload).status, 401);
    EXPECT_EQ(get("/api/v2/secrets?s=token", as_user("carol")).status, 401);

    // A multi-party update: alice initiates, bob acknowledges (it applies); a second one is
    // initiated and cancelled.
    Json next = users_manifest();
    next["Secrets"]["added"] = {{"Type", "symmetric-key"}, {"Size", 256}, {"Shared", true}};
    EXPECT_EQ(post("/api/v2/update", b64_body(next.dump()), as_user("alice")).status, 200);
    EXPECT_EQ(get("/api/v2/update-manifest").status, 200);
    EXPECT_EQ(post("/api/v2/update-manifest", b64_body(next.dump()), as_user("bob")).status, 200);
    EXPECT_EQ(post("/api/v2/update", b64_body(users_manifest().dump()), as_user("alice")).status,
              200);
    EXPECT_EQ(post("/api/v2/update-cancel", "", as_user("bob")).status, 200);
    EXPECT_EQ(get("/api/v2/update").status, 200);
    EXPECT_EQ(get("/api/v2/status").status, 200);
    EXPECT_EQ(c_->stop(), 0);
    return parse_log(c_->log());
  }

  mr::testing::TempDir dir_;
  std::unique_ptr<CoordinatorProcess> c_;
  int requests_ = 0;
  const std::string secret_ = random_text(40);
};

TEST_F(CoordinatorLog, NormalWorkflowLogsEventsNotRequests) {
  const std::vector<Line> lines = walk({});
  ASSERT_FALSE(lines.empty());

  // No per-request lines at info; everything written is info or above.
  EXPECT_TRUE(with_msg(lines, "request").empty());
  for (const Line& l : lines)
    EXPECT_NE(l.level(), "debug") << l.raw;

  // The SIMULATION warning once, at start, however often status and quote were called.
  EXPECT_EQ(containing(lines, "SIMULATION"), 1u);
  EXPECT_EQ(containing(lines, "SIMULATION MODE (OE_SIMULATION=1)"), 1u);

  // One line per security event, with names, never values.
  const auto set = with_msg(lines, "secrets set");
  ASSERT_EQ(set.size(), 1u);
  EXPECT_EQ(set[0].json["user"], "alice");
  EXPECT_EQ(set[0].json["secrets"], "token");
  EXPECT_EQ(set[0].level(), "info");

  const auto unknown = with_msg(lines, "request refused: unknown client certificate");
  ASSERT_EQ(unknown.size(), 2u);
  EXPECT_EQ(unknown[0].level(), "warn");
  EXPECT_EQ(unknown[0].json["certificate_sha256"], "none");
  EXPECT_EQ(unknown[0].json["path"], "/api/v2/secrets");
  EXPECT_EQ(unknown[1].json["certificate_sha256"], certificate_sha256("carol.cert.pem"));

  const auto refused = with_msg(lines, "user refused: not permitted");
  ASSERT_EQ(refused.size(), 2u);
  for (const Line& l : refused) {
    EXPECT_EQ(l.level(), "warn");
    EXPECT_EQ(l.json["user"], "bob");
    EXPECT_EQ(l.json["path"], "/api/v2/secrets");
    EXPECT_THAT(l.json["reason"].get<std::string>(), HasSubstr("token"));
  }

  const auto initiated = with_msg(lines, "manifest update initiated");
  ASSERT_EQ(initiated.size(), 2u);
  EXPECT_EQ(initiated[0].json["user"], "alice");
  EXPECT_EQ(initiated[0].json["missing_acknowledgments"], 1);
  const auto acknowledged = with_msg(lines, "manifest update acknowledged");
  ASSERT_EQ(acknowledged.size(), 1u);
  EXPECT_EQ(acknowledged[0].json["user"], "bob");
  EXPECT_EQ(acknowledged[0].json["missing_acknowledgments"], 0);
  EXPECT_EQ(acknowledged[0].json["fingerprint"], initiated[0].json["fingerprint"]);
  EXPECT_EQ(with_msg(lines, "manifest updated").size() +
                with_msg(lines, "manifest updated with a new data key").size(),
            1u);
  const auto cancelled = with_msg(lines, "manifest update cancelled");
  ASSERT_EQ(cancelled.size(), 1u);
  EXPECT_EQ(cancelled[0].json["user"], "bob");
  EXPECT_EQ(cancelled[0].json["fingerprint"], initiated[1].json["fingerprint"]);
  EXPECT_EQ(with_msg(lines, "manifest set").size(), 1u);

  // Shutdown: both APIs say they stopped, after the signal.
  ASSERT_EQ(with_msg(lines, "stopping").size(), 1u);
  EXPECT_EQ(with_msg(lines, "Marble API stopped").size(), 1u);
  ASSERT_EQ(with_msg(lines, "client API stopped").size(), 1u);
  EXPECT_EQ(lines.back().msg(), "client API stopped");

  // No secret value, no certificate.
  const std::string log = c_->log();
  EXPECT_THAT(log, Not(HasSubstr(secret_)));
  EXPECT_THAT(log, Not(HasSubstr(base64_encode(as_bytes(secret_)).substr(0, 40))));
  EXPECT_THAT(log, Not(HasSubstr("BEGIN CERTIFICATE")));
  EXPECT_THAT(log, Not(HasSubstr("PRIVATE KEY")));

  std::cout << "normal workflow at info: " << requests_ << " requests, " << lines.size()
            << " log lines\n";
  RecordProperty("requests", requests_);
  RecordProperty("info_lines", static_cast<int>(lines.size()));
}

// The per-request lines moved to debug; they were not lost.
TEST_F(CoordinatorLog, RequestLinesAtDebug) {
  const std::vector<Line> lines = walk({{"EDG_DEBUG_LOGGING", "1"}});
  const auto requests = with_msg(lines, "request");
  EXPECT_EQ(requests.size(), static_cast<std::size_t>(requests_));
  for (const Line& l : requests) {
    EXPECT_EQ(l.level(), "debug") << l.raw;
    EXPECT_TRUE(l.json.contains("path") && l.json.contains("status")) << l.raw;
  }
  EXPECT_EQ(containing(lines, "SIMULATION"), 1u);
  EXPECT_EQ(with_msg(lines, "secrets set").size(), 1u);
  EXPECT_THAT(c_->log(), Not(HasSubstr(secret_)));
  std::size_t debug = 0;
  for (const Line& l : lines)
    debug += l.level() == "debug" ? 1 : 0;
  std::cout << "normal workflow at debug: " << requests_ << " requests, " << lines.size()
            << " log lines (" << debug << " debug)\n";
}

// EDG_LOG_FORMAT=zap: every line has upstream's keys, in zap's order, and no other format's.
TEST_F(CoordinatorLog, ZapFormatThroughTheRealProcess) {
  c_ = CoordinatorProcess::start(
      {dir_.path() / "data", {{"EDG_LOG_FORMAT", "zap"}, {"EDG_DEBUG_LOGGING", "1"}}});
  EXPECT_EQ(get("/api/v2/status").status, 200);
  EXPECT_EQ(post("/api/v2/secrets", "{}").status, 401);
  EXPECT_EQ(c_->stop(), 0);
  const std::vector<Line> lines = parse_log(c_->log());
  ASSERT_GE(lines.size(), 5u);
  const std::regex shape(
      R"re(^\{"level":"(debug|info|warn|error)","ts":[0-9]+\.[0-9]+,"caller":"[a-z-]+","msg":".*\}$)re");
  std::set<std::string> levels;
  for (const Line& l : lines) {
    EXPECT_TRUE(std::regex_match(l.raw, shape)) << l.raw;
    EXPECT_FALSE(l.json.contains("component")) << l.raw;
    EXPECT_TRUE(l.json["ts"].is_number()) << l.raw;
    levels.insert(l.level());
  }
  EXPECT_EQ(levels, (std::set<std::string>{"debug", "info", "warn"}));
  const auto unknown = with_msg(lines, "request refused: unknown client certificate");
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0].json["caller"], "rest");
}

// Unknown formats are refused at start, naming the choices.
TEST(CoordinatorLogFormat, UnknownFormatIsRefused) {
  mr::testing::TempDir dir;
  const auto [code, out] =
      run_command({std::string(MR_BINARY_DIR) + "/bin/marblerun-coordinator-sim"},
                  {{"OE_SIMULATION", "1"},
                   {"EDG_COORDINATOR_SEAL_DIR", (dir.path() / "d").string()},
                   {"EDG_LOG_FORMAT", "logfmt"}});
  EXPECT_EQ(code, 2);
  EXPECT_THAT(out, HasSubstr("EDG_LOG_FORMAT: expected json, text or zap"));
}

}  // namespace
}  // namespace mr::test
