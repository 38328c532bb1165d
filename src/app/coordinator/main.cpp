// marblerun-coordinator: the composition root. Parses the configuration once, picks the TEE
// adapters, wires store, sealing, core and the two servers (client REST API, Marble gRPC API),
// and runs until SIGINT/SIGTERM.
//
// Built twice: with MR_DEVELOPMENT_BUILD=0 as marblerun-coordinator (production, installed),
// which has no simulation mode, dev mode or simulated DCAP PKI at all; with
// MR_DEVELOPMENT_BUILD=1 as marblerun-coordinator-sim (tests, scripts/run.sh, never installed),
// which has them, but refuses them inside a TEE.

#include <fmt/ranges.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "api/grpc/key_server.h"
#include "api/grpc/marble_identity.h"
#include "api/grpc/marble_server.h"
#include "api/rest/client_routes.h"
#include "api/rest/core_identity.h"
#include "api/rest/rest_server.h"
#include "app/coordinator/cluster.h"
#include "app/coordinator/config.h"
#include "app/coordinator/fd_limit.h"
#include "attestation/providers/gramine_issuer.h"
#include "attestation/quote_verifier.h"
#include "attestation/sgx_dcap/collateral_cache.h"
#include "attestation/sgx_dcap/dcap_verifier.h"
#include "attestation/sgx_dcap/pcs_fetcher.h"
#if MR_DEVELOPMENT_BUILD
#include "attestation/simulated/no_tee_issuer.h"
#include "attestation/simulated/simulated_dcap.h"
#endif
#include "base/environment.h"
#include "base/log.h"
#include "base/uuid.h"
#include "core/client_api.h"
#include "core/core.h"
#include "core/feature_api.h"
#include "core/marble_api.h"
#include "core/secret_api.h"
#include "core/update_api.h"
#include "crypto/hash.h"
#include "crypto/openssl/library_config.h"
#include "metrics/metrics.h"
#include "metrics/metrics_server.h"
#include "seal/file_seal_key_provider.h"
#include "seal/gramine_seal_key_provider.h"
#include "store/etcd/etcd_store.h"
#include "store/etcd/peer_registry.h"
#include "store/memory/memory_store.h"
#include "store/sqlite/sqlite_store.h"

extern char** environ;

