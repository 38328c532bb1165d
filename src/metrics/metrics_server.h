#pragma once
// MetricsServer: plain HTTP on EDG_COORDINATOR_PROMETHEUS_ADDR serving GET /metrics (Prometheus
// text format) and GET /events (the activation event log).
//
//   auto server = MetricsServer::start(":9944", metrics);
//   log("metrics listening", server->port());

#include <memory>
#include <string>

#include "base/result.h"
#include "metrics/metrics.h"

namespace mr::metrics {

class MetricsServer {
 public:
  // start binds |address| (Go style, port 0 = ephemeral) and serves in the background.
  // kUnavailable if the address cannot be bound. |metrics| must outlive the server.
  [[nodiscard]] static Result<std::unique_ptr<MetricsServer>> start(const std::string& address,
                                                                    CoordinatorMetrics& metrics);
  ~MetricsServer();  // stops and joins
  [[nodiscard]] int port() const;

  struct Impl;

 private:
  explicit MetricsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mr::metrics
