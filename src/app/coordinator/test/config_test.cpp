#include "app/coordinator/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mr::app {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Config, UpstreamDefaults) {
  auto c = parse_config({}, {}, "/work", Build::kDevelopment);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->client_addr.to_string(), ":4433");
  EXPECT_EQ(c->mesh_addr.to_string(), ":2001");
  EXPECT_FALSE(c->prometheus_addr);
  EXPECT_EQ(c->dns_names, std::vector<std::string>{"localhost"});
  EXPECT_EQ(c->seal_dir, "/work/marblerun-coordinator-data");
  EXPECT_FALSE(c->simulation);
}

TEST(Config, EnvironmentAndFlagsWithFlagsWinning) {
  auto c = parse_config({{"EDG_COORDINATOR_CLIENT_ADDR", "127.0.0.1:9000"},
                         {"EDG_COORDINATOR_DNS_NAMES", "a.example,10.0.0.1"},
                         {"OE_SIMULATION", "1"},
                         {"EDG_CWD", "/srv"}},
                        {"--client-addr", "0.0.0.0:443", "--mesh-addr=[::1]:0", "--debug"}, "/work",
                        Build::kDevelopment);
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
                        {"--sealdir", "/x", "--client-addr"}, "/work", Build::kDevelopment);
  ASSERT_FALSE(c);
  const std::string& m = c.error().message;
  EXPECT_THAT(m, HasSubstr("unknown environment variable EDG_COORDINATOR_CLIENT_ADR"));
  EXPECT_THAT(m, HasSubstr("EDG_COORDINATOR_MESH_ADDR: missing port"));
  EXPECT_THAT(m, HasSubstr("EDG_COORDINATOR_DEV_MODE: expected 0 or 1, got \"yes\""));
  EXPECT_THAT(m, HasSubstr("EDG_LOG_FORMAT: expected json, text or zap, got \"xml\""));
  EXPECT_THAT(m, HasSubstr("unknown flag --sealdir"));
  EXPECT_THAT(m, HasSubstr("flag --client-addr needs a value"));
}

TEST(Config, LogFormats) {
  const std::pair<const char*, log::Format> cases[] = {
      {"json", log::Format::kJson}, {"text", log::Format::kText}, {"zap", log::Format::kZap}};
  for (const auto& [name, format] : cases) {
    auto c = parse_config({{"EDG_LOG_FORMAT", name}}, {}, "/", Build::kProduction);
    ASSERT_TRUE(c) << name << ": " << c.error().message;
    EXPECT_EQ(c->log_format, format) << name;
    auto flag = parse_config({}, {"--log-format", name}, "/", Build::kProduction);
    ASSERT_TRUE(flag) << name << ": " << flag.error().message;
    EXPECT_EQ(flag->log_format, format) << name;
  }
  EXPECT_EQ(parse_config({}, {}, "/", Build::kProduction)->log_format, log::Format::kJson);
  EXPECT_FALSE(parse_config({{"EDG_LOG_FORMAT", "ZAP"}}, {}, "/", Build::kProduction));
}

TEST(Config, IgnoredUpstreamVariablesAreAccepted) {
  EXPECT_TRUE(parse_config({{"EDG_HTTP_ERROR_LOG_LEVEL", "warn"}, {"PATH", "/bin"}}, {}, "/",
                           Build::kProduction));
}

TEST(Config, SimulatedDcapPkiAndPccsUrl) {
  auto d = parse_config({}, {}, "/work", Build::kDevelopment);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->simulated_dcap_pki, "");
  EXPECT_EQ(d->pccs_url, "https://api.trustedservices.intel.com");

  auto e = parse_config({{"EDG_COORDINATOR_SIMULATED_DCAP_PKI", "/etc/pki.json"},
                         {"EDG_COORDINATOR_PCCS_URL", "https://pccs.local:8081"}},
                        {}, "/work", Build::kDevelopment);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->simulated_dcap_pki, "/etc/pki.json");
  EXPECT_EQ(e->pccs_url, "https://pccs.local:8081");
  EXPECT_FALSE(e->simulation);

  auto f =
      parse_config({{"EDG_COORDINATOR_SIMULATED_DCAP_PKI", "/etc/pki.json"}},
                   {"--simulated-dcap-pki", "/tmp/other.json", "--pccs-url=http://127.0.0.1:8081/"},
                   "/work", Build::kDevelopment);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->simulated_dcap_pki, "/tmp/other.json");
  EXPECT_EQ(f->pccs_url, "http://127.0.0.1:8081/");
}

