#include "app/coordinator/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "base/strings.h"

namespace mr::app {
namespace {

struct Setting {
  const char* env;   // upstream variable
  const char* flag;  // equivalent flag
  const char* help;
  bool development = false;  // only the development build has it
};

constexpr Setting kSettings[] = {
    {"EDG_COORDINATOR_CLIENT_ADDR", "--client-addr", "HTTPS client API address (default :4433)"},
    {"EDG_COORDINATOR_MESH_ADDR", "--mesh-addr", "gRPC Marble API address (default :2001)"},
    {"EDG_COORDINATOR_PROMETHEUS_ADDR", "--prometheus-addr", "metrics address (default: off)"},
    {"EDG_COORDINATOR_DNS_NAMES", "--dns-names",
     "comma-separated SANs of a new CA (default localhost)"},
    {"EDG_COORDINATOR_SEAL_DIR", "--seal-dir",
     "state directory (default <cwd>/marblerun-coordinator-data)"},
    {"EDG_COORDINATOR_DEV_MODE", "--dev-mode",
     "development only: 1: a failing quote at startup is not fatal", true},
    {"EDG_DEBUG_LOGGING", "--debug", "1: debug log level"},
    {"EDG_LOG_FORMAT", "--log-format",
     "json (default), text, or zap (upstream's keys: level, ts, caller, msg)"},
    {"EDG_STARTUP_MANIFEST", "--startup-manifest", "manifest file applied at startup"},
    {"OE_SIMULATION", "--simulation",
     "development only: 1: simulation mode (no TEE, no attestation)", true},
    {"EDG_COORDINATOR_SIMULATED_DCAP_PKI", "--simulated-dcap-pki",
     "development/tests only: SimulatedDcapPki JSON file; quote and verify with that test PKI",
     true},
    {"EDG_COORDINATOR_ATTESTATION_DIR", "--attestation-dir",
     "development/tests only: Gramine's attestation directory (default /dev/attestation)", true},
    {"EDG_COORDINATOR_STORE", "--store",
     "sqlite:DIR (default: the seal directory) or etcd:URL[,URL...] (several Coordinators "
     "sharing one state)"},
    {"EDG_COORDINATOR_ETCD_PREFIX", "--etcd-prefix", "key prefix in etcd (default /marblerun/)"},
    {"EDG_COORDINATOR_ETCD_CA", "--etcd-ca", "PEM file: CA of etcd's server certificates"},
    {"EDG_COORDINATOR_ETCD_CERT", "--etcd-cert", "PEM file: client certificate for etcd"},
    {"EDG_COORDINATOR_ETCD_KEY", "--etcd-key", "PEM file: key of the etcd client certificate"},
    {"EDG_COORDINATOR_KEY_SERVER_ADDR", "--key-server-addr",
     "etcd store: address serving the data key to attested peers (default :5433)"},
    {"EDG_COORDINATOR_PEER_ADDR", "--peer-addr",
     "etcd store: host:port other Coordinators reach the key server at (default: first DNS "
     "name and the bound port)"},
    {"EDG_COORDINATOR_ACCEPT_SIMULATED_PEERS", "--accept-simulated-peers",
     "development only: 1: in simulation, exchange the data key with simulated peers", true},
    {"EDG_COORDINATOR_PCCS_URL", "--pccs-url",
     "PCCS or Intel PCS for Marble quote collateral (default "
     "https://api.trustedservices.intel.com)"},
};

// Upstream variables we accept but that have no effect here; anything else under
// EDG_COORDINATOR_ is refused as a likely typo.
const std::set<std::string, std::less<>> kIgnoredVariables = {"EDG_HTTP_ERROR_LOG_LEVEL",
                                                              "EDG_CWD",
                                                              "EDG_DISTRIBUTED_COORDINATOR",
                                                              "EDG_STORE_BACKEND",
                                                              "EDG_ENTERPRISE_LICENSED_FEATURES",
                                                              "EDG_K8S_STATE_NAME",
                                                              "EDG_K8S_SERVICE_NAME",
                                                              "EDG_K8S_KEK_MAP",
                                                              "EDG_K8S_NAMESPACE",
                                                              "EDG_KUBERNETES_SERVICE_HOST",
                                                              "EDG_KUBERNETES_SERVICE_PORT"};

Result<bool> parse_bool01(std::string_view name, std::string_view v) {
  if (v == "1") return true;
  if (v == "0" || v.empty()) return false;
  return failf(ErrorCode::kInvalidArgument, "{}: expected 0 or 1, got \"{}\"", name, v);
}

// is_boolean tells whether |flag| takes 0 or 1 (and no value on the command line).
bool is_boolean(std::string_view flag) {
  return flag == "--simulation" || flag == "--dev-mode" || flag == "--debug" ||
         flag == "--accept-simulated-peers";
}

// kProductionRefusal explains why a development setting is refused by the production build.
constexpr std::string_view kProductionRefusal =
    "this production build of the Coordinator has no simulation mode, dev mode or simulated "
    "attestation, so that no setting can turn attestation off; for development use "
    "marblerun-coordinator-sim (built by scripts/run.sh and scripts/test.sh, never installed)";

void parse_store(const std::map<std::string, std::string, std::less<>>& values,
                 CoordinatorConfig& c, std::vector<std::string>& problems) {
  auto value = [&](const char* name) -> std::string {
    auto it = values.find(name);
    return it == values.end() ? std::string() : it->second;
  };
  c.sqlite_dir = c.seal_dir;
  const std::string store = value("EDG_COORDINATOR_STORE");
  if (store.starts_with("etcd:")) {
    c.store = CoordinatorConfig::StoreKind::kEtcd;
    c.etcd_endpoints = split(store.substr(5), ",");
    for (const std::string& e : c.etcd_endpoints) {
      if (!e.starts_with("http://") && !e.starts_with("https://")) {
        problems.push_back(
            fmt::format("EDG_COORDINATOR_STORE: etcd endpoint \"{}\" must be http://host:port or "
                        "https://host:port",
                        e));
      }
    }
  } else if (store.starts_with("sqlite:")) {
    c.sqlite_dir = store.substr(7);
    if (c.sqlite_dir.empty())
      problems.emplace_back("EDG_COORDINATOR_STORE: sqlite: needs a directory");
  } else if (!store.empty()) {
    problems.push_back(fmt::format(
        "EDG_COORDINATOR_STORE: expected sqlite:DIR or etcd:URL[,URL...], got \"{}\"", store));
  }
  if (auto p = value("EDG_COORDINATOR_ETCD_PREFIX"); !p.empty()) c.etcd_prefix = p;
  c.etcd_ca_file = value("EDG_COORDINATOR_ETCD_CA");
  c.etcd_cert_file = value("EDG_COORDINATOR_ETCD_CERT");
  c.etcd_key_file = value("EDG_COORDINATOR_ETCD_KEY");
  if (c.etcd_cert_file.empty() != c.etcd_key_file.empty()) {
    problems.emplace_back("EDG_COORDINATOR_ETCD_CERT and EDG_COORDINATOR_ETCD_KEY go together");
  }
  if (auto a = value("EDG_COORDINATOR_KEY_SERVER_ADDR"); !a.empty()) {
    auto parsed = parse_listen_address(a);
    if (!parsed) {
      problems.push_back(
          fmt::format("EDG_COORDINATOR_KEY_SERVER_ADDR: {}", parsed.error().message));
    } else {
      c.key_server_addr = *parsed;
    }
  }
  c.peer_addr = value("EDG_COORDINATOR_PEER_ADDR");
  if (!c.peer_addr.empty() && c.peer_addr.rfind(':') == std::string::npos) {
    problems.push_back(
        fmt::format("EDG_COORDINATOR_PEER_ADDR: expected host:port, got \"{}\"", c.peer_addr));
  }
  const std::string accept = value("EDG_COORDINATOR_ACCEPT_SIMULATED_PEERS");
  if (auto b = parse_bool01("EDG_COORDINATOR_ACCEPT_SIMULATED_PEERS", accept); !b) {
    problems.push_back(b.error().message);
  } else {
    c.accept_simulated_peers = *b;
  }
  if (c.store != CoordinatorConfig::StoreKind::kEtcd) {
    for (const char* name : {"EDG_COORDINATOR_ETCD_PREFIX", "EDG_COORDINATOR_ETCD_CA",
                             "EDG_COORDINATOR_ETCD_CERT", "EDG_COORDINATOR_ETCD_KEY",
                             "EDG_COORDINATOR_KEY_SERVER_ADDR", "EDG_COORDINATOR_PEER_ADDR"}) {
      if (!value(name).empty()) {
        problems.push_back(fmt::format("{} needs EDG_COORDINATOR_STORE=etcd:...", name));
      }
    }
  }
}

}  // namespace

std::string usage(Build build) {
  std::string out = fmt::format(
      "Usage: {} [flags]\n\n"
      "Each flag has an environment variable; the flag wins.\n\n",
      build == Build::kProduction ? "marblerun-coordinator" : "marblerun-coordinator-sim");
  for (const Setting& s : kSettings) {
    if (s.development && build == Build::kProduction) continue;
    out += fmt::format("  {:<22} {:<34} {}\n", s.flag, s.env, s.help);
  }
  out += "  --version              print the version\n";
  out += "  --help                 show this text\n";
  return out;
}

Result<CoordinatorConfig> parse_config(const std::map<std::string, std::string>& env,
                                       const std::vector<std::string>& args, const std::string& cwd,
                                       Build build) {
  std::vector<std::string> problems;
  std::map<std::string, std::string, std::less<>> values;  // env name → value

  for (const auto& [name, value] : env) {
    const bool known = std::any_of(std::begin(kSettings), std::end(kSettings),
                                   [&](const Setting& s) { return name == s.env; });
    if (known) {
      values[name] = value;
    } else if (name.starts_with("EDG_COORDINATOR_") && !kIgnoredVariables.contains(name)) {
      problems.push_back(fmt::format("unknown environment variable {}", name));
    }
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i], value;
    bool has_value = false;
    if (const auto eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_value = true;
    }
    const Setting* s = nullptr;
    for (const Setting& candidate : kSettings) {
      if (flag == candidate.flag) s = &candidate;
    }
    if (!s) {
      problems.push_back(fmt::format("unknown flag {}", flag));
      continue;
    }
    const bool boolean = is_boolean(flag);
    if (!has_value) {
      if (boolean) {
        value = "1";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        problems.push_back(fmt::format("flag {} needs a value", flag));
        continue;
      }
    }
    values[s->env] = value;
  }

