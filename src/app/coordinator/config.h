#pragma once
// CoordinatorConfig: everything the Coordinator reads from its environment and command line,
// parsed once at start (spec 1.2). Environment names are upstream's; every variable has an
// equivalent flag, and a flag wins over the variable.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/listen_address.h"
#include "base/log.h"
#include "base/result.h"

namespace mr::app {

using ::mr::ListenAddress;
using ::mr::parse_listen_address;

// kDefaultPccsUrl is Intel's Provisioning Certification Service (PCS): the source of the
// collateral for Marble quotes unless a PCCS is configured.
inline constexpr std::string_view kDefaultPccsUrl = "https://api.trustedservices.intel.com";

// Build says which Coordinator program parses the configuration. The production build
// (marblerun-coordinator, the one `cmake --install` installs) has no simulation mode, no dev mode
// and no simulated attestation: asking for them is a configuration error. The development build
// (marblerun-coordinator-sim, for tests and scripts/run.sh, never installed) has them.
enum class Build { kProduction, kDevelopment };

// kDefaultAttestationDir is where Gramine-SGX serves quotes and seal keys.
inline constexpr std::string_view kDefaultAttestationDir = "/dev/attestation";

struct CoordinatorConfig {
  ListenAddress client_addr{"", 4433};
  ListenAddress mesh_addr{"", 2001};
  std::optional<ListenAddress> prometheus_addr;
  std::vector<std::string> dns_names{"localhost"};
  std::string seal_dir;
  bool simulation = false;  // OE_SIMULATION=1: no TEE, empty quotes, Marble quotes unchecked
  // simulated_dcap_pki (development and tests only): path of a SimulatedDcapPki JSON file. The
  // Coordinator then quotes itself with that test PKI (so it is not in simulation mode) and
  // verifies Marble quotes against its root alone. Excludes |simulation|.
  std::string simulated_dcap_pki;
  // pccs_url is where DCAP collateral (TCB info, QE identity, CRLs) for verifying Marble quotes
  // is fetched in a real TEE: a PCCS or Intel PCS (http:// or https://).
  std::string pccs_url = std::string(kDefaultPccsUrl);
  bool dev_mode = false;
  // attestation_dir is Gramine's attestation directory; its "quote" file tells that this process
  // runs in a TEE. Only the development build lets tests point it at a stand-in.
  std::string attestation_dir = std::string(kDefaultAttestationDir);
  log::Level log_level = log::Level::kInfo;
  log::Format log_format = log::Format::kJson;
  std::string startup_manifest;  // path; applied before the servers start

  // The persistent store (EDG_COORDINATOR_STORE): SQLite under the seal directory (default), or
  // etcd shared by several Coordinators.
  enum class StoreKind { kSqlite, kEtcd };
  StoreKind store = StoreKind::kSqlite;
  std::string sqlite_dir;                   // sqlite:PATH (default: seal_dir)
  std::vector<std::string> etcd_endpoints;  // etcd:URL,URL,...
  std::string etcd_prefix = "/marblerun/";
  std::string etcd_ca_file;    // PEM CA of etcd's server certificates (https endpoints)
  std::string etcd_cert_file;  // PEM client certificate for etcd (optional)
  std::string etcd_key_file;   // its key
  // Key distribution between Coordinators on etcd (spec 2b): where this one serves the data key
  // to attested peers, and the host:port peers reach it at (default: the first DNS name and the
  // bound port).
  ListenAddress key_server_addr{"", 5433};
  std::string peer_addr;
  // accept_simulated_peers (development only): in simulation, hand the data key to (and take it
  // from) peers that are in simulation too, without attestation.
  bool accept_simulated_peers = false;
};

// parse_config builds the config from |env| (name → value) and |args| (argv without the program
// name) for |build|. Unknown EDG_COORDINATOR_* variables, unknown flags, malformed values and, in
// the production build, any development-only setting that is switched on are errors; all
// problems are reported at once, one per line (kInvalidArgument). |cwd| is the default base of
// the seal directory (EDG_CWD overrides it).
[[nodiscard]] Result<CoordinatorConfig> parse_config(const std::map<std::string, std::string>& env,
                                                     const std::vector<std::string>& args,
                                                     const std::string& cwd, Build build);

// usage returns the --help text of |build| (development settings only in the development build).
[[nodiscard]] std::string usage(Build build);

}  // namespace mr::app
