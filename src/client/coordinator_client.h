#pragma once
// CoordinatorClient: the Coordinator's client REST API (spec 3) as typed calls, the way
// upstream's SDK makes them: /api/v2 first, and the legacy v1 path when the Coordinator answers
// 405 (for every call that exists in v1; quote-with-nonce, recovery and the recovery public key
// are v2 only).
//
//   CoordinatorClient c(std::move(transport));   // TLS pinned to the Coordinator's root
//   MR_ASSIGN_OR_RETURN(CoordinatorStatus s, c.status());
//   MR_ASSIGN_OR_RETURN(RecoverySecrets r, c.set_manifest(raw_manifest));
//
// Every call returns the Coordinator's own message on refusal (jsend_error: 401 is
// "authorizing user: <message>") and the transport's errors unchanged.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "client/http_transport.h"

namespace mr::client {

struct CoordinatorStatus {
  int code = 0;  // 1 recovery, 2 accepting a manifest, 3 accepting Marbles
  std::string message;
};

// CoordinatorVersion is what GET /api/v2/version answers (this project's route; upstream's
// Coordinators do not serve it).
struct CoordinatorVersion {
  std::string version;
  std::string commit;
};

struct CoordinatorQuote {
  std::string cert_chain_pem;  // PEM intermediate followed by PEM root
  Bytes quote;                 // empty when the Coordinator sent null (simulation mode)
};

struct ManifestInfo {
  Bytes manifest;           // the raw manifest bytes as set; empty if the v1 API has none
  std::string fingerprint;  // lower-case hex SHA-256 of |manifest|
  Bytes signature;          // ECDSA signature by the root key over SHA-256(manifest), DER
};

// RecoverySecrets maps recovery key names to RSA-OAEP ciphertexts of the recovery secret.
using RecoverySecrets = std::map<std::string, Bytes>;

struct UpdateResult {
  int missing_acknowledgments = 0;
  std::vector<std::string> missing_users;
  std::optional<RecoverySecrets> recovery_secrets;  // set when the recovery keys changed
};

struct PendingUpdate {
  Bytes manifest;  // the proposed manifest's raw bytes
  std::string message;
  std::vector<std::string> missing_users;
};

struct AcknowledgeResult {
  std::string message;
  int missing_acknowledgments = 0;
  std::vector<std::string> missing_users;  // v1: fabricated "User0"… as upstream's SDK does
  std::optional<RecoverySecrets> recovery_secrets;
};

// Secret is one entry of GET secrets (Go's manifest.Secret field names on the wire).
struct Secret {
  std::string type;
  std::uint64_t size = 0;
  bool shared = false;
  bool user_defined = false;
  std::optional<Bytes> cert;  // DER; nullopt for null
  std::uint64_t valid_for = 0;
  std::optional<SecretBytes> private_key;  // PKCS#8 DER for cert-*, raw bytes otherwise
  std::optional<Bytes> public_key;         // PKIX DER for cert-*, raw bytes otherwise
};

struct RecoverResult {
  int remaining = 0;
  std::string message;
};

class CoordinatorClient {
 public:
  // CoordinatorClient sends every request through |transport| (owned).
  explicit CoordinatorClient(std::unique_ptr<HttpTransport> transport)
      : transport_(std::move(transport)) {}

  // status: GET /api/v2/status (v1 /status).
  [[nodiscard]] Result<CoordinatorStatus> status();
  // version: GET /api/v2/version. An upstream Coordinator answers 404 (an error here).
  [[nodiscard]] Result<CoordinatorVersion> version();
  // quote: GET /api/v2/quote[?nonce=<base64url>] (v1 /quote, only without a nonce:
  // kUnimplemented otherwise). kInternal if the answer has no certificate chain.
  [[nodiscard]] Result<CoordinatorQuote> quote(ByteSpan nonce);
  // manifest: GET /api/v2/manifest (v1 /manifest).
  [[nodiscard]] Result<ManifestInfo> manifest();
  // set_manifest: POST /api/v2/manifest (v1 POST /manifest with the raw body). Returns the
  // recovery secrets (empty when the manifest has no recovery keys).
  [[nodiscard]] Result<RecoverySecrets> set_manifest(std::string_view raw_manifest);
  // update_log: GET /api/v2/update (v1 /update); one JSON text per entry.
  [[nodiscard]] Result<std::vector<std::string>> update_log();
  // apply_update: POST /api/v2/update (v1 /update, which reports nothing about
  // acknowledgements). A null answer counts as applied (Coordinators before 1.8).
  [[nodiscard]] Result<UpdateResult> apply_update(std::string_view raw_manifest);
  // pending_update: GET /api/v2/update-manifest (v1 /update-manifest). kNotFound "no update in
  // progress" when there is none.
  [[nodiscard]] Result<PendingUpdate> pending_update();
  // acknowledge_update: POST /api/v2/update-manifest (v1 /update-manifest).
  [[nodiscard]] Result<AcknowledgeResult> acknowledge_update(std::string_view raw_manifest);
  // cancel_update: POST /api/v2/update-cancel (v1 /update-cancel); returns the message.
  [[nodiscard]] Result<std::string> cancel_update();
  // secrets: GET /api/v2/secrets?s=<name>… (v1 /secrets). kInvalidArgument if |names| is empty.
  [[nodiscard]] Result<std::map<std::string, Secret>> secrets(
      const std::vector<std::string>& names);
  // set_secrets: POST /api/v2/secrets with {"secrets": <secrets_json>} (v1: the map itself).
  // |secrets_json| must be a JSON object (kInvalidArgument otherwise; it is not echoed).
  [[nodiscard]] Status set_secrets(std::string_view secrets_json);
  // recover: POST /api/v2/recover (v2 only) with a recovery secret (plain, or encrypted for the
  // ephemeral key) and its PKCS#1 v1.5 SHA-256 signature.
  [[nodiscard]] Result<RecoverResult> recover(ByteSpan secret, ByteSpan signature);
  // recovery_public_key: GET /api/v2/recover/public-key (v2 only); returns the PKIX DER.
  [[nodiscard]] Result<Bytes> recovery_public_key();

 private:
  std::unique_ptr<HttpTransport> transport_;
};

}  // namespace mr::client
