#pragma once
// ClientApi: the operations behind the HTTPS client API (spec 3), transport-free. Errors carry
// upstream's message texts; api/rest maps codes to HTTP statuses.
//
//   ClientApi api(core);
//   MR_ASSIGN_OR_RETURN(auto secrets, api.set_manifest(raw_manifest));

#include <map>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "core/core.h"
#include "crypto/keys.h"

namespace mr::core {

struct StatusInfo {
  int code = 0;
  std::string message;
};

struct CertQuote {
  std::string cert_chain_pem;  // PEM intermediate followed by PEM root
  Bytes quote;                 // empty in simulation mode (JSON null)
};

struct ManifestInfo {
  std::string raw;          // the exact bytes last set
  std::string fingerprint;  // lower-case hex SHA-256 of raw
  Bytes signature;          // ECDSA (root key, ASN.1) over SHA-256(raw)
};

struct RecoverResult {
  std::size_t remaining = 0;
};

class ClientApi {
 public:
  explicit ClientApi(Core& core) : core_(core) {}

  // authenticate_user maps the client's TLS leaf certificate to a user of the current manifest
  // (see users.h authenticate). kUnauthenticated with upstream's message otherwise.
  [[nodiscard]] Result<std::string> authenticate_user(const std::optional<Bytes>& leaf_der) const;

  // status reports the state code and message. Logs a warning in simulation mode.
  [[nodiscard]] Result<StatusInfo> status();
  // cert_quote returns the certificate chain and a quote over SHA-256(root DER ‖ nonce) (the
  // cached startup quote without a nonce). States 1-3. Errors: kFailedPrecondition,
  // "failed to get quote: ..." (kInternal/kUnavailable).
  [[nodiscard]] Result<CertQuote> cert_quote(const std::optional<Bytes>& nonce);
  // manifest returns the current manifest; kNotFound "requested value not set" if none.
  [[nodiscard]] Result<ManifestInfo> manifest();
  // set_manifest validates and applies the initial manifest (spec 5.9) in states 1 and 2 and
  // returns the encrypted recovery secrets by recovery key name. Errors (state unchanged):
  // kFailedPrecondition "server is not in expected state"; kInvalidArgument "unmarshaling
  // manifest: ...", "checking manifest: ...", "generating secrets from manifest: ...",
  // "running manifest template dry run: ..."; store errors.
  [[nodiscard]] Result<std::map<std::string, Bytes>> set_manifest(std::string raw);
  // decrypt_recovery_secret decrypts a secret encrypted to the ephemeral key (spec 9.6).
  // kFailedPrecondition outside state 1 or before recovery_public_key(); kInvalidArgument if
  // decryption fails.
  [[nodiscard]] Result<SecretBytes> decrypt_recovery_secret(ByteSpan ciphertext);
  // recover processes one plain recovery secret and its signature (spec 9.5) in state 1.
  // remaining > 0: more secrets are needed. At 0 the sealed state is live again (state 3).
  [[nodiscard]] Result<RecoverResult> recover(SecretBytes secret, Bytes signature);
  // recovery_public_key returns the ephemeral RSA-4096 key of this recovery session (state 1).
  [[nodiscard]] Result<crypto::PublicKey> recovery_public_key();

 private:
  Core& core_;
  // Recovery session state; touched only while holding a Core::Guard.
  std::optional<RecoverySession> session_;
  std::optional<crypto::PrivateKey> ephemeral_key_;
};

// kRecoverySecretSizes are the plain secret lengths (16/32: key or XOR share; 33: Shamir share).
[[nodiscard]] bool is_plain_recovery_secret_size(std::size_t n);

}  // namespace mr::core
