#pragma once
// Every key the Coordinator stores, in one place (spec 9.4). Fixed keys are constants; "table"
// keys are a prefix ending in ':' plus a name, built by the helpers below:
//
//   txn.put(store::keys::secret("dbPassword"), value);           // "secret:dbPassword"
//   for (auto& name : list_names(txn, store::keys::kSecretPrefix)) ...
//
// A prefix includes its ':' so that listing "secret:" never matches "secretX" or
// "previousSecret:". Keys under "meta:" are stored unsealed (seal/ passes them through): they
// describe how to open the rest of the store.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mr::store::keys {

// --- Fixed keys (sealed) ---
inline constexpr std::string_view kState = "state";
inline constexpr std::string_view kCoordinatorRootCert = "certificate:coordinatorRootCert";
inline constexpr std::string_view kCoordinatorIntermediateCert =
    "certificate:coordinatorIntermediateCert";
inline constexpr std::string_view kMarbleRootCert = "certificate:marbleRootCert";
inline constexpr std::string_view kCoordinatorRootKey = "privateKey:coordinatorRootKey";
inline constexpr std::string_view kCoordinatorIntermediateKey =
    "privateKey:coordinatorIntermediateKey";
inline constexpr std::string_view kRootSecret = "rootSecret";
inline constexpr std::string_view kPreviousRootSecret = "previousRootSecret";
inline constexpr std::string_view kManifest = "manifest";
inline constexpr std::string_view kManifestSignature = "manifestSignature";
inline constexpr std::string_view kPendingUpdate = "pendingUpdate";
// A random value rewritten by every commit that changes the published state (not by activation
// counters): Coordinators sharing a store reload their state when it changes.
inline constexpr std::string_view kGeneration = "generation";

// --- Table prefixes (sealed) ---
inline constexpr std::string_view kCertificatePrefix = "certificate:";
inline constexpr std::string_view kPrivateKeyPrefix = "privateKey:";
inline constexpr std::string_view kPackagePrefix = "package:";
inline constexpr std::string_view kInfrastructurePrefix = "infrastructure:";
inline constexpr std::string_view kMarblePrefix = "marble:";
inline constexpr std::string_view kTlsPrefix = "TLS:";
inline constexpr std::string_view kSecretPrefix = "secret:";
inline constexpr std::string_view kPreviousSecretPrefix = "previousSecret:";
inline constexpr std::string_view kActivationsPrefix = "activations:";
inline constexpr std::string_view kUpdateLogPrefix = "updateLog:";
inline constexpr std::string_view kMonotonicCounterPrefix = "monotonicCounter:";
inline constexpr std::string_view kUserPrefix = "user:";

// --- Unsealed meta records (never encrypted by seal/) ---
inline constexpr std::string_view kMetaPrefix = "meta:";
// The data key sealed with the TEE seal key (seal::seal_data_key format).
inline constexpr std::string_view kMetaSealedDataKey = "meta:sealedDataKey";
// Several Coordinators sharing a store (etcd): the same data key sealed with each one's seal key,
// under this prefix plus the hex seal key id (seal::SealedKeyInfo::key_id).
inline constexpr std::string_view kMetaNodeDataKeyPrefix = "meta:sealedDataKey:";
// Recovery data (spec 9.2), stored in clear next to the sealed records.
inline constexpr std::string_view kMetaRecoveryData = "meta:recoveryData";
// The store format version (ASCII decimal).
inline constexpr std::string_view kMetaFormatVersion = "meta:formatVersion";

// --- Integrity records (seal/integrity.h; written only by seal/, never by callers) ---
inline constexpr std::string_view kIntegrityPrefix = "integrity:";
// The root of the hash tree over every other record, sealed under the data key.
inline constexpr std::string_view kIntegrityRoot = "integrity:root";

// The sequence number in updateLog keys has this many decimal digits (zero-padded), so that
// byte-wise key order is numeric order.
inline constexpr int kUpdateLogDigits = 20;

// certificate / private_key / package / infrastructure / marble / tls / secret /
// previous_secret / activations / monotonic_counter / user return "<prefix><name>". |name| is
// used verbatim (it may itself contain ':').
[[nodiscard]] std::string certificate(std::string_view name);
[[nodiscard]] std::string private_key(std::string_view name);
[[nodiscard]] std::string package(std::string_view name);
[[nodiscard]] std::string infrastructure(std::string_view name);
[[nodiscard]] std::string marble(std::string_view name);
[[nodiscard]] std::string tls(std::string_view tag);
[[nodiscard]] std::string secret(std::string_view name);
[[nodiscard]] std::string previous_secret(std::string_view name);
[[nodiscard]] std::string activations(std::string_view marble_type);
[[nodiscard]] std::string monotonic_counter(std::string_view id);
[[nodiscard]] std::string user(std::string_view name);

// update_log returns "updateLog:" followed by |sequence| as 20 zero-padded decimal digits
// (every uint64 fits), e.g. update_log(7) == "updateLog:00000000000000000007".
[[nodiscard]] std::string update_log(std::uint64_t sequence);

// kIntegrityBucketPrefix starts the key of every integrity bucket.
inline constexpr std::string_view kIntegrityBucketPrefix = "integrity:bucket:";
// integrity_bucket returns "integrity:bucket:<4 hex digits>".
[[nodiscard]] std::string integrity_bucket(std::size_t bucket);
// is_integrity reports whether |key| is an integrity record ("integrity:" prefix).
[[nodiscard]] bool is_integrity(std::string_view key);

// is_meta reports whether |key| is an unsealed meta record ("meta:" prefix).
[[nodiscard]] bool is_meta(std::string_view key);

// strip_prefix returns |key| without |prefix|; |key| must start with |prefix| (asserted).
[[nodiscard]] std::string_view strip_prefix(std::string_view key, std::string_view prefix);

// prefix_end returns the smallest string greater than every string starting with |prefix|, or
// nullopt if there is none ("" or all 0xff bytes): the end of a key range for a prefix scan.
[[nodiscard]] std::optional<std::string> prefix_end(std::string_view prefix);

}  // namespace mr::store::keys
