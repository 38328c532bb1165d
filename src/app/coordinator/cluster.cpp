#include "app/coordinator/cluster.h"

#include <fmt/format.h>

#include <optional>
#include <vector>

#include "api/grpc/key_server.h"
#include "base/log.h"
#include "base/strings.h"

namespace mr::app {
namespace {

const log::Logger kLog("cluster");

}  // namespace

PeerKeySource::PeerKeySource(const store::EtcdPeerRegistry& registry,
                             attestation::PeerAttestation& attestation, std::string self_id,
                             std::chrono::milliseconds deadline)
    : registry_(registry),
      attestation_(attestation),
      self_id_(std::move(self_id)),
      deadline_(deadline) {}

Result<core::PeerKey> PeerKeySource::fetch() {
  MR_ASSIGN_OR_RETURN(std::vector<store::Peer> peers,
                      registry_.peers().map_error(Wrap("listing the other Coordinators in etcd")));
  std::vector<std::string> reasons;
  std::optional<core::PeerKey> best;
  for (const store::Peer& peer : peers) {
    if (peer.id == self_id_) continue;
    auto key = api::grpc::fetch_key(peer.address, attestation_, deadline_);
    if (key) {
      kLog.info("received the data key from another Coordinator",
                {{"peer", peer.address}, {"commit", key->commit_counter}});
      // Every running peer is asked: the newest commit any of them saw is what the store must
      // hold at least (one that has not followed the latest commit yet reports less).
      if (!best || key->commit_counter > best->counter) {
        best = core::PeerKey{std::move(key->key), key->commit_counter};
      }
      continue;
    }
    reasons.push_back(key.error().message);
    // An attested peer that refuses us, or one that fails our attestation, is worth a line
    // of its own: it is either a misconfiguration or an attack.
    if (key.error().code == ErrorCode::kPermissionDenied) {
      kLog.warn("key exchange with another Coordinator refused",
                {{"peer", peer.address}, {"reason", key.error().message}});
    }
  }
  if (best) return std::move(*best);
  if (reasons.empty()) {
    return fail(ErrorCode::kUnavailable, "no other Coordinator is registered in etcd");
  }
  return fail(ErrorCode::kUnavailable,
              "no other Coordinator handed over the data key: " + join(reasons, "; "));
}

ClusterFollower::ClusterFollower(core::Core& core, std::chrono::milliseconds interval)
    : core_(core), interval_(interval) {}

Result<std::unique_ptr<ClusterFollower>> ClusterFollower::start(
    core::Core& core, store::EtcdStore& store, std::chrono::milliseconds interval) {
  std::unique_ptr<ClusterFollower> f(new ClusterFollower(core, interval));
  ClusterFollower* raw = f.get();
  MR_ASSIGN_OR_RETURN(f->watch_, store.watch("", [raw] { raw->notify(); }));
  f->thread_ = std::thread([raw] { raw->run(); });
  return f;
}

ClusterFollower::~ClusterFollower() {
  watch_.reset();  // no notify() after this
  {
    std::scoped_lock lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ClusterFollower::notify() {
  {
    std::scoped_lock lock(mu_);
    changed_ = true;
  }
  cv_.notify_all();
}

void ClusterFollower::run() {
  std::string last_error;
  std::string last_audit_error;
  auto next_audit = std::chrono::steady_clock::now() + kAuditInterval;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, interval_, [this] { return changed_ || stopping_; });
    if (stopping_) break;
    changed_ = false;
    lock.unlock();
    auto synced = core_.sync();
    // One line per distinct problem and one when it is over, not one a second.
    if (!synced && synced.error().message != last_error) {
      last_error = synced.error().message;
      kLog.warn("cannot follow the shared state", {{"error", last_error}});
    } else if (synced && !last_error.empty()) {
      last_error.clear();
      kLog.info("following the shared state again");
    }
    if (synced && std::chrono::steady_clock::now() >= next_audit) {
      next_audit = std::chrono::steady_clock::now() + kAuditInterval;
      auto audited = core_.audit();
      if (!audited && audited.error().message != last_audit_error) {
        last_audit_error = audited.error().message;
        kLog.error("the shared state in etcd was changed behind the Coordinators' backs",
                   {{"error", last_audit_error}});
      } else if (audited && !last_audit_error.empty()) {
        last_audit_error.clear();
        kLog.info("the shared state in etcd verifies again");
      }
    }
    lock.lock();
  }
}

}  // namespace mr::app
