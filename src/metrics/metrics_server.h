#pragma once
// MetricsServer: plain HTTP on EDG_COORDINATOR_PROMETHEUS_ADDR serving GET /metrics (Prometheus
// text format) and GET /events (the activation event log), on the project's HTTP server
// (api/http/server.h: the client API's event loop, deadlines, header limits and connection
// caps, without TLS).
//
//   auto server = MetricsServer::start(":9944", metrics);
//   log("metrics listening", server->port());
//
// GET and HEAD of /metrics and /events are answered; other methods on them 405, other paths 404
// (text/plain, as Go's http.ServeMux). Request bodies are never read.

#include <memory>
#include <string>

#include "api/http/server.h"
#include "base/result.h"
#include "metrics/metrics.h"

namespace mr::metrics {

// kMetricsContentType is the Prometheus text format's (version 0.0.4).
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

class MetricsServer {
 public:
  // default_config is the endpoint's HTTP settings for |address|: 5 s to read a request (and
  // for a new connection's first byte), 5 s to write an answer, 5 s of keep-alive, the server's
  // header limits (16 KiB, 100 fields), at most 256 connections (64 per client address), one
  // event-loop thread and two workers.
  [[nodiscard]] static api::http::ServerConfig default_config(std::string address);

  // start binds |address| (Go style, port 0 = ephemeral) and serves in the background with
  // default_config(). kInvalidArgument for a malformed address, kUnavailable if it cannot be
  // bound. |metrics| must outlive the server.
  [[nodiscard]] static Result<std::unique_ptr<MetricsServer>> start(const std::string& address,
                                                                    CoordinatorMetrics& metrics);
  // start serves with |config| (tests shorten its deadlines); errors as above, and
  // kInvalidArgument for zero limits.
  [[nodiscard]] static Result<std::unique_ptr<MetricsServer>> start(api::http::ServerConfig config,
                                                                    CoordinatorMetrics& metrics);
  ~MetricsServer();  // stops and joins
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // port is the bound TCP port (the chosen one for port 0).
  [[nodiscard]] int port() const;

 private:
  explicit MetricsServer(std::unique_ptr<api::http::Server> server);
  std::unique_ptr<api::http::Server> server_;
};

}  // namespace mr::metrics
