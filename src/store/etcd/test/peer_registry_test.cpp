// EtcdPeerRegistry against a real etcd on loopback: registries seeing each other, deregistration,
// expiry of a registration nobody renews, re-registration after an etcd restart and after the
// host revoked the lease, malformed entries planted by the host, and the registry staying out of
// the state's key range.

#include "store/etcd/peer_registry.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "etcd_kv.grpc.pb.h"
#include "store/etcd/testing/etcd_server.h"
#include "store/records.h"

namespace mr::store::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

std::unique_ptr<EtcdServer> start_etcd() {
  auto server = EtcdServer::start();
  EXPECT_TRUE(server.has_value()) << server.error().message;
  return server ? std::move(*server) : nullptr;
}

std::unique_ptr<EtcdStore> open_store(const EtcdServer& etcd, std::string prefix = "/marblerun/") {
  EtcdStoreConfig config;
  config.endpoints = {etcd.endpoint()};
  config.key_prefix = std::move(prefix);
  config.request_timeout = milliseconds(3000);
  auto store = EtcdStore::open(std::move(config));
  EXPECT_TRUE(store.has_value()) << store.error().message;
  return store ? std::move(*store) : nullptr;
}

std::unique_ptr<EtcdPeerRegistry> open_registry(const EtcdStore& store, seconds ttl = seconds(5)) {
  EtcdPeerRegistryOptions options;
  options.ttl = ttl;
  auto registry = EtcdPeerRegistry::open(store, options);
  EXPECT_TRUE(registry.has_value()) << registry.error().message;
  return registry ? std::move(*registry) : nullptr;
}

std::vector<Peer> peers_of(const EtcdPeerRegistry& registry) {
  auto peers = registry.peers();
  EXPECT_TRUE(peers.has_value()) << peers.error().message;
  return peers ? *peers : std::vector<Peer>{};
}

// wait_until polls |pred| every 50 ms for up to |timeout|.
template <class Pred>
bool wait_until(milliseconds timeout, Pred pred) {
  const auto until = Clock::now() + timeout;
  while (Clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return pred();
}

const Peer kA{"coordinator-a", "10.0.0.1:2001"};
const Peer kB{"coordinator-b", "coordinator-b.example:2001"};

TEST(EtcdPeerRegistryTest, TwoRegistriesSeeEachOtherAndADestroyedOneDisappearsAtOnce) {
  auto etcd = start_etcd();
  ASSERT_TRUE(etcd);
  auto store_a = open_store(*etcd);
  auto store_b = open_store(*etcd);
  ASSERT_TRUE(store_a && store_b);
  auto a = open_registry(*store_a);
  auto b = open_registry(*store_b);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->prefix(), "/marblerun.peers/");
  ASSERT_TRUE(a->register_self(kA.id, kA.address));
  ASSERT_TRUE(b->register_self(kB.id, kB.address));
  EXPECT_EQ(peers_of(*a), (std::vector<Peer>{kA, kB}));
  EXPECT_EQ(peers_of(*b), (std::vector<Peer>{kA, kB}));

  b.reset();
  EXPECT_EQ(peers_of(*a), (std::vector<Peer>{kA}));
  ASSERT_TRUE(a->deregister());
  EXPECT_TRUE(peers_of(*a).empty());
  // Registering again after deregistering works.
  ASSERT_TRUE(a->register_self(kA.id, kA.address));
  EXPECT_EQ(peers_of(*a), (std::vector<Peer>{kA}));
}

TEST(EtcdPeerRegistryTest, AKilledRegistrationDisappearsAfterTheTtlAndALiveOneStays) {
  auto etcd = start_etcd();
  ASSERT_TRUE(etcd);
  auto store = open_store(*etcd);
  ASSERT_TRUE(store);
  auto a = open_registry(*store, seconds(2));
  auto b = open_registry(*store, seconds(2));
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->register_self(kA.id, kA.address));
  ASSERT_TRUE(b->register_self(kB.id, kB.address));
  b->stop_keepalive_for_test();  // as if b's process had been killed
  EXPECT_EQ(peers_of(*a), (std::vector<Peer>{kA, kB}));
  // etcd expires a lease up to ~1 s after its TTL (its expiry check runs every 500 ms).
  EXPECT_TRUE(wait_until(milliseconds(4500), [&] { return peers_of(*a).size() == 1; }));
  // Well past two TTLs, a's keep-alive held its entry.
  std::this_thread::sleep_for(milliseconds(1500));
  EXPECT_EQ(peers_of(*a), (std::vector<Peer>{kA}));
}

