#include "seal/sealed_store.h"

#include <fmt/format.h>

#include <atomic>
#include <charconv>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>

#include "crypto/cipher.h"
#include "seal/integrity.h"
#include "store/keys.h"

namespace mr::seal {
namespace keys = store::keys;
namespace {

constexpr std::size_t kMinSealedSize = 1 + crypto::kGcmNonceSize + crypto::kGcmTagSize;
constexpr std::size_t kMaxProblemsShown = 10;

bool valid_dek_size(std::size_t n) {
  return n == 16 || n == 24 || n == 32;
}

Error dek_size_error(std::size_t n) {
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("data key has {} bytes, want 16, 24 or 32", n)};
}

Error reserved_key(std::string_view key) {
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("\"{}\" is an integrity record; only the sealed store writes it", key)};
}

}  // namespace

Error integrity_failure(const std::vector<std::string>& problems) {
  std::string msg(kIntegrityFailure);
  for (std::size_t i = 0; i < problems.size() && i < kMaxProblemsShown; ++i) {
    msg += i == 0 ? ": " : "; ";
    msg += problems[i];
  }
  if (problems.size() > kMaxProblemsShown) {
    msg += fmt::format("; and {} more", problems.size() - kMaxProblemsShown);
  }
  return Error{ErrorCode::kDataLoss, std::move(msg)};
}

