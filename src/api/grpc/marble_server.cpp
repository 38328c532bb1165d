#include "api/grpc/marble_server.h"

#include <absl/synchronization/mutex.h>
#include <grpc/grpc_security_constants.h>
#include <grpc/support/log.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "api/grpc/conversion.h"
#include "api/grpc/tls_credentials.h"
#include "base/encoding.h"
#include "base/listen_address.h"
#include "base/log.h"
#include "base/thread_pool.h"
#include "coordinator.grpc.pb.h"

namespace mr::api::grpc {
namespace {

const log::Logger kLog("grpc");
const log::Logger kCoreLog("grpc-core");

// gRPC 1.51 stops accepting on a listener for good once accept4() fails with anything but
// EINTR/EAGAIN/ECONNABORTED (EMFILE when the process has no descriptor left, ENFILE, ENOBUFS,
// ENOMEM): it logs "Failed accept4: <error>" and never re-arms the listener, whose socket stays
// open, so new connections wait in its backlog until the client gives up (grpc/grpc#20418; fixed
// in gRPC 1.57 by grpc/grpc#33656). That log line is the only sign: it is counted here and the
// identity watcher restarts the listener (MarbleServer::Impl::check_identity).
std::atomic<std::uint64_t> g_failed_accepts{0};

// gRPC's own log lines (handshake failures, bind retries) go to the debug level, as upstream
// silences gRPC's logger unless debug logging is on.
void forward_grpc_log(gpr_log_func_args* args) {
  if (args->message && std::string_view(args->message).starts_with("Failed accept4")) {
    g_failed_accepts.fetch_add(1);
  }
  kCoreLog.debug(args->message ? args->message : "",
                 {{"file", args->file ? args->file : ""},
                  {"line", args->line},
                  {"severity", gpr_log_severity_string(args->severity)}});
}

// peer_leaf_der returns the DER of the certificate the client presented (its leaf), or empty.
Bytes peer_leaf_der(const ::grpc::CallbackServerContext& ctx) {
  const std::shared_ptr<const ::grpc::AuthContext> auth = ctx.auth_context();
  if (!auth) return {};
  for (const ::grpc::string_ref& pem : auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME)) {
    return leaf_der_from_pem(std::string_view(pem.data(), pem.size()));
  }
  return {};
}

// ActivateService answers rpc.Marble/Activate: the gRPC thread reads the request and the peer
// certificate, a worker runs the activation and finishes the call.
class ActivateService final : public rpc::Marble::CallbackService {
 public:
  ActivateService(ActivateHandler handler, ThreadPool& pool)
      : handler_(std::move(handler)), pool_(pool) {}

  ::grpc::ServerUnaryReactor* Activate(::grpc::CallbackServerContext* ctx,
                                       const rpc::ActivationReq* req,
                                       rpc::ActivationResp* resp) override {
    ::grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    auto job = [this, ctx, req, resp, reactor, peer = peer_leaf_der(*ctx)]() mutable {
      reactor->Finish(run(*ctx, *req, std::move(peer), *resp));
    };
    if (!pool_.try_submit(std::move(job))) {
      kLog.warn("Marble API overloaded: activation refused",
                {{"type", req->marbletype()}, {"peer", ctx->peer()}});
      reactor->Finish(::grpc::Status(::grpc::StatusCode::RESOURCE_EXHAUSTED,
                                     "too many activations in progress; retry later"));
    }
    return reactor;
  }

 private:
  ::grpc::Status run(const ::grpc::CallbackServerContext& ctx, const rpc::ActivationReq& req,
                     Bytes peer, rpc::ActivationResp& resp) {
    if (ctx.IsCancelled()) return ::grpc::Status::CANCELLED;
    try {
      Result<core::Activation> a = handler_(to_activation_request(req, std::move(peer)));
      if (!a) return to_grpc_status(a.error());
      to_activation_resp(*a, resp);
      return ::grpc::Status::OK;
    } catch (const std::exception& e) {
      // Exceptions must not cross into gRPC's threads; the handler is not expected to throw.
      kLog.error("activation threw", {{"error", e.what()}});
      return ::grpc::Status(::grpc::StatusCode::INTERNAL, "internal error");
    }
  }

  ActivateHandler handler_;
  ThreadPool& pool_;
};

}  // namespace

Result<std::string> grpc_listen_address(std::string_view go_address) {
  MR_ASSIGN_OR_RETURN(ListenAddress a, parse_listen_address(go_address).map_error([&](Error e) {
    return Error{e.code, fmt::format("invalid listen address \"{}\": {}", go_address, e.message)};
  }));
  if (a.host.empty()) return fmt::format("[::]:{}", a.port);  // gRPC binds "[::]" dual-stack
  return a.to_string();
}

// Generation is one gRPC server for one TLS identity. The Marble API rebuilds it on the same
// port when the identity changes (see marble_server.h).
struct Generation {
  Bytes cert_der;  // the certificate this generation presents
  std::unique_ptr<ActivateService> service;
  std::unique_ptr<::grpc::Server> server;
};

