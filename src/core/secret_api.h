#pragma once
// SecretApi: reading secrets and uploading user-defined ones (spec 3.6 secrets, 7.5, 10).
//
//   SecretApi secrets(core);
//   MR_ASSIGN_OR_RETURN(auto values, secrets.get("alice", {"apiKey"}));
//   MR_RETURN_IF_ERROR(secrets.set("alice", parse_user_secrets(body_json)));

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "core/core.h"
#include "gojson/go_json.h"

namespace mr::core {

// UserSecret is one uploaded value: {"Cert": <b64 DER> | <x509 template object>, "Private":
// <b64>, "Key": <b64>}. "present" flags keep upstream's absent-versus-empty distinctions.
struct UserSecret {
  bool has_cert = false;
  Bytes cert_der;  // empty when the Cert was an object (a template, which has no public key)
  bool has_private = false;
  Bytes private_key;
  bool has_key = false;
  Bytes key;
};

// parse_user_secrets decodes {"<name>": UserSecret, ...} with Go's rules. An invalid base64
// "Cert" string is ignored, as upstream does. kInvalidArgument for other malformed input.
[[nodiscard]] Result<manifest::NameMap<UserSecret>> parse_user_secrets(const gojson::Json& secrets);

class SecretApi {
 public:
  explicit SecretApi(Core& core) : core_(core) {}

  // get returns the named secrets (state 3). Errors: kFailedPrecondition (state);
  // kPermissionDenied "user <u> is not allowed to read one or more secrets of: [a b]";
  // kNotFound "loading secret <n> from store: requested value not set". User-defined secrets
  // that were never uploaded come back without values.
  [[nodiscard]] Result<SecretMap> get(const std::string& user,
                                      const std::vector<std::string>& names);

  // set stores uploaded user-defined secrets (spec 7.5): checks every value, runs the current
  // manifest's templates with them, needs WriteSecret on each, logs "Secret set" per secret and
  // commits all or nothing. Errors (kInvalidArgument unless noted): "parsing new secrets: no new
  // secrets defined"; "secret manifest specifies a secret which the original manifest does not
  // contain"; "secret <s> is not writeable"; "invalid secret size: <s>"; "declared size and actual
  // size don't match: <s>"; "secret <s> is set to be of type <t> but specified values for a
  // <certificate|symmetric-key>"; "secret <s>: private key does not match the certificate";
  // "running manifest template dry run: ..."; kPermissionDenied "user <u> is not allowed to
  // update secret: <s>".
  [[nodiscard]] Status set(const std::string& user, const manifest::NameMap<UserSecret>& secrets);

 private:
  Core& core_;
};

}  // namespace mr::core
