// marblerun-coordinator: the composition root. Parses the configuration once, picks the TEE
// adapters (or simulation mode, only when asked for), wires store, sealing, core and servers,
// and runs until SIGINT/SIGTERM.

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "api/rest/client_routes.h"
#include "api/rest/core_identity.h"
#include "api/rest/rest_server.h"
#include "app/coordinator/config.h"
#include "attestation/providers/gramine_issuer.h"
#include "attestation/simulated/no_tee_issuer.h"
#include "base/log.h"
#include "core/client_api.h"
#include "core/core.h"
#include "seal/file_seal_key_provider.h"
#include "seal/gramine_seal_key_provider.h"
#include "store/memory/memory_store.h"
#include "store/sqlite/sqlite_store.h"

extern char** environ;

namespace mr::app {
namespace {

const log::Logger kLog("coordinator");

std::map<std::string, std::string> environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    const auto eq = kv.find('=');
    if (eq != std::string_view::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

// The TEE this process runs in. Only Gramine-SGX can give the Coordinator itself a quote.
struct Tee {
  std::unique_ptr<attestation::QuoteIssuer> issuer;
  std::unique_ptr<seal::SealKeyProvider> seal_keys;
};

Result<Tee> choose_tee(const CoordinatorConfig& config) {
  Tee tee;
  if (config.simulation) {
    kLog.warn(
        "SIMULATION MODE (OE_SIMULATION=1): no TEE, no attestation, the seal key is a plain file. "
        "Never use this mode in production.",
        {{"seal_key", (std::filesystem::path(config.seal_dir) / "seal.key").string()}});
    tee.issuer = std::make_unique<attestation::simulated::NoTeeIssuer>();
    tee.seal_keys = std::make_unique<seal::FileSealKeyProvider>(config.seal_dir);
    return tee;
  }
  const std::filesystem::path gramine = attestation::providers::kGramineAttestationDir;
  std::error_code ec;
  if (std::filesystem::exists(gramine / "quote", ec)) {
    kLog.info("TEE: Gramine-SGX", {{"attestation_dir", gramine.string()}});
    tee.issuer = std::make_unique<attestation::providers::GramineQuoteIssuer>(gramine);
    tee.seal_keys = std::make_unique<seal::GramineSealKeyProvider>(gramine / "keys");
    return tee;
  }
  return fail(
      ErrorCode::kFailedPrecondition,
      "no TEE found: /dev/attestation/quote does not exist, so this process is not running in "
      "Gramine-SGX. Run the Coordinator inside an SGX enclave, or set OE_SIMULATION=1 (or pass "
      "--simulation) to run in simulation mode without attestation (development only).");
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return failf(ErrorCode::kInvalidArgument, "cannot read {}", path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
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
      std::cout << usage();
      return 0;
    }
  }
  std::error_code ec;
  auto config = parse_config(environment(), args, std::filesystem::current_path(ec).string());
  if (!config) {
    std::cerr << "marblerun-coordinator: invalid configuration:\n"
              << config.error().message << "\n"
              << "Run with --help for the list of settings.\n";
    return 2;
  }
  log::configure(config->log_format, config->log_level);

  // Block the stop signals in every thread; the main thread waits for them with sigwait.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto tee = choose_tee(*config);
  if (!tee) {
    std::cerr << "marblerun-coordinator: " << tee.error().message << "\n";
    return 1;
  }
  auto fatal = [](const Error& e) {
    kLog.error("cannot start", {{"error", e.message}});
    std::cerr << "marblerun-coordinator: " << e.message << "\n";
    return 1;
  };
  auto persistent = store::SqliteStore::open(config->seal_dir);
  if (!persistent) return fatal(persistent.error());
  store::MemoryStore volatile_store;
  SystemClock clock;
  core::CoreDeps deps{&clock, persistent->get(), &volatile_store, tee->seal_keys.get(),
                      tee->issuer.get()};
  auto core = core::Core::start(deps, core::CoreConfig{config->dns_names, config->dev_mode});
  if (!core) return fatal(core.error());
  core::ClientApi client_api(**core);

  if (!config->startup_manifest.empty()) {
    if (auto st = apply_startup_manifest(client_api, **core, config->startup_manifest); !st)
      return fatal(st.error());
  }

  api::rest::RestServerConfig rest_config;
  rest_config.address = config->client_addr.to_string();
  auto rest = api::rest::RestServer::create(
      rest_config, api::rest::Router(api::rest::client_api_routes(client_api)),
      api::rest::core_tls_identity(**core));
  if (!rest) return fatal(rest.error());
  if (auto st = (*rest)->start(); !st) return fatal(st.error());

  const auto snapshot = (*core)->snapshot();
  kLog.info("Coordinator started",
            {{"state", static_cast<int>(snapshot->state)},
             {"client_api",
              fmt::format("https://{}:{}",
                          config->client_addr.host.empty() ? "localhost" : config->client_addr.host,
                          (*rest)->port())},
             {"seal_dir", config->seal_dir},
             {"simulation", snapshot->simulation}});

  const int sig = wait_for_signal();
  kLog.info("stopping", {{"signal", sig}});
  (*rest)->stop();
  return 0;
}

}  // namespace
}  // namespace mr::app

int main(int argc, char** argv) {
  return mr::app::run(argc, argv);
}
