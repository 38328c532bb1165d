#pragma once
// EtcdPeerRegistry: Coordinators sharing one state in etcd find each other through etcd; no peer
// list is configured.
//
//   MR_ASSIGN_OR_RETURN(auto registry, store::EtcdPeerRegistry::open(*etcd_store));
//   MR_RETURN_IF_ERROR(registry->register_self(my_id, "10.0.0.5:2001"));
//   MR_ASSIGN_OR_RETURN(std::vector<store::Peer> peers, registry->peers());  // me included
//
// Layout: one etcd key per Coordinator, <registry prefix><id>, holding its address ("host:port")
// and attached to an etcd lease of the registration's own (TTL 5 s by default). A thread keeps
// the lease alive (a LeaseKeepAlive round every TTL/3) and, when etcd says the lease is gone
// (expired while etcd was unreachable for longer than the TTL, or revoked), grants a new one and
// puts the key again. deregister() and the destructor revoke the lease, so the entry disappears
// at once; a Coordinator that dies without deregistering disappears after the TTL.
//
// The registry prefix lies OUTSIDE the state's key prefix: SealedStore treats every key under
// the state's prefix as a sealed record, so a registry key inside it would fail its integrity
// checks. By default it is the state's prefix without its trailing '/' plus ".peers/"
// ("/marblerun/" → "/marblerun.peers/"); open() refuses a prefix inside the state's or
// containing it.
//
// Entries are untrusted hints: whoever runs etcd can write any of them. peers() returns only
// entries whose id and address are well-formed and small (see kMaxPeerIdBytes, kMaxAddressBytes)
// and skips the rest; a caller must still authenticate a peer (attestation) before trusting it.

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "store/etcd/etcd_store.h"

namespace mr::store {

// Peer is one registered Coordinator.
struct Peer {
  std::string id;       // as given to register_self
  std::string address;  // "host:port"; host a DNS name, an IPv4 address or a bracketed IPv6 one
  friend bool operator==(const Peer&, const Peer&) = default;
};

// Limits on what is registered and what peers() accepts from etcd.
inline constexpr std::size_t kMaxPeerIdBytes = 128;
inline constexpr std::size_t kMaxAddressBytes = 262;  // "[" 253-byte host "]" ":65535"
inline constexpr int kMaxPeers = 1024;                // peers() reads at most this many entries

struct EtcdPeerRegistryOptions {
  // The etcd key prefix of the registry; empty for the default derived from the store's key
  // prefix (without its trailing '/', plus ".peers/").
  std::string prefix;
  // The lease's time to live: how long a Coordinator that died stays listed. At least 2 s.
  std::chrono::seconds ttl{5};
};

class EtcdPeerRegistry {
 public:
  // open makes a registry on |store|'s etcd connection (|store| may die first). Errors:
  // kInvalidArgument if the prefix cannot be derived (a store prefix without a trailing '/'
  // would contain the default), lies inside the store's key prefix or contains it, or if the
  // TTL is under 2 s.
  [[nodiscard]] static Result<std::unique_ptr<EtcdPeerRegistry>> open(
      const EtcdStore& store, EtcdPeerRegistryOptions options = {});
  // The destructor deregisters (see deregister(); errors are logged).
  ~EtcdPeerRegistry();
  EtcdPeerRegistry(const EtcdPeerRegistry&) = delete;
  EtcdPeerRegistry& operator=(const EtcdPeerRegistry&) = delete;

  // register_self lists this Coordinator as |id| at |address| ("host:port") under a new lease
  // and starts keeping it alive. Another registration with the same id is overwritten.
  // Errors: kInvalidArgument for an id that is empty, over kMaxPeerIdBytes or not made of
  // [A-Za-z0-9._:-], or an address that is not host:port with a port 1-65535 (or too long);
  // kFailedPrecondition if already registered (deregister first); kUnavailable naming the
  // endpoint if etcd does not grant the lease or take the key within the request timeout.
  [[nodiscard]] Status register_self(std::string id, std::string address);
  // deregister stops the keep-alive and revokes the lease, which deletes the entry. Does nothing
  // if not registered. While etcd is down it takes up to about the request timeout. Errors:
  // kUnavailable naming the endpoint if etcd cannot be reached (the entry then disappears after
  // the TTL).
  Status deregister();
  // peers returns every well-formed registered peer, this one included, ordered by id.
  // Malformed entries are skipped (logged at debug level). Errors: kUnavailable naming the
  // endpoint; kInternal for other etcd errors.
  [[nodiscard]] Result<std::vector<Peer>> peers() const;
  // prefix returns the registry's etcd key prefix.
  [[nodiscard]] const std::string& prefix() const { return prefix_; }

  // stop_keepalive_for_test stops renewing the lease and forgets it without revoking it, as if
  // this process had been killed: the entry disappears after the TTL.
  void stop_keepalive_for_test();

  struct Registration;  // one registration's lease and keep-alive thread; in peer_registry.cpp

 private:
  EtcdPeerRegistry(std::shared_ptr<EtcdStore::Shared> shared, std::string prefix,
                   std::chrono::seconds ttl);

  std::shared_ptr<EtcdStore::Shared> shared_;
  const std::string prefix_;
  const std::chrono::seconds ttl_;
  std::mutex mu_;                      // guards reg_ (register, deregister, destructor)
  std::unique_ptr<Registration> reg_;  // null while not registered
};

// valid_peer_address says whether |address| is "host:port" as the registry accepts it: at most
// kMaxAddressBytes, port 1-65535, host a DNS name, an IPv4 address or a bracketed IPv6 address.
[[nodiscard]] bool valid_peer_address(std::string_view address);

}  // namespace mr::store
