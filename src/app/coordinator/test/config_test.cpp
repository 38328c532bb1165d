#include "app/coordinator/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mr::app {
namespace {

using ::testing::HasSubstr;

TEST(Config, UpstreamDefaults) {
  auto c = parse_config({}, {}, "/work");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->client_addr.to_string(), ":4433");
  EXPECT_EQ(c->mesh_addr.to_string(), ":2001");
  EXPECT_FALSE(c->prometheus_addr);
  EXPECT_EQ(c->dns_names, std::vector<std::string>{"localhost"});
  EXPECT_EQ(c->seal_dir, "/work/marblerun-coordinator-data");
  EXPECT_FALSE(c->simulation);
}

TEST(Config, EnvironmentAndFlagsWithFlagsWinning) {
  auto c =
      parse_config({{"EDG_COORDINATOR_CLIENT_ADDR", "127.0.0.1:9000"},
                    {"EDG_COORDINATOR_DNS_NAMES", "a.example,10.0.0.1"},
                    {"OE_SIMULATION", "1"},
                    {"EDG_CWD", "/srv"}},
                   {"--client-addr", "0.0.0.0:443", "--mesh-addr=[::1]:0", "--debug"}, "/work");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->client_addr.host, "0.0.0.0");
  EXPECT_EQ(c->client_addr.port, 443);
  EXPECT_EQ(c->mesh_addr.host, "::1");
  EXPECT_EQ(c->mesh_addr.port, 0);
  EXPECT_EQ(c->dns_names, (std::vector<std::string>{"a.example", "10.0.0.1"}));
  EXPECT_TRUE(c->simulation);
  EXPECT_EQ(c->log_level, log::Level::kDebug);
  EXPECT_EQ(c->seal_dir, "/srv/marblerun-coordinator-data");
}

TEST(Config, EveryProblemIsReported) {
  auto c = parse_config({{"EDG_COORDINATOR_CLIENT_ADR", "x"},
                         {"EDG_COORDINATOR_MESH_ADDR", "nope"},
                         {"EDG_COORDINATOR_DEV_MODE", "yes"},
                         {"EDG_LOG_FORMAT", "xml"}},
                        {"--sealdir", "/x", "--client-addr"}, "/work");
  ASSERT_FALSE(c);
  const std::string& m = c.error().message;
  EXPECT_THAT(m, HasSubstr("unknown environment variable EDG_COORDINATOR_CLIENT_ADR"));
  EXPECT_THAT(m, HasSubstr("EDG_COORDINATOR_MESH_ADDR: missing port"));
  EXPECT_THAT(m, HasSubstr("EDG_COORDINATOR_DEV_MODE: expected 0 or 1, got \"yes\""));
  EXPECT_THAT(m, HasSubstr("EDG_LOG_FORMAT: expected json or text"));
  EXPECT_THAT(m, HasSubstr("unknown flag --sealdir"));
  EXPECT_THAT(m, HasSubstr("flag --client-addr needs a value"));
}

TEST(Config, IgnoredUpstreamVariablesAreAccepted) {
  EXPECT_TRUE(parse_config({{"EDG_HTTP_ERROR_LOG_LEVEL", "warn"}, {"PATH", "/bin"}}, {}, "/"));
}

TEST(ListenAddressParse, Forms) {
  EXPECT_EQ(parse_listen_address(":80")->port, 80);
  EXPECT_EQ(parse_listen_address("[::]:1")->host, "::");
  EXPECT_FALSE(parse_listen_address("::1:80"));
  EXPECT_FALSE(parse_listen_address("host:99999"));
  EXPECT_FALSE(parse_listen_address("host:"));
  EXPECT_FALSE(parse_listen_address("host"));
}

}  // namespace
}  // namespace mr::app