struct MarbleServer::Impl {
  MarbleServerConfig config;
  std::string grpc_address;  // as configured (port 0 possible)
  ActivateHandler handler;
  MarbleIdentitySource identity;

  std::mutex lifecycle_mu;           // held throughout start() and stop()
  bool started = false;              // guarded by lifecycle_mu
  bool stopped = false;              // guarded by lifecycle_mu
  std::unique_ptr<ThreadPool> pool;  // set in start(), reset in stop()

  mutable std::mutex mu;  // guards current, port and changes (held only briefly)
  std::unique_ptr<Generation> current;
  int port = 0;
  std::uint64_t changes = 0;
  // Used by start() and then the watcher thread only: g_failed_accepts when the current
  // listener was built, and the certificate last served.
  std::uint64_t failed_accepts_seen = 0;
  Bytes served_cert_der;

  std::mutex watch_mu;  // guards watch_stop
  std::condition_variable watch_cv;
  bool watch_stop = false;
  std::thread watcher;

  // build starts a server for |id| on |address|; sets |bound| to the bound port.
  Result<std::unique_ptr<Generation>> build(const MarbleTlsIdentity& id, const std::string& address,
                                            int& bound) {
    MR_ASSIGN_OR_RETURN(std::shared_ptr<::grpc::ServerCredentials> creds,
                        marble_server_credentials(id));
    auto g = std::make_unique<Generation>();
    g->cert_der = id.certificate.der();
    g->service = std::make_unique<ActivateService>(handler, *pool);
    const auto ms = [](std::chrono::milliseconds d) {
      return static_cast<int>(std::min<std::int64_t>(d.count(), INT32_MAX));
    };
    ::grpc::ServerBuilder builder;
    bound = 0;
    builder.AddListeningPort(address, creds, &bound);
    builder.RegisterService(g->service.get());
    builder.SetMaxReceiveMessageSize(static_cast<int>(config.max_receive_message_bytes));
    builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                               static_cast<int>(config.max_concurrent_streams));
    builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, ms(config.handshake_timeout));
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, ms(config.max_connection_idle));
    // No SO_REUSEPORT (gRPC's default for servers): a second server must not share the port.
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    g->server = builder.BuildAndStart();
    if (!g->server || bound == 0) {
      return failf(ErrorCode::kUnavailable, "cannot listen on {} (Marble API)", address);
    }
    return g;
  }

  // drain stops |g| accepting (its listener closes at once), lets its calls finish until
  // shutdown_grace, then cancels the rest; returns when every call has finished.
  void drain(Generation& g) const {
    g.server->Shutdown(std::chrono::system_clock::now() + config.shutdown_grace);
    g.server->Wait();
  }

  // rotate replaces the current generation with one presenting |id| on the same port: a new
  // certificate, or the same one when the listener stopped accepting.
  void rotate(const MarbleTlsIdentity& id) {
    std::unique_ptr<Generation> old;
    int bound_port = 0;
    {
      std::scoped_lock lock(mu);
      old = std::move(current);
      bound_port = port;
    }
    failed_accepts_seen = g_failed_accepts.load();
    const std::string address =
        grpc_address.substr(0, grpc_address.rfind(':') + 1) + std::to_string(bound_port);
    std::thread draining;
    if (old) draining = std::thread([this, g = old.get()] { drain(*g); });
    // The old listener closes asynchronously: retry the bind for a moment, backing off (10 ms
    // doubling to 500 ms) so that a process out of descriptors is not kept busy.
    std::unique_ptr<Generation> next;
    Error last{ErrorCode::kUnavailable, "not tried"};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (auto pause = std::chrono::milliseconds(10);;
         pause = std::min(2 * pause, std::chrono::milliseconds(500))) {
      int bound = 0;
      auto g = build(id, address, bound);
      if (g) {
        next = std::move(*g);
        break;
      }
      last = g.error();
      if (std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(pause);
    }
    const bool new_certificate = id.certificate.der() != served_cert_der;
    if (next && !new_certificate) {
      kLog.info("Marble API listener restarted on the same port", {{"port", bound_port}});
    } else if (next) {
      kLog.info("Marble API TLS certificate changed; listener restarted on the same port",
                {{"port", bound_port},
                 {"subject", id.certificate.subject().to_string()},
                 {"serial", hex_encode(id.certificate.serial_number())}});
    } else {
      kLog.error(
          "Marble API is not listening: cannot restart it with the new certificate (retrying)",
          {{"port", bound_port}, {"error", last.message}});
    }
    {
      std::scoped_lock lock(mu);
      if (next && new_certificate) ++changes;
      if (next) served_cert_der = next->cert_der;
      current = std::move(next);
    }
    if (draining.joinable()) draining.join();
  }

  void watch_loop() {
    std::unique_lock lock(watch_mu);
    while (!watch_cv.wait_for(lock, config.identity_poll_interval, [this] { return watch_stop; })) {
      lock.unlock();
      check_identity();
      lock.lock();
    }
  }

  // check_identity rebuilds the server when the certificate changed, when the last rebuild
  // failed, or when gRPC reported a failed accept (see g_failed_accepts).
  void check_identity() {
    const std::optional<MarbleTlsIdentity> id = identity();
    if (!id) return;  // no CA: keep serving the last identity (the Core never drops its CA)
    bool same = false;
    int bound_port = 0;
    {
      std::scoped_lock lock(mu);
      same = current && current->cert_der == id->certificate.der();
      bound_port = port;
    }
    if (!same) return rotate(*id);
    if (g_failed_accepts.load() != failed_accepts_seen) {
      kLog.warn(
          "Marble API stopped accepting connections (accept failed, e.g. no file descriptor "
          "left); restarting the listener",
          {{"port", bound_port}});
      rotate(*id);
    }
  }
};

