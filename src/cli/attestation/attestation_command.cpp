#include "cli/attestation/attestation_command.h"

namespace mr::cli {

// Placeholder registration; the attestation work replaces this file.
void add_attestation_commands(CLI::App& app, int& exit_code) {
  (void)app;
  (void)exit_code;
}

}  // namespace mr::cli
