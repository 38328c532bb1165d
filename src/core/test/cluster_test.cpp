// Several Cores sharing one state in a real etcd (issue 14), in one process: each has its own
// seal key (its own machine), gets the data key of a state another one wrote from a peer (here
// asked in-process; the attested key server is tested in api/grpc), follows the others' commits,
// counts activations across all of them, and refuses replayed states.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>

#include "base/testing/fake_clock.h"
#include "base/testing/temp_dir.h"
#include "core/client_api.h"
#include "core/core.h"
#include "crypto/hash.h"
#include "gojson/go_json.h"
#include "seal/file_seal_key_provider.h"
#include "store/etcd/etcd_store.h"
#include "store/etcd/testing/etcd_server.h"
#include "store/keys.h"
#include "store/memory/memory_store.h"
#include "test_keys.h"

namespace mr::core {
namespace {

using ::testing::HasSubstr;
using testing::testdata;

class NoTeeIssuer final : public attestation::QuoteIssuer {
 public:
  Result<Bytes> issue(ByteSpan) override {
    return fail(ErrorCode::kUnimplemented, std::string(attestation::kNoTeeMessage));
  }
};

struct Node;

// The other nodes' data keys, as their key servers would hand them over.
class InProcessPeers final : public DataKeySource {
 public:
  InProcessPeers(std::vector<std::unique_ptr<Node>>& nodes, const Node* self)
      : nodes_(nodes), self_(self) {}
  Result<PeerKey> fetch() override;
  bool enabled = true;
  bool forged = false;  // hand over a key of the host's making instead

 private:
  std::vector<std::unique_ptr<Node>>& nodes_;
  const Node* self_;
};

struct Node {
  std::filesystem::path seal_dir;
  std::unique_ptr<store::EtcdStore> etcd;
  store::MemoryStore memory;
  std::unique_ptr<seal::FileSealKeyProvider> seal_keys;
  std::unique_ptr<InProcessPeers> peers;
  std::unique_ptr<Core> core;
  std::unique_ptr<ClientApi> api;
};

Result<PeerKey> InProcessPeers::fetch() {
  if (!enabled) return fail(ErrorCode::kUnavailable, "peers switched off");
  if (forged) return PeerKey{crypto::random_secret(32), 0};
  std::optional<PeerKey> best;
  for (const auto& n : nodes_) {
    if (n.get() == self_ || !n->core) continue;
    if (auto key = n->core->shared_data_key()) {
      if (!best || n->core->shared_counter() > best->counter)
        best = PeerKey{std::move(*key), n->core->shared_counter()};
    }
  }
  if (best) return std::move(*best);
  return fail(ErrorCode::kUnavailable, "no peer holds the data key");
}

std::string manifest(int max_activations = 0) {
  gojson::Json j = gojson::Json::parse(testdata("../../samples/minimal.json"));
  if (max_activations) j["Marbles"]["app"]["MaxActivations"] = max_activations;
  return j.dump();
}

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto etcd = store::testing::EtcdServer::start();
    ASSERT_TRUE(etcd) << etcd.error().message;
    etcd_ = std::move(*etcd);
    for (int i = 0; i < 3; ++i)
      nodes_.push_back(std::make_unique<Node>());
    for (int i = 0; i < 3; ++i) {
      nodes_[i]->seal_dir = dir_.path() / ("node" + std::to_string(i));
      start(i);
    }
  }
  void TearDown() override {
    for (auto& n : nodes_)
      stop(*n);
  }