namespace mr::app {
namespace {

const log::Logger kLog("coordinator");

constexpr Build kBuild = MR_DEVELOPMENT_BUILD ? Build::kDevelopment : Build::kProduction;
constexpr const char* kProgram =
    MR_DEVELOPMENT_BUILD ? "marblerun-coordinator-sim" : "marblerun-coordinator";

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return failf(ErrorCode::kInvalidArgument, "cannot read {}", path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The TEE this process runs in: how the Coordinator quotes itself, where its seal key comes from
// and how Marble quotes are verified.
struct Tee {
  std::unique_ptr<attestation::QuoteIssuer> issuer;
  std::unique_ptr<seal::SealKeyProvider> seal_keys;
  // Marble quote verification; null only in simulation mode (the Core then checks no quotes).
  std::unique_ptr<attestation::QuoteVerifier> verifier;
};

static_assert(kDefaultPccsUrl == attestation::dcap::kIntelPcsBaseUrl);

#if MR_DEVELOPMENT_BUILD
// Development and tests: a SimulatedDcapPki stands in for Intel's PKI and the SGX hardware.
Result<Tee> simulated_dcap_tee(const CoordinatorConfig& config, const Clock& clock) {
  namespace sim = attestation::simulated;
  MR_ASSIGN_OR_RETURN(
      std::string json,
      read_file(config.simulated_dcap_pki).map_error(Wrap("EDG_COORDINATOR_SIMULATED_DCAP_PKI")));
  sim::SimulatedPkiOptions options;
  options.now = clock.now();  // fresh collateral, valid for 30 days
  MR_ASSIGN_OR_RETURN(std::shared_ptr<sim::SimulatedDcapPki> pki,
                      sim::SimulatedDcapPki::from_json(json, options)
                          .map_error(Wrap("loading the simulated DCAP PKI")));
  kLog.warn(
      "SIMULATED DCAP ATTESTATION (EDG_COORDINATOR_SIMULATED_DCAP_PKI): the Coordinator quotes "
      "itself with a test PKI whose private keys are in a plain file, and accepts Marble quotes "
      "signed by that PKI only; the seal key is a plain file. Nothing here is attested by real "
      "hardware. For development and tests only; never use this mode in production.",
      {{"pki", config.simulated_dcap_pki},
       {"seal_key", (std::filesystem::path(config.seal_dir) / "seal.key").string()}});
  Tee tee;
  // The Coordinator's own simulated enclave: all-zero measurements, ISV SVN 0, not debug.
  tee.issuer = std::make_unique<sim::SimulatedDcapIssuer>(pki, sim::SimulatedEnclave{});
  tee.seal_keys = std::make_unique<seal::FileSealKeyProvider>(config.seal_dir);
  MR_ASSIGN_OR_RETURN(tee.verifier, pki->verifier(&clock));
  return tee;
}

#endif

// Gramine-SGX: quotes from /dev/attestation; Marble quotes verified against Intel's root with
// collateral from the PCCS (cached under the seal directory, refreshed in the background).
Result<Tee> gramine_tee(const CoordinatorConfig& config, const Clock& clock,
                        const std::filesystem::path& gramine) {
  namespace dcap = attestation::dcap;
  kLog.info("TEE: Gramine-SGX",
            {{"attestation_dir", gramine.string()}, {"pccs_url", config.pccs_url}});
  Tee tee;
  tee.issuer = std::make_unique<attestation::providers::GramineQuoteIssuer>(gramine);
  tee.seal_keys = std::make_unique<seal::GramineSealKeyProvider>(gramine / "keys");
  dcap::PcsConfig pcs;
  pcs.base_url = config.pccs_url;
  dcap::CollateralCacheConfig cache;
  cache.dir = std::filesystem::path(config.seal_dir) / "collateral";
  cache.fetcher = std::make_shared<dcap::PcsFetcher>(std::move(pcs));
  cache.clock = &clock;
  MR_ASSIGN_OR_RETURN(std::unique_ptr<dcap::CachingCollateralProvider> collateral,
                      dcap::CachingCollateralProvider::create(std::move(cache))
                          .map_error(Wrap("setting up the DCAP collateral cache")));
  collateral->start_background_refresh();
  MR_ASSIGN_OR_RETURN(tee.verifier,
                      dcap::DcapQuoteVerifier::create({std::move(collateral), &clock, {}}));
  return tee;
}

// attestation_dir returns Gramine's attestation directory if this process runs in a TEE
// (Gramine-SGX serves its quotes there), else nullopt. The real directory always wins: a
// configured one (development build, tests) can stand in for a TEE, never hide or replace one.
std::optional<std::filesystem::path> attestation_dir(const CoordinatorConfig& config) {
  std::error_code ec;
  for (const std::filesystem::path& dir : {std::filesystem::path(kDefaultAttestationDir),
                                           std::filesystem::path(config.attestation_dir)}) {
    if (std::filesystem::exists(dir / "quote", ec)) return dir;
  }
  return std::nullopt;
}

Result<Tee> choose_tee(const CoordinatorConfig& config, const Clock& clock) {
  const auto tee_dir = attestation_dir(config);
  const bool in_tee = tee_dir.has_value();
#if MR_DEVELOPMENT_BUILD
  // Nothing in the environment may turn attestation off inside a TEE.
  std::vector<std::string> downgrades;
  if (config.simulation) downgrades.emplace_back("OE_SIMULATION=1");
  if (config.dev_mode) downgrades.emplace_back("EDG_COORDINATOR_DEV_MODE=1");
  if (!config.simulated_dcap_pki.empty())
    downgrades.emplace_back("EDG_COORDINATOR_SIMULATED_DCAP_PKI");
  if (in_tee && !downgrades.empty()) {
    return failf(ErrorCode::kFailedPrecondition,
                 "refusing {}: this process runs in a TEE (Gramine-SGX: {}/quote exists), and "
                 "simulation, dev mode and the simulated DCAP PKI would turn its attestation off",
                 fmt::join(downgrades, ", "), tee_dir->string());
  }
  if (config.simulation) {
    kLog.warn(
        "SIMULATION MODE (OE_SIMULATION=1): no TEE, no attestation, the seal key is a plain file. "
        "Never use this mode in production.",
        {{"seal_key", (std::filesystem::path(config.seal_dir) / "seal.key").string()}});
    Tee tee;
    tee.issuer = std::make_unique<attestation::simulated::NoTeeIssuer>();
    tee.seal_keys = std::make_unique<seal::FileSealKeyProvider>(config.seal_dir);
    return tee;
  }
  if (!config.simulated_dcap_pki.empty()) return simulated_dcap_tee(config, clock);
#endif
  if (in_tee) return gramine_tee(config, clock, *tee_dir);
  return failf(ErrorCode::kFailedPrecondition,
               "no TEE found: {}/quote does not exist, so this process is not running in "
               "Gramine-SGX. Run the Coordinator inside an SGX enclave{}",
               config.attestation_dir,
               MR_DEVELOPMENT_BUILD
                   ? ", or set OE_SIMULATION=1 (or pass --simulation) to run in simulation mode "
                     "without attestation (development only)."
                   : ". This production build has no simulation mode; for development use "
                     "marblerun-coordinator-sim (scripts/run.sh builds and starts it).");
}

// SharedStore: a store several Coordinators share (etcd) and what finding the others takes.
struct SharedStore {
  std::unique_ptr<store::EtcdStore> etcd;
  std::unique_ptr<store::EtcdPeerRegistry> registry;
  std::unique_ptr<attestation::PeerAttestation> attestation;
  std::unique_ptr<PeerKeySource> peers;
  std::string self_id;
};

Result<SharedStore> open_shared_store(const CoordinatorConfig& config, Tee& tee) {
  store::EtcdStoreConfig etcd;
  etcd.endpoints = config.etcd_endpoints;
  etcd.key_prefix = config.etcd_prefix;
  if (!config.etcd_ca_file.empty()) {
    store::EtcdTls tls;
    MR_ASSIGN_OR_RETURN(tls.ca_pem, read_file(config.etcd_ca_file));
    if (!config.etcd_cert_file.empty()) {
      MR_ASSIGN_OR_RETURN(tls.client_cert_pem, read_file(config.etcd_cert_file));
      MR_ASSIGN_OR_RETURN(std::string key, read_file(config.etcd_key_file));
      tls.client_key_pem = SecretBytes(as_bytes(key));
    }
    etcd.tls = std::move(tls);
  }
  SharedStore shared;
  MR_ASSIGN_OR_RETURN(shared.etcd,
                      store::EtcdStore::open(std::move(etcd))
                          .map_error(Wrap("connecting to etcd (EDG_COORDINATOR_STORE)")));
  MR_ASSIGN_OR_RETURN(shared.registry, store::EtcdPeerRegistry::open(*shared.etcd));
  MR_ASSIGN_OR_RETURN(
      shared.attestation,
      attestation::PeerAttestation::create(
          {tee.issuer.get(), tee.verifier.get(), config.simulation, config.accept_simulated_peers})
          .map_error(Wrap("attesting this Coordinator for the key exchange")));
  if (config.simulation && !config.accept_simulated_peers) {
    kLog.warn(
        "simulation mode on a shared store: without EDG_COORDINATOR_ACCEPT_SIMULATED_PEERS=1 no "
        "data key is exchanged with other Coordinators; each opens the state with its own seal "
        "key only");
  } else if (config.simulation) {
    kLog.warn(
        "EDG_COORDINATOR_ACCEPT_SIMULATED_PEERS=1: the data key is handed to any simulated "
        "Coordinator that reaches the key server, without attestation. Development only.");
  }
  const Bytes id = crypto::random_bytes(16);
  std::array<std::uint8_t, 16> raw{};
  std::copy(id.begin(), id.end(), raw.begin());
  shared.self_id = Uuid::from_random_bytes(raw).to_string();
  shared.peers =
      std::make_unique<PeerKeySource>(*shared.registry, *shared.attestation, shared.self_id);
  kLog.info("store: etcd", {{"endpoints", fmt::format("{}", fmt::join(config.etcd_endpoints, ","))},
                            {"prefix", config.etcd_prefix},
                            {"registry_prefix", shared.registry->prefix()},
                            {"instance", shared.self_id}});
  return shared;
}

// Applies EDG_STARTUP_MANIFEST. Upstream exits when the state already holds a manifest; here the
// same manifest is accepted again (so restarts work) and a different one is refused.
Status apply_startup_manifest(core::ClientApi& api, core::Core& core, const std::string& path) {
  MR_ASSIGN_OR_RETURN(std::string raw, read_file(path));
  const auto snapshot = core.snapshot();
  if (snapshot->state == core::State::kAcceptingMarbles) {
    if (snapshot->manifest && snapshot->manifest->raw() == raw) {
      kLog.info("startup manifest is already set", {{"path", path}});
      return ok();
    }
    return failf(ErrorCode::kFailedPrecondition,
                 "startup manifest {} differs from the manifest already set; refusing to start",
                 path);
  }
  MR_RETURN_IF_ERROR(
      api.set_manifest(std::move(raw)).map_error(Wrap("applying the startup manifest")));
  kLog.info("startup manifest set (its recovery secrets are discarded)", {{"path", path}});
  return ok();
}

int wait_for_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

int run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout << usage(kBuild);
      return 0;
    }
    if (a == "--version") {
      std::cout << kProgram << " " << MR_VERSION << " (" << MR_COMMIT << ")\n";
      return 0;
    }
  }
  // Before anything touches OpenSSL: the host's OpenSSL configuration is never read.
  if (auto s = crypto::configure_openssl(); !s) {
    std::cerr << kProgram << ": " << s.error().message << "\n";
    return 1;
  }
  std::error_code ec;
  auto config = parse_config(environment_map(environ), args,
                             std::filesystem::current_path(ec).string(), kBuild);
  if (!config) {
    std::cerr << kProgram << ": invalid configuration:\n"
              << config.error().message << "\n"
              << "Run with --help for the list of settings.\n";
    return 2;
  }
  log::configure(config->log_format, config->log_level);
  // As the Go runtime does: idle Marble connections and the client API's connection cap need
  // more descriptors than the usual soft limit of 1,024.
  if (auto limit = raise_open_files_limit(); limit) {
    kLog.debug(
        "open files limit",
        {{"soft", limit->soft}, {"hard", limit->hard}, {"soft_at_start", limit->soft_before}});
  } else {
    kLog.warn("cannot raise the open files limit", {{"error", limit.error().message}});
  }

