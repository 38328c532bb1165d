#include "store/etcd/peer_registry.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <string_view>
#include <thread>
#include <utility>

#include "base/listen_address.h"
#include "base/log.h"
#include "store/etcd/etcd_shared.h"

namespace mr::store {

namespace pb = etcdserverpb;

namespace {

const log::Logger kLog("store");

constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{1000};
constexpr std::size_t kMaxHostBytes = 253;

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool valid_peer_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxPeerIdBytes) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
  });
}

}  // namespace

bool valid_peer_address(std::string_view address) {
  if (address.size() > kMaxAddressBytes) return false;
  auto parsed = parse_listen_address(address);
  if (!parsed || parsed->port < 1 || parsed->port > 65535) return false;
  const std::string& host = parsed->host;
  if (host.empty() || host.size() > kMaxHostBytes) return false;
  if (host.find(':') != std::string::npos) {  // IPv6, given in brackets
    return address.front() == '[' &&
           host.find_first_not_of("0123456789abcdefABCDEF:.") == std::string::npos;
  }
  if (host.front() == '-' || host.front() == '.') return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
  });
}

// Registration is one register_self(): its lease and the thread keeping it alive.
struct EtcdPeerRegistry::Registration {
  std::shared_ptr<EtcdStore::Shared> shared;
  std::string key;    // etcd key: registry prefix + id
  std::string value;  // the address
  std::chrono::seconds ttl{};
  std::atomic<std::int64_t> lease{0};  // 0: none granted (or lost)
  etcd_internal::Stopper stopper;
  std::thread thread;

  // call runs |f|(endpoint, context) on the current endpoint once it is connected (waiting at
  // most a second, interruptible by stopper), with the request timeout as deadline.
  template <class F>
  Status call(std::string_view what, F&& f) {
    const std::size_t n = shared->current.load();
    etcd_internal::Endpoint& ep = shared->endpoints[n];
    grpc::Status status;
    if (!stopper.wait_ready(*ep.channel,
                            std::min<std::chrono::milliseconds>(shared->timeout, kMaxBackoff))) {
      status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "not connected");
    } else {
      auto ctx = shared->context();
      if (!stopper.attach(ctx.get())) return fail(ErrorCode::kAborted, "stopped");
      status = f(ep, *ctx);
      stopper.detach();
    }
    if (status.ok()) return ok();
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
        status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      shared->skip_unavailable(n);
    }
    return fail(etcd_internal::to_error(status, ep.url, what, nullptr));
  }

  // acquire grants a lease and puts the key under it.
  Status acquire() {
    pb::LeaseGrantRequest grant;
    grant.set_ttl(ttl.count());
    pb::LeaseGrantResponse granted;
    MR_RETURN_IF_ERROR(call("granting the registry lease", [&](auto& ep, auto& ctx) {
      return ep.lease_stub->LeaseGrant(&ctx, grant, &granted);
    }));
    if (!granted.error().empty() || granted.id() == 0) {
      return failf(ErrorCode::kInternal, "etcd refused the registry lease: {}", granted.error());
    }
    pb::TxnRequest txn;
    pb::PutRequest* put = txn.add_success()->mutable_request_put();
    put->set_key(key);
    put->set_value(value);
    put->set_lease(granted.id());
    pb::TxnResponse resp;
    MR_RETURN_IF_ERROR(
        call("registering", [&](auto& ep, auto& ctx) { return ep.stub->Txn(&ctx, txn, &resp); }));
    lease.store(granted.id());  // an ungranted put leaves the lease to expire
    return ok();
  }

  enum class Renewal { kRenewed, kLost, kFailed };

  // renew sends one keep-alive for the lease on a LeaseKeepAlive stream of its own (each round
  // has the request timeout as deadline, so a hung member cannot stall renewals).
  Renewal renew(std::string& error) {
    pb::LeaseKeepAliveResponse resp;
    Status st = call("renewing the registry lease", [&](auto& ep, auto& ctx) {
      auto rw = ep.lease_stub->LeaseKeepAlive(&ctx);
      pb::LeaseKeepAliveRequest req;
      req.set_id(lease.load());
      const bool answered = rw->Write(req) && rw->WritesDone() && rw->Read(&resp);
      ctx.TryCancel();  // one round per stream; nothing more to read
      pb::LeaseKeepAliveResponse drain;
      while (rw->Read(&drain)) {
      }
      const grpc::Status finished = rw->Finish();
      if (answered) return grpc::Status::OK;
      return finished.ok() || finished.error_code() == grpc::StatusCode::CANCELLED
                 ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "no keep-alive answer")
                 : finished;
    });
    if (!st) {
      error = st.error().message;
      return Renewal::kFailed;
    }
    return resp.ttl() > 0 ? Renewal::kRenewed : Renewal::kLost;
  }

  void run() {
    auto backoff = kFirstBackoff;
    const auto period = std::chrono::duration_cast<std::chrono::milliseconds>(ttl) / 3;
    while (!stopper.stopped()) {
      std::chrono::milliseconds wait = period;
      if (lease.load() == 0) {
        if (Status st = acquire(); !st) {
          if (stopper.stopped()) break;
          kLog.debug("registering this Coordinator in etcd failed; retrying",
                     {{"error", st.error().message}});
          wait = backoff;
        } else {
          kLog.info("registered this Coordinator in etcd again (its lease was lost)",
                    {{"key", key}});
        }
      } else {
        std::string error;
        switch (renew(error)) {
          case Renewal::kRenewed:
            break;
          case Renewal::kLost:
            kLog.warn(
                "the etcd lease of this Coordinator's registration is gone; registering again",
                {{"key", key}});
            lease.store(0);
            continue;
          case Renewal::kFailed:
            if (stopper.stopped()) return;
            kLog.debug("renewing the registry lease failed; retrying", {{"error", error}});
            wait = backoff;
            break;
        }
      }
      if (wait == backoff) {
        backoff = std::min(backoff * 2, kMaxBackoff);
      } else {
        backoff = kFirstBackoff;
      }
      if (!stopper.sleep(wait)) break;
    }
  }

  // stop ends the keep-alive thread (promptly, also while etcd is down).
  void stop() {
    stopper.stop();
    if (thread.joinable()) thread.join();
  }

  // revoke revokes the lease (deleting the key) with one request to the current endpoint.
  Status revoke() {
    const std::int64_t id = lease.exchange(0);
    if (id == 0) return ok();
    const std::size_t n = shared->current.load();
    etcd_internal::Endpoint& ep = shared->endpoints[n];
    shared->connect(ep);
    pb::LeaseRevokeRequest req;
    req.set_id(id);
    pb::LeaseRevokeResponse resp;
    auto ctx = shared->context();
    const grpc::Status status = ep.lease_stub->LeaseRevoke(ctx.get(), req, &resp);
    // NOT_FOUND: the lease expired already, and the key with it.
    if (status.ok() || status.error_code() == grpc::StatusCode::NOT_FOUND) return ok();
    return fail(etcd_internal::to_error(status, ep.url, "deregistering", nullptr));
  }
};

