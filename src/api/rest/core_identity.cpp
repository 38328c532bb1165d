#include "api/rest/core_identity.h"

namespace mr::api::rest {

TlsIdentitySource core_tls_identity(const core::Core& core) {
  return [&core]() -> std::optional<TlsIdentity> {
    const core::SnapshotPtr s = core.snapshot();
    if (!s || !s->ca || s->state == core::State::kUninitialized) return std::nullopt;
    return TlsIdentity{s->ca->root, s->ca->root_key};
  };
}

}  // namespace mr::api::rest