  // Block the stop signals in every thread; the main thread waits for them with sigwait.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  SystemClock clock;
  auto tee = choose_tee(*config, clock);
  if (!tee) {
    std::cerr << kProgram << ": " << tee.error().message << "\n";
    return 1;
  }
  auto fatal = [](const Error& e) {
    kLog.error("cannot start", {{"error", e.message}});
    std::cerr << kProgram << ": " << e.message << "\n";
    return 1;
  };
  std::unique_ptr<store::Store> sqlite;
  SharedStore shared;
  store::Store* persistent = nullptr;
  if (config->store == CoordinatorConfig::StoreKind::kEtcd) {
    auto opened = open_shared_store(*config, *tee);
    if (!opened) return fatal(opened.error());
    shared = std::move(*opened);
    persistent = shared.etcd.get();
  } else {
    auto opened = store::SqliteStore::open(config->sqlite_dir);
    if (!opened) return fatal(opened.error());
    sqlite = std::move(*opened);
    persistent = sqlite.get();
  }
  store::MemoryStore volatile_store;
  core::CoreDeps deps{&clock,
                      persistent,
                      &volatile_store,
                      tee->seal_keys.get(),
                      tee->issuer.get(),
                      shared.peers.get()};
  auto core = core::Core::start(
      deps, core::CoreConfig{config->dns_names, config->simulation, config->dev_mode});
  if (!core) return fatal(core.error());
  core::ClientApi client_api(**core);
  core::SecretApi secret_api(**core);
  core::UpdateApi update_api(**core);
  core::FeatureApi feature_api(**core, tee->verifier.get());  // sign-quote, monotonic counters