namespace {

// shown returns |key| for a message: a key the host planted may hold anything, so bytes outside
// printable ASCII are escaped and long keys cut.
std::string shown(std::string_view key) {
  constexpr std::size_t kMaxShown = 120;
  std::string out;
  for (std::size_t i = 0; i < key.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  if (key.size() > kMaxShown) out += fmt::format("...({} bytes)", key.size());
  return out;
}

std::string added(std::string_view key) {
  return fmt::format("record \"{}\" was added", shown(key));
}
std::string removed(std::string_view key) {
  return fmt::format("record \"{}\" was removed", shown(key));
}
std::string differs(std::string_view key) {
  return fmt::format(
      "record \"{}\" differs from the value last committed (changed, replayed or moved)",
      shown(key));
}

// Version is the integrity index of one commit, and the sealed root that commit stored.
struct Version {
  IntegrityIndex index;
  std::uint64_t counter = 0;
  Bytes sealed_root;  // empty for the base of replace(), which no stored root describes
};
using VersionPtr = std::shared_ptr<const Version>;

// check_read compares what a read returned for |key| with the digest committed for it.
Status check_read(std::string_view key, const std::optional<Bytes>& stored,
                  const std::optional<Digest>& expected) {
  if (!stored && !expected) return ok();
  if (!stored) return fail(integrity_failure({removed(key) + " on disk"}));
  if (!expected) return fail(integrity_failure({added(key) + " on disk"}));
  if (record_digest(key, *stored) != *expected) {
    return fail(integrity_failure({differs(key)}));
  }
  return ok();
}

// open_checked turns a checked stored value into the caller's plaintext.
Result<std::optional<Bytes>> open_checked(ByteSpan dek, std::string_view key,
                                          std::optional<Bytes> stored) {
  if (!stored || keys::is_meta(key)) return stored;
  MR_ASSIGN_OR_RETURN(Bytes value, open_record(dek, key, *stored));
  return std::optional<Bytes>(std::move(value));
}

std::optional<Digest> committed(const IntegrityIndex& index, std::string_view key) {
  const Digest* d = index.find(key);
  return d ? std::optional<Digest>(*d) : std::nullopt;
}

// verify_state checks every record read through |raw| against the integrity root sealed under
// |dek| and returns the verified version (defined below).
Result<Version> verify_state(store::ReadTransaction& raw, ByteSpan dek);

}  // namespace

Result<Bytes> seal_record(ByteSpan dek, std::string_view key, ByteSpan value) {
  if (!valid_dek_size(dek.size())) return fail(dek_size_error(dek.size()));
  MR_ASSIGN_OR_RETURN(Bytes body, crypto::aes_gcm_seal_random_nonce(dek, as_bytes(key), value));
  Bytes out;
  out.reserve(1 + body.size());
  out.push_back(kSealedRecordVersion);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Result<Bytes> open_record(ByteSpan dek, std::string_view key, ByteSpan sealed) {
  if (!valid_dek_size(dek.size())) return fail(dek_size_error(dek.size()));
  if (sealed.size() < kMinSealedSize || sealed[0] != kSealedRecordVersion) {
    return failf(ErrorCode::kDataLoss, "record \"{}\" is not a sealed record (version {})", key,
                 sealed.empty() ? 0 : sealed[0]);
  }
  auto plain = crypto::aes_gcm_open_with_nonce(dek, as_bytes(key), sealed.subspan(1));
  if (!plain) {
    return failf(ErrorCode::kDataLoss, "record \"{}\" does not open with the data key", key);
  }
  return Bytes(plain->span().begin(), plain->span().end());
}

struct SealedStore::Shared {
  Shared(store::Store& s, SecretBytes k) : inner(s), dek(std::move(k)) {}
  store::Store& inner;
  const SecretBytes dek;
  // Exclusive while a commit becomes visible in |inner| and in |current| together; shared while
  // a reader pins its snapshot of |inner| and takes |current|, so the two always match.
  mutable std::shared_mutex publish_mu;
  VersionPtr current;  // guarded by publish_mu
  // A commit whose inner commit reported failure may still have become durable (an I/O error
  // after the write, a process that died): until settle() finds out which, its version and the
  // sealed root it wrote wait here. Guarded by publish_mu; |unsettled| mirrors it for a cheap
  // check.
  struct Uncertain {
    VersionPtr version;
    Bytes root;
  };
  std::optional<Uncertain> uncertain;
  std::atomic<bool> unsettled{false};

  VersionPtr version() const {
    std::shared_lock lock(publish_mu);
    return current;
  }

  // settle decides an uncertain commit from the root in the store: ours landed (its version
  // becomes current), or the previous root is still there (nothing changed); anything else is
  // an integrity failure (and stays one until the state is reopened).
  Status settle() {
    if (!unsettled.load()) return ok();
    std::unique_lock lock(publish_mu);
    if (!uncertain) return ok();
    MR_ASSIGN_OR_RETURN(auto raw, inner.begin_read());
    MR_ASSIGN_OR_RETURN(auto stored, raw->get(keys::kIntegrityRoot));
    if (stored && *stored == uncertain->root) {
      current = uncertain->version;
    } else {
      auto plain = stored ? open_record(dek.span(), keys::kIntegrityRoot, *stored)
                          : Result<Bytes>(fail(ErrorCode::kDataLoss, "missing"));
      auto root = plain ? IntegrityIndex::decode_root(*plain)
                        : Result<IntegrityIndex::Root>(fail(plain.error()));
      // The previous root (nothing changed), or on a shared store a later commit of another
      // writer: follow() verifies whichever it is. An older one is a replay.
      if (!root || root->counter < current->counter) {
        return fail(integrity_failure(
            {"the integrity root \"integrity:root\" changed on disk after a commit failed"}));
      }
    }
    uncertain.reset();
    unsettled = false;
    return ok();
  }

  // follow returns the version that describes the state |raw| shows. The current one if its
  // stored root is the one last committed or verified here; otherwise another writer of a
  // shared store committed since (only it holds the data key): the whole state is verified
  // against the stored root, which must have a higher counter (an older or equal one is a
  // replay), and becomes current if it is newer than what this process knows.
  // |known| is the version this process published when |raw| was pinned.
  Result<VersionPtr> follow(store::ReadTransaction& raw, VersionPtr known) {
    MR_ASSIGN_OR_RETURN(auto stored, raw.get(keys::kIntegrityRoot));
    if (stored && *stored == known->sealed_root) return known;
    MR_ASSIGN_OR_RETURN(Version seen, verify_state(raw, dek.span()));
    if (seen.counter <= known->counter) {
      return fail(integrity_failure({fmt::format(
          "the integrity root \"integrity:root\" was replaced by one with commit counter {}, "
          "not after the last one seen ({})",
          seen.counter, known->counter)}));
    }
    auto next = std::make_shared<const Version>(std::move(seen));
    std::unique_lock lock(publish_mu);
    if (next->counter > current->counter) current = next;
    return next;
  }
};

namespace {

class VerifiedReadTransaction final : public store::ReadTransaction {
 public:
  VerifiedReadTransaction(std::shared_ptr<const SealedStore::Shared> shared,
                          std::unique_ptr<store::ReadTransaction> inner, VersionPtr version)
      : shared_(std::move(shared)), inner_(std::move(inner)), version_(std::move(version)) {}

  Result<std::optional<Bytes>> get(std::string_view key) override {
    if (keys::is_integrity(key)) return fail(reserved_key(key));
    MR_ASSIGN_OR_RETURN(auto stored, inner_->get(key));
    MR_RETURN_IF_ERROR(check_read(key, stored, committed(version_->index, key)));
    return open_checked(shared_->dek.span(), key, std::move(stored));
  }

  // list answers from the committed index, not from the (untrusted) storage.
  Result<std::vector<std::string>> list(std::string_view prefix) override {
    return version_->index.keys(prefix);
  }

 private:
  std::shared_ptr<const SealedStore::Shared> shared_;
  std::unique_ptr<store::ReadTransaction> inner_;
  VersionPtr version_;
};

class SealedTransaction final : public store::Transaction {
 public:
  SealedTransaction(std::shared_ptr<SealedStore::Shared> shared,
                    std::unique_ptr<store::Transaction> inner, VersionPtr base, bool force_root)
      : shared_(std::move(shared)),
        inner_(std::move(inner)),
        base_(std::move(base)),
        force_root_(force_root) {}

  Result<std::optional<Bytes>> get(std::string_view key) override {
    MR_RETURN_IF_ERROR(usable(key));
    MR_ASSIGN_OR_RETURN(auto stored, inner_->get(key));
    MR_RETURN_IF_ERROR(check_read(key, stored, expected(key)));
    return open_checked(shared_->dek.span(), key, std::move(stored));
  }

  Result<std::vector<std::string>> list(std::string_view prefix) override {
    if (finished_) return fail(finished_error());
    std::vector<std::string> keys = base_->index.keys(prefix);
    std::set<std::string> view(keys.begin(), keys.end());
    for (auto it = changes_.lower_bound(prefix); it != changes_.end(); ++it) {
      if (!it->first.starts_with(prefix)) break;
      if (it->second) {
        view.insert(it->first);
      } else {
        view.erase(it->first);
      }
    }
    return std::vector<std::string>(view.begin(), view.end());
  }

  Status put(std::string_view key, ByteSpan value) override {
    MR_RETURN_IF_ERROR(usable(key));
    Bytes sealed;
    if (!keys::is_meta(key)) {
      MR_ASSIGN_OR_RETURN(sealed, seal_record(shared_->dek.span(), key, value));
      value = sealed;
    }
    MR_RETURN_IF_ERROR(inner_->put(key, value));
    changes_.insert_or_assign(std::string(key), record_digest(key, value));
    return ok();
  }

  Status erase(std::string_view key) override {
    MR_RETURN_IF_ERROR(usable(key));
    MR_RETURN_IF_ERROR(inner_->erase(key));
    changes_.insert_or_assign(std::string(key), std::nullopt);
    return ok();
  }

  // erase_prefix erases the committed records one by one, so that the integrity records (which
  // a prefix such as "" also matches) stay under the store's control.
  Status erase_prefix(std::string_view prefix) override {
    MR_ASSIGN_OR_RETURN(auto keys, list(prefix));
    for (const auto& key : keys)
      MR_RETURN_IF_ERROR(erase(key));
    return ok();
  }

  Status commit() override {
    if (finished_) return fail(finished_error());
    finished_ = true;
    if (changes_.empty() && !force_root_) return inner_->commit();
    IntegrityIndex::Applied next = base_->index.apply(changes_);
    for (const auto& [key, stored] : next.writes) {
      MR_RETURN_IF_ERROR(stored ? inner_->put(key, *stored) : inner_->erase(key));
    }
    const std::uint64_t counter = base_->counter + 1;
    MR_ASSIGN_OR_RETURN(Bytes root, seal_record(shared_->dek.span(), keys::kIntegrityRoot,
                                                next.index.encode_root(counter)));
    MR_RETURN_IF_ERROR(inner_->put(keys::kIntegrityRoot, root));
    auto version = std::make_shared<const Version>(Version{std::move(next.index), counter, root});
    std::unique_lock lock(shared_->publish_mu);
    if (auto st = inner_->commit(); !st) {
      // kAborted: the store wrote nothing (a conflict with another writer of a shared store).
      if (st.error().code == ErrorCode::kAborted) return st;
      shared_->uncertain = SealedStore::Shared::Uncertain{std::move(version), std::move(root)};
      shared_->unsettled = true;
      return st;
    }
    shared_->current = std::move(version);
    return ok();
  }

 private:
  static Error finished_error() {
    return Error{ErrorCode::kFailedPrecondition, "transaction already committed"};
  }
  Status usable(std::string_view key) const {
    if (finished_) return fail(finished_error());
    if (keys::is_integrity(key)) return fail(reserved_key(key));
    return ok();
  }
  std::optional<Digest> expected(std::string_view key) const {
    auto it = changes_.find(key);
    if (it != changes_.end()) return it->second;
    return committed(base_->index, key);
  }

  std::shared_ptr<SealedStore::Shared> shared_;
  std::unique_ptr<store::Transaction> inner_;
  VersionPtr base_;
  bool force_root_;
  IntegrityIndex::Changes changes_;
  bool finished_ = false;
};

// Problems collects what a verification found.
using Problems = std::vector<std::string>;

// bucket_number returns the bucket an "integrity:bucket:xxxx" key names, if it is one.
std::optional<std::size_t> bucket_number(std::string_view key) {
  if (!key.starts_with(keys::kIntegrityBucketPrefix)) return std::nullopt;
  const std::string_view hex = key.substr(keys::kIntegrityBucketPrefix.size());
  std::size_t b = 0;
  auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), b, 16);
  if (ec != std::errc() || end != hex.data() + hex.size() || b >= IntegrityIndex::kBuckets ||
      keys::integrity_bucket(b) != key) {
    return std::nullopt;
  }
  return b;
}

// verify_integrity_records reads every stored bucket, checks the buckets of each node against
// the root's digest of that node, and returns the index of the buckets that verified; |verified|
// marks them. Problems are appended.
Result<IntegrityIndex> verify_integrity_records(store::ReadTransaction& raw,
                                                const IntegrityIndex::Root& root,
                                                std::vector<bool>& verified, Problems& problems) {
  MR_ASSIGN_OR_RETURN(auto names, raw.list(keys::kIntegrityPrefix));
  std::map<std::size_t, Bytes> stored;
  for (const auto& key : names) {
    if (key == keys::kIntegrityRoot) continue;
    const auto b = bucket_number(key);
    if (!b) {
      problems.push_back(fmt::format("integrity record \"{}\" was added", shown(key)));
      continue;
    }
    MR_ASSIGN_OR_RETURN(auto value, raw.get(key));
    if (value) stored.emplace(*b, std::move(*value));
  }
  IntegrityIndex::Builder builder;
  constexpr std::size_t kPerNode = IntegrityIndex::kBucketsPerNode;
  for (std::size_t n = 0; n < IntegrityIndex::kNodes; ++n) {
    std::array<Digest, kPerNode> digests{};
    for (std::size_t j = 0; j < kPerNode; ++j) {
      auto it = stored.find(n * kPerNode + j);
      if (it != stored.end()) digests[j] = stored_digest(it->second);
    }
    if (IntegrityIndex::hash_node(digests) != root.nodes[n]) {
      problems.push_back(
          fmt::format("integrity records \"{}\" to \"{}\" were changed (one or more of them)",
                      keys::integrity_bucket(n * kPerNode),
                      keys::integrity_bucket(n * kPerNode + kPerNode - 1)));
      continue;
    }
    for (std::size_t j = 0; j < kPerNode; ++j) {
      const std::size_t b = n * kPerNode + j;
      auto it = stored.find(b);
      verified[b] = true;
      if (it == stored.end()) continue;
      auto entries = IntegrityIndex::Builder::decode_bucket(b, it->second);
      if (!entries) {
        problems.push_back(
            fmt::format("integrity record \"{}\" is malformed", keys::integrity_bucket(b)));
        verified[b] = false;
        continue;
      }
      builder.add_bucket(b, std::move(*entries));
    }
  }
  return std::move(builder).build();
}

// verify_state checks every record read through |raw| against the integrity root sealed under
// |dek| and returns the verified version.
Result<Version> verify_state(store::ReadTransaction& raw, ByteSpan dek) {
  MR_ASSIGN_OR_RETURN(auto sealed_root, raw.get(keys::kIntegrityRoot));
  if (!sealed_root) {
    return fail(integrity_failure({"the integrity root \"integrity:root\" is missing"}));
  }
  auto plain_root = open_record(dek, keys::kIntegrityRoot, *sealed_root);
  if (!plain_root) {
    return fail(integrity_failure(
        {"the integrity root \"integrity:root\" does not open with the data key (it was "
         "replaced)"}));
  }
  auto root = IntegrityIndex::decode_root(*plain_root);
  if (!root) return fail(integrity_failure({"the integrity root \"integrity:root\" is malformed"}));

  Problems problems;
  std::vector<bool> verified(IntegrityIndex::kBuckets, false);
  MR_ASSIGN_OR_RETURN(IntegrityIndex index,
                      verify_integrity_records(raw, *root, verified, problems));

  MR_ASSIGN_OR_RETURN(auto stored_keys, raw.list(""));
  std::set<std::string> seen;
  std::size_t unverifiable = 0;
  for (std::size_t i = 0; i < stored_keys.size(); ++i) {
    const std::string& key = stored_keys[i];
    if (i > 0 && stored_keys[i - 1] == key) {
      problems.push_back(fmt::format("record \"{}\" is stored twice", shown(key)));
      continue;
    }
    if (keys::is_integrity(key)) continue;  // checked above
    if (!verified[IntegrityIndex::bucket_of(key)]) {
      ++unverifiable;
      continue;
    }
    const Digest* want = index.find(key);
    if (!want) {
      problems.push_back(added(key));
      continue;
    }
    seen.insert(key);
    MR_ASSIGN_OR_RETURN(auto stored, raw.get(key));
    if (!stored || record_digest(key, *stored) != *want) problems.push_back(differs(key));
  }
  for (const auto& key : index.keys("")) {
    if (!seen.contains(key)) problems.push_back(removed(key));
  }
  if (unverifiable > 0) {
    problems.push_back(
        fmt::format("{} record(s) cannot be checked because their integrity records were changed",
                    unverifiable));
  }
  if (problems.empty() && root->records != index.size()) {
    problems.push_back(fmt::format("the integrity root counts {} records, the index holds {}",
                                   root->records, index.size()));
  }
  if (!problems.empty()) return fail(integrity_failure(problems));
  return Version{std::move(index), root->counter, std::move(*sealed_root)};
}

}  // namespace

