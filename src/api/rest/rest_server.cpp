#include "api/rest/rest_server.h"

#include <httplib.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "api/rest/error_mapping.h"
#include "api/rest/path.h"
#include "api/rest/tls.h"
#include "base/log.h"
#include "base/thread_pool.h"

namespace mr::api::rest {
namespace {

const log::Logger kLog("rest");

using Clock = std::chrono::steady_clock;

// The request being served on this thread started at this time (httplib serves a connection on
// one worker thread from the request line to the response; the logger runs after the write).
thread_local std::optional<Clock::time_point> t_request_start;

// BoundedThreadPool adapts base's ThreadPool to httplib: enqueue() (the accept loop) waits
// while max_queued accepted connections already wait for a worker.
class BoundedThreadPool final : public httplib::TaskQueue {
 public:
  BoundedThreadPool(std::size_t threads, std::size_t max_queued) : pool_(threads, max_queued) {}
  void enqueue(std::function<void()> fn) override { pool_.submit_wait(std::move(fn)); }
  void shutdown() override { pool_.stop(); }

 private:
  ThreadPool pool_;
};

// BodyFraming is what the headers say about the request body.
struct BodyFraming {
  bool chunked = false;
  std::optional<std::uint64_t> content_length;
  bool malformed = false;  // unparsable or conflicting Content-Length
  [[nodiscard]] bool has_body() const { return chunked || content_length.value_or(0) > 0; }
};

BodyFraming body_framing(const httplib::Request& req) {
  BodyFraming f;
  const std::string te = req.get_header_value("Transfer-Encoding");
  f.chunked = !te.empty() && te.find("chunked") != std::string::npos;
  const std::size_t n = req.get_header_value_count("Content-Length");
  for (std::size_t i = 0; i < n; ++i) {
    const std::string v = req.get_header_value("Content-Length", i);
    std::uint64_t len = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), len);
    if (v.empty() || ec != std::errc() || end != v.data() + v.size() ||
        (f.content_length && *f.content_length != len)) {
      f.malformed = true;
      return f;
    }
    f.content_length = len;
  }
  return f;
}

std::string_view raw_query(const httplib::Request& req) {
  const std::string_view target = req.target;
  const std::size_t q = target.find('?');
  return q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
}

// close_after_response makes this connection end after the current response: clients are
// told so, and the next read on it reports end of stream (an unread body is never parsed as a
// request).
void close_after_response(const httplib::Request& req, httplib::Response& res) {
  res.set_header("Connection", "close");
  if (req.ssl != nullptr) {
    // httplib hands out the SSL as const; the object itself is mutable and owned by this thread.
    SSL* ssl = const_cast<SSL*>(req.ssl);
    SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
  }
}

void write_reply(const Reply& reply, const httplib::Request& req, httplib::Response& res) {
  res.status = reply.status;
  for (const auto& [k, v] : reply.headers)
    res.set_header(k, v);
  if (!reply.content_type.empty()) {
    res.set_content(reply.body, reply.content_type);
  } else {
    res.body = reply.body;
  }
  if (reply.close_connection) close_after_response(req, res);
}

RequestContext make_context(const httplib::Request& req, std::string_view body) {
  RequestContext ctx;
  ctx.body = body;
  ctx.query = parse_query(raw_query(req));  // Go's rules, not httplib's (which drops "=" padding)
  ctx.peer_certificate = peer_certificate_der(req.ssl);
  return ctx;
}

bool is_multipart(const httplib::Request& req) {
  // httplib would route such bodies to its form parser instead of handing over the bytes.
  return req.get_header_value("Content-Type").rfind("multipart/form-data", 0) == 0;
}

}  // namespace

struct RestServer::Impl {
  Impl(RestServerConfig c, Router r, TlsIdentitySource identity, ListenAddress a)
      : config(std::move(c)),
        router(std::move(r)),
        selector(std::move(identity)),
        address(std::move(a)) {}

  // body_limit is the largest body |route| accepts.
  [[nodiscard]] std::size_t body_limit(const Route& route) const {
    return route.upstream_body_limit.value_or(config.max_body_bytes);
  }

  // precheck answers a request from its request line and headers alone, or returns nullopt
  // with |route| set when a handler must run.
  std::optional<Reply> precheck(const httplib::Request& req, const Route*& route) const {
    const BodyFraming framing = body_framing(req);
    Router::Resolution r = router.resolve(req.method, req.path, raw_query(req));
    std::optional<Reply> reply = std::move(r.reply);
    route = r.route;
    if (!reply && framing.malformed) {
      reply = malformed_request_reply("bad Content-Length");
    } else if (!reply && route->method == Method::kPost) {
      if (framing.content_length && *framing.content_length > body_limit(*route)) {
        reply = body_too_large_reply(*route);
      } else if (framing.has_body() && is_multipart(req)) {
        reply = unsupported_media_type_reply();
      }
    }
    if (reply && (framing.has_body() || framing.malformed)) {
      reply->close_connection = true;  // the body stays unread
    }
    return reply;
  }

