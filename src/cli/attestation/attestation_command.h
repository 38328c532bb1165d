#pragma once
// `marblerun attestation verify ...`: offline verification of SGX/TDX quotes.

#include <CLI/CLI.hpp>

namespace mr::cli {

// add_attestation_commands registers the "attestation" command group on |app|. When one of its
// commands runs, it stores the process exit code in |exit_code| (0 ok, 1 not verified, 2 bad input).
void add_attestation_commands(CLI::App& app, int& exit_code);

}  // namespace mr::cli
