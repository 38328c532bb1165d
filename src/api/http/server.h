#pragma once
// Server: the project's one HTTP/1.1 server, on Boost.Beast over Boost.Asio (and OpenSSL for
// HTTPS). A few event-loop threads own every socket (accept, TLS handshake, parsing, writes);
// handlers run on a small worker pool, so a slow handler never stalls the event loop and an idle
// or slow client costs a socket, not a thread. What a request means is the Service's business:
// the client API (api/rest/rest_server.h) and the Prometheus endpoint (metrics/metrics_server.h)
// each plug one in.
//
//   ServerConfig config;
//   config.address = "127.0.0.1:0";
//   auto server = Server::create(config, std::make_unique<MyService>(), std::nullopt);  // HTTP
//   MR_RETURN_IF_ERROR((*server)->start());
//   log("listening", (*server)->port());
//   ...
//   (*server)->stop();  // joins every server thread
//
// Per connection: with TLS, the certificate comes from the identity source at each handshake;
// client certificates are requested, optional and never verified; the leaf's DER reaches the
// handler. Deadlines for the TLS handshake, the header block, the body and the whole request;
// caps on connections (in total and per client address; the oldest idle one is closed first).
// Per request: the Service routes it once, from the request line and headers, before any body
// byte is read; a header block over the limits answers 431; a Content-Length over the route's
// limit is answered at once, a chunked body is cut off at the limit; one log line (method, path,
// status, duration), never bodies. Responses go out byte for byte as the Service made them
// (plus the framing headers below), never re-encoded.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http/tls_identity.h"
#include "base/bytes.h"
#include "base/listen_address.h"
#include "base/result.h"

namespace mr::api::http {

// Response is one answer as a Service makes it. On the wire: the status line with the usual
// reason phrase, the header fields sorted by name (case-insensitively; equal names in insertion
// order) with Content-Type, Content-Length and Keep-Alive or "Connection: close" added, no Date
// or Server field; a body that is not empty gets "Content-Type: text/plain" if it has none.
// HEAD answers carry no body bytes (Content-Length is the body's) and "Accept-Ranges: bytes".
struct Response {
  int status = 200;
  std::string content_type;  // empty: no Content-Type header
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, in order
  // close_connection: the connection must not serve another request (e.g. an unread body).
  bool close_connection = false;
};

// RequestHead is what the server knows of a request when its header block is in.
struct RequestHead {
  std::string_view method;     // as sent: GET HEAD POST PUT DELETE CONNECT OPTIONS TRACE PATCH PRI
  std::string_view path;       // the target's path, percent-decoded
  std::string_view raw_query;  // the target after '?', as sent
  std::string_view content_type;  // the Content-Type field, as sent
  std::optional<std::uint64_t> content_length;
  bool has_body = false;  // chunked, or a Content-Length above 0
};

// Request is what a handler sees (on a worker thread).
struct Request {
  std::string_view method;
  std::string_view path;                  // percent-decoded
  std::string_view raw_query;             // as sent
  std::string_view body;                  // empty unless the route reads bodies
  std::optional<Bytes> peer_certificate;  // DER of the client's TLS leaf certificate, if any
};

using Handler = std::function<Response(const Request&)>;

// Routing is a Service's decision on a request head, made before any body byte is read.
struct Routing {
  // response, if set, is the answer: no handler runs and a request body stays unread (the
  // connection closes after the answer).
  std::optional<Response> response;
  // handler answers the request otherwise (on a worker thread). An exception escaping it is
  // logged and answered with Service::error(500, "internal server error").
  Handler handler;
  // label names the route for the RequestObserver ("other" when no route matched). It must
  // stay valid as long as the server (e.g. a literal or a route table's path).
  std::string_view label = "other";
  // body_limit: the handler reads request bodies of up to this many bytes. A Content-Length
  // above it is answered with too_large() at once; a chunked body is cut off there with the
  // same answer. nullopt: a body is never read (the connection closes after the answer).
  std::optional<std::size_t> body_limit;
  std::function<Response()> too_large;  // required with body_limit
};

// Service gives requests their meaning. Called on server threads; must be thread-safe.
class Service {
 public:
  virtual ~Service() = default;
  // name is the log component of the server's lines ("rest", "metrics"); a string literal.
  [[nodiscard]] virtual std::string_view name() const = 0;
  // route decides on a request from its head.
  [[nodiscard]] virtual Routing route(const RequestHead& head) const = 0;
  // error renders an answer the server makes itself: 431 (header limits), 503 (every worker
  // busy), 400 (a malformed Content-Length or body), 500 (a handler threw). The default is Go's
  // http.Error: |message| and a newline as text/plain; charset=utf-8 with
  // X-Content-Type-Options: nosniff.
  [[nodiscard]] virtual Response error(int status, std::string_view message) const;
};

// RequestRecord describes one finished request for metrics.
struct RequestRecord {
  std::string_view method;
  std::string_view route;  // the Routing's label ("other" for unknown paths)
  int status = 0;
  double seconds = 0;
  std::size_t request_bytes = 0;
  std::size_t response_bytes = 0;
};

// RequestObserver sees every routed request (metrics). Called on server threads; must be
// thread-safe.
class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  virtual void started(std::string_view route) = 0;
  virtual void finished(const RequestRecord& record) = 0;
};

