#pragma once
// Sealing the data key (DEK) with the TEE seal key. The DEK encrypts every record of the store
// (sealed_store.h); the sealed DEK is stored unencrypted in "meta:sealedDataKey" (and covered by
// the state's integrity root once the DEK has opened it).
//
//   MR_ASSIGN_OR_RETURN(SecretBytes seal_key, provider.seal_key(KeyKind::kProductKey));
//   MR_ASSIGN_OR_RETURN(Bytes sealed, seal::seal_data_key(seal_key.span(), dek.span(),
//                                                         KeyKind::kProductKey,
//                                                         provider.source()));
//   ...
//   MR_ASSIGN_OR_RETURN(SealedKeyInfo info, seal::inspect_sealed_data_key(sealed));
//   auto dek = seal::unseal_data_key(seal_key.span(), sealed);
//   if (!dek && dek.error().code == ErrorCode::kPermissionDenied) { /* enter recovery mode */ }
//
// Format (version 2):
//   "MRDK" ‖ u8 version=2 ‖ u8 kind (1=ProductKey, 2=UniqueKey) ‖ u8 source (1=TEE,
//   2=simulation) ‖ 16-byte seal key id ‖ 12-byte nonce ‖ AES-256-GCM ciphertext of the DEK ‖
//   16-byte tag
// The first 23 bytes are the associated data, so none of them can be changed without failing
// authentication. The AES-256 wrapping key is HKDF-SHA256(ikm = seal key, salt = "",
// info = "marblerun-cpp seal data key v1"); the seal key id is the first 16 bytes of
// HKDF-SHA256(ikm = seal key, salt = "", info = "marblerun-cpp seal key id v1"). The id tells a
// lost seal key (another machine or enclave identity: recovery is the way out) from a sealed key
// that was modified on disk (tampering: never a reason to enter recovery mode). It reveals nothing
// about the seal key that the ciphertext does not already allow to test.

#include <cstdint>

#include "base/bytes.h"
#include "base/result.h"
#include "seal/seal_key_provider.h"

namespace mr::seal {

inline constexpr std::uint8_t kSealedDataKeyVersion = 2;

// SealedKeyInfo is what a sealed data key says about itself (authenticated only once
// unseal_data_key succeeded, or once the integrity root covering it verified).
struct SealedKeyInfo {
  KeyKind kind = KeyKind::kProductKey;
  KeySource source = KeySource::kTee;
  Bytes key_id;  // the 16-byte seal key id (names a node's sealed copy of a shared data key)
};

// seal_data_key seals |dek| (16, 24 or 32 bytes) under |seal_key| (16 or 32 bytes), recording
// |kind| and |source|. Returns the sealed blob (a fresh random nonce every call).
// kInvalidArgument for bad key sizes.
[[nodiscard]] Result<Bytes> seal_data_key(ByteSpan seal_key, ByteSpan dek, KeyKind kind,
                                          KeySource source);

// inspect_sealed_data_key returns the kind and source recorded in |sealed| (so the caller knows
// which seal key to ask for). kDataLoss if |sealed| is not a sealed data key;
// kFailedPrecondition for another format version.
[[nodiscard]] Result<SealedKeyInfo> inspect_sealed_data_key(ByteSpan sealed);

// unseal_data_key returns the DEK sealed in |sealed| with |seal_key|.
// Errors:
//  - kPermissionDenied: |sealed| was sealed with another seal key (other machine, other enclave
//    identity, seal.key replaced). The Coordinator maps this to "enter recovery mode".
//  - kDataLoss: |sealed| names this seal key but does not open: it was modified, or it is
//    truncated or not a sealed data key. The Coordinator refuses to start.
//  - kFailedPrecondition: written in another format version (refuse to start; do not recover).
//  - kInvalidArgument: |seal_key| has a bad size.
[[nodiscard]] Result<SecretBytes> unseal_data_key(ByteSpan seal_key, ByteSpan sealed);

}  // namespace mr::seal
