#pragma once
// Internal to store/etcd (never included outside it): EtcdStore::Shared, the gRPC channels to the
// etcd members that the store, its watches (etcd_watch.cpp) and the peer registry
// (peer_registry.cpp) share, and the gRPC-to-Error mapping.

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "etcd_kv.grpc.pb.h"
#include "store/etcd/etcd_store.h"

namespace mr::store {

namespace etcd_internal {

namespace pb = etcdserverpb;

// Endpoint is one etcd member: its URL as configured (for messages) and a channel to it.
struct Endpoint {
  std::string url;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<pb::KV::Stub> stub;
  std::unique_ptr<pb::Watch::Stub> watch_stub;  // EtcdWatch
  std::unique_ptr<pb::Lease::Stub> lease_stub;  // EtcdPeerRegistry
};

// range_end_of returns etcd's range_end for every key starting with |prefix| ("\0" means "no
// upper bound" to etcd).
std::string range_end_of(std::string_view prefix);

// to_error turns a failed gRPC call to |endpoint| into the store's error. |what| says what was
// being done ("reading", "committing"). Messages carry etcd's message, never a value.
Error to_error(const grpc::Status& status, const std::string& endpoint, std::string_view what,
               const pb::TxnRequest* txn);

// Stopper lets another thread interrupt a background thread's sleeps and gRPC calls (EtcdWatch,
// EtcdPeerRegistry): stop() wakes sleep() and cancels the call attached, so the thread ends
// within milliseconds even while etcd is down. Thread-safe.
class Stopper {
 public:
  // stop marks this stopped and cancels the attached call. Idempotent.
  void stop() {
    std::scoped_lock lock(mu_);
    stopped_ = true;
    if (active_ != nullptr) active_->TryCancel();
    cv_.notify_all();
  }
  [[nodiscard]] bool stopped() const {
    std::scoped_lock lock(mu_);
    return stopped_;
  }
  // sleep waits |d| or until stop(); false if stopped.
  [[nodiscard]] bool sleep(std::chrono::milliseconds d) {
    std::unique_lock lock(mu_);
    return !cv_.wait_for(lock, d, [&] { return stopped_; });
  }
  // attach makes |ctx| the call stop() cancels; false (do not start the call) if stopped.
  [[nodiscard]] bool attach(grpc::ClientContext* ctx) {
    std::scoped_lock lock(mu_);
    if (stopped_) return false;
    active_ = ctx;
    return true;
  }
  // detach forgets the attached call; call it before the context dies.
  void detach() {
    std::scoped_lock lock(mu_);
    active_ = nullptr;
  }
  // wait_ready asks |channel| to connect and waits up to |max| for it to be ready, checking for
  // stop() every 50 ms (gRPC's WaitForConnected cannot be interrupted). True if ready.
  [[nodiscard]] bool wait_ready(grpc::Channel& channel, std::chrono::milliseconds max) {
    const auto until = std::chrono::steady_clock::now() + max;
    for (;;) {
      const grpc_connectivity_state state = channel.GetState(/*try_to_connect=*/true);
      if (state == GRPC_CHANNEL_READY) return true;
      if (stopped() || std::chrono::steady_clock::now() >= until) return false;
      (void)channel.WaitForStateChange(
          state, std::chrono::system_clock::now() + std::chrono::milliseconds(50));
    }
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;                   // guarded by mu_
  grpc::ClientContext* active_ = nullptr;  // guarded by mu_
};

}  // namespace etcd_internal

struct EtcdStore::Shared {
  using Endpoint = etcd_internal::Endpoint;
  std::string prefix;
  std::chrono::milliseconds timeout{};
  std::vector<Endpoint> endpoints;
  // The endpoint requests go to first; moves on when one is unavailable.
  std::atomic<std::size_t> current{0};

  // Serialises the writers of this store: a live EtcdTransaction holds it.
  std::mutex writer_mu;

  // connect waits (at most a second, and at most the request timeout) for |ep|'s connection
  // when it is not ready. A call that fails fast does not drive gRPC's reconnection: without
  // this wait a member that came back is noticed only by gRPC's 5 s backup poller. While etcd is
  // down a request therefore fails after about a second, not at once.
  void connect(Endpoint& ep) const {
    if (ep.channel->GetState(/*try_to_connect=*/true) == GRPC_CHANNEL_READY) return;
    const auto wait = std::min<std::chrono::milliseconds>(timeout, std::chrono::seconds(1));
    (void)ep.channel->WaitForConnected(std::chrono::system_clock::now() + wait);
  }

  // skip_unavailable moves requests on to the endpoint after |n| unless another thread already
  // moved them.
  void skip_unavailable(std::size_t n) {
    std::size_t expected = n;
    current.compare_exchange_strong(expected, (n + 1) % endpoints.size());
  }

  std::unique_ptr<grpc::ClientContext> context() const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + timeout);
    return ctx;
  }

