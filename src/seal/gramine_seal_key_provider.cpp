#include "seal/gramine_seal_key_provider.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/file_util.h"

namespace mr::seal {

GramineSealKeyProvider::GramineSealKeyProvider(std::filesystem::path root)
    : root_(std::move(root)) {}

Result<SecretBytes> GramineSealKeyProvider::seal_key(KeyKind kind) {
  const std::filesystem::path path =
      root_ / std::string(kind == KeyKind::kProductKey ? kProductKeyFile : kUniqueKeyFile);
  file::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return failf(ErrorCode::kFailedPrecondition,
                   "{} not found: the {} seal key is only available inside a Gramine SGX enclave",
                   path.string(), key_kind_name(kind));
    }
    return fail(file::errno_error("opening", path));
  }
  MR_ASSIGN_OR_RETURN(SecretBytes key, file::read_up_to(fd.get(), kKeySize, path));
  if (key.size() != kKeySize) {
    return failf(ErrorCode::kFailedPrecondition, "{} holds {}{} bytes, want {}", path.string(),
                 key.size() > kKeySize ? "more than " : "", std::min(key.size(), kKeySize),
                 kKeySize);
  }
  return key;
}

}  // namespace mr::seal
