#pragma once
// IntegrityIndex: the authenticated digest of every record of a sealed state, so that a host who
// owns the storage cannot add, remove, replace, replay or reorder single records unnoticed.
//
//   IntegrityIndex index;                                     // an empty state
//   IntegrityIndex::Changes changes{{"state", record_digest("state", stored)}};
//   IntegrityIndex::Applied next = index.apply(changes);      // shares unchanged buckets
//   for (auto& [key, value] : next.writes) ...                // integrity records to store
//   Bytes root = next.index.encode_root(counter);             // sealed under the data key
//
// Shape: a three-level hash tree keyed by SHA-256 of the record key. 16384 buckets hold the
// (key, digest) pairs of their records, sorted by key, and are stored; 64 nodes hash the digests
// of 256 buckets each and are only computed (in memory, and from the stored buckets when a state
// is verified); the root holds the 64 node digests, a commit counter and the record count, and is
// the only record sealed (AES-GCM under the data key). A commit rewrites the buckets of the
// records it changes and the root, nothing else: its cost does not grow with the size of the
// state beyond the size of a bucket (n / 16384 entries, a few hundred bytes at 100k records, so a
// bucket never spills into SQLite overflow pages). A changed record is named by its bucket; a
// changed bucket only by its node (256 buckets), the price of not storing nodes. Buckets and root
// are ordinary records under "integrity:", so the structure works on any key-value store with
// atomic multi-key commits.
//
// Stored forms (all integers little-endian):
//   record digest  SHA-256("MRRD" ‖ u32 len(key) ‖ key ‖ stored bytes)
//   bucket         "MRIB" ‖ u8 version=1 ‖ u32 n ‖ n × (u32 len(key) ‖ key ‖ 32-byte digest)
//   root           "MRIR" ‖ u8 version=1 ‖ u64 counter ‖ u64 records ‖ 64 × 32-byte node digest
//   node digest    SHA-256("MRIN" ‖ u8 version=1 ‖ 256 × 32-byte bucket digest)
// A bucket digest is SHA-256 of its stored form; an empty bucket is not stored and its digest is
// all zeros, as is the digest of a node whose buckets are all empty.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/hash.h"

namespace mr::seal {

using Digest = crypto::Sha256Digest;

// record_digest returns the digest of the record |key| whose stored bytes are |stored|.
[[nodiscard]] Digest record_digest(std::string_view key, ByteSpan stored);

class IntegrityIndex {
 public:
  static constexpr std::size_t kNodes = 64;
  static constexpr std::size_t kBucketsPerNode = 256;
  static constexpr std::size_t kBuckets = kNodes * kBucketsPerNode;

  struct Entry {
    std::string key;
    Digest digest;
  };
  // Changes maps a key to its new digest, or to nullopt when the record is erased.
  using Changes = std::map<std::string, std::optional<Digest>, std::less<>>;

  // Applied is the index after a set of changes, with the integrity records to write: the key
  // and new stored form of every changed bucket (nullopt: erase it, it became empty).
  struct Applied;

  // Root is the decoded root record.
  struct Root {
    std::uint64_t counter = 0;
    std::uint64_t records = 0;
    std::array<Digest, kNodes> nodes{};
  };

  // IntegrityIndex() is the index of an empty state.
  IntegrityIndex();

  // bucket_of returns the bucket of |key| (the first 14 bits of SHA-256(key)).
  [[nodiscard]] static std::size_t bucket_of(std::string_view key);
  // node_of returns the node that holds bucket |bucket|.
  [[nodiscard]] static std::size_t node_of(std::size_t bucket) { return bucket / kBucketsPerNode; }

  // find returns the digest recorded for |key|, or nullptr if the state holds no such record.
  [[nodiscard]] const Digest* find(std::string_view key) const;
  // keys returns every recorded key starting with |prefix|, in byte-wise order. It visits every
  // entry: O(size()).
  [[nodiscard]] std::vector<std::string> keys(std::string_view prefix) const;
  // size returns the number of records.
  [[nodiscard]] std::size_t size() const { return size_; }

  // apply returns the index with |changes| made (erasing an absent key is not an error). The
  // result shares every unchanged bucket with this index, which stays valid and unchanged.
  [[nodiscard]] Applied apply(const Changes& changes) const;

  // encode_root returns the plaintext root record for this index with |counter|.
  [[nodiscard]] Bytes encode_root(std::uint64_t counter) const;
  // decode_root parses a plaintext root record. kDataLoss if it is malformed.
  [[nodiscard]] static Result<Root> decode_root(ByteSpan plain);

  // node_digest / bucket_digest return the digest of a node or bucket (zeros when empty).
  [[nodiscard]] const Digest& node_digest(std::size_t node) const;
  [[nodiscard]] const Digest& bucket_digest(std::size_t bucket) const;
  // hash_node returns the digest of a node whose buckets have |bucket_digests| (zeros if all
  // of them are zeros).
  [[nodiscard]] static Digest hash_node(const std::array<Digest, kBucketsPerNode>& bucket_digests);

  // Builder assembles an index from stored buckets while they are verified (start-up and
  // recovery).
  class Builder;

 private:
  struct Bucket;
  struct Group;
  struct Node;
  const Bucket* bucket(std::size_t b) const;
  std::array<std::shared_ptr<const Node>, kNodes> nodes_;  // null: empty node
  std::size_t size_ = 0;
};

struct IntegrityIndex::Applied {
  IntegrityIndex index;
  std::vector<std::pair<std::string, std::optional<Bytes>>> writes;
};

// IntegrityIndex::Builder turns verified stored records back into an index.
class IntegrityIndex::Builder {
 public:
  Builder();
  ~Builder();
  // decode_bucket parses a stored bucket record. kDataLoss if malformed, unsorted or if an entry
  // does not belong in bucket |bucket|.
  [[nodiscard]] static Result<std::vector<Entry>> decode_bucket(std::size_t bucket,
                                                                ByteSpan stored);
  // add_bucket records the (verified) entries of |bucket|.
  void add_bucket(std::size_t bucket, std::vector<Entry> entries);
  // build returns the index of every added bucket.
  [[nodiscard]] IntegrityIndex build() &&;

 private:
  std::map<std::size_t, std::vector<Entry>> buckets_;
};

// stored_digest returns the digest of a stored bucket record (SHA-256 of its bytes).
[[nodiscard]] Digest stored_digest(ByteSpan stored);

}  // namespace mr::seal