MarbleServer::MarbleServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MarbleServer::~MarbleServer() {
  stop();
}

Result<std::unique_ptr<MarbleServer>> MarbleServer::create(MarbleServerConfig config,
                                                           ActivateHandler handler,
                                                           MarbleIdentitySource identity) {
  MR_ASSIGN_OR_RETURN(std::string address, grpc_listen_address(config.address));
  if (config.max_queued_activations == 0 || config.max_receive_message_bytes == 0 ||
      config.max_receive_message_bytes > std::size_t{INT32_MAX} ||
      config.max_concurrent_streams == 0 || config.handshake_timeout.count() <= 0 ||
      config.max_connection_idle.count() <= 0 || config.shutdown_grace.count() < 0 ||
      config.identity_poll_interval.count() <= 0) {
    return fail(ErrorCode::kInvalidArgument, "Marble API limits and timeouts must be positive");
  }
  if (!handler) return fail(ErrorCode::kInvalidArgument, "no activation handler");
  if (!identity) return fail(ErrorCode::kInvalidArgument, "no TLS identity source");
  // Debian's Abseil is built without NDEBUG, which leaves absl::Mutex's lock-order graph on:
  // every lock gRPC takes updates it (a few per cent of an activation's CPU). Lock-order bugs
  // in our code are TSan's job (scripts/tsan.sh).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  if (config.worker_threads == 0) {
    config.worker_threads = std::max<std::size_t>(2, std::thread::hardware_concurrency());
  }
  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  impl->grpc_address = std::move(address);
  impl->handler = std::move(handler);
  impl->identity = std::move(identity);
  return std::unique_ptr<MarbleServer>(new MarbleServer(std::move(impl)));
}

Status MarbleServer::start() {
  Impl& m = *impl_;
  std::scoped_lock lifecycle(m.lifecycle_mu);
  if (m.started) return fail(ErrorCode::kFailedPrecondition, "Marble API server already started");
  const std::optional<MarbleTlsIdentity> id = m.identity();
  if (!id) {
    return fail(ErrorCode::kFailedPrecondition,
                "cannot start the Marble API: the Coordinator has no certificate yet");
  }
  static std::once_flag log_once;
  std::call_once(log_once, [] { gpr_set_log_function(&forward_grpc_log); });
  m.pool = std::make_unique<ThreadPool>(m.config.worker_threads, m.config.max_queued_activations);
  int bound = 0;
  m.failed_accepts_seen = g_failed_accepts.load();
  auto g = m.build(*id, m.grpc_address, bound);
  if (!g) {
    m.pool.reset();
    return fail(g.error());
  }
  m.served_cert_der = (*g)->cert_der;
  {
    std::scoped_lock lock(m.mu);
    m.current = std::move(*g);
    m.port = bound;
    m.changes = 1;
  }
  m.started = true;
  m.watcher = std::thread([&m] { m.watch_loop(); });
  kLog.info("Marble API listening", {{"address", m.config.address}, {"port", bound}});
  return ok();
}

void MarbleServer::stop() {
  Impl& m = *impl_;
  std::scoped_lock lifecycle(m.lifecycle_mu);
  if (!m.started || m.stopped) return;
  m.stopped = true;
  {
    std::scoped_lock lock(m.watch_mu);
    m.watch_stop = true;
  }
  m.watch_cv.notify_all();
  m.watcher.join();
  std::unique_ptr<Generation> g;
  {
    std::scoped_lock lock(m.mu);
    g = std::move(m.current);
    m.port = 0;
  }
  // The workers keep running while the server drains: they finish every accepted call.
  if (g) m.drain(*g);
  m.pool->stop();
  g.reset();
  m.pool.reset();
  kLog.info("Marble API stopped");
}

int MarbleServer::port() const {
  std::scoped_lock lock(impl_->mu);
  return impl_->port;
}

std::uint64_t MarbleServer::identity_changes() const {
  std::scoped_lock lock(impl_->mu);
  return impl_->changes;
}

}  // namespace mr::api::grpc
