#pragma once
// What a Coordinator on a store shared with other Coordinators (etcd) runs next to its Core
// (issue 14, spec 2b and 13):
//  - PeerKeySource: the Core's DataKeySource. It finds the other Coordinators in etcd's peer
//    registry (no peer list is configured) and asks their key servers for the data key over
//    attested mutual TLS (api/grpc/key_server.h), one after the other.
//  - ClusterFollower: runs Core::sync() whenever etcd reports a change of the state (a watch)
//    and at least once a second, so that a manifest, a package update, a secret or a recovery
//    made through one Coordinator is enforced by all of them within a second. Every
//    kAuditInterval it also reads the whole state through the verified store (Core::audit), so a
//    record changed behind the Coordinators' backs is reported without waiting for a reload.
//
//   app::PeerKeySource peers(*registry, *attestation, self_id);
//   deps.peers = &peers;                                      // Core::start asks them at once
//   MR_ASSIGN_OR_RETURN(auto follower, app::ClusterFollower::start(*core, *etcd));

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "attestation/peer_attestation.h"
#include "core/core.h"
#include "core/data_key_source.h"
#include "store/etcd/etcd_store.h"
#include "store/etcd/peer_registry.h"

namespace mr::app {

class PeerKeySource final : public core::DataKeySource {
 public:
  // All borrowed; they must outlive this object. |self_id| is this Coordinator's registry id
  // (skipped when asking).
  PeerKeySource(const store::EtcdPeerRegistry& registry, attestation::PeerAttestation& attestation,
                std::string self_id, std::chrono::milliseconds deadline = std::chrono::seconds(3));
  // fetch asks every registered peer but this one and returns the key handed over with the
  // highest commit counter. kUnavailable listing every peer and why it gave none, or "no other
  // Coordinator is registered" when alone.
  [[nodiscard]] Result<core::PeerKey> fetch() override;

 private:
  const store::EtcdPeerRegistry& registry_;
  attestation::PeerAttestation& attestation_;
  const std::string self_id_;
  const std::chrono::milliseconds deadline_;
};

// kAuditInterval: how often ClusterFollower audits the whole state (one etcd request).
inline constexpr std::chrono::seconds kAuditInterval{10};

class ClusterFollower {
 public:
  // start watches |store| and syncs |core| on every change and every |interval|. Both borrowed;
  // they must outlive the follower. Errors: those of EtcdStore::watch.
  [[nodiscard]] static Result<std::unique_ptr<ClusterFollower>> start(
      core::Core& core, store::EtcdStore& store,
      std::chrono::milliseconds interval = std::chrono::seconds(1));
  // ~ClusterFollower stops the watch and the sync thread.
  ~ClusterFollower();
  ClusterFollower(const ClusterFollower&) = delete;
  ClusterFollower& operator=(const ClusterFollower&) = delete;

 private:
  ClusterFollower(core::Core& core, std::chrono::milliseconds interval);
  void run();
  void notify();

  core::Core& core_;
  const std::chrono::milliseconds interval_;
  std::unique_ptr<store::EtcdWatch> watch_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool changed_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mr::app