TEST(Config, SimulatedDcapPkiExcludesSimulationModeAndPccsUrlMustBeHttp) {
  auto c = parse_config({{"OE_SIMULATION", "1"}, {"EDG_COORDINATOR_PCCS_URL", "pccs.local:8081"}},
                        {"--simulated-dcap-pki", "/etc/pki.json"}, "/work", Build::kDevelopment);
  ASSERT_FALSE(c);
  EXPECT_THAT(
      c.error().message,
      HasSubstr("OE_SIMULATION=1 and EDG_COORDINATOR_SIMULATED_DCAP_PKI exclude each other"));
  EXPECT_THAT(c.error().message,
              HasSubstr("EDG_COORDINATOR_PCCS_URL: expected an http:// or https:// URL"));
}

TEST(Config, UsageListsTheAttestationSettings) {
  EXPECT_THAT(usage(Build::kDevelopment), HasSubstr("--simulated-dcap-pki"));
  EXPECT_THAT(usage(Build::kDevelopment), HasSubstr("EDG_COORDINATOR_PCCS_URL"));
  EXPECT_THAT(usage(Build::kProduction), HasSubstr("EDG_COORDINATOR_PCCS_URL"));
  EXPECT_THAT(usage(Build::kProduction), Not(HasSubstr("OE_SIMULATION")));
  EXPECT_THAT(usage(Build::kProduction), Not(HasSubstr("--dev-mode")));
}

// The production build has no switch that turns attestation off: each is refused, all at once.
TEST(Config, ProductionBuildRefusesEveryDevelopmentSetting) {
  auto c = parse_config({{"OE_SIMULATION", "1"}, {"EDG_COORDINATOR_DEV_MODE", "1"}},
                        {"--simulated-dcap-pki", "/etc/pki.json", "--attestation-dir=/tmp/x"},
                        "/work", Build::kProduction);
  ASSERT_FALSE(c);
  const std::string& m = c.error().message;
  for (const char* name : {"OE_SIMULATION (--simulation) is refused",
                           "EDG_COORDINATOR_DEV_MODE (--dev-mode) is refused",
                           "EDG_COORDINATOR_SIMULATED_DCAP_PKI (--simulated-dcap-pki) is refused",
                           "EDG_COORDINATOR_ATTESTATION_DIR (--attestation-dir) is refused"}) {
    EXPECT_THAT(m, HasSubstr(name));
  }
  EXPECT_THAT(m, HasSubstr("marblerun-coordinator-sim"));
  EXPECT_THAT(parse_config({}, {"--simulation"}, "/work", Build::kProduction).error().message,
              HasSubstr("OE_SIMULATION (--simulation) is refused"));
  // A directory named "0" is a directory, not "off".
  EXPECT_THAT(
      parse_config({{"EDG_COORDINATOR_ATTESTATION_DIR", "0"}}, {}, "/work", Build::kProduction)
          .error()
          .message,
      HasSubstr("EDG_COORDINATOR_ATTESTATION_DIR (--attestation-dir) is refused"));
  EXPECT_FALSE(parse_config({}, {"--simulated-dcap-pki=0"}, "/work", Build::kProduction));
  // Switched off, the booleans are harmless.
  auto off = parse_config({{"OE_SIMULATION", "0"}, {"EDG_COORDINATOR_DEV_MODE", ""}}, {}, "/work",
                          Build::kProduction);
  ASSERT_TRUE(off) << off.error().message;
  EXPECT_FALSE(off->simulation);
  EXPECT_FALSE(off->dev_mode);
  EXPECT_EQ(off->attestation_dir, "/dev/attestation");
}

TEST(Config, DevelopmentBuildTakesAnAttestationDirectory) {
  auto c = parse_config({}, {"--attestation-dir", "/tmp/fake-tee"}, "/work", Build::kDevelopment);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->attestation_dir, "/tmp/fake-tee");
}