EtcdPeerRegistry::EtcdPeerRegistry(std::shared_ptr<EtcdStore::Shared> shared, std::string prefix,
                                   std::chrono::seconds ttl)
    : shared_(std::move(shared)), prefix_(std::move(prefix)), ttl_(ttl) {}

EtcdPeerRegistry::~EtcdPeerRegistry() {
  if (Status st = deregister(); !st) {
    kLog.warn("deregistering from etcd failed; the entry expires with its lease",
              {{"error", st.error().message}});
  }
}

Result<std::unique_ptr<EtcdPeerRegistry>> EtcdPeerRegistry::open(const EtcdStore& store,
                                                                 EtcdPeerRegistryOptions options) {
  const std::string& state_prefix = store.shared_->prefix;
  std::string prefix = std::move(options.prefix);
  if (prefix.empty()) {
    std::string_view base = state_prefix;
    if (!base.empty() && base.back() == '/') base.remove_suffix(1);
    prefix = std::string(base) + ".peers/";
  }
  if (starts_with(prefix, state_prefix) || starts_with(state_prefix, prefix)) {
    return failf(ErrorCode::kInvalidArgument,
                 "the etcd peer registry prefix \"{}\" overlaps the state's key prefix \"{}\" "
                 "(the state's records and the registry's entries must not share keys); give "
                 "the registry a prefix of its own",
                 prefix, state_prefix);
  }
  if (options.ttl < std::chrono::seconds(2)) {
    return fail(ErrorCode::kInvalidArgument, "the etcd peer registry TTL is under 2 s");
  }
  return std::unique_ptr<EtcdPeerRegistry>(
      new EtcdPeerRegistry(store.shared_, std::move(prefix), options.ttl));
}

Status EtcdPeerRegistry::register_self(std::string id, std::string address) {
  if (!valid_peer_id(id)) {
    return failf(ErrorCode::kInvalidArgument,
                 "peer id is empty, longer than {} bytes or not made of [A-Za-z0-9._:-]",
                 kMaxPeerIdBytes);
  }
  if (!valid_peer_address(address)) {
    return fail(ErrorCode::kInvalidArgument,
                "peer address is not host:port (a DNS name, IPv4 or [IPv6] address, port "
                "1-65535)");
  }
  std::scoped_lock lock(mu_);
  if (reg_) return fail(ErrorCode::kFailedPrecondition, "already registered; deregister first");
  auto reg = std::make_unique<Registration>();
  reg->shared = shared_;
  reg->key = prefix_ + id;
  reg->value = std::move(address);
  reg->ttl = ttl_;
  MR_RETURN_IF_ERROR(reg->acquire());
  Registration* r = reg.get();
  reg->thread = std::thread([r] { r->run(); });
  reg_ = std::move(reg);
  return ok();
}

Status EtcdPeerRegistry::deregister() {
  std::scoped_lock lock(mu_);
  if (!reg_) return ok();
  reg_->stop();
  Status st = reg_->revoke();
  reg_.reset();
  return st;
}

void EtcdPeerRegistry::stop_keepalive_for_test() {
  std::scoped_lock lock(mu_);
  if (!reg_) return;
  reg_->stop();
  reg_.reset();
}

Result<std::vector<Peer>> EtcdPeerRegistry::peers() const {
  pb::RangeRequest req;
  req.set_key(prefix_);
  req.set_range_end(etcd_internal::range_end_of(prefix_));
  req.set_limit(kMaxPeers);
  MR_ASSIGN_OR_RETURN(pb::RangeResponse resp, shared_->range(req, "listing peers"));
  std::vector<Peer> peers;
  int skipped = 0;
  for (const auto& kv : resp.kvs()) {
    std::string_view id = kv.key();
    id.remove_prefix(std::min(prefix_.size(), id.size()));
    if (!starts_with(kv.key(), prefix_) || !valid_peer_id(id) || !valid_peer_address(kv.value())) {
      ++skipped;
      continue;
    }
    peers.push_back(Peer{std::string(id), kv.value()});
  }
  if (skipped > 0) {
    kLog.debug("skipped malformed peer registry entries in etcd",
               {{"prefix", prefix_}, {"count", skipped}});
  }
  if (resp.more()) {
    kLog.warn("the etcd peer registry has more entries than are read",
              {{"prefix", prefix_}, {"limit", kMaxPeers}});
  }
  return peers;
}

}  // namespace mr::store