  void start(int i) {
    Node& n = *nodes_[i];
    n.seal_keys = std::make_unique<seal::FileSealKeyProvider>(n.seal_dir);
    n.peers = std::make_unique<InProcessPeers>(nodes_, &n);
    auto core = open_core(n);
    ASSERT_TRUE(core) << core.error().message;
    n.core = std::move(*core);
    n.api = std::make_unique<ClientApi>(*n.core);
  }
  // open_core connects |n| to etcd (again) and starts a simulation-mode Core on it with |n|'s
  // seal keys and peers.
  Result<std::unique_ptr<Core>> open_core(Node& n) {
    store::EtcdStoreConfig config;
    config.endpoints = {etcd_->endpoint()};
    auto etcd = store::EtcdStore::open(std::move(config));
    if (!etcd) return tl::unexpected(etcd.error());
    n.etcd = std::move(*etcd);
    CoreDeps deps{&clock_, n.etcd.get(), &n.memory, n.seal_keys.get(), &issuer_, n.peers.get()};
    CoreConfig sim;
    sim.simulation = true;
    return Core::start(deps, sim);
  }
  static void stop(Node& n) {
    n.api.reset();
    n.core.reset();
    n.etcd.reset();
  }
  Core& core(int i) { return *nodes_[i]->core; }
  // add_secret commits a state change through node |i|: one more (empty) secret |name|.
  Status add_secret(int i, const std::string& name,
                    const std::vector<std::string>& log_lines = {}) {
    MR_ASSIGN_OR_RETURN(auto guard, core(i).lock({State::kAcceptingMarbles}));
    Snapshot next = guard.snapshot();
    next.secrets[name] = manifest::Secret{};
    return guard.commit(std::move(next), log_lines);
  }
  // dump_etcd / restore_etcd copy every raw record in etcd, as the host can.
  std::map<std::string, Bytes> dump_etcd() {
    auto raw = *nodes_[0]->etcd->begin_read();
    std::map<std::string, Bytes> out;
    const std::vector<std::string> keys = *raw->list("");
    for (const auto& key : keys)
      out.emplace(key, **raw->get(key));
    return out;
  }
  void restore_etcd(const std::map<std::string, Bytes>& records) {
    auto raw = *nodes_[0]->etcd->begin();
    ASSERT_TRUE(raw->erase_prefix(""));
    for (const auto& [key, value] : records)
      ASSERT_TRUE(raw->put(key, value));
    ASSERT_TRUE(raw->commit());
  }
  State state(int i) { return core(i).snapshot()->state; }

  mr::testing::FakeClock clock_{*parse_rfc3339("2026-11-23T12:00:00Z")};
  NoTeeIssuer issuer_;
  mr::testing::TempDir dir_;
  std::unique_ptr<store::testing::EtcdServer> etcd_;
  std::vector<std::unique_ptr<Node>> nodes_;
};

TEST_F(ClusterTest, AManifestSetThroughOneIsJoinedByTheOthers) {
  ASSERT_TRUE(nodes_[0]->api->set_manifest(manifest()));
  for (int i : {1, 2}) {
    EXPECT_EQ(state(i), State::kAcceptingManifest) << "not synced yet";
    ASSERT_TRUE(core(i).sync());
    ASSERT_EQ(state(i), State::kAcceptingMarbles);
    EXPECT_EQ(core(i).snapshot()->ca->root.der(), core(0).snapshot()->ca->root.der())
        << "one CA for the whole cluster";
    EXPECT_EQ(core(i).snapshot()->manifest->raw(), manifest());
  }
  // Each joined node stored its own sealed copy of the data key.
  auto raw = *nodes_[0]->etcd->begin_read();
  EXPECT_EQ(raw->list(store::keys::kMetaNodeDataKeyPrefix)->size(), 2u);
  // A second manifest through a node that has not synced yet is refused: lock() syncs first.
  auto again = nodes_[0]->api->set_manifest(manifest(5));
  ASSERT_FALSE(again);
  EXPECT_THAT(again.error().message, HasSubstr("not in expected state"));
}

TEST_F(ClusterTest, SetManifestOnTwoFreshNodesAtOnceLetsExactlyOneWin) {
  std::vector<Status> results(3, ok());
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      auto r = nodes_[i]->api->set_manifest(manifest(i + 1));
      results[i] = r ? ok() : Status(tl::unexpected(r.error()));
    });
  }
  for (auto& t : threads)
    t.join();
  int won = 0;
  for (const auto& r : results)
    won += r.has_value() ? 1 : 0;
  EXPECT_EQ(won, 1) << "a replace decided on a stale state must abort";
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(core(i).sync());
    EXPECT_EQ(state(i), State::kAcceptingMarbles);
  }
  EXPECT_EQ(core(0).snapshot()->manifest->raw(), core(1).snapshot()->manifest->raw());
  EXPECT_EQ(core(1).snapshot()->manifest->raw(), core(2).snapshot()->manifest->raw());
}

TEST_F(ClusterTest, ACommitThroughOneNodeIsFollowedByTheOthers) {
  ASSERT_TRUE(nodes_[0]->api->set_manifest(manifest()));
  for (int i : {1, 2})
    ASSERT_TRUE(core(i).sync());
  ASSERT_TRUE(add_secret(1, "planted-by-b", {"a line from B"}));
  for (int i : {0, 2}) {
    EXPECT_FALSE(core(i).snapshot()->secrets.contains("planted-by-b"));
    ASSERT_TRUE(core(i).sync());
    EXPECT_TRUE(core(i).snapshot()->secrets.contains("planted-by-b"));
    EXPECT_EQ(core(i).update_log()->back(), "a line from B");
  }
}

