#pragma once
// Snapshot: an immutable view of the Coordinator's state, rebuilt from the store after every
// commit and published atomically. Readers (activation, GET endpoints, TLS handshakes) never
// touch the store or take the write lock.

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "core/ca.h"
#include "core/pending_update.h"
#include "core/secret_generator.h"
#include "core/state.h"
#include "core/users.h"
#include "manifest/dry_run.h"
#include "manifest/manifest.h"
#include "store/store.h"

namespace mr::core {

struct Snapshot {
  State state = State::kUninitialized;
  std::optional<CaSet> ca;
  std::shared_ptr<const SecretBytes> root_secret;
  std::shared_ptr<const SecretBytes> previous_root_secret;  // == root_secret unless rotated
  std::optional<manifest::Manifest> manifest;  // the last manifest set (raw bytes inside)
  Bytes manifest_signature;                    // ECDSA (root key) over SHA-256(raw manifest)
  manifest::NameMap<manifest::PackageProperties> packages;  // with updated SecurityVersions
  SecretMap secrets;           // shared values, user-defined values, private placeholders
  SecretMap previous_secrets;  // the previous generation (spec 7.6)
  std::map<std::string, manifest::ParameterTemplates, std::less<>> templates;  // per Marble type
  UserMap users;                                                               // from the manifest
  std::optional<PendingUpdate> pending;  // a multi-party update awaiting acknowledgements
  Bytes quote;              // the Coordinator's quote over the root certificate; empty = none
  bool simulation = false;  // no TEE: quotes are empty and Marble quotes are not checked
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

// load_snapshot reads every record of the state from |txn| (fields other than the stored ones
// — quote, simulation — are left default). kDataLoss for corrupt records.
[[nodiscard]] Result<Snapshot> load_snapshot(store::ReadTransaction& txn);

// write_ca / write_secrets store the corresponding records into |txn|.
[[nodiscard]] Status write_ca(store::Transaction& txn, const CaSet& ca);
[[nodiscard]] Status write_secrets(store::Transaction& txn, std::string_view prefix,
                                   const SecretMap& secrets);

}  // namespace mr::core
