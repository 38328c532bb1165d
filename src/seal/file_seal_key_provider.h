#pragma once
// FileSealKeyProvider: the simulation-mode seal key, a file "seal.key" of 32 random bytes in the
// seal directory. It protects nothing against the host (the key sits next to the data); it
// exists so that simulation runs exercise the same sealing and recovery paths as a TEE.
//
//   seal::FileSealKeyProvider provider(config.seal_dir);
//   MR_ASSIGN_OR_RETURN(SecretBytes key, provider.seal_key(seal::KeyKind::kProductKey));

#include <filesystem>
#include <string_view>

#include "seal/seal_key_provider.h"

namespace mr::seal {

class FileSealKeyProvider final : public SealKeyProvider {
 public:
  static constexpr std::string_view kFileName = "seal.key";
  static constexpr std::size_t kKeySize = 32;

  // FileSealKeyProvider uses <seal_dir>/seal.key. Nothing is touched until seal_key().
  explicit FileSealKeyProvider(std::filesystem::path seal_dir);

  // seal_key returns the key in seal.key; |kind| is ignored (both kinds are the same key).
  // If the file is missing it creates |seal_dir| (mode 0700) if needed and the file atomically
  // (mode 0600, fsync'd, never a partial file; a concurrent creator's key wins). Errors:
  //  - kFailedPrecondition: seal.key is not a regular file (e.g. a symlink), its permissions
  //    allow more than owner read/write (mode wider than 0600), or it does not hold exactly 32
  //    bytes. The file is left alone; the operator must fix or remove it.
  //  - kUnavailable: the directory or file cannot be created, opened or read.
  [[nodiscard]] Result<SecretBytes> seal_key(KeyKind kind) override;
  // source is KeySource::kSimulation.
  [[nodiscard]] KeySource source() const override { return KeySource::kSimulation; }

  // path returns <seal_dir>/seal.key.
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  Result<SecretBytes> read_key();
  Result<SecretBytes> create_key();

  std::filesystem::path dir_;
  std::filesystem::path path_;
};

}  // namespace mr::seal
