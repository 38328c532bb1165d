// `marblerun status`, `version`, the Kubernetes-only commands, and the user flags.

#include <memory>
#include <optional>

#include "cli/commands.h"
#include "client/coordinator_client.h"
#include "gojson/go_json.h"

#ifndef MR_VERSION
#define MR_VERSION "0.0.0"
#endif

namespace mr::cli {

void add_user_flags(CLI::App& cmd, UserCredentials& creds) {
  auto* cert = cmd.add_option("-c,--cert", creds.cert_file,
                              "PEM file with the user's certificate (as in the manifest's Users)")
                   ->required()
                   ->group("User authentication");
  auto* key = cmd.add_option("-k,--key", creds.key_file, "PEM file with the user's private key")
                  ->required()
                  ->group("User authentication");
  cert->needs(key);
  key->needs(cert);
  // PKCS#11 (upstream's --pkcs11-*) is recognised only to explain that it is not supported.
  for (const char* name : {"--pkcs11-config", "--pkcs11-key-id", "--pkcs11-key-label",
                           "--pkcs11-cert-id", "--pkcs11-cert-label"}) {
    cmd.add_option(name, creds.pkcs11_unused)
        ->group("")
        ->check(CLI::Validator(
            [](std::string&) -> std::string {
              return "--pkcs11-*: PKCS#11 keys are not supported by this distribution; use "
                     "-c/--cert and -k/--key with PEM files";
            },
            "", "pkcs11"));
  }
}

void add_status_and_version_commands(CLI::App& app, Session& s) {
  auto host = std::make_shared<std::string>();
  auto* status = app.add_subcommand("status", "Show the Coordinator's status");
  status->add_option("host", *host, "Coordinator address (host:port)")->required();
  status->callback([host, &s] {
    s.run([&]() -> Status {
      MR_ASSIGN_OR_RETURN(client::Connection c, s.connect(*host, client::TrustPurpose::kStatus));
      MR_ASSIGN_OR_RETURN(client::CoordinatorStatus st,
                          c.client->status().map_error(Wrap("getting the status")));
      if (st.code == 1) {
        s.notice(fmt::format(
            "The Coordinator is in recovery mode: it could not unseal its state. Recover it with "
            "`marblerun recover <recovery_secret_file> {} -k <recovery_key.pem>` (each holder of "
            "a recovery key the manifest requires runs it once; `marblerun "
            "recover-with-signature` for air-gapped keys), or start anew with `marblerun "
            "manifest set`.",
            *host));
      }
      if (s.json()) {
        s.out() << gojson::Json{{"code", st.code}, {"message", st.message}}.dump(2) << "\n";
      } else {
        s.out() << st.code << ": " << st.message << "\n";
      }
      return ok();
    });
  });

  auto version_host = std::make_shared<std::string>();
  auto* version = app.add_subcommand(
      "version", "Show the CLI's version, and the Coordinator's when given its address");
  version->add_option("host", *version_host, "Coordinator address (host:port), optional");
  version->callback([version_host, &s] {
    std::optional<client::CoordinatorVersion> coordinator;
    std::string unknown;
    if (!version_host->empty()) {
      auto c = s.connect(*version_host, client::TrustPurpose::kStatus);
      auto v =
          c ? c->client->version() : Result<client::CoordinatorVersion>(tl::unexpected(c.error()));
      if (v) {
        coordinator = std::move(*v);
      } else {
        unknown = v.error().message;
      }
    }
    if (s.json()) {
      gojson::Json j{{"cliVersion", "v" MR_VERSION}};
      if (coordinator) j["coordinatorVersion"] = "v" + coordinator->version;
      s.out() << j.dump(2) << "\n";
    } else {
      s.out() << "CLI Version: v" MR_VERSION "\n";
      if (coordinator) {
        s.out() << "Coordinator Version: v" << coordinator->version << " (" << coordinator->commit
                << ")\n";
      }
    }
    if (!version_host->empty() && !coordinator) {
      s.err() << "Coordinator Version: unknown (" << unknown << ")\n";
      s.set_exit_code(1);
    }
  });
}

void add_kubernetes_commands(CLI::App& app, Session& s) {
  const std::pair<const char*, const char*> commands[] = {
      {"install", "Install MarbleRun on Kubernetes (not part of this distribution)"},
      {"uninstall", "Remove MarbleRun from Kubernetes (not part of this distribution)"},
      {"precheck", "Check a Kubernetes cluster for SGX support (not part of this distribution)"},
      {"check", "Check a Kubernetes deployment (not part of this distribution)"},
  };
  for (const auto& [name, description] : commands) {
    auto* cmd = app.add_subcommand(name, description);
    cmd->allow_extras();
    cmd->fallthrough(false);  // every argument is the command's (and ignored)
    cmd->callback([&s, command = std::string(name)] {
      s.err() << "Error: `marblerun " << command
              << "` is not part of this distribution: it manages MarbleRun on Kubernetes, and "
                 "this build runs the Coordinator as a plain process (see "
                 "packaging/marblerun-coordinator.service)\n";
      s.set_exit_code(2);
    });
  }
  auto* info = app.add_subcommand(
      "package-info", "Print an enclave package's identity (not part of this distribution)");
  info->allow_extras();
  info->fallthrough(false);
  info->callback([&s] {
    s.err() << "Error: `marblerun package-info` is not part of this distribution: it does not "
               "read enclave packages. Take the identity from your enclave toolchain instead "
               "(EGo: `ego uniqueid` / `ego signerid`; Gramine: `gramine-sgx-sigstruct-view`; "
               "Open Enclave: `oesign dump`)\n";
    s.set_exit_code(2);
  });
}

}  // namespace mr::cli
