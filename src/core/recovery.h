#pragma once
// Recovery keys (spec 9.2) and the recovery protocol (spec 9.5).
//
//   // SetManifest: a fresh data key, split for the manifest's recovery keys.
//   MR_ASSIGN_OR_RETURN(DataKey k, generate_data_key(m.recovery_keys,
//   m.config.recovery_threshold));
//   // Recovery mode: one upload after another.
//   RecoverySession session(stored_recovery_data);
//   MR_ASSIGN_OR_RETURN(auto outcome, session.add(std::move(secret), signature, opens_state));
//   if (outcome.key) MR_RETURN_IF_ERROR(session.validate_signatures(recovered_manifest));

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "manifest/manifest.h"

namespace mr::core {

inline constexpr std::size_t kDataKeySize = 32;
inline constexpr std::size_t kShamirShareSize = kDataKeySize + 1;

// RecoveryData lists the SHA-256 (hex) of every share that is part of the data key; empty when
// the key is not split (no or one recovery key). Stored unsealed next to the sealed state.
using RecoveryData = std::vector<std::string>;

// encode_recovery_data / decode_recovery_data: JSON {"<hex>": true, ...} or "null" (as upstream).
[[nodiscard]] std::string encode_recovery_data(const RecoveryData& data);
[[nodiscard]] Result<RecoveryData> decode_recovery_data(std::string_view json);

// DataKey is a fresh data-encryption key with what its recovery-key holders receive.
struct DataKey {
  SecretBytes key;
  RecoveryData recovery_data;
  std::map<std::string, Bytes> encrypted_secrets;  // recovery key name → RSA-OAEP(SHA-256)(share)
};

// generate_data_key creates a random 32-byte key and, for the manifest's |recovery_keys|
// (name → PEM RSA public key): no secrets for 0 keys; the key itself for 1 key; XOR shares for
// ≥2 keys with threshold 0 or equal to the number of keys; Shamir shares (33 bytes) for
// 2 ≤ threshold < keys. kInvalidArgument for unusable keys or thresholds.
[[nodiscard]] Result<DataKey> generate_data_key(const manifest::NameMap<std::string>& recovery_keys,
                                                std::uint64_t threshold);

// RecoverySession collects recovery secrets until they yield the data key.
class RecoverySession {
 public:
  // Tests whether a candidate data key opens the sealed state.
  using KeyTester = std::function<bool(ByteSpan candidate)>;

  struct Outcome {
    std::size_t remaining = 0;
    std::optional<SecretBytes> key;  // set once recovered
    // When the key was recovered without stored recovery data from several XOR shares, the
    // recovery data to store from now on.
    std::optional<RecoveryData> new_recovery_data;
  };

  explicit RecoverySession(RecoveryData stored) : hashes_(std::move(stored)) {}

  // add processes one plain (decrypted) recovery secret and its signature. An upload that
  // fails leaves the session as it was, so a wrong upload never blocks a right one. Errors
  // (kInvalidArgument): "invalid secret length", "uploaded an invalid or already used secret";
  // kPermissionDenied when every expected share was given and the result still does not open
  // the state. Without recovery data, uploads that do not open the state are kept (up to
  // kMaxUploadsWithoutRecoveryData, the oldest forgotten first) and every XOR combination of
  // same-length uploads with the newest is tried.
  [[nodiscard]] Result<Outcome> add(SecretBytes secret, Bytes signature, const KeyTester& opens);

  // validate_signatures checks the cached signatures (RSA PKCS#1 v1.5 over SHA-256 of each plain
  // secret) against the recovery keys of the recovered manifest, with upstream's rules and
  // messages, then clears the cache. kPermissionDenied on mismatch.
  [[nodiscard]] Status validate_signatures(const manifest::Manifest& recovered);

  // reset forgets every upload of this session.
  void reset();

 private:
  struct Upload {
    SecretBytes secret;
    Bytes signature;
  };
  Result<Outcome> add_without_data(SecretBytes secret, Bytes signature, const KeyTester& opens);
  Result<Outcome> add_shamir(const SecretBytes& secret, const KeyTester& opens);
  Result<Outcome> add_xor(const SecretBytes& secret);
  Result<std::size_t> take_share(const SecretBytes& secret);

  RecoveryData hashes_;
  std::vector<bool> used_;             // parallel to hashes_
  std::vector<SecretBytes> accepted_;  // shares accepted in this session (with recovery data)
  SecretBytes xor_key_;
  std::vector<Upload> pool_;     // uploads without recovery data that did not open the state
  std::vector<Upload> uploads_;  // (secret, signature) pairs for validate_signatures
};

// Uploads without recovery data kept for XOR combinations: the subset search is exponential.
inline constexpr std::size_t kMaxUploadsWithoutRecoveryData = 12;

}  // namespace mr::core