  // Metrics (and the activation event log) only when a Prometheus address is configured.
  std::unique_ptr<metrics::CoordinatorMetrics> metrics;
  std::unique_ptr<metrics::MetricsServer> metrics_server;
  if (config->prometheus_addr) {
    const core::Core* c = core->get();
    metrics = std::make_unique<metrics::CoordinatorMetrics>(
        metrics::MetricsInfo{MR_VERSION, MR_COMMIT},
        [c] { return static_cast<int>(c->snapshot()->state); }, clock);
    auto server = metrics::MetricsServer::start(config->prometheus_addr->to_string(), *metrics);
    if (!server) return fatal(server.error());
    metrics_server = std::move(*server);
    kLog.info("metrics listening", {{"address", config->prometheus_addr->to_string()},
                                    {"port", metrics_server->port()}});
  }

  if (!config->startup_manifest.empty()) {
    if (auto st = apply_startup_manifest(client_api, **core, config->startup_manifest); !st)
      return fatal(st.error());
  }

  api::rest::RestServerConfig rest_config;
  rest_config.address = config->client_addr.to_string();
  rest_config.observer = metrics.get();
  auto rest =
      api::rest::RestServer::create(rest_config,
                                    api::rest::client_router({client_api, secret_api, update_api,
                                                              &feature_api, MR_VERSION, MR_COMMIT}),
                                    api::rest::core_tls_identity(**core));
  if (!rest) return fatal(rest.error());
  if (auto st = (*rest)->start(); !st) return fatal(st.error());