TEST(Config, StoreSelection) {
  auto sqlite = parse_config({}, {}, "/work", Build::kProduction);
  ASSERT_TRUE(sqlite) << sqlite.error().message;
  EXPECT_EQ(sqlite->store, CoordinatorConfig::StoreKind::kSqlite);
  EXPECT_EQ(sqlite->sqlite_dir, "/work/marblerun-coordinator-data");

  auto dir = parse_config({{"EDG_COORDINATOR_STORE", "sqlite:/var/lib/mr"}}, {}, "/work",
                          Build::kProduction);
  ASSERT_TRUE(dir) << dir.error().message;
  EXPECT_EQ(dir->sqlite_dir, "/var/lib/mr");

  auto etcd =
      parse_config({{"EDG_COORDINATOR_STORE", "sqlite:/ignored"}},
                   {"--store", "etcd:https://10.0.0.1:2379,https://10.0.0.2:2379", "--etcd-ca",
                    "/ca.pem", "--etcd-cert", "/c.pem", "--etcd-key", "/k.pem", "--key-server-addr",
                    ":15433", "--peer-addr", "coordinator-0.mr:15433", "--etcd-prefix", "/state/"},
                   "/work", Build::kProduction);
  ASSERT_TRUE(etcd) << etcd.error().message;
  EXPECT_EQ(etcd->store, CoordinatorConfig::StoreKind::kEtcd);
  EXPECT_EQ(etcd->etcd_endpoints,
            (std::vector<std::string>{"https://10.0.0.1:2379", "https://10.0.0.2:2379"}));
  EXPECT_EQ(etcd->etcd_ca_file, "/ca.pem");
  EXPECT_EQ(etcd->key_server_addr.port, 15433);
  EXPECT_EQ(etcd->peer_addr, "coordinator-0.mr:15433");
  EXPECT_EQ(etcd->etcd_prefix, "/state/");
  EXPECT_FALSE(etcd->accept_simulated_peers);
}

TEST(Config, StoreProblemsAreNamed) {
  auto c = parse_config({{"EDG_COORDINATOR_STORE", "postgres://db"},
                         {"EDG_COORDINATOR_ETCD_CERT", "/c.pem"},
                         {"EDG_COORDINATOR_PEER_ADDR", "nohost"}},
                        {}, "/work", Build::kDevelopment);
  ASSERT_FALSE(c);
  EXPECT_THAT(c.error().message, HasSubstr("expected sqlite:DIR or etcd:URL"));
  EXPECT_THAT(c.error().message,
              HasSubstr("EDG_COORDINATOR_ETCD_CERT and EDG_COORDINATOR_ETCD_KEY"));
  EXPECT_THAT(c.error().message, HasSubstr("EDG_COORDINATOR_PEER_ADDR: expected host:port"));
  auto endpoint = parse_config({{"EDG_COORDINATOR_STORE", "etcd:10.0.0.1:2379"}}, {}, "/work",
                               Build::kDevelopment);
  ASSERT_FALSE(endpoint);
  EXPECT_THAT(endpoint.error().message, HasSubstr("must be http://host:port or https://"));
  auto stray = parse_config({{"EDG_COORDINATOR_KEY_SERVER_ADDR", ":5433"}}, {}, "/work",
                            Build::kDevelopment);
  ASSERT_FALSE(stray);
  EXPECT_THAT(stray.error().message, HasSubstr("needs EDG_COORDINATOR_STORE=etcd:"));
  // Accepting simulated peers is a development setting: the production build refuses it.
  auto production = parse_config({{"EDG_COORDINATOR_STORE", "etcd:http://127.0.0.1:2379"},
                                  {"EDG_COORDINATOR_ACCEPT_SIMULATED_PEERS", "1"}},
                                 {}, "/work", Build::kProduction);
  ASSERT_FALSE(production);
  EXPECT_THAT(production.error().message, HasSubstr("EDG_COORDINATOR_ACCEPT_SIMULATED_PEERS"));
  auto development = parse_config({{"EDG_COORDINATOR_STORE", "etcd:http://127.0.0.1:2379"}},
                                  {"--accept-simulated-peers"}, "/work", Build::kDevelopment);
  ASSERT_TRUE(development) << development.error().message;
  EXPECT_TRUE(development->accept_simulated_peers);
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
