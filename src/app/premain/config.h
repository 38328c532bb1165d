#pragma once
// PremainConfig: everything marblerun-premain reads from its environment and command line, parsed
// once at start. Variable names are upstream's (spec 1.3) plus a few documented extensions for
// the quote provider and tests; any other EDG_MARBLE_* variable is an error (a typo must not
// silently fall back to a default).
//
//   marblerun-premain [-- program [args...]]

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "attestation/simulated/simulated_dcap.h"
#include "base/log.h"
#include "base/result.h"

namespace mr::app::premain {

struct PremainConfig {
  std::string coordinator_addr = "localhost:2001";  // EDG_MARBLE_COORDINATOR_ADDR
  std::string marble_type;                          // EDG_MARBLE_TYPE (required)
  std::vector<std::string> dns_names{"localhost"};  // EDG_MARBLE_DNS_NAMES
  std::filesystem::path uuid_file;                  // EDG_MARBLE_UUID_FILE, default <cwd>/uuid
  std::filesystem::path attestation_dir = "/dev/attestation";  // EDG_MARBLE_ATTESTATION_DIR
  std::optional<std::filesystem::path> simulated_dcap_pki;     // EDG_MARBLE_SIMULATED_DCAP_PKI
  attestation::simulated::SimulatedEnclave simulated_enclave;  // EDG_MARBLE_SIMULATED_*
  std::chrono::milliseconds activation_timeout{30000};         // EDG_MARBLE_ACTIVATION_TIMEOUT
  // EDG_MARBLE_COORDINATOR_ROOT_CA: PEM file of the Coordinator root to pin; nullopt = unpinned.
  std::optional<std::filesystem::path> coordinator_root_ca;
  log::Format log_format = log::Format::kText;  // EDG_LOG_FORMAT
  log::Level log_level = log::Level::kInfo;     // EDG_DEBUG_LOGGING
  std::vector<std::string> command;  // the words after "--"; empty = the Coordinator's Argv
  bool help = false;                 // --help / -h
  bool version = false;              // --version
};

// parse_config builds the config from |env| (name → value) and |args| (argv without the program
// name). |cwd| is the base of the default UUID file. All problems are reported at once, joined
// by "; " into one line (kInvalidArgument): a missing EDG_MARBLE_TYPE, unknown EDG_MARBLE_*
// variables, malformed values, EDG_MARBLE_COORDINATOR_ROOT_CA set but empty (a pin is never
// dropped silently; the file itself is read later), EDG_MARBLE_SIMULATED_* without
// EDG_MARBLE_SIMULATED_DCAP_PKI, arguments before "--", an empty command after "--".
[[nodiscard]] Result<PremainConfig> parse_config(const std::map<std::string, std::string>& env,
                                                 const std::vector<std::string>& args,
                                                 const std::filesystem::path& cwd);

// usage returns the --help text, listing every variable.
[[nodiscard]] std::string usage();

}  // namespace mr::app::premain