TEST_F(ClusterTest, MaxActivationsHoldsAcrossNodes) {
  constexpr int kMax = 30;
  ASSERT_TRUE(nodes_[0]->api->set_manifest(manifest(kMax)));
  for (int i : {1, 2})
    ASSERT_TRUE(core(i).sync());
  constexpr int kClaims = 60;
  std::mutex mu;
  std::vector<std::uint64_t> counts;
  int denied = 0;
  std::vector<std::string> other;
  std::vector<std::thread> threads;
  for (int t = 0; t < kClaims; ++t) {
    threads.emplace_back([&, t] {
      Core& c = core(t % 3);
      auto r = c.claim_activation(c.snapshot(), "app", kMax);
      std::scoped_lock lock(mu);
      if (r) {
        counts.push_back(*r);
      } else if (r.error().code == ErrorCode::kPermissionDenied) {
        ++denied;
      } else {
        other.push_back(r.error().message);
      }
    });
  }
  for (auto& t : threads)
    t.join();
  ASSERT_TRUE(other.empty()) << other.front();
  std::sort(counts.begin(), counts.end());
  std::vector<std::uint64_t> want(kMax);
  std::iota(want.begin(), want.end(), 1);
  EXPECT_EQ(counts, want) << "every count handed out once, none beyond the limit";
  EXPECT_EQ(denied, kClaims - kMax);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(*core(i).activations("app"), static_cast<std::uint64_t>(kMax));
}

// A state commit on one node while another counts activations: the two touch different
// records, so the state commit is written again on top of the counts instead of failing.
TEST_F(ClusterTest, StateCommitsAreNotRefusedBecauseOfActivationsElsewhere) {
  ASSERT_TRUE(nodes_[0]->api->set_manifest(manifest(100000)));
  ASSERT_TRUE(core(1).sync());
  std::atomic<bool> done{false};
  std::atomic<int> claimed{0};
  std::vector<std::thread> claimers;
  for (int t = 0; t < 4; ++t) {
    claimers.emplace_back([&] {
      while (!done || claimed < 20) {
        auto r = core(0).claim_activation(core(0).snapshot(), "app", 100000);
        if (r) ++claimed;
      }
    });
  }
  for (int i = 0; i < 10; ++i) {
    auto committed = add_secret(1, "s" + std::to_string(i));
    ASSERT_TRUE(committed) << "commit " << i << ": " << committed.error().message;
  }
  done = true;
  for (auto& t : claimers)
    t.join();
  EXPECT_GT(claimed.load(), 0);
  ASSERT_TRUE(core(0).sync());
  EXPECT_TRUE(core(0).snapshot()->secrets.contains("s9"));
  EXPECT_EQ(*core(1).activations("app"), static_cast<std::uint64_t>(claimed.load()));
}

TEST_F(ClusterTest, RestartedNodesRejoinWithTheirOwnSealKeysOrFromAPeer) {
  ASSERT_TRUE(nodes_[0]->api->set_manifest(manifest()));
  for (int i : {1, 2})
    ASSERT_TRUE(core(i).sync());
  const Bytes root = core(0).snapshot()->ca->root.der();
  // All stopped; restarted with no peer to ask: each opens the state with its own seal key.
  for (auto& n : nodes_)
    stop(*n);
  for (int i = 0; i < 3; ++i) {
    nodes_[i]->peers.reset();
    start(i);
    nodes_[i]->peers->enabled = false;
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(state(i), State::kAcceptingMarbles) << "node " << i;
    EXPECT_EQ(core(i).snapshot()->ca->root.der(), root);
  }
  // A node whose seal key is lost (a new machine) gets the key from a peer.
  stop(*nodes_[2]);
  std::filesystem::remove_all(nodes_[2]->seal_dir);
  start(2);
  EXPECT_EQ(state(2), State::kAcceptingMarbles);
  EXPECT_EQ(core(2).snapshot()->ca->root.der(), root);
}

TEST_F(ClusterTest, WithNoKeyAnywhereEveryNodeIsInRecovery) {
  ASSERT_TRUE(nodes_[0]->api->set_manifest(manifest()));
  for (auto& n : nodes_)
    stop(*n);
  for (auto& n : nodes_)
    std::filesystem::remove_all(n->seal_dir);  // every machine lost its seal key
  for (int i = 0; i < 3; ++i)
    start(i);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(state(i), State::kRecovery) << "node " << i;
  // Nobody holds the data key: syncing keeps every node in recovery, serving no key.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(core(i).sync());
    EXPECT_EQ(state(i), State::kRecovery);
    EXPECT_FALSE(core(i).shared_data_key().has_value());
  }
}

