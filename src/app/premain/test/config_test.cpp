// marblerun-premain's configuration: upstream's variables and defaults (spec 1.3), the documented
// extensions, and refusal of everything else.
#include "app/premain/config.h"

#include <gtest/gtest.h>

namespace mr::app::premain {
namespace {

using Env = std::map<std::string, std::string>;
using Args = std::vector<std::string>;

Result<PremainConfig> parse(Env env, Args args = {}) {
  return parse_config(env, args, "/work/dir");
}

TEST(PremainConfig, DefaultsAreUpstreams) {
  auto c = parse({{"EDG_MARBLE_TYPE", "backend"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->coordinator_addr, "localhost:2001");
  EXPECT_EQ(c->marble_type, "backend");
  EXPECT_EQ(c->dns_names, (std::vector<std::string>{"localhost"}));
  EXPECT_EQ(c->uuid_file, std::filesystem::path("/work/dir/uuid"));
  EXPECT_EQ(c->attestation_dir, std::filesystem::path("/dev/attestation"));
  EXPECT_FALSE(c->simulated_dcap_pki);
  EXPECT_FALSE(c->coordinator_root_ca);  // unpinned, as upstream
  EXPECT_EQ(c->activation_timeout, std::chrono::seconds(30));
  EXPECT_EQ(c->log_format, log::Format::kText);
  EXPECT_EQ(c->log_level, log::Level::kInfo);
  EXPECT_TRUE(c->command.empty());
}

TEST(PremainConfig, AllVariables) {
  auto c = parse({{"EDG_MARBLE_TYPE", "backend"},
                  {"EDG_MARBLE_COORDINATOR_ADDR", "coordinator-mesh-api:2001"},
                  {"EDG_MARBLE_DNS_NAMES", "backend,backend.ns,10.0.0.1"},
                  {"EDG_MARBLE_UUID_FILE", "/backend-uid/uuid-file"},
                  {"EDG_MARBLE_ATTESTATION_DIR", "/tmp/fake-attestation"},
                  {"EDG_MARBLE_ACTIVATION_TIMEOUT", "500ms"},
                  {"EDG_MARBLE_COORDINATOR_ROOT_CA", "/etc/marblerun/root.pem"},
                  {"EDG_MARBLE_SIMULATED_DCAP_PKI", "/tmp/pki.json"},
                  {"EDG_MARBLE_SIMULATED_MRENCLAVE", std::string(64, 'a')},
                  {"EDG_MARBLE_SIMULATED_MRSIGNER", std::string(64, 'B')},
                  {"EDG_MARBLE_SIMULATED_PRODUCT_ID", "3"},
                  {"EDG_MARBLE_SIMULATED_SVN", "65535"},
                  {"EDG_MARBLE_SIMULATED_DEBUG", "1"},
                  {"EDG_LOG_FORMAT", "json"},
                  {"EDG_DEBUG_LOGGING", "1"},
                  {"PATH", "/bin"},
                  {"EDG_COORDINATOR_MESH_ADDR", "ignored: not a Marble variable"}},
                 {"--", "/usr/bin/env", "-0"});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->coordinator_addr, "coordinator-mesh-api:2001");
  EXPECT_EQ(c->dns_names, (std::vector<std::string>{"backend", "backend.ns", "10.0.0.1"}));
  EXPECT_EQ(c->uuid_file, std::filesystem::path("/backend-uid/uuid-file"));
  EXPECT_EQ(c->attestation_dir, std::filesystem::path("/tmp/fake-attestation"));
  EXPECT_EQ(c->activation_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(c->simulated_dcap_pki, std::filesystem::path("/tmp/pki.json"));
  EXPECT_EQ(c->coordinator_root_ca, std::filesystem::path("/etc/marblerun/root.pem"));
  EXPECT_EQ(c->simulated_enclave.mr_enclave[0], 0xaa);
  EXPECT_EQ(c->simulated_enclave.mr_signer[31], 0xbb);
  EXPECT_EQ(c->simulated_enclave.isv_prod_id, 3);
  EXPECT_EQ(c->simulated_enclave.isv_svn, 65535);
  EXPECT_TRUE(c->simulated_enclave.debug);
  EXPECT_EQ(c->log_format, log::Format::kJson);
  EXPECT_EQ(c->log_level, log::Level::kDebug);
  EXPECT_EQ(c->command, (std::vector<std::string>{"/usr/bin/env", "-0"}));
}

TEST(PremainConfig, EmptyValuesMeanTheDefault) {
  auto c = parse({{"EDG_MARBLE_TYPE", "t"},
                  {"EDG_MARBLE_COORDINATOR_ADDR", ""},
                  {"EDG_MARBLE_DNS_NAMES", ""}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->coordinator_addr, "localhost:2001");
  EXPECT_EQ(c->dns_names, (std::vector<std::string>{"localhost"}));
}

TEST(PremainConfig, TypeIsRequired) {
  for (const Env& env : {Env{}, Env{{"EDG_MARBLE_TYPE", ""}}}) {
    auto c = parse(env);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(c.error().message, "EDG_MARBLE_TYPE is not set (the Marble's name in the manifest)");
  }
}

TEST(PremainConfig, UnknownMarbleVariablesAreErrors) {
  auto c = parse({{"EDG_MARBLE_TYPE", "t"}, {"EDG_MARBLE_COORDINATOR_ADRR", "typo:2001"}});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "unknown variable EDG_MARBLE_COORDINATOR_ADRR");
}

TEST(PremainConfig, AllProblemsOnOneLine) {
  auto c = parse({{"EDG_MARBLE_DNS_NAMES", "a,,b"},
                  {"EDG_MARBLE_ACTIVATION_TIMEOUT", "soon"},
                  {"EDG_MARBLE_SIMULATED_SVN", "3"},
                  {"EDG_LOG_FORMAT", "xml"},
                  {"EDG_DEBUG_LOGGING", "yes"}},
                 {"stray"});
  ASSERT_FALSE(c);
  const std::string& m = c.error().message;
  EXPECT_EQ(m.find('\n'), std::string::npos);
  for (const char* part :
       {"unexpected argument \"stray\"", "EDG_MARBLE_TYPE is not set",
        "EDG_MARBLE_DNS_NAMES has an empty entry", "EDG_MARBLE_ACTIVATION_TIMEOUT must be",
        "EDG_MARBLE_SIMULATED_SVN needs EDG_MARBLE_SIMULATED_DCAP_PKI",
        "EDG_LOG_FORMAT must be json, text or zap", "EDG_DEBUG_LOGGING must be 0 or 1"}) {
    EXPECT_NE(m.find(part), std::string::npos) << part << " in " << m;
  }
}

TEST(PremainConfig, MalformedMeasurements) {
  Env env = {{"EDG_MARBLE_TYPE", "t"},
             {"EDG_MARBLE_SIMULATED_DCAP_PKI", "/p"},
             {"EDG_MARBLE_SIMULATED_MRENCLAVE", "abcd"},
             {"EDG_MARBLE_SIMULATED_PRODUCT_ID", "65536"},
             {"EDG_MARBLE_SIMULATED_DEBUG", "2"}};
  auto c = parse(env);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("EDG_MARBLE_SIMULATED_MRENCLAVE must be 64 hex digits"),
            std::string::npos);
  EXPECT_NE(c.error().message.find("EDG_MARBLE_SIMULATED_PRODUCT_ID must be an integer"),
            std::string::npos);
  EXPECT_NE(c.error().message.find("EDG_MARBLE_SIMULATED_DEBUG must be 0 or 1"), std::string::npos);
}

TEST(PremainConfig, Durations) {
  const struct {
    const char* text;
    std::chrono::milliseconds want;
  } cases[] = {{"45", std::chrono::seconds(45)},
               {"10s", std::chrono::seconds(10)},
               {"250ms", std::chrono::milliseconds(250)},
               {"2m", std::chrono::minutes(2)}};
  for (const auto& tc : cases) {
    auto c = parse({{"EDG_MARBLE_TYPE", "t"}, {"EDG_MARBLE_ACTIVATION_TIMEOUT", tc.text}});
    ASSERT_TRUE(c) << tc.text;
    EXPECT_EQ(c->activation_timeout, tc.want) << tc.text;
  }
  for (const char* bad : {"0", "-1s", "s", "1h", "1.5s", "99999999999m"}) {
    EXPECT_FALSE(parse({{"EDG_MARBLE_TYPE", "t"}, {"EDG_MARBLE_ACTIVATION_TIMEOUT", bad}})) << bad;
  }
}

TEST(PremainConfig, CommandLine) {
  EXPECT_TRUE(parse({}, {"--help"})->help);
  EXPECT_TRUE(parse({}, {"-h"})->help);
  auto empty = parse({{"EDG_MARBLE_TYPE", "t"}}, {"--"});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message, "no program given after --");
  auto dashes = parse({{"EDG_MARBLE_TYPE", "t"}}, {"--", "app", "--", "--help"});
  ASSERT_TRUE(dashes);
  EXPECT_EQ(dashes->command, (std::vector<std::string>{"app", "--", "--help"}));
}

TEST(PremainConfig, UsageListsEveryVariable) {
  const std::string u = usage();
  for (const char* v : {"EDG_MARBLE_COORDINATOR_ADDR", "EDG_MARBLE_TYPE", "EDG_MARBLE_DNS_NAMES",
                        "EDG_MARBLE_UUID_FILE", "EDG_MARBLE_ATTESTATION_DIR",
                        "EDG_MARBLE_SIMULATED_DCAP_PKI", "EDG_MARBLE_ACTIVATION_TIMEOUT"}) {
    EXPECT_NE(u.find(v), std::string::npos) << v;
  }
}

// An empty EDG_MARBLE_COORDINATOR_ROOT_CA is a configuration error, not "unpinned" (the other
// variables follow upstream's Getenv, where empty means unset).
TEST(PremainConfig, EmptyPinnedRootIsAnError) {
  auto c = parse({{"EDG_MARBLE_TYPE", "backend"}, {"EDG_MARBLE_COORDINATOR_ROOT_CA", ""}});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(c.error().message.find("EDG_MARBLE_COORDINATOR_ROOT_CA is set but empty"),
            std::string::npos)
      << c.error().message;
  EXPECT_NE(usage().find("EDG_MARBLE_COORDINATOR_ROOT_CA"), std::string::npos);
}

}  // namespace
}  // namespace mr::app::premain