SealedStore::SealedStore(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
SealedStore::~SealedStore() = default;

Result<std::unique_ptr<SealedStore>> SealedStore::open(store::Store& inner, SecretBytes dek) {
  if (!valid_dek_size(dek.size())) return fail(dek_size_error(dek.size()));
  MR_ASSIGN_OR_RETURN(auto raw, inner.begin_read());
  MR_ASSIGN_OR_RETURN(Version version, verify_state(*raw, dek.span()));
  auto shared = std::make_shared<Shared>(inner, std::move(dek));
  shared->current = std::make_shared<const Version>(std::move(version));
  return std::unique_ptr<SealedStore>(new SealedStore(std::move(shared)));
}

Result<std::unique_ptr<SealedStore>> SealedStore::replace(
    store::Store& inner, SecretBytes dek, std::uint64_t previous_counter,
    const std::function<Status(store::Transaction&)>& write,
    const std::function<void()>& before_commit, const std::optional<Bytes>& expected_root) {
  if (!valid_dek_size(dek.size())) return fail(dek_size_error(dek.size()));
  auto shared = std::make_shared<Shared>(inner, std::move(dek));
  auto base = std::make_shared<const Version>(Version{IntegrityIndex(), previous_counter, {}});
  shared->current = base;
  MR_ASSIGN_OR_RETURN(auto raw, inner.begin());
  if (expected_root) {
    MR_ASSIGN_OR_RETURN(auto stored, raw->get(keys::kIntegrityRoot));
    if (stored.value_or(Bytes{}) != *expected_root) {
      return fail(ErrorCode::kAborted,
                  "the state changed (another Coordinator sharing the store committed) since "
                  "this one last read it; nothing was written, retry");
    }
  }
  MR_RETURN_IF_ERROR(raw->erase_prefix(""));
  SealedTransaction txn(shared, std::move(raw), base, /*force_root=*/true);
  if (write) MR_RETURN_IF_ERROR(write(txn));
  if (before_commit) before_commit();
  MR_RETURN_IF_ERROR(txn.commit());
  return std::unique_ptr<SealedStore>(new SealedStore(std::move(shared)));
}

Result<std::unique_ptr<store::Transaction>> SealedStore::begin() {
  // Writers of this process are serialised by the inner store. The stored root is read through
  // the transaction: on a store several Coordinators share (etcd), its commit then fails if
  // another one committed meanwhile, and a root other than the one last seen here means another
  // one committed before: its state is verified and becomes the base.
  constexpr int kAttempts = 20;
  for (int attempt = 1;; ++attempt) {
    MR_ASSIGN_OR_RETURN(auto inner, shared_->inner.begin());
    MR_RETURN_IF_ERROR(shared_->settle());
    VersionPtr base = shared_->version();
    MR_ASSIGN_OR_RETURN(auto stored, inner->get(keys::kIntegrityRoot));
    if (stored && *stored == base->sealed_root) {
      return std::unique_ptr<store::Transaction>(std::make_unique<SealedTransaction>(
          shared_, std::move(inner), std::move(base), /*force_root=*/false));
    }
    // Verified through a snapshot, not through |inner|: every key read through the transaction
    // becomes a compare of its commit (etcd bounds them, --max-txn-ops), and the root read above
    // already makes the commit fail if anything changed. A snapshot newer than |inner| means the
    // state moved on while this transaction began: begin again from it.
    MR_ASSIGN_OR_RETURN(auto snapshot, shared_->inner.begin_read());
    MR_ASSIGN_OR_RETURN(base, shared_->follow(*snapshot, base));
    if (stored && *stored == base->sealed_root) {
      return std::unique_ptr<store::Transaction>(std::make_unique<SealedTransaction>(
          shared_, std::move(inner), std::move(base), /*force_root=*/false));
    }
    if (attempt == kAttempts) {
      return fail(ErrorCode::kAborted,
                  "the state kept changing (other Coordinators sharing the store committed) "
                  "while this transaction began; nothing was written, retry");
    }
  }
}

Result<std::unique_ptr<store::ReadTransaction>> SealedStore::begin_read() {
  MR_RETURN_IF_ERROR(shared_->settle());
  std::unique_ptr<store::ReadTransaction> inner;
  VersionPtr known;
  {
    // Pinned together: a commit of this process publishes its version with its inner commit.
    std::shared_lock lock(shared_->publish_mu);
    MR_ASSIGN_OR_RETURN(inner, shared_->inner.begin_read());
    known = shared_->current;
  }
  // The snapshot's own root decides which version checks its reads (see begin()).
  MR_ASSIGN_OR_RETURN(VersionPtr version, shared_->follow(*inner, std::move(known)));
  return std::unique_ptr<store::ReadTransaction>(
      std::make_unique<VerifiedReadTransaction>(shared_, std::move(inner), std::move(version)));
}

std::uint64_t SealedStore::counter() const {
  return shared_->version()->counter;
}

std::size_t SealedStore::records_for_test() const {
  return shared_->version()->index.size();
}

Bytes SealedStore::sealed_root() const {
  return shared_->version()->sealed_root;
}

SecretBytes SealedStore::data_key() const {
  return shared_->dek.clone();
}

Status check_data_key(store::ReadTransaction& raw, ByteSpan dek) {
  if (!valid_dek_size(dek.size())) return fail(dek_size_error(dek.size()));
  MR_ASSIGN_OR_RETURN(std::optional<Bytes> sealed, raw.get(keys::kIntegrityRoot));
  if (!sealed) {
    return fail(ErrorCode::kNotFound, "the store holds no integrity root to test the data key on");
  }
  auto plain = open_record(dek, keys::kIntegrityRoot, *sealed);
  if (!plain && plain.error().code != ErrorCode::kDataLoss) return fail(std::move(plain).error());
  if (!plain) return fail(ErrorCode::kDataLoss, "the data key does not open the sealed state");
  return ok();
}

}  // namespace mr::seal
