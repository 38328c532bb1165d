#pragma once
// The `marblerun` command groups. Each add_* registers its commands on |app| (CLI11); their
// callbacks run through |session| (output, errors, connecting to the Coordinator).

#include <CLI/CLI.hpp>

#include "cli/session.h"

namespace mr::cli {

// add_manifest_commands adds get, log, set, signature, verify and update {apply, acknowledge,
// cancel, get} to the existing |manifest| group.
void add_manifest_commands(CLI::App& manifest, Session& session);
// add_certificate_commands adds `certificate root|intermediate|chain`.
void add_certificate_commands(CLI::App& app, Session& session);
// add_secret_commands adds `secret get|set`.
void add_secret_commands(CLI::App& app, Session& session);
// add_recover_commands adds `recover` and `recover-with-signature` (+ public-key, sign-secret,
// encrypt-secret).
void add_recover_commands(CLI::App& app, Session& session);
// add_status_and_version_commands adds `status` and `version`.
void add_status_and_version_commands(CLI::App& app, Session& session);
// add_kubernetes_commands adds install, uninstall, precheck, check and package-info, which
// answer that they are not part of this distribution (exit code 2).
void add_kubernetes_commands(CLI::App& app, Session& session);

// add_user_flags adds -c/--cert and -k/--key (required together) to |cmd|, plus the PKCS#11
// flags, which are refused when used.
void add_user_flags(CLI::App& cmd, UserCredentials& creds);

}  // namespace mr::cli