TEST(EtcdPeerRegistryTest, StaysRegisteredAcrossAnEtcdRestart) {
  auto etcd = start_etcd();
  ASSERT_TRUE(etcd);
  auto store = open_store(*etcd);
  ASSERT_TRUE(store);
  auto a = open_registry(*store, seconds(2));
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->register_self(kA.id, kA.address));
  etcd->stop();
  std::this_thread::sleep_for(milliseconds(2500));  // longer than the TTL
  ASSERT_TRUE(etcd->restart());
  EXPECT_TRUE(wait_until(milliseconds(3000), [&] { return peers_of(*a).size() == 1; }));
  // And it is kept alive afterwards, past the TTL.
  std::this_thread::sleep_for(milliseconds(3000));
  EXPECT_EQ(peers_of(*a), (std::vector<Peer>{kA}));
}

TEST(EtcdPeerRegistryTest, RegistersAgainWhenTheHostRevokesTheLease) {
  auto etcd = start_etcd();
  ASSERT_TRUE(etcd);
  auto store = open_store(*etcd);
  ASSERT_TRUE(store);
  auto a = open_registry(*store, seconds(3));
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->register_self(kA.id, kA.address));

  // The host, with its own etcd client: find the entry's lease and revoke it.
  const std::string target = etcd->endpoint().substr(std::string("http://").size());
  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  auto kv = etcdserverpb::KV::NewStub(channel);
  auto lease = etcdserverpb::Lease::NewStub(channel);
  etcdserverpb::RangeRequest range;
  range.set_key("/marblerun.peers/" + kA.id);
  etcdserverpb::RangeResponse got;
  grpc::ClientContext range_ctx;
  ASSERT_TRUE(kv->Range(&range_ctx, range, &got).ok());
  ASSERT_EQ(got.kvs_size(), 1);
  ASSERT_NE(got.kvs(0).lease(), 0);
  etcdserverpb::LeaseRevokeRequest revoke;
  revoke.set_id(got.kvs(0).lease());
  etcdserverpb::LeaseRevokeResponse revoked;
  grpc::ClientContext revoke_ctx;
  ASSERT_TRUE(lease->LeaseRevoke(&revoke_ctx, revoke, &revoked).ok());
  EXPECT_TRUE(peers_of(*a).empty());

  // The next keep-alive round (every TTL/3) finds the lease gone and registers again.
  EXPECT_TRUE(wait_until(milliseconds(3000), [&] { return peers_of(*a).size() == 1; }));
  EXPECT_EQ(peers_of(*a), (std::vector<Peer>{kA}));
}

