#pragma once
// RestServer: the HTTPS listener of the client API (spec 3.1-3.2): the route table (Router) on
// the project's HTTP server (api/http/server.h: Boost.Beast over Boost.Asio and OpenSSL, event
// loop, deadlines, header limits, connection caps, graceful stop).
//
//   core::ClientApi api(*core);
//   RestServerConfig config;
//   config.address = ":4433";
//   auto server = RestServer::create(config, Router(client_api_routes(api)),
//                                    core_tls_identity(*core));
//   MR_RETURN_IF_ERROR((*server)->start());
//   log("listening", (*server)->port());
//   ...
//   (*server)->stop();  // joins every server thread
//
// Per connection: the TLS certificate comes from the identity source at each handshake; client
// certificates are requested, optional and never verified; the leaf's DER reaches the handlers.
// Per request: the route is resolved once, from the request line and headers, before any body
// byte is read; a header block over the limits answers 431; a Content-Length over the route's
// limit answers 413 at once (or the route's upstream error), a chunked body is cut off at the
// limit; a multipart/form-data body answers 415; the server's own errors are JSend errors.

#include <cstddef>
#include <memory>
#include <string>

#include "api/http/server.h"
#include "api/rest/router.h"
#include "api/rest/tls_identity.h"
#include "base/listen_address.h"
#include "base/result.h"

namespace mr::api::rest {

using http::RequestObserver;
using http::RequestRecord;

// RestServerConfig: the HTTP server's settings (api/http/server.h: address, deadlines, header
// limits, connection caps, threads, observer) and the client API's body limit.
struct RestServerConfig : http::ServerConfig {
  RestServerConfig() { address = ":4433"; }
  // max_body_bytes bounds the bodies of routes without an upstream limit of their own.
  std::size_t max_body_bytes = std::size_t{8} << 20;
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
using http::parse_listen_address;

}  // namespace mr::api::rest