  // range runs |req| on the current endpoint, moving on to the next ones while etcd is
  // unavailable (a read is safe to repeat anywhere: the revision pins what it sees).
  Result<etcdserverpb::RangeResponse> range(const etcdserverpb::RangeRequest& req,
                                            std::string_view what) {
    const std::size_t start = current.load();
    std::vector<std::string> unavailable;
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
      const std::size_t n = (start + i) % endpoints.size();
      Endpoint& ep = endpoints[n];
      connect(ep);
      etcdserverpb::RangeResponse resp;
      auto ctx = context();
      grpc::Status status = ep.stub->Range(ctx.get(), req, &resp);
      if (status.ok()) {
        current.store(n);
        return resp;
      }
      Error e = etcd_internal::to_error(status, ep.url, what, nullptr);
      if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return fail(std::move(e));
      unavailable.push_back(std::move(e.message));
    }
    current.store((start + 1) % endpoints.size());
    std::string message = unavailable.front();
    for (std::size_t i = 1; i < unavailable.size(); ++i)
      message += "; " + unavailable[i];
    return fail(ErrorCode::kUnavailable, std::move(message));
  }

  // txn sends |req| to the current endpoint only: a commit whose outcome is unknown is not
  // repeated elsewhere. The next request goes to the next endpoint if this one is unavailable.
  Result<etcdserverpb::TxnResponse> txn(const etcdserverpb::TxnRequest& req) {
    const std::size_t n = current.load();
    Endpoint& ep = endpoints[n];
    connect(ep);
    etcdserverpb::TxnResponse resp;
    auto ctx = context();
    grpc::Status status = ep.stub->Txn(ctx.get(), req, &resp);
    if (status.ok()) return resp;
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
        status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      std::size_t expected = n;
      current.compare_exchange_strong(expected, (n + 1) % endpoints.size());
    }
    return fail(etcd_internal::to_error(status, ep.url, "committing", &req));
  }

  // current_revision returns etcd's current revision (the header of a read of the prefix key).
  Result<std::int64_t> current_revision(std::string_view what) {
    etcdserverpb::RangeRequest req;
    req.set_key(prefix);
    req.set_keys_only(true);
    MR_ASSIGN_OR_RETURN(etcdserverpb::RangeResponse resp, range(req, what));
    return resp.header().revision();
  }

  // read_key returns |key|'s record at |revision|, or nullopt if it is absent.
  Result<std::optional<mvccpb::KeyValue>> read_key(std::string_view key, std::int64_t revision) {
    etcdserverpb::RangeRequest req;
    req.set_key(prefix + std::string(key));
    req.set_revision(revision);
    MR_ASSIGN_OR_RETURN(etcdserverpb::RangeResponse resp,
                        range(req, fmt::format("reading \"{}\"", key)));
    if (resp.kvs_size() == 0) return std::optional<mvccpb::KeyValue>();
    return std::optional<mvccpb::KeyValue>(std::move(*resp.mutable_kvs(0)));
  }

  // list_records returns the store keys starting with |p| at |revision| with their values, in
  // etcd's (byte-wise) order: one request for what would otherwise be one per key.
  Result<std::vector<std::pair<std::string, std::string>>> list_records(std::string_view p,
                                                                        std::int64_t revision) {
    etcdserverpb::RangeRequest req;
    const std::string from = prefix + std::string(p);
    req.set_key(from);
    req.set_range_end(etcd_internal::range_end_of(from));
    req.set_revision(revision);
    MR_ASSIGN_OR_RETURN(etcdserverpb::RangeResponse resp,
                        range(req, fmt::format("reading \"{}\"...", p)));
    std::vector<std::pair<std::string, std::string>> records;
    records.reserve(static_cast<std::size_t>(resp.kvs_size()));
    for (auto& kv : *resp.mutable_kvs())
      records.emplace_back(kv.key().substr(prefix.size()), std::move(*kv.mutable_value()));
    return records;
  }

  // list_keys returns the store keys starting with |p| at |revision|, in etcd's (byte-wise) order.
  Result<std::vector<std::string>> list_keys(std::string_view p, std::int64_t revision) {
    etcdserverpb::RangeRequest req;
    const std::string from = prefix + std::string(p);
    req.set_key(from);
    req.set_range_end(etcd_internal::range_end_of(from));
    req.set_revision(revision);
    req.set_keys_only(true);
    MR_ASSIGN_OR_RETURN(etcdserverpb::RangeResponse resp,
                        range(req, fmt::format("listing \"{}\"", p)));
    std::vector<std::string> keys;
    keys.reserve(static_cast<std::size_t>(resp.kvs_size()));
    for (auto& kv : *resp.mutable_kvs())
      keys.push_back(kv.key().substr(prefix.size()));
    return keys;
  }
};

}  // namespace mr::store
