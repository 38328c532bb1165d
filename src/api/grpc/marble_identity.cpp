#include "api/grpc/marble_identity.h"

namespace mr::api::grpc {

MarbleIdentitySource core_marble_identity(const core::Core& core) {
  return [&core]() -> std::optional<MarbleTlsIdentity> {
    const core::SnapshotPtr s = core.snapshot();
    if (!s || !s->ca || s->state == core::State::kUninitialized) return std::nullopt;
    return MarbleTlsIdentity{s->ca->marble_root, s->ca->intermediate_key, {s->ca->intermediate}};
  };
}

}  // namespace mr::api::grpc