  httplib::Server::HandlerResponse pre_route(const httplib::Request& req, httplib::Response& res) {
    request_started(req);
    const Route* route = nullptr;
    if (auto reply = precheck(req, route)) {
      write_reply(*reply, req, res);
      return httplib::Server::HandlerResponse::Handled;
    }
    const BodyFraming framing = body_framing(req);
    if (route->method == Method::kPost && framing.has_body()) {
      return httplib::Server::HandlerResponse::Unhandled;  // read by read_body_and_dispatch()
    }
    // No body to read (GET, or an empty POST body; a GET body is never read).
    Reply reply = router.dispatch(*route, make_context(req, ""));
    if (framing.has_body()) reply.close_connection = true;
    write_reply(reply, req, res);
    return httplib::Server::HandlerResponse::Handled;
  }

  int expect_continue(const httplib::Request& req, httplib::Response& res) {
    request_started(req);
    const Route* route = nullptr;
    if (auto reply = precheck(req, route)) {
      write_reply(*reply, req, res);
      // httplib writes this early answer without framing the body: say how long it is.
      res.set_header("Content-Length", std::to_string(res.body.size()));
      return reply->status;
    }
    return 100;
  }

  void read_body_and_dispatch(const httplib::Request& req, httplib::Response& res,
                              const httplib::ContentReader& read) {
    const Route* route = nullptr;
    if (auto reply = precheck(req, route)) {  // not reached: pre_route() answered these
      write_reply(*reply, req, res);
      return;
    }
    const std::size_t limit = body_limit(*route);
    std::string body;
    // One allocation when the length is known: no stale copies of the body left behind.
    if (const auto length = body_framing(req).content_length) body.reserve(*length);
    bool too_large = false;
    const bool complete = read([&](const char* data, std::size_t n) {
      if (n > limit - body.size()) {
        too_large = true;
        return false;
      }
      body.append(data, n);
      return true;
    });
    if (too_large) {
      write_reply(body_too_large_reply(*route), req, res);
      return;
    }
    if (!complete) {
      write_reply(malformed_request_reply("failed to read request body"), req, res);
      return;
    }
    write_reply(router.dispatch(*route, make_context(req, body)), req, res);
    secure_wipe(body.data(), body.size());  // bodies may carry recovery secrets
  }

  // route_label is the metric label of a request: its route pattern, or "other" (unknown
  // paths must not create new label values).
  std::string_view route_label(const httplib::Request& req) const {
    const Router::Resolution r = router.resolve(req.method, req.path, "");
    return r.route ? r.route->path : std::string_view("other");
  }

  void request_started(const httplib::Request& req) {
    if (t_request_start) return;  // an Expect: 100-continue request passes here twice
    t_request_start = Clock::now();
    if (config.observer) config.observer->started(route_label(req));
  }

  void log_request(const httplib::Request& req, const httplib::Response& res) {
    double ms = 0;
    const bool started = t_request_start.has_value();
    if (t_request_start) {
      ms = std::chrono::duration<double, std::milli>(Clock::now() - *t_request_start).count();
      t_request_start.reset();
    }
    if (config.observer && started) {
      config.observer->finished(RequestRecord{req.method, route_label(req), res.status, ms / 1000.0,
                                              req.body.size(), res.body.size()});
    }
    kLog.info("request", {{"method", req.method},
                          {"path", req.path},
                          {"status", res.status},
                          {"duration_ms", ms},
                          {"remote", req.remote_addr}});
  }

  Status bind() {
    auto try_bind = [&](const std::string& host) -> int {
      if (address.port == 0) return server->bind_to_any_port(host);
      return server->bind_to_port(host, address.port) ? address.port : -1;
    };
    int p = -1;
    if (address.host.empty()) {
      p = try_bind("::");  // dual-stack when IPv6 is available, like Go's ":port"
      if (p < 0) p = try_bind("0.0.0.0");
    } else {
      p = try_bind(address.host);
    }
    if (p < 0) {
      return failf(ErrorCode::kUnavailable, "listening on {}: cannot bind ({})", config.address,
                   std::strerror(errno));
    }
    bound_port = p;
    return ok();
  }

  RestServerConfig config;
  Router router;
  CertificateSelector selector;
  ListenAddress address;
  std::unique_ptr<httplib::SSLServer> server;

  std::mutex mu;  // guards started, stopped, thread
  bool started = false;
  bool stopped = false;
  std::thread thread;
  std::atomic<bool> listen_returned{false};
  std::atomic<int> bound_port{0};
};

