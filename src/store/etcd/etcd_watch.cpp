// EtcdStore::watch: one etcd Watch stream on a key range, held by a thread of its own.

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "base/log.h"
#include "store/etcd/etcd_shared.h"
#include "store/etcd/etcd_store.h"

namespace mr::store {

namespace pb = etcdserverpb;

namespace {

const log::Logger kLog("store");

constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{1000};

}  // namespace

struct EtcdWatch::Impl {
  std::shared_ptr<EtcdStore::Shared> shared;
  std::string key;        // etcd key: the store's prefix + the watched prefix
  std::string range_end;  // etcd's range end for every key starting with |key|
  std::function<void()> on_change;
  etcd_internal::Stopper stopper;
  std::thread thread;

  std::mutex mu;
  std::condition_variable cv;
  bool created = false;    // guarded by mu: the first stream was created
  std::string last_error;  // guarded by mu: why the last stream failed, for watch()'s error

  void run() {
    bool first = true;
    auto backoff = kFirstBackoff;
    while (!stopper.stopped()) {
      const std::size_t n = shared->current.load();
      etcd_internal::Endpoint& ep = shared->endpoints[n];
      std::string error;
      bool was_created = false;
      if (stopper.wait_ready(*ep.channel, kMaxBackoff)) {
        was_created = stream(ep, first, error);
      } else {
        error = fmt::format("etcd at {} is unavailable", ep.url);
        shared->skip_unavailable(n);
      }
      if (stopper.stopped()) break;
      if (was_created) {
        first = false;
        backoff = kFirstBackoff;
      }
      kLog.debug("etcd watch interrupted; reconnecting", {{"error", error}});
      {
        std::scoped_lock lock(mu);
        last_error = std::move(error);
      }
      if (!stopper.sleep(backoff)) break;
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
  }

  // stream holds one Watch stream on |ep| until it fails or the watch stops. It calls on_change
  // once the watch is created unless |first|, and after every response carrying events. Returns
  // whether etcd created the watch; |error| says why the stream ended.
  bool stream(etcd_internal::Endpoint& ep, bool first, std::string& error) {
    grpc::ClientContext ctx;
    // etcd cancels the watch when its member loses the cluster's leader (clientv3's
    // WithRequireLeader), so a partitioned member does not silently stop sending events.
    ctx.AddMetadata("hasleader", "true");
    if (!stopper.attach(&ctx)) return false;
    auto rw = ep.watch_stub->Watch(&ctx);
    pb::WatchRequest req;
    pb::WatchCreateRequest* create = req.mutable_create_request();
    create->set_key(key);
    create->set_range_end(range_end);
    bool was_created = false;
    if (rw->Write(req)) {
      pb::WatchResponse resp;
      while (rw->Read(&resp)) {
        if (resp.canceled() || resp.compact_revision() != 0) {
          error = fmt::format("etcd at {} cancelled the watch: {}", ep.url,
                              resp.compact_revision() != 0
                                  ? fmt::format("compacted at {}", resp.compact_revision())
                                  : resp.cancel_reason());
          break;
        }
        if (resp.created() && !was_created) {
          was_created = true;
          if (first) {
            std::scoped_lock lock(mu);
            created = true;
            cv.notify_all();
          } else {
            on_change();  // something may have changed while no watch was open
          }
        }
        if (resp.events_size() > 0) on_change();
      }
    }
    ctx.TryCancel();
    pb::WatchResponse drain;
    while (rw->Read(&drain)) {
    }
    const grpc::Status status = rw->Finish();
    stopper.detach();
    if (error.empty()) {
      error = etcd_internal::to_error(status, ep.url, "watching", nullptr).message;
    }
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      shared->skip_unavailable(static_cast<std::size_t>(&ep - shared->endpoints.data()));
    }
    return was_created;
  }
};

EtcdWatch::EtcdWatch(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

EtcdWatch::~EtcdWatch() {
  impl_->stopper.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

Result<std::unique_ptr<EtcdWatch>> EtcdStore::watch(std::string_view prefix,
                                                    std::function<void()> on_change) {
  auto impl = std::make_unique<EtcdWatch::Impl>();
  impl->shared = shared_;
  impl->key = shared_->prefix + std::string(prefix);
  impl->range_end = etcd_internal::range_end_of(impl->key);
  impl->on_change = std::move(on_change);
  EtcdWatch::Impl* state = impl.get();
  auto watch = std::make_unique<EtcdWatch>(std::move(impl));
  state->thread = std::thread([state] { state->run(); });
  std::unique_lock lock(state->mu);
  if (!state->cv.wait_for(lock, shared_->timeout, [&] { return state->created; })) {
    std::string error = state->last_error.empty() ? "no answer" : state->last_error;
    lock.unlock();
    watch.reset();
    return failf(ErrorCode::kUnavailable, "etcd did not create a watch within {} ms: {}",
                 shared_->timeout.count(), error);
  }
  return watch;
}

}  // namespace mr::store
