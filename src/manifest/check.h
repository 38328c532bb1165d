#pragma once
// Manifest validation: the rules of spec 5.6 (Check), the static parts of 5.7 (secret sizes,
// recovery keys, user certificates) and the template dry run of 5.8.
//
//   CheckReport r = validate_all(m, options);   // every problem, for `marblerun manifest check`
//   MR_RETURN_IF_ERROR(check(m, options).first_error());  // what SetManifest reports

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "manifest/manifest.h"

namespace mr::manifest {

// CheckOptions carries what validation needs from outside the manifest.
struct CheckOptions {
  // env_is_set reports whether an environment variable is set (for the AzureHSMSealing gate).
  // Unset: every variable counts as missing.
  std::function<bool(std::string_view name)> env_is_set;
};

// CheckReport lists problems in a fixed order (rule order; maps in sorted key order).
struct CheckReport {
  std::vector<std::string> errors;
  std::vector<std::string> warnings;  // e.g. Debug packages without identity values

  [[nodiscard]] bool ok() const { return errors.empty(); }
  // first_error returns the first error as kInvalidArgument, or success.
  [[nodiscard]] Status first_error() const;
  void append(CheckReport other);
};

// check applies the rules of spec 5.6 (1-12) with upstream's messages, e.g.
// "manifest does not contain marble package backend".
[[nodiscard]] CheckReport check(const Manifest& m, const CheckOptions& options);

// check_secret_parameters applies the generation-time size and type rules of spec 5.7 to every
// secret the Coordinator generates (all but user-defined ones), e.g. "invalid secret size: k".
[[nodiscard]] CheckReport check_secret_parameters(const Manifest& m);

// check_secret_parameter checks one secret definition (used when generating it).
[[nodiscard]] Status check_secret_parameter(std::string_view name, const Secret& s);

// check_keys_and_certificates parses recovery keys (PEM "PUBLIC KEY", RSA) and the users'
// certificates (first PEM block, X.509), spec 5.7.
[[nodiscard]] CheckReport check_keys_and_certificates(const Manifest& m);

// validate_all runs check, check_secret_parameters, check_keys_and_certificates and the
// template dry run with placeholder secret values (dry_run.h), returning every problem.
[[nodiscard]] CheckReport validate_all(const Manifest& m, const CheckOptions& options);

// Limits for generated keys. Go has no upper bound on RSA sizes; a Coordinator generating
// RSA keys on every activation needs one (see docs/compatibility.md).
inline constexpr std::uint64_t kMinRsaBits = 1024;
inline constexpr std::uint64_t kMaxRsaBits = 8192;

}  // namespace mr::manifest