Result<ListenAddress> parse_listen_address(std::string_view address) {
  return ::mr::parse_listen_address(address).map_error([&](Error e) {
    return Error{e.code, fmt::format("invalid listen address \"{}\": {}", address, e.message)};
  });
}

Result<std::unique_ptr<RestServer>> RestServer::create(RestServerConfig config, Router router,
                                                       TlsIdentitySource identity) {
  MR_ASSIGN_OR_RETURN(ListenAddress address, parse_listen_address(config.address));
  if (config.max_body_bytes == 0 || config.worker_threads == 0 ||
      config.max_queued_connections == 0 || config.max_requests_per_connection == 0 ||
      config.read_timeout.count() <= 0 || config.write_timeout.count() <= 0) {
    return fail(ErrorCode::kInvalidArgument,
                "REST server limits, timeouts and thread counts must be positive");
  }
  if (!identity) return fail(ErrorCode::kInvalidArgument, "no TLS identity source");

  auto impl = std::make_unique<Impl>(std::move(config), std::move(router), std::move(identity),
                                     std::move(address));
  Impl* self = impl.get();
  impl->server = std::make_unique<httplib::SSLServer>(
      [self](SSL_CTX& ctx) { return self->selector.configure(ctx); });
  if (!impl->server->is_valid()) {
    return fail(ErrorCode::kInternal, "creating the TLS context: " + ossl::drain_errors());
  }
  httplib::SSLServer& s = *impl->server;
  const RestServerConfig& c = impl->config;
  s.new_task_queue = [threads = c.worker_threads, queued = c.max_queued_connections] {
    return new BoundedThreadPool(threads, queued);
  };
  s.set_socket_options([](socket_t sock) {
    // SO_REUSEADDR as Go does; no SO_REUSEPORT (a second server must not share the port).
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  auto split = [](std::chrono::milliseconds d) {
    return std::pair<time_t, time_t>(static_cast<time_t>(d.count() / 1000),
                                     static_cast<time_t>((d.count() % 1000) * 1000));
  };
  const auto [rs, rus] = split(c.read_timeout);
  const auto [ws, wus] = split(c.write_timeout);
  // No Nagle (Go's net package sets TCP_NODELAY too): a response goes out in more than one
  // write, and on a kept-alive connection the last one would wait for the client's delayed ACK
  // (about 45 ms per response).
  s.set_tcp_nodelay(true);
  s.set_read_timeout(rs, rus);
  s.set_write_timeout(ws, wus);
  s.set_keep_alive_timeout(std::max<time_t>(1, static_cast<time_t>(c.keep_alive_timeout.count())));
  s.set_keep_alive_max_count(c.max_requests_per_connection);
  s.set_payload_max_length(c.max_body_bytes);
  s.set_pre_routing_handler([self](const httplib::Request& req, httplib::Response& res) {
    return self->pre_route(req, res);
  });
  s.set_expect_100_continue_handler([self](const httplib::Request& req, httplib::Response& res) {
    return self->expect_continue(req, res);
  });
  s.Post("[\\s\\S]*", [self](const httplib::Request& req, httplib::Response& res,
                             const httplib::ContentReader& read) {
    self->read_body_and_dispatch(req, res, read);
  });
  s.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
        kLog.error("unexpected exception while serving a request", {{"path", req.path}});
        write_reply(internal_error_reply(), req, res);
      });
  s.set_logger([self](const httplib::Request& req, const httplib::Response& res) {
    self->log_request(req, res);
  });
  return std::unique_ptr<RestServer>(new RestServer(std::move(impl)));
}

RestServer::RestServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RestServer::~RestServer() {
  stop();
}

Status RestServer::start() {
  std::scoped_lock lock(impl_->mu);
  if (impl_->started) return fail(ErrorCode::kFailedPrecondition, "REST server already started");
  impl_->started = true;
  MR_RETURN_IF_ERROR(impl_->bind());
  Impl* self = impl_.get();
  impl_->thread = std::thread([self] {
    if (!self->server->listen_after_bind()) kLog.error("REST server stopped accepting connections");
    self->listen_returned = true;
  });
  // httplib's stop() is a no-op until the accept loop runs: wait for it, so that a stop()
  // right after start() cannot be lost.
  while (!impl_->server->is_running() && !impl_->listen_returned) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  kLog.info("client API listening",
            {{"address", impl_->config.address}, {"port", impl_->bound_port.load()}});
  return ok();
}

void RestServer::stop() {
  std::scoped_lock lock(impl_->mu);
  if (impl_->stopped || !impl_->started) return;
  impl_->stopped = true;
  impl_->server->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->bound_port = 0;
}

int RestServer::port() const {
  return impl_->bound_port.load();
}

}  // namespace mr::api::rest
