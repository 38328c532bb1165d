#pragma once
// `marblerun attestation verify`: offline verification of SGX/TDX DCAP quotes.
//
//   marblerun attestation verify --quote quote.bin --collateral collateral.json
//       [--root-ca root.der] [--at 2025-07-01T00:00:00Z] [--pccs-url URL]
//
// Prints one JSON object to stdout: {"verified": true, "tee": "SGX", "tcbStatus": ...,
// "advisoryIDs": [...], "sgx": {"mrenclave": ...}, "reportData": ...} or
// {"verified": false, "error": "<reason>"}.
// Exit codes: 0 the signature chain and collateral verify (whatever the TCB status), 1 they do
// not (the reason is printed), 2 unusable input (unreadable files, malformed quote or
// collateral, bad time, collateral unobtainable).

#include <CLI/CLI.hpp>
#include <iosfwd>
#include <string>

namespace mr::cli {

// AttestationVerifyOptions are the flags of `attestation verify`.
struct AttestationVerifyOptions {
  std::string quote_path;       // raw quote (OE-framed or not), or the same as hex text
  std::string collateral_path;  // directory of PCS files or single-JSON file; empty = fetch
  std::string root_ca_path;     // DER or PEM; empty = Intel SGX Root CA
  std::string at;               // RFC 3339 verification time; empty = now
  std::string pccs_url;         // where to fetch collateral when none is given; empty = Intel PCS
};

// run_attestation_verify runs the command, writing the JSON result to |out| and diagnostics to
// |err|. Returns the exit code (0, 1 or 2 as above).
[[nodiscard]] int run_attestation_verify(const AttestationVerifyOptions& options, std::ostream& out,
                                         std::ostream& err);

// add_attestation_commands registers the "attestation" command group on |app|. When one of its
// commands runs, it stores the process exit code in |exit_code| (0 ok, 1 not verified, 2 bad
// input).
void add_attestation_commands(CLI::App& app, int& exit_code);

}  // namespace mr::cli
