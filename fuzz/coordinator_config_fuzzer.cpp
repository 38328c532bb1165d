// Fuzz target: the Coordinator's configuration (environment and command line, parse_config).
// The first byte picks the build (bit 0: production or development); the rest is split into
// lines: a line that does not start with '-' and holds '=' is an environment variable
// NAME=value, every other line is one argument.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "app/coordinator/config.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mr::fuzz::Input in(data, size);
  const auto build =
      (in.byte() & 1) != 0 ? mr::app::Build::kProduction : mr::app::Build::kDevelopment;
  std::map<std::string, std::string> env;
  std::vector<std::string> args;
  while (!in.empty()) {
    std::string_view line = in.until('\n');
    std::size_t eq = line.find('=');
    if (!line.empty() && line.front() != '-' && eq != std::string_view::npos) {
      env[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    } else {
      args.emplace_back(line);
    }
  }
  auto config = mr::app::parse_config(env, args, "/work", build);
  if (!config) {
    MR_FUZZ_CHECK(!config.error().message.empty(), "config error without a message");
    return 0;
  }
  if (build == mr::app::Build::kProduction) {
    MR_FUZZ_CHECK(!config->simulation && !config->dev_mode && config->simulated_dcap_pki.empty(),
                  "the production build accepted a development-only setting");
  }
  (void)mr::app::usage(build);
  return 0;
}
