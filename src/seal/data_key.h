#pragma once
// Sealing the data key (DEK) with the TEE seal key. The DEK encrypts every record of the store
// (sealed_transaction.h); the sealed DEK is stored unencrypted in "meta:sealedDataKey".
//
//   MR_ASSIGN_OR_RETURN(SecretBytes seal_key, provider.seal_key(KeyKind::kProductKey));
//   MR_ASSIGN_OR_RETURN(Bytes sealed, seal::seal_data_key(seal_key.span(), dek.span(),
//                                                         KeyKind::kProductKey));
//   ...
//   MR_ASSIGN_OR_RETURN(KeyKind kind, seal::sealed_data_key_kind(sealed));
//   auto dek = seal::unseal_data_key(seal_key.span(), sealed);
//   if (!dek && dek.error().code == ErrorCode::kDataLoss) { /* enter recovery mode */ }
//
// Format (version 1):
//   "MRDK" ‖ u8 version=1 ‖ u8 kind (1=ProductKey, 2=UniqueKey) ‖ 12-byte nonce ‖ AES-256-GCM
//   ciphertext of the DEK ‖ 16-byte tag
// The first 6 bytes (magic, version, kind) are the associated data, so neither the version nor
// the kind can be changed without failing authentication. The AES-256 wrapping key is
// HKDF-SHA256(ikm = seal key, salt = "", info = "marblerun-cpp seal data key v1"), which turns
// 16-byte SGX/Gramine seal keys into 32-byte keys and separates this use from any other.

#include <cstdint>

#include "base/bytes.h"
#include "base/result.h"
#include "seal/seal_key_provider.h"

namespace mr::seal {

inline constexpr std::uint8_t kSealedDataKeyVersion = 1;

// seal_data_key seals |dek| (16, 24 or 32 bytes) under |seal_key| (16 or 32 bytes), recording
// |kind|. Returns the sealed blob (a fresh random nonce every call). kInvalidArgument for bad
// key sizes.
[[nodiscard]] Result<Bytes> seal_data_key(ByteSpan seal_key, ByteSpan dek, KeyKind kind);

// sealed_data_key_kind returns the key kind recorded in |sealed| (not authenticated until
// unseal_data_key succeeds), so the caller knows which seal key to ask for.
// kDataLoss if |sealed| is not a sealed data key; kFailedPrecondition for a newer version.
[[nodiscard]] Result<KeyKind> sealed_data_key_kind(ByteSpan sealed);

// unseal_data_key returns the DEK sealed in |sealed| with |seal_key|.
// Errors:
//  - kDataLoss: |sealed| does not open with |seal_key| (the seal key changed: other machine,
//    other enclave identity, seal.key replaced), or it is truncated, not a sealed data key or
//    tampered with. The Coordinator maps this to "enter recovery mode".
//  - kFailedPrecondition: written by a newer format version (refuse to start; do not recover).
//  - kInvalidArgument: |seal_key| has a bad size.
[[nodiscard]] Result<SecretBytes> unseal_data_key(ByteSpan seal_key, ByteSpan sealed);

}  // namespace mr::seal
