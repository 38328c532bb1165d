#include "seal/integrity.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "store/keys.h"

namespace mr::seal {
namespace {

constexpr std::uint8_t kVersion = 1;
constexpr std::string_view kRecordMagic = "MRRD";
constexpr std::string_view kBucketMagic = "MRIB";
constexpr std::string_view kNodeMagic = "MRIN";
constexpr std::string_view kRootMagic = "MRIR";
constexpr std::size_t kHeader = 5;  // magic, version
constexpr std::size_t kRootSize = kHeader + 16 + IntegrityIndex::kNodes * 32;
constexpr Digest kZero{};

void put_u32(Bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put_u64(Bytes& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
std::uint64_t get_le(ByteSpan in, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= static_cast<std::uint64_t>(in[at + i]) << (8 * i);
  return v;
}
void put_header(Bytes& out, std::string_view magic) {
  out.insert(out.end(), magic.begin(), magic.end());
  out.push_back(kVersion);
}
bool has_header(ByteSpan in, std::string_view magic) {
  return in.size() >= kHeader && std::memcmp(in.data(), magic.data(), magic.size()) == 0 &&
         in[4] == kVersion;
}
void put_digest(Bytes& out, const Digest& d) {
  out.insert(out.end(), d.begin(), d.end());
}
Digest get_digest(ByteSpan in, std::size_t at) {
  Digest d;
  std::copy_n(in.begin() + static_cast<std::ptrdiff_t>(at), d.size(), d.begin());
  return d;
}

bool key_less(const IntegrityIndex::Entry& e, std::string_view key) {
  return e.key < key;
}

}  // namespace

// In memory a node holds its bucket digests side by side (hashing a node reads 8 KB in one run)
// and its buckets in 16 groups of 16, so that a commit copies a node, one group and one bucket:
// a few dozen pointers, not 256 reference counts scattered over the heap.
inline constexpr std::size_t kGroupSize = 16;
inline constexpr std::size_t kGroups = IntegrityIndex::kBucketsPerNode / kGroupSize;

struct IntegrityIndex::Bucket {
  std::vector<Entry> entries;  // sorted by key, never empty
};

struct IntegrityIndex::Group {
  std::array<std::shared_ptr<const Bucket>, kGroupSize> buckets;  // null: empty
};

struct IntegrityIndex::Node {
  std::array<Digest, kBucketsPerNode> digests{};             // of each bucket; zeros: empty
  std::array<std::shared_ptr<const Group>, kGroups> groups;  // null: all its buckets empty
  Digest digest{};
  std::size_t buckets = 0;  // non-empty buckets
};

const IntegrityIndex::Bucket* IntegrityIndex::bucket(std::size_t b) const {
  const auto& node = nodes_[node_of(b)];
  if (!node) return nullptr;
  const std::size_t j = b % kBucketsPerNode;
  const auto& group = node->groups[j / kGroupSize];
  return group ? group->buckets[j % kGroupSize].get() : nullptr;
}

namespace {

Bytes encode_bucket(const std::vector<IntegrityIndex::Entry>& entries) {
  Bytes out;
  std::size_t size = kHeader + 4;
  for (const auto& e : entries)
    size += 4 + e.key.size() + 32;
  out.reserve(size);
  put_header(out, kBucketMagic);
  put_u32(out, static_cast<std::uint32_t>(entries.size()));
  for (const auto& e : entries) {
    put_u32(out, static_cast<std::uint32_t>(e.key.size()));
    out.insert(out.end(), e.key.begin(), e.key.end());
    put_digest(out, e.digest);
  }
  return out;
}

}  // namespace

Digest record_digest(std::string_view key, ByteSpan stored) {
  crypto::Sha256 h;
  Bytes prefix(kRecordMagic.begin(), kRecordMagic.end());
  put_u32(prefix, static_cast<std::uint32_t>(key.size()));
  h.update(prefix);
  h.update(as_bytes(key));
  h.update(stored);
  return h.finish();
}

Digest stored_digest(ByteSpan stored) {
  return crypto::sha256(stored);
}

IntegrityIndex::IntegrityIndex() = default;

std::size_t IntegrityIndex::bucket_of(std::string_view key) {
  const Digest d = crypto::sha256(as_bytes(key));
  return ((static_cast<std::size_t>(d[0]) << 6) | (d[1] >> 2)) % kBuckets;
}

Digest IntegrityIndex::hash_node(const std::array<Digest, kBucketsPerNode>& bucket_digests) {
  crypto::Sha256 h;
  Bytes header;
  put_header(header, kNodeMagic);
  h.update(header);
  bool empty = true;
  for (const Digest& d : bucket_digests)
    empty = empty && d == kZero;
  if (empty) return kZero;
  h.update(ByteSpan(bucket_digests.front().data(), bucket_digests.size() * sizeof(Digest)));
  return h.finish();
}

const Digest* IntegrityIndex::find(std::string_view key) const {
  const Bucket* b = bucket(bucket_of(key));
  if (!b) return nullptr;
  auto it = std::lower_bound(b->entries.begin(), b->entries.end(), key, key_less);
  if (it == b->entries.end() || it->key != key) return nullptr;
  return &it->digest;
}

std::vector<std::string> IntegrityIndex::keys(std::string_view prefix) const {
  std::vector<std::string> out;
  for (const auto& node : nodes_) {
    if (!node) continue;
    for (const auto& group : node->groups) {
      if (!group) continue;
      for (const auto& b : group->buckets) {
        if (!b) continue;
        for (const auto& e : b->entries) {
          if (e.key.starts_with(prefix)) out.push_back(e.key);
        }
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

const Digest& IntegrityIndex::node_digest(std::size_t node) const {
  return nodes_[node] ? nodes_[node]->digest : kZero;
}

const Digest& IntegrityIndex::bucket_digest(std::size_t bucket) const {
  const auto& node = nodes_[node_of(bucket)];
  return node ? node->digests[bucket % kBucketsPerNode] : kZero;
}

IntegrityIndex::Applied IntegrityIndex::apply(const Changes& changes) const {
  // Group the changes by bucket (the map is sorted by key, not by bucket).
  std::map<std::size_t, std::vector<const Changes::value_type*>> by_bucket;
  for (const auto& change : changes)
    by_bucket[bucket_of(change.first)].push_back(&change);

  Applied out;
  out.index = *this;
  std::map<std::size_t, std::shared_ptr<Node>> nodes;    // touched node → its new copy
  std::map<std::size_t, std::shared_ptr<Group>> groups;  // touched group (global index) → copy
  for (const auto& [b, list] : by_bucket) {
    const std::size_t n = node_of(b);
    const std::size_t j = b % kBucketsPerNode;
    auto& node = nodes[n];
    if (!node) node = nodes_[n] ? std::make_shared<Node>(*nodes_[n]) : std::make_shared<Node>();
    auto& group = groups[b / kGroupSize];
    if (!group) {
      const auto& old = node->groups[j / kGroupSize];
      group = old ? std::make_shared<Group>(*old) : std::make_shared<Group>();
    }
    auto& slot = group->buckets[j % kGroupSize];
    std::vector<Entry> entries = slot ? slot->entries : std::vector<Entry>{};
    for (const auto* change : list) {
      const std::string& key = change->first;
      auto it = std::lower_bound(entries.begin(), entries.end(), key, key_less);
      const bool present = it != entries.end() && it->key == key;
      if (change->second) {
        if (present) {
          it->digest = *change->second;
        } else {
          entries.insert(it, Entry{key, *change->second});
          ++out.index.size_;
        }
      } else if (present) {
        entries.erase(it);
        --out.index.size_;
      }
    }
    const std::string key = store::keys::integrity_bucket(b);
    if (slot) --node->buckets;
    if (entries.empty()) {
      slot.reset();
      node->digests[j] = kZero;
      out.writes.emplace_back(key, std::nullopt);
    } else {
      Bytes stored = encode_bucket(entries);
      node->digests[j] = stored_digest(stored);
      slot = std::make_shared<const Bucket>(Bucket{std::move(entries)});
      ++node->buckets;
      out.writes.emplace_back(key, std::move(stored));
    }
  }
  for (auto& [g, group] : groups) {
    const bool empty = std::all_of(group->buckets.begin(), group->buckets.end(),
                                   [](const auto& b) { return b == nullptr; });
    nodes[g / kGroups]->groups[g % kGroups] = empty ? nullptr : std::move(group);
  }
  for (auto& [n, node] : nodes) {
    if (node->buckets == 0) {
      out.index.nodes_[n].reset();
      continue;
    }
    node->digest = hash_node(node->digests);
    out.index.nodes_[n] = std::move(node);
  }
  return out;
}

Bytes IntegrityIndex::encode_root(std::uint64_t counter) const {
  Bytes out;
  out.reserve(kRootSize);
  put_header(out, kRootMagic);
  put_u64(out, counter);
  put_u64(out, size_);
  for (std::size_t n = 0; n < kNodes; ++n)
    put_digest(out, node_digest(n));
  return out;
}

Result<IntegrityIndex::Root> IntegrityIndex::decode_root(ByteSpan plain) {
  if (plain.size() != kRootSize || !has_header(plain, kRootMagic)) {
    return fail(ErrorCode::kDataLoss, "the integrity root is malformed");
  }
  Root root;
  root.counter = get_le(plain, kHeader, 8);
  root.records = get_le(plain, kHeader + 8, 8);
  for (std::size_t n = 0; n < kNodes; ++n)
    root.nodes[n] = get_digest(plain, kHeader + 16 + 32 * n);
  return root;
}

// --- Builder ---

IntegrityIndex::Builder::Builder() = default;
IntegrityIndex::Builder::~Builder() = default;

Result<std::vector<IntegrityIndex::Entry>> IntegrityIndex::Builder::decode_bucket(
    std::size_t bucket, ByteSpan stored) {
  auto malformed = [] { return fail(ErrorCode::kDataLoss, "malformed integrity bucket"); };
  if (stored.size() < kHeader + 4 || !has_header(stored, kBucketMagic)) return malformed();
  const std::uint64_t n = get_le(stored, kHeader, 4);
  std::size_t at = kHeader + 4;
  std::vector<Entry> out;
  for (std::uint64_t i = 0; i < n; ++i) {
    if (stored.size() - at < 4) return malformed();
    const std::uint64_t len = get_le(stored, at, 4);
    at += 4;
    if (stored.size() - at < len + 32) return malformed();
    std::string key(reinterpret_cast<const char*>(stored.data() + at), len);
    at += len;
    if (bucket_of(key) != bucket || (!out.empty() && !(out.back().key < key))) return malformed();
    out.push_back(Entry{std::move(key), get_digest(stored, at)});
    at += 32;
  }
  if (at != stored.size() || out.empty()) return malformed();
  return out;
}

void IntegrityIndex::Builder::add_bucket(std::size_t bucket, std::vector<Entry> entries) {
  buckets_[bucket] = std::move(entries);
}

IntegrityIndex IntegrityIndex::Builder::build() && {
  Changes all;
  for (auto& [b, entries] : buckets_) {
    for (auto& e : entries)
      all.emplace(std::move(e.key), e.digest);
  }
  return IntegrityIndex().apply(all).index;
}

}  // namespace mr::seal
