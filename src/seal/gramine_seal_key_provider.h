#pragma once
// GramineSealKeyProvider: SGX seal keys as Gramine exposes them, 16-byte files under
// /dev/attestation/keys: "_sgx_mrsigner" (product key) and "_sgx_mrenclave" (unique key).
//
//   seal::GramineSealKeyProvider provider;                       // the real device files
//   seal::GramineSealKeyProvider fake(temp_dir.path());          // tests: fake files

#include <filesystem>
#include <string_view>

#include "seal/seal_key_provider.h"

namespace mr::seal {

class GramineSealKeyProvider final : public SealKeyProvider {
 public:
  static constexpr std::string_view kDefaultRoot = "/dev/attestation/keys";
  static constexpr std::string_view kProductKeyFile = "_sgx_mrsigner";
  static constexpr std::string_view kUniqueKeyFile = "_sgx_mrenclave";
  static constexpr std::size_t kKeySize = 16;

  // GramineSealKeyProvider reads the key files under |root|.
  explicit GramineSealKeyProvider(
      std::filesystem::path root = std::filesystem::path(std::string(kDefaultRoot)));

  // seal_key reads <root>/_sgx_mrsigner (kProductKey) or <root>/_sgx_mrenclave (kUniqueKey).
  // Errors: kFailedPrecondition if the file does not exist (not running under Gramine with SGX)
  // or does not hold exactly 16 bytes; kUnavailable if it cannot be read.
  [[nodiscard]] Result<SecretBytes> seal_key(KeyKind kind) override;
  // source is KeySource::kTee.
  [[nodiscard]] KeySource source() const override { return KeySource::kTee; }

 private:
  std::filesystem::path root_;
};

}  // namespace mr::seal