struct ServerConfig {
  // address is Go-style host:port: ":4433" (every interface), "0.0.0.0:4433", "[::1]:4433",
  // "localhost:4433". Port 0 picks a free port (see Server::port()).
  std::string address;
  // max_body_bytes bounds every request body (routes may have smaller limits).
  std::size_t max_body_bytes = std::size_t{8} << 20;
  // read_timeout bounds the TLS handshake, the wait for a request's first byte after the
  // handshake (or, without TLS, after the connection), the whole header block from its first
  // byte (a client trickling header bytes is dropped at this deadline), and each wait for body
  // bytes. write_timeout bounds each response. A client that connects and stays silent is
  // dropped after read_timeout.
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds write_timeout{10'000};
  // request_timeout bounds a request from its first byte to its last body byte; body_timeout
  // the body alone.
  std::chrono::milliseconds body_timeout{60'000};
  std::chrono::milliseconds request_timeout{90'000};
  // Header limits: bytes of the request line and header block together, and the number of
  // header fields. Beyond either the answer is 431 and the connection closes.
  std::size_t max_header_bytes = std::size_t{16} << 10;
  std::size_t max_header_fields = 100;
  // Connection caps. A new connection beyond either closes the oldest idle connection (in the
  // TLS handshake or between requests) in its scope; the new one is closed if none is idle.
  std::size_t max_connections = 4096;
  std::size_t max_connections_per_address = 1024;
  // io_threads run the event loop (accept, TLS, HTTP parsing and writes); 0 = min(2, CPUs).
  std::size_t io_threads = 0;
  // Keep-alive: an idle connection is closed after keep_alive_timeout (whole seconds, at least
  // 1), and after max_requests_per_connection requests.
  std::chrono::seconds keep_alive_timeout{5};
  std::size_t max_requests_per_connection = 100;
  // worker_threads run the handlers; at most max_queued_connections requests wait for a worker
  // (more are answered with Service::error(503, "server is busy") at once).
  std::size_t worker_threads = 8;
  // observer (optional, borrowed; must outlive the server) sees every routed request.
  RequestObserver* observer = nullptr;
  std::size_t max_queued_connections = 64;
};

class Server {
 public:
  // create checks |config| (kInvalidArgument for a malformed address, zero limits or an empty
  // identity source) and, with |tls|, sets up the TLS context (kInternal if OpenSSL refuses
  // it); without |tls| the server speaks plain HTTP. Nothing listens before start().
  [[nodiscard]] static Result<std::unique_ptr<Server>> create(
      ServerConfig config, std::unique_ptr<const Service> service,
      std::optional<TlsIdentitySource> tls);
  ~Server();  // stop()s
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // start binds the address and serves on background threads. kUnavailable if the address
  // cannot be bound; kFailedPrecondition if called twice.
  [[nodiscard]] Status start();
  // stop stops accepting, closes idle connections and those still sending headers, lets
  // requests being read, handled or answered finish (within their deadlines) and joins all
  // threads. Idempotent.
  void stop();
  // port is the bound TCP port after start() (the chosen one for port 0), else 0.
  [[nodiscard]] int port() const;

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// parse_listen_address splits a Go-style "host:port" (net.SplitHostPort; numeric ports only).
// kInvalidArgument with the reason.
[[nodiscard]] Result<ListenAddress> parse_listen_address(std::string_view address);

}  // namespace mr::api::http
