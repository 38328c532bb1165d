#pragma once
// MarbleServer: the Marble API (spec 2), gRPC service rpc.Marble/Activate over TLS on the mesh
// address. Free of gRPC types, so the composition root does not compile gRPC headers.
//
//   core::MarbleApi marbles(*core, verifier);
//   MarbleServerConfig config;
//   config.address = ":2001";
//   MR_ASSIGN_OR_RETURN(auto server, MarbleServer::create(
//       config, [&](const core::ActivationRequest& r) { return marbles.activate(r); },
//       core_marble_identity(*core)));
//   MR_RETURN_IF_ERROR(server->start());      // logs "Marble API listening" with the port
//   ...
//   server->stop();                           // graceful, bounded by shutdown_grace
//
// Transport (spec 2.2): TLS 1.3, or TLS 1.2 with ECDHE + AES-GCM only (the server TLS policy,
// see tls_credentials.h), ALPN h2, the identity source's certificate (the Marble root with the
// intermediate key) followed by its chain (the intermediate), a client certificate required but
// not verified and no list of acceptable client CAs (tls_credentials.h). The handler gets the DER
// of the client's leaf certificate as presented in the handshake.
//
// Identity rotation: a watcher thread reads the identity source every identity_poll_interval.
// When the certificate changed (package or manifest update, recovery switching CA) it rebuilds
// the gRPC server with the new certificate on the same port: the old server stops accepting at
// once and drains its calls in flight (up to shutdown_grace) while the new one binds (retried for
// up to 5 s; if that fails the error is logged and the next poll tries again). Connections
// attempted in that gap (milliseconds) are refused, and for up to one poll interval after a
// rotation handshakes still present the previous certificate; Marbles do not verify it
// (InsecureSkipVerify) and must restart after an update anyway. gRPC 1.51 cannot swap the
// certificate of a running server without advertising client CAs (see tls_credentials.h).
//
// Resources: requests are read by gRPC (at most max_receive_message_bytes each) and queued for
// a fixed pool of worker_threads that run the activations (CPU-bound: key generation, quote
// verification, template rendering); beyond max_queued_activations waiting calls, new calls
// fail at once with RESOURCE_EXHAUSTED. Handshakes time out after handshake_timeout (a client
// that sends nothing, garbage or half a handshake, or no HTTP/2 preface after TLS, is dropped
// then), idle connections are closed after max_connection_idle.
//
// Accept failures: gRPC 1.51 stops accepting for good after accept() fails with EMFILE (no file
// descriptor left) or a similar error, and says so only in its log ("Failed accept4"). The
// watcher sees that line (through the log function start() installs) and restarts the listener
// on the same port at its next poll, logging a warning and "Marble API listener restarted on the
// same port"; connections of the old listener are closed, calls in flight get shutdown_grace.
// With GRPC_VERBOSITY=NONE gRPC logs nothing and the listener is not restarted.
//
// Logging: the first start() routes gRPC's own log lines (process-wide) to the "grpc-core"
// logger at debug level, as upstream keeps gRPC's logger silent unless debug logging is on.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/grpc/marble_identity.h"
#include "base/result.h"
#include "core/marble_api.h"

namespace mr::api::grpc {

struct MarbleServerConfig {
  // address is Go-style host:port: ":2001" (every interface, IPv4 and IPv6), "0.0.0.0:2001",
  // "[::1]:2001", "localhost:2001". Port 0 picks a free port (see MarbleServer::port()).
  std::string address = ":2001";
  // worker_threads run activations; 0 = one per CPU (at least 2).
  std::size_t worker_threads = 0;
  // max_queued_activations bounds the calls waiting for a worker.
  std::size_t max_queued_activations = 1024;
  // max_receive_message_bytes bounds an ActivationReq (4 MiB: gRPC's default, as upstream).
  std::size_t max_receive_message_bytes = std::size_t{4} << 20;
  // max_concurrent_streams bounds the calls in flight per connection (HTTP/2 setting).
  std::uint32_t max_concurrent_streams = 100;
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds max_connection_idle{std::chrono::minutes(5)};
  // shutdown_grace: stop() (and a rotation, for the old server) lets calls in flight finish for
  // this long, then cancels them.
  std::chrono::milliseconds shutdown_grace{5'000};
  // identity_poll_interval: how often the identity source is checked for a new certificate.
  std::chrono::milliseconds identity_poll_interval{250};
};

// ActivateHandler runs one activation (core::MarbleApi::activate in production). Called
// concurrently from the worker threads.
using ActivateHandler =
    std::function<Result<core::Activation>(const core::ActivationRequest& request)>;

class MarbleServer {
 public:
  // create checks |config| (kInvalidArgument for a malformed address, zero limits or a missing
  // handler/source). Nothing listens before start().
  [[nodiscard]] static Result<std::unique_ptr<MarbleServer>> create(MarbleServerConfig config,
                                                                    ActivateHandler handler,
                                                                    MarbleIdentitySource identity);
  ~MarbleServer();  // stop()s
  MarbleServer(const MarbleServer&) = delete;
  MarbleServer& operator=(const MarbleServer&) = delete;

  // start binds the address, starts the workers and the identity watcher and serves; logs
  // "Marble API listening" with the address and bound port. kFailedPrecondition if called twice
  // or while the identity source has no identity (no CA yet: nothing listens, so handshakes
  // fail) or if GRPC_SSL_CIPHER_SUITES breaks the TLS policy; kUnavailable if the address
  // cannot be bound; kInternal if gRPC refuses the TLS credentials.
  [[nodiscard]] Status start();
  // stop stops the watcher, stops accepting connections and calls, lets calls in flight finish
  // for up to shutdown_grace (then cancels them), and joins the workers. Idempotent.
  void stop();
  // port is the bound TCP port after start() (the chosen one for port 0), else 0.
  [[nodiscard]] int port() const;
  // identity_changes counts the certificates served so far (1 after start, +1 per rotation).
  [[nodiscard]] std::uint64_t identity_changes() const;

  struct Impl;

 private:
  explicit MarbleServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// grpc_listen_address converts a Go-style listen address to gRPC's form ("" host → "[::]", which
// gRPC binds dual-stack). kInvalidArgument "invalid listen address ..." if malformed.
[[nodiscard]] Result<std::string> grpc_listen_address(std::string_view go_address);

}  // namespace mr::api::grpc
