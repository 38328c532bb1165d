#pragma once
// The MarbleRun manifest: model and parsing with Go encoding/json rules (spec 5.1-5.5).
//
//   MR_ASSIGN_OR_RETURN(Manifest m, Manifest::parse(raw_bytes));
//   for (const Problem& p : check(m, CheckOptions{})) ...;   // see check.h
//   sha256(m.raw())  // fingerprints and signatures are over the raw bytes, never re-serialized
//
// Parsing follows Go: keys match case-insensitively (exact match preferred), unknown keys are
// ignored, `null` means absent, pointer-typed integers keep "absent" apart from 0, and Go's
// nil-versus-empty distinction is kept where behaviour depends on it.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/x509.h"

namespace mr::manifest {

template <class T>
using NameMap = std::map<std::string, T, std::less<>>;  // Go maps, iterated in sorted order

// kTcbStatusNames are Intel's TCB status names, the only values AcceptedTCBStatuses may hold.
// They match exactly, case included, as upstream compares them.
inline constexpr std::array<std::string_view, 7> kTcbStatusNames = {
    "UpToDate",
    "SWHardeningNeeded",
    "ConfigurationNeeded",
    "ConfigurationAndSWHardeningNeeded",
    "OutOfDate",
    "OutOfDateConfigurationNeeded",
    "Revoked"};

// PackageProperties: the identity a Marble's quote must match (spec 5.2).
struct PackageProperties {
  bool debug = false;
  std::string unique_id;  // hex MRENCLAVE
  std::string signer_id;  // hex MRSIGNER
  std::optional<std::uint64_t> product_id;
  std::optional<std::uint64_t> security_version;
  std::vector<std::string> accepted_tcb_statuses;
  std::vector<std::string> accepted_advisories;
  friend bool operator==(const PackageProperties&, const PackageProperties&) = default;
};

// InfrastructureProperties (spec 5.3): stored, not enforced by quote validation.
struct InfrastructureProperties {
  Bytes cpu_svn;
  std::optional<std::uint16_t> qe_svn;
  std::optional<std::uint16_t> pce_svn;
  Bytes root_ca;
  friend bool operator==(const InfrastructureProperties&,
                         const InfrastructureProperties&) = default;
};

enum class Encoding { kString, kBase64, kHex };

// encoding_name returns "string", "base64" or "hex".
[[nodiscard]] std::string_view encoding_name(Encoding e);

// File is one Files or Env entry; |data| holds the decoded bytes (templates apply to them).
struct File {
  std::string data;
  Encoding encoding = Encoding::kString;
  bool no_templates = false;
  friend bool operator==(const File&, const File&) = default;
};

struct Parameters {
  NameMap<File> files;
  NameMap<File> env;
  std::vector<std::string> argv;
  friend bool operator==(const Parameters&, const Parameters&) = default;
};

struct Marble {
  std::string package;
  std::uint64_t max_activations = 0;  // 0 = unlimited
  Parameters parameters;
  std::vector<std::string> tls;  // TLS tag names
  bool disable_secret_binding = false;
  friend bool operator==(const Marble&, const Marble&) = default;
};

struct User {
  std::string certificate;  // PEM text as written in the manifest
  std::vector<std::string> roles;
  friend bool operator==(const User&, const User&) = default;
};

// Resource types and actions (spec 5.5). ResourceType compares case-sensitively, actions not.
inline constexpr std::string_view kResourcePackages = "Packages";
inline constexpr std::string_view kResourceSecrets = "Secrets";
inline constexpr std::string_view kResourceManifest = "Manifest";
inline constexpr std::string_view kActionUpdateSecurityVersion = "updatesecurityversion";
inline constexpr std::string_view kActionReadSecret = "readsecret";
inline constexpr std::string_view kActionWriteSecret = "writesecret";
inline constexpr std::string_view kActionUpdateManifest = "updatemanifest";

struct Role {
  std::string resource_type;
  std::vector<std::string> resource_names;
  std::vector<std::string> actions;
  friend bool operator==(const Role&, const Role&) = default;
};

struct TlsTagEntry {
  std::string port;
  std::string addr;
  std::string cert;  // secret name
  bool disable_client_auth = false;
  friend bool operator==(const TlsTagEntry&, const TlsTagEntry&) = default;
};

struct TlsTag {
  std::vector<TlsTagEntry> outgoing;
  std::vector<TlsTagEntry> incoming;
  friend bool operator==(const TlsTag&, const TlsTag&) = default;
};

// Secret types (spec 7.1).
inline constexpr std::string_view kSecretPlain = "plain";
inline constexpr std::string_view kSecretSymmetricKey = "symmetric-key";
inline constexpr std::string_view kSecretCertRsa = "cert-rsa";
inline constexpr std::string_view kSecretCertEd25519 = "cert-ed25519";
inline constexpr std::string_view kSecretCertEcdsa = "cert-ecdsa";

// is_cert_type reports whether |type| is one of the cert-* secret types.
[[nodiscard]] bool is_cert_type(std::string_view type);

// Secret is a secret definition from the manifest, and (in the Coordinator) also its value.
// The `Cert` JSON field holds either a template object (Go x509.Certificate field names) or a
// base64 DER certificate; a DER cert is kept in |cert_der| and its fields in |cert|.
struct Secret {
  std::string type;
  std::uint64_t size = 0;  // bits
  bool shared = false;
  bool user_defined = false;
  crypto::CertTemplate cert;    // template (all defaults when absent)
  Bytes cert_der;               // a concrete certificate, when one exists
  std::uint64_t valid_for = 0;  // days
  Bytes private_key;            // PKCS#8 DER, or the raw key / plain data
  Bytes public_key;             // PKIX DER, or the raw key / plain data
  friend bool operator==(const Secret&, const Secret&) = default;
};

// Seal modes (spec 9.8); parse_seal_mode rejects anything else.
enum class SealMode { kProductKey, kUniqueKey, kDisabled };
// parse_seal_mode maps "" and "ProductKey" to kProductKey, "UniqueKey", "Disabled"
// (case-sensitive). kInvalidArgument "unknown seal mode: <m>" otherwise.
[[nodiscard]] Result<SealMode> parse_seal_mode(std::string_view text);
[[nodiscard]] std::string_view seal_mode_name(SealMode m);

// Feature gates (case-insensitive in manifests).
inline constexpr std::string_view kFeatureSignQuoteEndpoint = "SignQuoteEndpoint";
inline constexpr std::string_view kFeatureMonotonicCounter = "MonotonicCounter";
inline constexpr std::string_view kFeatureAzureHsmSealing = "AzureHSMSealing";

struct Config {
  std::string seal_mode;
  std::vector<std::string> feature_gates;
  std::uint64_t update_threshold = 0;
  std::uint64_t recovery_threshold = 0;
  bool rotate_root_secret = false;
  friend bool operator==(const Config&, const Config&) = default;
};

// Manifest is a parsed manifest plus the exact bytes it was parsed from.
class Manifest {
 public:
  NameMap<PackageProperties> packages;
  NameMap<InfrastructureProperties> infrastructures;
  NameMap<Marble> marbles;
  NameMap<User> users;
  NameMap<Secret> secrets;
  NameMap<std::string> recovery_keys;  // name → PEM "PUBLIC KEY"
  NameMap<Role> roles;
  NameMap<TlsTag> tls;
  Config config;

  // parse decodes |raw| (JSON) and keeps it. kInvalidArgument with a Go-style message on
  // syntax errors ("invalid JSON at byte N: ...") and type mismatches ("json: cannot
  // unmarshal string into Go struct field PackageProperties.Packages.Debug of type bool").
  [[nodiscard]] static Result<Manifest> parse(std::string raw);

  // raw returns the bytes the manifest was parsed from.
  [[nodiscard]] const std::string& raw() const { return raw_; }
  // has_feature reports whether Config.FeatureGates names |gate| (case-insensitive).
  [[nodiscard]] bool has_feature(std::string_view gate) const;
  // is_package_update reports whether this manifest holds nothing but Packages (and Config):
  // the shape of a SecurityVersion update (spec 5.10).
  [[nodiscard]] bool is_package_update() const;

 private:
  std::string raw_;
};

}  // namespace mr::manifest
