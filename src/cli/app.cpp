#include "cli/app.h"

#include <CLI/CLI.hpp>
#include <ostream>

#include "cli/attestation/attestation_command.h"
#include "cli/commands.h"
#include "cli/manifest_check.h"
#include "manifest/manifest.h"

namespace mr::cli {
namespace {

void add_global_flags(CLI::App& app, GlobalOptions& o) {
  const std::string trust = "Coordinator verification";
  app.add_option("--coordinator-cert", o.coordinator_cert,
                 "Certificate cache: the Coordinator's intermediate and root certificate, pinned "
                 "on first contact (default: $XDG_CONFIG_HOME/marblerun/coordinator-cert.pem, "
                 "i.e. ~/.config/marblerun/coordinator-cert.pem)")
      ->group(trust);
  app.add_option("--era-config", o.era_config,
                 "Attestation policy for the Coordinator (JSON: UniqueID, or SignerID + ProductID "
                 "+ SecurityVersion, Debug, ...; default: ./era-config.json if it exists). Nothing "
                 "is downloaded.")
      ->group(trust);
  app.add_flag("-i,--insecure", o.insecure,
               "Do not verify the Coordinator: no quote check, no certificate cache, no TLS "
               "certificate check")
      ->group(trust);
  app.add_option("--accepted-tcb-statuses", o.accepted_tcb_statuses,
                 "TCB statuses accepted in the Coordinator's quote, comma-separated (default: the "
                 "era config's, else UpToDate,SWHardeningNeeded)")
      ->delimiter(',')
      ->check(CLI::IsMember(std::vector<std::string>(manifest::kTcbStatusNames.begin(),
                                                     manifest::kTcbStatusNames.end())))
      ->group(trust);
  app.add_option("--accepted-advisories", o.accepted_advisories,
                 "Intel security advisories accepted for TCB status SWHardeningNeeded, "
                 "comma-separated (default: the era config's, else all)")
      ->delimiter(',')
      ->group(trust);
  app.add_option("--nonce", o.nonce,
                 "Nonce for the Coordinator's quote (its bytes are bound into a fresh quote)")
      ->group(trust);
  app.add_option("--save-sgx-quote", o.save_sgx_quote, "Write the Coordinator's quote to this file")
      ->group(trust);
  app.add_flag("--accept-simulation", o.accept_simulation,
               "Accept a Coordinator in simulation mode (no quote; development only); its root is "
               "still pinned in the certificate cache")
      ->group(trust);
  app.add_option("--dcap-root-ca", o.dcap_root_ca,
                 "Root CA (DER or PEM) the Coordinator's quote must chain to, instead of Intel's "
                 "SGX Root CA (tests and simulated DCAP)")
      ->group(trust);
  app.add_option("--dcap-collateral", o.dcap_collateral,
                 "DCAP collateral for verifying the quote: directory of Intel PCS files or "
                 "single JSON file (default: fetch from --dcap-pccs-url)")
      ->group(trust);
  app.add_option("--dcap-pccs-url", o.dcap_pccs_url,
                 "PCCS or Intel PCS base URL for fetching collateral (default: Intel PCS)")
      ->group(trust);
  app.add_option("--format", o.format, "Output format: text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--timeout", o.timeout,
                 "How long to wait for the Coordinator to become reachable, and for each answer "
                 "(e.g. 30s, 2m; default 60s)");
  app.add_option("-n,--namespace", o.k8s_namespace, "Kubernetes namespace (unused: no Kubernetes)")
      ->group("");
}

}  // namespace

int run_marblerun(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
                  Environment env) {
  Session session(out, err, std::move(env));
  CLI::App app{"marblerun: manage and verify a MarbleRun Coordinator"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags may follow the command
  add_global_flags(app, session.options());
  int exit_code = 0;

  auto* manifest = app.add_subcommand("manifest", "Manage manifests");
  manifest->require_subcommand(1);
  auto* check = manifest->add_subcommand("check", "Validate manifest files offline");
  std::vector<std::string> files;
  check->add_option("file", files, "Manifest files (JSON)")->required();
  check->callback([&] { exit_code = run_manifest_check(files, out); });
  add_manifest_commands(*manifest, session);

  add_certificate_commands(app, session);
  add_secret_commands(app, session);
  add_recover_commands(app, session);
  add_status_and_version_commands(app, session);
  add_kubernetes_commands(app, session);
  add_attestation_commands(app, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::ParseError& e) {
    err << "Error: " << one_line(e.what()) << " (see --help)\n";
    return 2;
  }
  return exit_code != 0 ? exit_code : session.exit_code();
}

}  // namespace mr::cli