  core::MarbleApi marble_api(**core, tee->verifier.get(), metrics.get());
  api::grpc::MarbleServerConfig mesh_config;
  mesh_config.address = config->mesh_addr.to_string();
  metrics::CoordinatorMetrics* m = metrics.get();
  auto mesh = api::grpc::MarbleServer::create(
      mesh_config,
      [&marble_api, m](const core::ActivationRequest& request) {
        if (m) m->grpc_started("rpc.Marble", "Activate");
        auto result = marble_api.activate(request);
        if (m) {
          m->grpc_handled({"rpc.Marble", "Activate",
                           metrics::grpc_code_name(result ? ErrorCode::kOk : result.error().code)});
        }
        return result;
      },
      api::grpc::core_marble_identity(**core));
  if (!mesh) return fatal(mesh.error());
  if (auto st = (*mesh)->start(); !st) return fatal(st.error());

  // A shared store: serve the data key to attested peers, register, follow the others.
  std::unique_ptr<api::grpc::KeyServer> key_server;
  std::unique_ptr<ClusterFollower> follower;
  if (shared.etcd) {
    core::Core* c = core->get();
    api::grpc::KeyServerConfig key_config;
    key_config.address = config->key_server_addr.to_string();
    key_config.key = [c] { return c->shared_data_key(); };
    key_config.commit_counter = [c] { return c->shared_counter(); };
    key_config.attestation = shared.attestation.get();
    key_config.require_same_enclave = [c] {
      const auto s = c->snapshot();
      if (!s->manifest) return true;
      auto mode = manifest::parse_seal_mode(s->manifest->config.seal_mode);
      return !mode || *mode != manifest::SealMode::kProductKey;
    };
    key_config.clock = &clock;
    auto server = api::grpc::KeyServer::create(std::move(key_config));
    if (!server) return fatal(server.error());
    key_server = std::move(*server);
    if (auto st = key_server->start(); !st) return fatal(st.error());
    const std::string peer_addr =
        !config->peer_addr.empty()
            ? config->peer_addr
            : fmt::format("{}:{}", config->dns_names.front(), key_server->port());
    if (auto st = shared.registry->register_self(shared.self_id, peer_addr); !st)
      return fatal(st.error());
    auto f = ClusterFollower::start(**core, *shared.etcd);
    if (!f) return fatal(f.error());
    follower = std::move(*f);
    kLog.info("key server listening; registered with the other Coordinators",
              {{"key_server_port", key_server->port()}, {"peer_address", peer_addr}});
  }

  const auto snapshot = (*core)->snapshot();
  kLog.info("Coordinator started",
            {{"state", static_cast<int>(snapshot->state)},
             {"client_api",
              fmt::format("https://{}:{}",
                          config->client_addr.host.empty() ? "localhost" : config->client_addr.host,
                          (*rest)->port())},
             {"marble_api_port", (*mesh)->port()},
             {"seal_dir", config->seal_dir},
             {"store", config->store == CoordinatorConfig::StoreKind::kEtcd ? "etcd" : "sqlite"},
             {"build", kBuild == Build::kProduction ? "production" : "development"},
             {"simulation", snapshot->simulation}});

  const int sig = wait_for_signal();
  kLog.info("stopping", {{"signal", sig}});
  follower.reset();
  if (shared.registry) (void)shared.registry->deregister();
  if (key_server) key_server->stop();
  (*mesh)->stop();  // logs "Marble API stopped"
  (*rest)->stop();
  kLog.info("client API stopped");
  return 0;
}

}  // namespace
}  // namespace mr::app

int main(int argc, char** argv) {
  return mr::app::run(argc, argv);
}
