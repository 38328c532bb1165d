#pragma once
// RestServer: the HTTPS listener of the client API (spec 3.1-3.2), on Boost.Beast over
// Boost.Asio and OpenSSL: a few event-loop threads own every socket (accept, TLS handshake,
// parsing, writes); handlers run on a small worker pool, so a slow Core call never stalls the
// event loop and an idle or slow client costs a socket, not a thread.
//
//   core::ClientApi api(*core);
//   RestServerConfig config;
//   config.address = ":4433";
//   auto server = RestServer::create(config, Router(client_api_routes(api)),
//   core_tls_identity(*core)); MR_RETURN_IF_ERROR((*server)->start()); log("listening",
//   (*server)->port());
//   ...
//   (*server)->stop();  // joins every server thread
//
// Per connection: the TLS certificate comes from the identity source at each handshake; client
// certificates are requested, optional and never verified; the leaf's DER reaches the handlers.
// Deadlines for the handshake, the header block, the body and the whole request; caps on
// connections (in total and per client address; the oldest idle one is closed first).
// Per request: the route is resolved once, from the request line and headers, before any body
// byte is read; a header block over the limits answers 431; a Content-Length over the route's
// limit answers 413 at once, a chunked body is cut off at the limit; one log line (method, path,
// status, duration), never bodies.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "api/rest/router.h"
#include "api/rest/tls_identity.h"
#include "base/listen_address.h"
#include "base/result.h"

namespace mr::api::rest {

// RequestRecord describes one finished request for metrics.
struct RequestRecord {
  std::string_view method;
  std::string_view route;  // the route's path pattern, or "other" for unknown paths
  int status = 0;
  double seconds = 0;
  std::size_t request_bytes = 0;
  std::size_t response_bytes = 0;
};

// RequestObserver sees every request (metrics). Called on server threads; must be thread-safe.
class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  virtual void started(std::string_view route) = 0;
  virtual void finished(const RequestRecord& record) = 0;
};

struct RestServerConfig {
  // address is Go-style host:port: ":4433" (every interface), "0.0.0.0:4433", "[::1]:4433",
  // "localhost:4433". Port 0 picks a free port (see RestServer::port()).
  std::string address = ":4433";
  // max_body_bytes bounds every request body (routes may have smaller upstream limits).
  std::size_t max_body_bytes = std::size_t{8} << 20;
  // read_timeout bounds the TLS handshake, the wait for a request's first byte after the
  // handshake, the whole header block from its first byte (a client trickling header bytes is
  // dropped at this deadline), and each wait for body bytes. write_timeout bounds each response.
  // A client that connects and stays silent is dropped after read_timeout.
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
  // (more answer 503 at once).
  std::size_t worker_threads = 8;
  // observer (optional, borrowed; must outlive the server) sees every request.
  RequestObserver* observer = nullptr;
  std::size_t max_queued_connections = 64;
};

class RestServer {
 public:
  // create checks |config| (kInvalidArgument for a malformed address or zero limits) and sets
  // up the TLS context (kInternal if OpenSSL refuses it). Nothing listens before start().
  [[nodiscard]] static Result<std::unique_ptr<RestServer>> create(RestServerConfig config,
                                                                  Router router,
                                                                  TlsIdentitySource identity);
  ~RestServer();  // stop()s
  RestServer(const RestServer&) = delete;
  RestServer& operator=(const RestServer&) = delete;

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
  explicit RestServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

using ::mr::ListenAddress;
// parse_listen_address splits a Go-style "host:port" (net.SplitHostPort; numeric ports only).
// kInvalidArgument with the reason.
[[nodiscard]] Result<ListenAddress> parse_listen_address(std::string_view address);

}  // namespace mr::api::rest
