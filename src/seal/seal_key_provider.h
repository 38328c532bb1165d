#pragma once
// SealKeyProvider: where the TEE's sealing key comes from. Implementations only fetch the key;
// what it protects (the data key) is decided in data_key.h, and which kind to use (the manifest's
// SealMode) is decided by the Coordinator.
//
//   seal::FileSealKeyProvider provider(seal_dir);                 // simulation
//   MR_ASSIGN_OR_RETURN(SecretBytes key, provider.seal_key(seal::KeyKind::kProductKey));

#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace mr::seal {

// KeyKind selects the TEE sealing key. (SealMode Disabled has no key and is handled by the
// Coordinator, which then does not persist state.)
enum class KeyKind {
  kProductKey,  // bound to the signer and product (SGX MRSIGNER + ISVPRODID): survives updates
  kUniqueKey,   // bound to the exact enclave measurement (SGX MRENCLAVE)
};

// KeySource tells where a seal key comes from. It is recorded (authenticated) with the sealed
// data key, so that a state sealed in a TEE is never opened or recovered by a Coordinator in
// simulation mode, nor the reverse.
enum class KeySource {
  kTee,         // the TEE's sealing key (e.g. Gramine's /dev/attestation/keys)
  kSimulation,  // a plain file on the host (development only)
};

// key_source_name returns "TEE" or "simulation".
[[nodiscard]] std::string_view key_source_name(KeySource source);

// key_kind_name returns "ProductKey" or "UniqueKey" (the manifest's SealMode spelling).
[[nodiscard]] std::string_view key_kind_name(KeyKind kind);

class SealKeyProvider {
 public:
  virtual ~SealKeyProvider() = default;
  // seal_key returns the sealing key of |kind| (16 or 32 bytes; the caller owns the copy). The
  // same platform and identity always yield the same key. Errors: kFailedPrecondition when the
  // key source is missing or misconfigured (the message says what to fix), kUnavailable on I/O
  // errors.
  [[nodiscard]] virtual Result<SecretBytes> seal_key(KeyKind kind) = 0;
  // source tells whether the keys come from a TEE or from a plain file.
  [[nodiscard]] virtual KeySource source() const = 0;
};

}  // namespace mr::seal
