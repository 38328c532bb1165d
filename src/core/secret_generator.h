#pragma once
// Secret generation (spec 7.2, 7.3): shared secrets once per manifest, per-Marble secrets at
// every activation.
//
//   SecretContext ctx{ca, root_secret, clock.now()};
//   MR_ASSIGN_OR_RETURN(auto shared, generate_secrets(m.secrets, std::nullopt, "", ctx));
//   MR_ASSIGN_OR_RETURN(auto mine, generate_secrets(m.secrets, uuid, "backend", ctx));

#include <optional>
#include <string_view>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"
#include "base/uuid.h"
#include "core/ca.h"
#include "manifest/manifest.h"

namespace mr::core {

using SecretMap = manifest::NameMap<manifest::Secret>;

struct SecretContext {
  const CaSet& ca;       // certificates are issued by the Marble root / intermediate key
  ByteSpan root_secret;  // IKM for per-Marble symmetric keys
  UnixTime now;
};

// generate_secrets generates every secret of |definitions| whose Shared flag matches the call
// (|uuid| absent = shared secrets; present = that Marble's private secrets); user-defined
// secrets are skipped. |marble_name| binds per-Marble symmetric keys ("" for placeholders and
// DisableSecretBinding). Errors: the size/type messages of spec 5.7 (kInvalidArgument),
// kInternal if key generation fails.
[[nodiscard]] Result<SecretMap> generate_secrets(const SecretMap& definitions,
                                                 const std::optional<Uuid>& uuid,
                                                 std::string_view marble_name,
                                                 const SecretContext& ctx);

// generate_secret generates one secret from |definition| (whatever its Shared flag).
[[nodiscard]] Result<manifest::Secret> generate_secret(std::string_view name,
                                                       const manifest::Secret& definition,
                                                       const std::optional<Uuid>& uuid,
                                                       std::string_view marble_name,
                                                       const SecretContext& ctx);

// derive_marble_key is the per-Marble symmetric key: HKDF-SHA256(IKM = root secret,
// salt = canonical UUID ‖ secret name, info = marble name, L = bytes).
[[nodiscard]] Result<SecretBytes> derive_marble_key(ByteSpan root_secret, const Uuid& uuid,
                                                    std::string_view secret_name,
                                                    std::string_view marble_name,
                                                    std::size_t bytes);

}  // namespace mr::core
