#pragma once
// Templates over secrets (spec 6): the function maps, the data model a Marble's Files and Env
// see, compiled per-Marble parameters (parsed once, rendered per activation) and the dry run of
// spec 5.8.
//
//   MR_ASSIGN_OR_RETURN(auto compiled, ParameterTemplates::compile(marble));   // once per manifest
//   auto data = template_data(reserved, current_secrets, previous_secrets);    // per activation
//   MR_ASSIGN_OR_RETURN(RenderedParameters p, compiled.render(data, ErrorStyle::kActivation));

#include <string>
#include <vector>

#include "base/result.h"
#include "gotemplate/template.h"
#include "manifest/check.h"
#include "manifest/manifest.h"

namespace mr::manifest {

// Go type names the template functions dispatch on.
inline constexpr std::string_view kTypeSecret = "manifest.Secret";
inline constexpr std::string_view kTypeCertificate = "manifest.Certificate";
inline constexpr std::string_view kTypePublicKey = "manifest.PublicKey";
inline constexpr std::string_view kTypePrivateKey = "manifest.PrivateKey";

// file_functions returns pem, hex, raw, base64; env_functions returns pem, hex, string, base64.
[[nodiscard]] gotemplate::FuncMap file_functions();
[[nodiscard]] gotemplate::FuncMap env_functions();

// ReservedSecrets are the `.MarbleRun.*` values (spec 6.2).
struct ReservedSecrets {
  Secret root_ca;                   // .MarbleRun.RootCA (Marble root certificate)
  Secret marble_cert;               // .MarbleRun.MarbleCert (leaf cert, public, private)
  Secret coordinator_root;          // .MarbleRun.CoordinatorRoot
  Secret coordinator_intermediate;  // .MarbleRun.CoordinatorIntermediate
};

// secret_value renders one secret as the template's Secret struct.
[[nodiscard]] gotemplate::Value secret_value(const Secret& s);
// template_data builds {MarbleRun: ..., Secrets: current, Previous: {Secrets: previous}}.
[[nodiscard]] gotemplate::Value template_data(const ReservedSecrets& reserved,
                                              const NameMap<Secret>& current,
                                              const NameMap<Secret>& previous);

// How render errors are worded: at activation ("parsing secrets for file \"/x\": ...") or in a
// dry run ("file /x: ...", prefixed by the caller with "in Marble m: ").
enum class ErrorStyle { kActivation, kDryRun };

// What one Marble's parameters may render to, all together (files and env: names and values;
// argv): 16 MiB and 1M template steps. Checked in the dry run at manifest set and update, and
// at activation. A manifest anyone may post in states 1 and 2 must not be able to make the
// Coordinator hold gigabytes.
inline constexpr std::size_t kMaxRenderedBytesPerMarble = std::size_t{16} << 20;
inline constexpr std::uint64_t kMaxTemplateStepsPerMarble = 1'000'000;
// What a whole manifest's dry run may spend on templates (all Marbles together): a manifest of a
// thousand small Marbles must not buy a thousand times the per-Marble work.
inline constexpr std::size_t kMaxDryRunTemplateBytes = std::size_t{64} << 20;
inline constexpr std::uint64_t kMaxDryRunTemplateSteps = 10'000'000;

struct RenderedParameters {
  NameMap<std::string> files;  // path → bytes
  NameMap<std::string> env;    // name → bytes
  std::vector<std::string> argv;
};

// ParameterTemplates holds a Marble's Files and Env parsed once.
class ParameterTemplates {
 public:
  // compile parses every templated entry. kInvalidArgument on a parse error, worded by |style|.
  // |name| is the Marble's name in the manifest, for messages.
  [[nodiscard]] static Result<ParameterTemplates> compile(
      std::string_view name, const Marble& marble, ErrorStyle style = ErrorStyle::kActivation);
  // render executes the templates against |data|; NoTemplates entries are copied verbatim.
  // Everything together is bounded by kMaxRenderedBytesPerMarble and
  // kMaxTemplateStepsPerMarble: kInvalidArgument "the parameters of Marble <m> render to more
  // than 16777216 bytes (Files, Env and Argv together)" or "... take more than 1000000
  // template steps (...)". With |pool|, template output and steps are also charged to it
  // (the dry run's manifest-wide budget); running it dry fails with "the templates of the
  // manifest render to more than N bytes / take more than N steps (all Marbles together)".
  [[nodiscard]] Result<RenderedParameters> render(const gotemplate::Value& data,
                                                  ErrorStyle style = ErrorStyle::kActivation,
                                                  gotemplate::Budget* pool = nullptr) const;

 private:
  struct Entry {
    std::string name;
    std::string verbatim;  // used when !tmpl
    std::optional<gotemplate::Template> tmpl;
  };
  std::string marble_name_;
  std::vector<Entry> files_;
  std::vector<Entry> env_;
  std::vector<std::string> argv_;
};

// placeholder_secrets gives every secret of |m| the 1-byte 0x41 values the dry run uses for
// values that do not exist yet (cert types: Cert/Private/Public; symmetric keys and plain:
// Private/Public; user-defined: all three).
[[nodiscard]] NameMap<Secret> placeholder_secrets(const Manifest& m);

// Placeholders says which secrets a dry run renders with the placeholder values of
// placeholder_secrets instead of their own: those without a value (SetManifest), every
// user-defined one (a secret upload, whose uploads are then laid over them), or every
// user-defined one and every symmetric key (a full manifest update), as upstream does.
enum class Placeholders { kUnset, kUserDefined, kUserDefinedAndSymmetricKeys };

// with_placeholders returns |values| with placeholder values in the secrets |which| names.
[[nodiscard]] NameMap<Secret> with_placeholders(NameMap<Secret> values, Placeholders which);

// dry_run_report executes every Marble's templates with |secrets| and dummy reserved values and
// checks Env values for NUL bytes (spec 5.8 and rule 13). Messages:
// "in Marble <m>: file <path>: <err>", "in Marble <m>: env variable <e>: <err>",
// "in Marble <m>: env variable: <e>: content contains null bytes".
[[nodiscard]] CheckReport dry_run_report(const Manifest& m, const NameMap<Secret>& secrets);

}  // namespace mr::manifest
