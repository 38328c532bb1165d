#pragma once
// Parameters: what the Coordinator hands a Marble at activation (spec 2.1 `Parameters`), and the
// checks a Marble applies before using them (spec 2.3 step 6).
//
//   MR_ASSIGN_OR_RETURN(Parameters p, marble::activate(options, issuer));
//   MR_RETURN_IF_ERROR(marble::write_files(p.files));   // see marble/apply.h
//
// The values hold key material (MARBLE_PREDEFINED_PRIVATE_KEY, secrets rendered into Files), so
// Parameters is move-only and wipes its strings when it dies. Never log its values.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace mr::marble {

// kTtlsConfigEnv is the variable the Coordinator sets when the Marble has TLS tags (spec 2.6).
inline constexpr std::string_view kTtlsConfigEnv = "MARBLE_TTLS_CONFIG";

// TtlsPolicy says what a Marble does with MARBLE_TTLS_CONFIG.
enum class TtlsPolicy {
  // kValidate: the config must be well-formed with at least one Incoming or Outgoing entry
  // (upstream's ActivateRPC); it is left in Env for an app that does its own TLS.
  kValidate,
  // kRefuse: any MARBLE_TTLS_CONFIG is an error. Upstream's libOS premain (ActivateRPCNoTTLS)
  // does this: a premain that launches an unmodified app cannot wrap its sockets in TLS.
  kRefuse,
};

class Parameters {
 public:
  using Map = std::map<std::string, std::string>;  // name → raw bytes (may hold NULs)

  Parameters() = default;
  ~Parameters();
  Parameters(Parameters&&) noexcept = default;
  Parameters& operator=(Parameters&&) noexcept = default;
  Parameters(const Parameters&) = delete;
  Parameters& operator=(const Parameters&) = delete;

  Map files;                      // path → content
  Map env;                        // variable → value
  std::vector<std::string> argv;  // verbatim from the manifest; may be empty
};

// validate_ttls_config checks a MARBLE_TTLS_CONFIG value (spec 2.6): a JSON object whose "tls"
// object has "Incoming" and/or "Outgoing" objects of entry objects, at least one entry in all.
// kInvalidArgument "invalid MARBLE_TTLS_CONFIG: <reason>" otherwise (the value is never echoed:
// it holds private keys).
[[nodiscard]] Status validate_ttls_config(std::string_view json);

// check_parameters validates what the Coordinator sent before anything is applied:
// every Files path is non-empty and free of NULs (kInvalidArgument "invalid file path ...");
// every Env name is non-empty and free of '=' and NULs and every value free of NULs
// (kInvalidArgument "invalid environment variable ..."); MARBLE_TTLS_CONFIG follows |ttls|
// (kFailedPrecondition when refused, else validate_ttls_config's errors).
[[nodiscard]] Status check_parameters(const Parameters& params, TtlsPolicy ttls);

}  // namespace mr::marble
