#pragma once
// RestServer: the HTTPS listener of the client API (spec 3.1-3.2), on cpp-httplib.
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
// Per request: the route is resolved from the request line before any body byte is read; a
// Content-Length over the route's limit answers 413 at once, a chunked body is cut off at the
// limit; one log line (method, path, status, duration), never bodies.

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
  // read_timeout bounds the TLS handshake and each wait for request bytes; write_timeout each
  // wait to send. A client that connects and stays silent is dropped after read_timeout.
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds write_timeout{10'000};
  // Keep-alive: an idle connection is closed after keep_alive_timeout (whole seconds, at least
  // 1), and after max_requests_per_connection requests.
  std::chrono::seconds keep_alive_timeout{5};
  std::size_t max_requests_per_connection = 100;
  // worker_threads serve connections; at most max_queued_connections accepted connections wait
  // for a worker (then accepting pauses and the kernel backlog fills).
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
  // stop stops accepting, lets in-flight requests finish and joins all threads (open idle
  // connections are waited for up to keep_alive_timeout). Idempotent.
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
