// marblerun-premain: activates a Marble with the Coordinator (spec 2.3), applies Files and Env,
// and executes the app. The composition root of libmarble: reads the environment once, picks
// the quote provider, and turns every failure into exactly one line on stderr and a non-zero
// exit status before the app starts.

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "app/premain/config.h"
#include "base/environment.h"
#include "base/log.h"
#include "marble/activation.h"
#include "marble/apply.h"
#include "marble/grpc_transport.h"
#include "marble/quote_provider.h"

extern char** environ;

namespace mr::app::premain {
namespace {

const log::Logger kLog("premain");

constexpr int kExitActivation = 1;
constexpr int kExitConfig = 2;
constexpr int kExitNotExecutable = 126;
constexpr int kExitNotFound = 127;

// Failure is the one line a failed premain prints, with its exit status.
struct Failure {
  int exit_code;
  std::string message;
};

// report_failure prints |f| as one line: plain text, or a log line with EDG_LOG_FORMAT=json or
// zap.
int report_failure(const Failure& f, log::Format format) {
  std::string msg = f.message;
  for (char& c : msg) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (format != log::Format::kText) {
    kLog.error(msg, {{"exit_code", f.exit_code}});
  } else {
    std::fprintf(stderr, "marblerun-premain: %s\n", msg.c_str());
  }
  std::fflush(stderr);
  return f.exit_code;
}

// resolve_program finds |name| like execvp would: a name with '/' is used as is, otherwise
// each PATH entry is tried. The result must be an executable regular file.
tl::expected<std::string, Failure> resolve_program(const std::string& name) {
  const auto check = [](const std::string& path) -> std::optional<Failure> {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      return Failure{kExitNotFound, fmt::format("program {} does not exist", path)};
    }
    if (!std::filesystem::is_regular_file(path, ec) || ::access(path.c_str(), X_OK) != 0) {
      return Failure{kExitNotExecutable, fmt::format("program {} is not executable", path)};
    }
    return std::nullopt;
  };
  if (name.find('/') != std::string::npos) {
    if (auto f = check(name)) return tl::unexpected(*f);
    return name;
  }
  const char* path_env = std::getenv("PATH");
  std::istringstream dirs(path_env ? path_env : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (std::filesystem::path(dir.empty() ? "." : dir) / name).string();
    if (!check(candidate)) return candidate;
  }
  return tl::unexpected(Failure{kExitNotFound, fmt::format("program {} not found in PATH", name)});
}

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return failf(ErrorCode::kInvalidArgument, "cannot read {}", path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int run(int argc, char** argv) {
  std::error_code ec;
  const auto cwd = std::filesystem::current_path(ec);
  auto parsed =
      parse_config(environment_map(environ), std::vector<std::string>(argv + 1, argv + argc), cwd);
  if (!parsed) {
    return report_failure({kExitConfig, "configuration: " + parsed.error().message},
                          log::Format::kText);
  }
  const PremainConfig& config = *parsed;
  if (config.help) {
    std::cout << usage();
    return 0;
  }
  if (config.version) {
    std::cout << "marblerun-premain " << MR_VERSION << " (" << MR_COMMIT << ")\n";
    return 0;
  }
  log::configure(config.log_format, config.log_level);
  marble::route_grpc_logging(config.log_level == log::Level::kDebug ? marble::GrpcLogging::kDebugLog
                                                                    : marble::GrpcLogging::kSilent);
  const auto failed = [&](int code, const std::string& msg) {
    return report_failure({code, msg}, config.log_format);
  };

  // A program given on the command line must exist before the Marble uses up an activation.
  std::string program;
  if (!config.command.empty()) {
    auto resolved = resolve_program(config.command.front());
    if (!resolved) return report_failure(resolved.error(), config.log_format);
    program = *resolved;
  }

  // The quote provider.
  marble::QuoteProviderConfig qp;
  qp.attestation_dir = config.attestation_dir;
  qp.simulated_enclave = config.simulated_enclave;
  if (config.simulated_dcap_pki) {
    auto json = read_file(*config.simulated_dcap_pki);
    if (!json) return failed(kExitConfig, "EDG_MARBLE_SIMULATED_DCAP_PKI: " + json.error().message);
    qp.simulated_dcap_pki_json = std::move(*json);
  }
  // A pinned Coordinator root must be usable before anything else happens.
  if (config.coordinator_root_ca) {
    if (auto s = marble::check_coordinator_root_ca(*config.coordinator_root_ca); !s) {
      return failed(kExitConfig, "configuration: " + s.error().message);
    }
  }
  const SystemClock clock;
  auto provider = marble::select_quote_provider(qp, clock.now());
  if (!provider) return failed(kExitConfig, "quote provider: " + provider.error().message);
  const std::string_view provider_name = marble::quote_provider_name(provider->kind);
  if (provider->kind == marble::QuoteProviderKind::kSimulatedDcap) {
    kLog.warn(provider->description, {{"provider", provider_name}});  // loudly: development only
  } else {
    kLog.debug(provider->description, {{"provider", provider_name}});
  }

  // Activate (spec 2.3 steps 1-5).
  marble::ActivationOptions options;
  options.coordinator_addr = config.coordinator_addr;
  options.marble_type = config.marble_type;
  options.dns_names = config.dns_names;
  options.uuid_file = config.uuid_file;
  options.timeout = config.activation_timeout;
  options.ttls = marble::TtlsPolicy::kRefuse;  // see marble/parameters.h
  if (config.coordinator_root_ca) options.coordinator_root_ca = *config.coordinator_root_ca;
  options.clock = &clock;
  marble::ActivationReport report;
  auto params = marble::activate(options, *provider->issuer, &report);
  if (!params) return failed(kExitActivation, "activation failed: " + params.error().message);

  // Apply (step 6).
  if (auto s = marble::write_files(params->files, {.attestation_dir = config.attestation_dir});
      !s) {
    return failed(kExitActivation, s.error().message);
  }
  if (auto s = marble::apply_env(params->env); !s)
    return failed(kExitActivation, s.error().message);
  auto app_argv = marble::program_argv(config.command, params->argv);
  if (!app_argv) return failed(kExitActivation, app_argv.error().message);
  if (program.empty()) {
    auto resolved = resolve_program(app_argv->front());
    if (!resolved) return report_failure(resolved.error(), config.log_format);
    program = *resolved;
  }
  // The one line of a successful start (only the simulated-DCAP warning may come before it).
  kLog.info("activated, starting the app",
            {{"marble_type", config.marble_type},
             {"uuid", report.uuid},
             {"uuid_file", report.uuid_created ? "created" : "reused"},
             {"quote", report.empty_quote_reason.empty()
                           ? fmt::format("{} bytes from {}", report.quote_size, provider_name)
                           : "empty: " + report.empty_quote_reason},
             {"files_written", static_cast<std::uint64_t>(params->files.size())},
             {"env_set", static_cast<std::uint64_t>(params->env.size())},
             {"program", program},
             {"argv_from", config.command.empty() ? "coordinator" : "command line"}});

  std::vector<char*> exec_argv;
  for (auto& a : *app_argv)
    exec_argv.push_back(a.data());
  exec_argv.push_back(nullptr);
  params = marble::Parameters{};  // wipe the secrets held in this process before exec
  ::execv(program.c_str(), exec_argv.data());
  const int err = errno;
  return failed(err == ENOENT ? kExitNotFound : kExitNotExecutable,
                fmt::format("cannot execute {}: {}", program, std::strerror(err)));
}

}  // namespace
}  // namespace mr::app::premain

int main(int argc, char** argv) {
  return mr::app::premain::run(argc, argv);
}