// The host replays an older complete state into etcd: every node refuses it at its next sync
// and keeps refusing; none goes back to the older state.
TEST_F(ClusterTest, AReplayedOlderStateIsRefusedByEveryNode) {
  ASSERT_TRUE(nodes_[0]->api->set_manifest(manifest()));
  for (int i : {1, 2})
    ASSERT_TRUE(core(i).sync());
  const std::map<std::string, Bytes> old = dump_etcd();
  ASSERT_TRUE(add_secret(1, "later"));
  for (int i : {0, 2})
    ASSERT_TRUE(core(i).sync());
  restore_etcd(old);
  for (int i = 0; i < 3; ++i) {
    auto s = core(i).sync();
    ASSERT_FALSE(s) << "node " << i << " accepted a replayed state";
    EXPECT_EQ(s.error().code, ErrorCode::kDataLoss);
    EXPECT_THAT(s.error().message, HasSubstr("integrity"));
    EXPECT_TRUE(core(i).snapshot()->secrets.contains("later"));
  }
}

// The host rolls the whole state back and restarts one node: the node opens the old state with
// its own seal key, but a running peer has seen a later commit, so it refuses to start.
TEST_F(ClusterTest, ARestartedNodeRefusesAStateOlderThanItsPeersSaw) {
  ASSERT_TRUE(nodes_[0]->api->set_manifest(manifest()));
  for (int i : {1, 2})
    ASSERT_TRUE(core(i).sync());
  const std::map<std::string, Bytes> old = dump_etcd();
  ASSERT_TRUE(add_secret(1, "later"));
  stop(*nodes_[2]);
  restore_etcd(old);
  Node& n = *nodes_[2];
  auto restarted = open_core(n);
  ASSERT_FALSE(restarted) << "a restarted node served a rolled-back state";
  EXPECT_EQ(restarted.error().code, ErrorCode::kDataLoss);
  EXPECT_THAT(restarted.error().message, HasSubstr("rolled back"));
  // Without a running peer there is nothing to compare with (documented): it starts.
  n.peers->enabled = false;
  auto alone = open_core(n);
  EXPECT_TRUE(alone) << alone.error().message;
}

// A record replayed or removed in etcd while the nodes run: their published state is not
// affected, and an audit reports it at once, naming the record.
TEST_F(ClusterTest, AnAuditFindsARecordChangedBehindTheNodesBacks) {
  ASSERT_TRUE(nodes_[0]->api->set_manifest(manifest()));
  ASSERT_TRUE(core(1).sync());
  Bytes old_root_secret;
  {
    auto raw = *nodes_[0]->etcd->begin_read();
    old_root_secret = **raw->get(store::keys::kRootSecret);
  }
  EXPECT_TRUE(core(0).audit());
  ASSERT_TRUE(add_secret(1, "later"));
  ASSERT_TRUE(core(0).sync());
  ASSERT_TRUE(core(0).audit());
  // The host moves a genuine sealed record under another key (the manifest's), then removes
  // that record.
  auto host = *nodes_[0]->etcd->begin();
  ASSERT_TRUE(host->put(store::keys::kManifest, old_root_secret));
  ASSERT_TRUE(host->commit());
  for (int i : {0, 1}) {
    auto audited = core(i).audit();
    ASSERT_FALSE(audited) << "node " << i;
    EXPECT_EQ(audited.error().code, ErrorCode::kDataLoss);
    EXPECT_THAT(audited.error().message, HasSubstr("manifest"));
    EXPECT_TRUE(core(i).snapshot()->manifest.has_value()) << "the published state is kept";
  }
  host = *nodes_[0]->etcd->begin();
  ASSERT_TRUE(host->erase(store::keys::kManifest));
  ASSERT_TRUE(host->commit());
  auto removed = core(1).audit();
  ASSERT_FALSE(removed);
  EXPECT_THAT(removed.error().message, HasSubstr("manifest"));
}

// A key that does not verify the shared state (a peer lying, or a key server the host put in
// the registry that passed attestation somehow) is never adopted: the node stays in recovery
// and serves no key; the real key still brings it in.
TEST_F(ClusterTest, AKeyThatDoesNotVerifyTheStateIsNeverAdopted) {
  ASSERT_TRUE(nodes_[0]->api->set_manifest(manifest()));
  stop(*nodes_[2]);
  std::filesystem::remove_all(nodes_[2]->seal_dir);  // a new machine: no node copy of its own
  Node& n = *nodes_[2];
  n.peers = std::make_unique<InProcessPeers>(nodes_, &n);
  n.peers->forged = true;
  auto forged = open_core(n);
  ASSERT_TRUE(forged) << forged.error().message;
  n.core = std::move(*forged);
  EXPECT_EQ(state(2), State::kRecovery);
  EXPECT_FALSE(core(2).shared_data_key().has_value());
  ASSERT_TRUE(core(2).sync());
  EXPECT_EQ(state(2), State::kRecovery);
  n.peers->forged = false;
  ASSERT_TRUE(core(2).sync());
  EXPECT_EQ(state(2), State::kAcceptingMarbles);
}

}  // namespace
}  // namespace mr::core
