// marblerun: the MarbleRun command-line tool.

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/attestation/attestation_command.h"
#include "cli/manifest_check.h"

int main(int argc, char** argv) {
  CLI::App app{"marblerun: manage and verify a MarbleRun Coordinator"};
  app.require_subcommand(1);
  int exit_code = 0;

  auto* manifest = app.add_subcommand("manifest", "Manage manifests");
  manifest->require_subcommand(1);
  auto* check = manifest->add_subcommand("check", "Validate manifest files offline");
  std::vector<std::string> files;
  check->add_option("file", files, "Manifest files (JSON)")->required();
  check->callback([&] { exit_code = mr::cli::run_manifest_check(files, std::cout); });

  mr::cli::add_attestation_commands(app, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  return exit_code;
}