  if (build == Build::kProduction) {
    for (const Setting& s : kSettings) {
      auto it = values.find(s.env);
      // Only a switched-off boolean is harmless; any value of the others would be used.
      const bool off =
          it != values.end() && (it->second.empty() || (is_boolean(s.flag) && it->second == "0"));
      if (!s.development || it == values.end() || off) continue;
      problems.push_back(fmt::format("{} ({}) is refused: {}", s.env, s.flag, kProductionRefusal));
      values.erase(it);
    }
  }

  CoordinatorConfig c;
  auto address = [&](const char* name, ListenAddress& out) {
    auto it = values.find(name);
    if (it == values.end()) return;
    auto a = parse_listen_address(it->second);
    if (!a) {
      problems.push_back(fmt::format("{}: {}", name, a.error().message));
    } else {
      out = *a;
    }
  };
  auto boolean = [&](const char* name, bool& out) {
    auto it = values.find(name);
    if (it == values.end()) return;
    auto b = parse_bool01(name, it->second);
    if (!b) {
      problems.push_back(b.error().message);
    } else {
      out = *b;
    }
  };
  address("EDG_COORDINATOR_CLIENT_ADDR", c.client_addr);
  address("EDG_COORDINATOR_MESH_ADDR", c.mesh_addr);
  if (auto it = values.find("EDG_COORDINATOR_PROMETHEUS_ADDR");
      it != values.end() && !it->second.empty()) {
    ListenAddress a;
    address("EDG_COORDINATOR_PROMETHEUS_ADDR", a);
    c.prometheus_addr = a;
  }
  if (auto it = values.find("EDG_COORDINATOR_DNS_NAMES"); it != values.end()) {
    c.dns_names = split(it->second, ",");
    for (const auto& n : c.dns_names) {
      if (n.empty()) problems.emplace_back("EDG_COORDINATOR_DNS_NAMES: empty name in the list");
    }
  }
  const auto cwd_it = env.find("EDG_CWD");
  const std::string base = cwd_it != env.end() && !cwd_it->second.empty() ? cwd_it->second : cwd;
  c.seal_dir = base + "/marblerun-coordinator-data";
  if (auto it = values.find("EDG_COORDINATOR_SEAL_DIR"); it != values.end()) {
    if (it->second.empty()) {
      problems.emplace_back("EDG_COORDINATOR_SEAL_DIR: must not be empty");
    } else {
      c.seal_dir = it->second;
    }
  }
  boolean("EDG_COORDINATOR_DEV_MODE", c.dev_mode);
  boolean("OE_SIMULATION", c.simulation);
  bool debug = false;
  boolean("EDG_DEBUG_LOGGING", debug);
  c.log_level = debug ? log::Level::kDebug : log::Level::kInfo;
  if (auto it = values.find("EDG_LOG_FORMAT"); it != values.end() && !it->second.empty()) {
    if (auto format = log::parse_format(it->second)) {
      c.log_format = *format;
    } else {
      problems.push_back(
          fmt::format("EDG_LOG_FORMAT: expected json, text or zap, got \"{}\"", it->second));
    }
  }
  if (auto it = values.find("EDG_STARTUP_MANIFEST"); it != values.end())
    c.startup_manifest = it->second;
  if (auto it = values.find("EDG_COORDINATOR_SIMULATED_DCAP_PKI"); it != values.end())
    c.simulated_dcap_pki = it->second;
  if (auto it = values.find("EDG_COORDINATOR_ATTESTATION_DIR");
      it != values.end() && !it->second.empty()) {
    c.attestation_dir = it->second;
  }
  if (c.simulation && !c.simulated_dcap_pki.empty()) {
    problems.emplace_back(
        "OE_SIMULATION=1 and EDG_COORDINATOR_SIMULATED_DCAP_PKI exclude each other (simulation "
        "mode checks no quotes; the simulated DCAP PKI checks them)");
  }
  if (auto it = values.find("EDG_COORDINATOR_PCCS_URL");
      it != values.end() && !it->second.empty()) {
    if (!it->second.starts_with("https://") && !it->second.starts_with("http://")) {
      problems.push_back(fmt::format(
          "EDG_COORDINATOR_PCCS_URL: expected an http:// or https:// URL, got \"{}\"", it->second));
    } else {
      c.pccs_url = it->second;
    }
  }

  parse_store(values, c, problems);

  if (!problems.empty()) return fail(ErrorCode::kInvalidArgument, join(problems, "\n"));
  return c;
}

}  // namespace mr::app
