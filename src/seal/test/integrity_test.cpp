// IntegrityIndex: the hash tree over a state's records, as a data structure.

#include "seal/integrity.h"

#include <gtest/gtest.h>

#include "store/keys.h"

namespace mr::seal {
namespace {

Digest d(std::string_view value) {
  return record_digest("k", as_bytes(value));
}

TEST(IntegrityIndexTest, EmptyIndexHasZeroDigestsAndAStableRoot) {
  IntegrityIndex index;
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.find("x"), nullptr);
  EXPECT_EQ(index.node_digest(0), Digest{});
  auto root = IntegrityIndex::decode_root(index.encode_root(7));
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->counter, 7u);
  EXPECT_EQ(root->records, 0u);
}

TEST(IntegrityIndexTest, ApplyAddsChangesAndErases) {
  IntegrityIndex index;
  auto a = index.apply({{"secret:a", d("1")}, {"secret:b", d("2")}, {"state", d("3")}});
  EXPECT_EQ(a.index.size(), 3u);
  ASSERT_NE(a.index.find("secret:a"), nullptr);
  EXPECT_EQ(*a.index.find("secret:a"), d("1"));
  EXPECT_EQ(a.index.keys("secret:"), (std::vector<std::string>{"secret:a", "secret:b"}));
  EXPECT_EQ(index.size(), 0u);  // the original is unchanged

  auto b =
      a.index.apply({{"secret:a", d("9")}, {"secret:b", std::nullopt}, {"absent", std::nullopt}});
  EXPECT_EQ(b.index.size(), 2u);
  EXPECT_EQ(*b.index.find("secret:a"), d("9"));
  EXPECT_EQ(b.index.find("secret:b"), nullptr);
  EXPECT_EQ(*a.index.find("secret:a"), d("1"));
}

TEST(IntegrityIndexTest, WritesOnlyTheChangedBucket) {
  IntegrityIndex index;
  IntegrityIndex::Changes many;
  for (int i = 0; i < 100000; ++i)
    many.emplace("updateLog:" + std::to_string(i), d(std::to_string(i)));
  auto big = index.apply(many);
  auto one = big.index.apply({{"updateLog:17", d("changed")}});
  ASSERT_EQ(one.writes.size(), 1u);  // its bucket; the node is only computed
  const std::size_t b = IntegrityIndex::bucket_of("updateLog:17");
  EXPECT_EQ(one.writes[0].first, store::keys::integrity_bucket(b));
  // At 100k records a bucket stays well under SQLite's 1 KB in-page payload limit.
  EXPECT_LT(one.writes[0].second->size(), 1000u);
  EXPECT_NE(one.index.node_digest(IntegrityIndex::node_of(b)),
            big.index.node_digest(IntegrityIndex::node_of(b)));
  for (std::size_t n = 0; n < IntegrityIndex::kNodes; ++n) {
    if (n != IntegrityIndex::node_of(b)) {
      EXPECT_EQ(one.index.node_digest(n), big.index.node_digest(n));
    }
  }
}

TEST(IntegrityIndexTest, EmptiedBucketsAndNodesAreErased) {
  auto a = IntegrityIndex().apply({{"only", d("1")}});
  auto b = a.index.apply({{"only", std::nullopt}});
  ASSERT_EQ(b.writes.size(), 1u);
  EXPECT_FALSE(b.writes[0].second.has_value());
  EXPECT_EQ(b.index.node_digest(IntegrityIndex::node_of(IntegrityIndex::bucket_of("only"))),
            Digest{});
  EXPECT_EQ(b.index.encode_root(1), IntegrityIndex().encode_root(1));
}

TEST(IntegrityIndexTest, BuilderRoundTripsTheStoredForms) {
  auto a = IntegrityIndex().apply({{"x", d("1")}, {"y", d("2")}, {"z", d("3")}});
  IntegrityIndex::Builder builder;
  for (const auto& [key, stored] : a.writes) {
    if (!key.starts_with("integrity:bucket:")) continue;
    const std::size_t b = std::stoul(key.substr(17), nullptr, 16);
    ASSERT_EQ(store::keys::integrity_bucket(b), key);
    EXPECT_EQ(stored_digest(*stored), a.index.bucket_digest(b));
    auto entries = IntegrityIndex::Builder::decode_bucket(b, *stored);
    ASSERT_TRUE(entries.has_value());
    builder.add_bucket(b, std::move(*entries));
  }
  IntegrityIndex rebuilt = std::move(builder).build();
  EXPECT_EQ(rebuilt.encode_root(5), a.index.encode_root(5));
}

TEST(IntegrityIndexTest, MalformedStoredFormsAreRefused) {
  auto a = IntegrityIndex().apply({{"x", d("1")}});
  const std::size_t b = IntegrityIndex::bucket_of("x");
  const Bytes bucket = *a.writes[0].second;
  // Every truncation, and the bucket under the wrong number.
  for (std::size_t len = 0; len < bucket.size(); ++len) {
    EXPECT_FALSE(IntegrityIndex::Builder::decode_bucket(b, ByteSpan(bucket).first(len))) << len;
  }
  EXPECT_FALSE(IntegrityIndex::Builder::decode_bucket((b + 1) % IntegrityIndex::kBuckets, bucket));
  Bytes huge_len = bucket;
  huge_len[9] = 0xff;  // key length
  EXPECT_FALSE(IntegrityIndex::Builder::decode_bucket(b, huge_len));
  EXPECT_FALSE(IntegrityIndex::decode_root(to_bytes("MRIR")));
  Bytes root = a.index.encode_root(1);
  root[4] = 2;  // version
  EXPECT_FALSE(IntegrityIndex::decode_root(root));
}

TEST(IntegrityIndexTest, NodeDigestCoversEveryBucket) {
  std::array<Digest, IntegrityIndex::kBucketsPerNode> digests{};
  EXPECT_EQ(IntegrityIndex::hash_node(digests), Digest{});
  digests[255] = d("x");
  const Digest last = IntegrityIndex::hash_node(digests);
  EXPECT_NE(last, Digest{});
  std::swap(digests[0], digests[255]);
  EXPECT_NE(IntegrityIndex::hash_node(digests), last);  // position matters
}

TEST(IntegrityIndexTest, RecordDigestBindsKeyAndValue) {
  EXPECT_NE(record_digest("ab", as_bytes("c")), record_digest("a", as_bytes("bc")));
  EXPECT_NE(record_digest("a", as_bytes("1")), record_digest("a", as_bytes("2")));
  EXPECT_EQ(record_digest("a", as_bytes("1")), record_digest("a", as_bytes("1")));
}

}  // namespace
}  // namespace mr::seal
