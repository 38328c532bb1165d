#pragma once
// What each state-changing operation makes of the Coordinator's state, as pure functions from
// one Snapshot to the next: SetManifest (spec 5.9), a package update (5.10), applying a full
// manifest update (5.11) and a secret upload (7.5). They generate what must be generated
// (secrets, certificates, the manifest signature) and run the template dry run, and write
// nothing: the Core persists the result with write_snapshot (snapshot.h), so there is one path
// from a manifest to the stored records.
//
//   MR_ASSIGN_OR_RETURN(Snapshot next, initial_state(guard.snapshot(), std::move(m), now));
//   MR_RETURN_IF_ERROR(core.replace_state(guard, std::move(next), std::move(key), log));

#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "core/snapshot.h"
#include "manifest/manifest.h"
#include "manifest/update.h"

namespace mr::core {

// initial_state returns the state SetManifest stores for |m| (parsed and checked) on top of
// |current|'s CA and root secret: state 3, shared secrets, private-secret placeholders,
// user-defined secret definitions, the signature, an empty update log. kInvalidArgument
// "generating secrets from manifest: ..." or "running manifest template dry run: ...".
[[nodiscard]] Result<Snapshot> initial_state(const Snapshot& current, manifest::Manifest m,
                                             UnixTime now);

// with_security_versions returns |current| with the package |changes| applied, a new
// intermediate (and Marble root) certificate, and the shared certificates re-issued by it
// (keeping their expiry). kInternal if key generation fails.
[[nodiscard]] Result<Snapshot> with_security_versions(
    const Snapshot& current, const std::vector<manifest::PackageUpdate>& changes, UnixTime now);

// updated_state returns |current| with the full manifest update |next| applied (the pending
// update dropped): packages, root-secret rotation, a new intermediate, secrets kept, regenerated
// or removed as their definitions say, the new signature. kInvalidArgument "generating secrets
// from manifest: ..." or "running manifest template dry run: ...".
[[nodiscard]] Result<Snapshot> updated_state(const Snapshot& current, manifest::Manifest next,
                                             UnixTime now);

// with_user_secrets returns |current| with the uploaded |values| (already validated against
// their definitions). kInvalidArgument "running manifest template dry run: ...".
[[nodiscard]] Result<Snapshot> with_user_secrets(const Snapshot& current, SecretMap values);

// check_templates runs the template dry run of |m| with |values|, placeholders standing in for
// the secrets |which| names. kInvalidArgument "running manifest template dry run: <first
// error>".
[[nodiscard]] Status check_templates(const manifest::Manifest& m, const SecretMap& values,
                                     manifest::Placeholders which);

}  // namespace mr::core