TEST(EtcdPeerRegistryTest, MalformedEntriesPlantedByTheHostAreSkipped) {
  auto etcd = start_etcd();
  ASSERT_TRUE(etcd);
  auto store = open_store(*etcd);
  // The host writes into the registry's range directly (here through a store on that prefix).
  auto host = open_store(*etcd, "/marblerun.peers/");
  ASSERT_TRUE(store && host);
  auto a = open_registry(*store);
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->register_self(kA.id, kA.address));
  auto txn = host->begin();
  ASSERT_TRUE(txn.has_value());
  ASSERT_TRUE(put_string(**txn, "no-port", "10.0.0.2"));
  ASSERT_TRUE(put_string(**txn, "port-zero", "10.0.0.2:0"));
  ASSERT_TRUE(put_string(**txn, "port-too-big", "10.0.0.2:65536"));
  ASSERT_TRUE(put_string(**txn, "space", "evil host:80"));
  ASSERT_TRUE(put_string(**txn, "url", "http://10.0.0.2:80"));
  ASSERT_TRUE(put_string(**txn, "unbracketed-v6", "::1:80"));
  ASSERT_TRUE(put_string(**txn, "nul", std::string("10.0.0.2\0:80", 12)));
  ASSERT_TRUE(put_string(**txn, "huge", std::string(100000, 'a') + ":80"));
  ASSERT_TRUE(put_string(**txn, "bad id!", "10.0.0.2:80"));
  ASSERT_TRUE(put_string(**txn, "nested/id", "10.0.0.2:80"));
  ASSERT_TRUE(put_string(**txn, std::string(kMaxPeerIdBytes + 1, 'x'), "10.0.0.2:80"));
  ASSERT_TRUE(put_string(**txn, "", "10.0.0.2:80"));
  ASSERT_TRUE(put_string(**txn, "v6", "[fd00::2]:2001"));  // well-formed: listed
  ASSERT_TRUE((*txn)->commit());

  EXPECT_EQ(peers_of(*a), (std::vector<Peer>{kA, Peer{"v6", "[fd00::2]:2001"}}));
}

TEST(EtcdPeerRegistryTest, RegistryKeysAreOutsideTheState) {
  auto etcd = start_etcd();
  ASSERT_TRUE(etcd);
  auto store = open_store(*etcd);
  ASSERT_TRUE(store);
  auto a = open_registry(*store);
  ASSERT_TRUE(a);
  ASSERT_TRUE(a->register_self(kA.id, kA.address));
  auto read = store->begin_read();
  ASSERT_TRUE(read.has_value());
  auto keys = (*read)->list("");
  ASSERT_TRUE(keys.has_value());
  EXPECT_TRUE(keys->empty());
}

TEST(EtcdPeerRegistryTest, RefusesAPrefixOverlappingTheState) {
  auto etcd = start_etcd();
  ASSERT_TRUE(etcd);
  // No trailing '/': the default "/mr.peers/" would lie inside "/mr".
  auto no_slash = open_store(*etcd, "/mr");
  auto store = open_store(*etcd);
  ASSERT_TRUE(no_slash && store);
  auto r = EtcdPeerRegistry::open(*no_slash);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  for (const char* prefix : {"/marblerun/peers/", "/", "/marble"}) {
    EtcdPeerRegistryOptions options;
    options.prefix = prefix;
    auto inside = EtcdPeerRegistry::open(*store, options);
    ASSERT_FALSE(inside.has_value()) << prefix;
    EXPECT_EQ(inside.error().code, ErrorCode::kInvalidArgument);
  }
  EtcdPeerRegistryOptions own;
  own.prefix = "/peers-of-marblerun/";
  EXPECT_TRUE(EtcdPeerRegistry::open(*store, own).has_value());
}

TEST(EtcdPeerRegistryTest, RegisterSelfValidatesItsInput) {
  auto etcd = start_etcd();
  ASSERT_TRUE(etcd);
  auto store = open_store(*etcd);
  ASSERT_TRUE(store);
  auto a = open_registry(*store);
  ASSERT_TRUE(a);
  for (const auto& [id, address] : std::vector<std::pair<std::string, std::string>>{
           {"", "10.0.0.1:2001"},
           {"a/b", "10.0.0.1:2001"},
           {std::string(kMaxPeerIdBytes + 1, 'a'), "10.0.0.1:2001"},
           {"a", "10.0.0.1"},
           {"a", "10.0.0.1:0"},
           {"a", ":2001"},
           {"a", "::1:2001"},
           {"a", "host_name:2001"}}) {
    Status st = a->register_self(id, address);
    ASSERT_FALSE(st) << id << " " << address;
    EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_TRUE(peers_of(*a).empty());
  ASSERT_TRUE(a->register_self("a", "[::1]:2001"));
  Status again = a->register_self("b", "10.0.0.1:2001");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(peers_of(*a), (std::vector<Peer>{Peer{"a", "[::1]:2001"}}));
}

}  // namespace
}  // namespace mr::store::testing
