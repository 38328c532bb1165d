#pragma once
// Snapshot: an immutable view of the Coordinator's state, and its persisted form. This module is
// the one owner of the state's records (spec 9.4): write_snapshot turns a state into records (or
// only the records that differ from the previous state), load_snapshot reads them back, and the
// history records (update log, activation counters) are written and read here too. Only the
// meta records (how to obtain the data key) are written elsewhere, by LiveStore.
//
//   Snapshot next = *core.snapshot();                     // typed, copied
//   next.pending.reset();
//   MR_RETURN_IF_ERROR(write_snapshot(txn, &current, next));   // only what changed
//   MR_ASSIGN_OR_RETURN(Snapshot again, load_snapshot(read_txn)); // == next, records-wise
//
// Readers (activation, GET endpoints, TLS handshakes) use the published snapshot without the write
// lock; only the update log and activation counters are read from the store.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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

// kRootSecretSize is the size of the root secret (and of a rotated one).
inline constexpr std::size_t kRootSecretSize = 32;

struct Snapshot {
  State state = State::kUninitialized;
  std::optional<CaSet> ca;
  std::shared_ptr<const SecretBytes> root_secret;
  std::shared_ptr<const SecretBytes> previous_root_secret;  // == root_secret unless rotated
  std::optional<manifest::Manifest> manifest;  // the last manifest set (raw bytes inside)
  Bytes manifest_signature;                    // ECDSA (root key) over SHA-256(raw manifest)
  manifest::NameMap<manifest::PackageProperties> packages;  // with updated SecurityVersions
  SecretMap secrets;                     // shared values, user-defined values, private placeholders
  SecretMap previous_secrets;            // the previous generation (spec 7.6)
  std::optional<PendingUpdate> pending;  // a multi-party update awaiting acknowledgements
  std::uint64_t update_log_length = 0;   // lines in the update log (records 0 .. length-1)
  // keys::kGeneration: new random bytes with every commit that changes this state (empty before
  // the first); Coordinators sharing a store reload when the stored one differs from theirs.
  Bytes generation;

  // Derived from the manifest (derive()), not stored:
  std::map<std::string, manifest::ParameterTemplates, std::less<>> templates;  // per Marble type
  UserMap users;
  // Not stored: set by the Core.
  Bytes quote;              // the Coordinator's quote over the root certificate; empty = none
  bool simulation = false;  // no TEE: quotes are empty and Marble quotes are not checked
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

// derive compiles |s.manifest|'s templates and builds its users (both empty without a
// manifest). kInvalidArgument for templates that do not parse or certificates that do not.
[[nodiscard]] Status derive(Snapshot& s);

// load_snapshot reads every record of the state from |txn| and derives the rest (quote and
// simulation are left default). kDataLoss for missing or corrupt records.
[[nodiscard]] Result<Snapshot> load_snapshot(store::ReadTransaction& txn);

// write_snapshot writes the records of |next| that differ from |prev|, erasing those |next| no
// longer has; with |prev| null it writes every record (into an empty transaction). The update log
// and counters are not part of it (append_update_log, write_activations).
[[nodiscard]] Status write_snapshot(store::Transaction& txn, const Snapshot* prev,
                                    const Snapshot& next);

// append_update_log stores |lines| as update log records |first|, |first|+1, ...
[[nodiscard]] Status append_update_log(store::Transaction& txn, std::uint64_t first,
                                       const std::vector<std::string>& lines);
// read_update_log returns update log lines 0 .. |length|-1. kDataLoss if one is missing.
[[nodiscard]] Result<std::vector<std::string>> read_update_log(store::ReadTransaction& txn,
                                                               std::uint64_t length);

// read_activations returns how many activations of |marble_type| were counted (0 if none).
// kDataLoss if the record is corrupt.
[[nodiscard]] Result<std::uint64_t> read_activations(store::ReadTransaction& txn,
                                                     std::string_view marble_type);
// write_activations stores the count of |marble_type|.
[[nodiscard]] Status write_activations(store::Transaction& txn, std::string_view marble_type,
                                       std::uint64_t count);

// read_monotonic_counter returns the value of the monotonic counter |id| (0 if unset; spec 9.4:
// 8 bytes little-endian). kDataLoss if the record is not 8 bytes long.
[[nodiscard]] Result<std::uint64_t> read_monotonic_counter(store::ReadTransaction& txn,
                                                           std::string_view id);
// write_monotonic_counter stores |value| as the monotonic counter |id|.
[[nodiscard]] Status write_monotonic_counter(store::Transaction& txn, std::string_view id,
                                             std::uint64_t value);

// copy_history copies the update log and every counter from |from| to |to| (a state rewritten
// under a new data key keeps its history).
[[nodiscard]] Status copy_history(store::ReadTransaction& from, store::Transaction& to);

}  // namespace mr::core
