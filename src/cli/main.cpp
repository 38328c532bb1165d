// marblerun: the MarbleRun command-line tool.

#include <csignal>
#include <cstdlib>
#include <iostream>

#include "cli/app.h"

namespace {

// environment reads the variables the CLI uses, once (std::getenv stays in this file).
mr::cli::Environment environment() {
  mr::cli::Environment env;
  if (const char* v = std::getenv("XDG_CONFIG_HOME")) env.xdg_config_home = v;
  if (const char* v = std::getenv("HOME")) env.home = v;
  return env;
}

}  // namespace

int main(int argc, char** argv) {
  // A server that closes the connection (a gRPC port, say) must give an error, not kill us.
  std::signal(SIGPIPE, SIG_IGN);
  return mr::cli::run_marblerun(argc, argv, std::cout, std::cerr, environment());
}
