#pragma once
// Session: what every `marblerun` command shares — the global flags, output (text or JSON) and
// error reporting, and connecting to a Coordinator the way the flags ask (verify the quote
// against the era config, pin the root in the certificate cache, or --insecure).
//
//   session.run([&]() -> Status {
//     MR_ASSIGN_OR_RETURN(client::Connection c, session.connect(host, TrustPurpose::kPinned));
//     MR_ASSIGN_OR_RETURN(client::CoordinatorStatus s, c.client->status());
//     session.out() << s.code << ": " << s.message << "\n";
//     return ok();
//   });

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "attestation/policy.h"
#include "attestation/quote_verifier.h"
#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"
#include "client/connector.h"
#include "client/tls_transport.h"

namespace mr::cli {

// GlobalOptions are the persistent flags (spec 11.1) plus this distribution's additions.
struct GlobalOptions {
  std::string coordinator_cert;  // empty = $XDG_CONFIG_HOME/marblerun/coordinator-cert.pem
  std::string era_config;        // empty = ./era-config.json if present
  bool insecure = false;
  std::vector<std::string> accepted_tcb_statuses;  // empty = era config's, else the default
  std::vector<std::string> accepted_advisories;    // empty = era config's
  std::string nonce;                               // literal bytes
  std::string save_sgx_quote;                      // file for the Coordinator's quote
  bool accept_simulation = false;
  std::string format = "text";
  std::string timeout;  // empty = the default wait (kDefaultWait, only while starting)
  std::string k8s_namespace = "marblerun";  // accepted for compatibility, unused
  // DCAP verification inputs (defaults: Intel's root, collateral from Intel PCS).
  std::string dcap_root_ca;
  std::string dcap_collateral;
  std::string dcap_pccs_url;
};

// kDefaultWait is how long commands wait, without --timeout, for a Coordinator that refuses
// connections or answers 503 (it may be starting); other failures are reported at once.
inline constexpr std::chrono::seconds kDefaultWait{5};

// kDefaultAcceptedTcbStatuses is --accepted-tcb-statuses' default (upstream's).
inline const std::vector<std::string> kDefaultAcceptedTcbStatuses = {"UpToDate",
                                                                     "SWHardeningNeeded"};

// Environment is what the CLI reads from its process environment (read once in main).
struct Environment {
  std::optional<std::string> xdg_config_home;
  std::optional<std::string> home;
};

// UserCredentials are the -c/--cert and -k/--key flags of commands that act as a user.
struct UserCredentials {
  std::string cert_file;
  std::string key_file;
  std::string pkcs11_unused;  // --pkcs11-* values (refused)
};

class Session {
 public:
  Session(std::ostream& out, std::ostream& err, Environment env)
      : out_(out), err_(err), env_(std::move(env)) {}
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // options returns the global flags (filled by CLI11 before any command runs).
  [[nodiscard]] GlobalOptions& options() { return options_; }

  // run executes a command body: on error it prints "Error: <message>" (one line) to stderr and
  // sets the exit code to 1.
  void run(const std::function<Status()>& body);
  // exit_code is 0 unless a command failed (1) or was refused as not part of this
  // distribution (2).
  [[nodiscard]] int exit_code() const { return exit_code_; }
  // set_exit_code overrides the exit code (2 for commands that are not part of this
  // distribution).
  void set_exit_code(int code) { exit_code_ = code; }

  // json reports whether --format json was given.
  [[nodiscard]] bool json() const { return options_.format == "json"; }
  // out is where results go (stdout); err is for progress and errors (stderr).
  [[nodiscard]] std::ostream& out() { return out_; }
  [[nodiscard]] std::ostream& err() { return err_; }
  // notice writes one progress or information line to stderr.
  void notice(std::string_view line);

  // connect establishes trust in the Coordinator at |host| for |purpose| (see
  // client::TrustPurpose) according to the global flags, presenting |user| when given. Prints
  // the --insecure warning, progress while waiting for the Coordinator, and the first-use notice
  // on stderr; writes --save-sgx-quote. Errors: a malformed |host|, flags or era config
  // (kInvalidArgument), no attestation policy (kFailedPrecondition naming --era-config,
  // --insecure and --accept-simulation), and connect_to_coordinator's errors.
  [[nodiscard]] Result<client::Connection> connect(std::string_view host,
                                                   client::TrustPurpose purpose,
                                                   const UserCredentials* user = nullptr);

  // write_output writes |data| to |path| ("-" = stdout). kInternal naming the file on failure.
  [[nodiscard]] Status write_output(const std::string& path, ByteSpan data);

 private:
  [[nodiscard]] Result<std::optional<attestation::EraConfig>> load_era_config() const;
  [[nodiscard]] Result<std::chrono::seconds> timeout() const;
  // make_verifier builds the DCAP verifier the --dcap-* flags describe.
  [[nodiscard]] Result<std::unique_ptr<attestation::QuoteVerifier>> make_verifier();

  std::ostream& out_;
  std::ostream& err_;
  Environment env_;
  GlobalOptions options_;
  int exit_code_ = 0;
  // Kept alive for the connections handed out (the verifier and its clock).
  SystemClock clock_;
  std::unique_ptr<attestation::QuoteVerifier> verifier_;
};

// SlowNotice prints |message| through |session|.notice() if it is still alive after |delay|:
// progress for a request the Coordinator may take a while to answer.
//
//   SlowNotice progress(session, "waiting for the Coordinator to set the manifest ...");
//   auto r = client.set_manifest(raw);   // the line appears only if this takes over a second
class SlowNotice {
 public:
  SlowNotice(Session& session, std::string message,
             std::chrono::milliseconds delay = std::chrono::seconds(1));
  ~SlowNotice();
  SlowNotice(const SlowNotice&) = delete;
  SlowNotice& operator=(const SlowNotice&) = delete;

 private:
  std::mutex mu_;  // guards done_
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// read_file returns the contents of |path|. kNotFound "cannot read <what> <path>: <reason>".
[[nodiscard]] Result<std::string> read_file(const std::string& path, std::string_view what);

// one_line replaces line breaks in |text| with spaces (errors are printed on one line).
[[nodiscard]] std::string one_line(std::string_view text);

}  // namespace mr::cli
