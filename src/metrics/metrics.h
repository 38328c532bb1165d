#pragma once
// CoordinatorMetrics: the Coordinator's Prometheus metrics (spec 12) and the activation event log
// (spec 14.2). Upstream's metric names, without the per-UUID label (unbounded cardinality), plus
// an activation latency histogram and counters by outcome.
//
//   CoordinatorMetrics metrics({.version = "0.1.0"}, [&] { return core.snapshot()->state; });
//   core::MarbleApi marbles(core, verifier, &metrics);          // activations
//   rest_config.observer = &metrics;                              // client API requests
//   std::string text = metrics.serialize();                       // GET /metrics

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "api/http/server.h"
#include "base/clock.h"
#include "core/marble_api.h"

namespace mr::metrics {

struct MetricsInfo {
  std::string version;
  std::string commit;
};

// GrpcCallRecord describes one finished gRPC call on the Marble API.
struct GrpcCallRecord {
  std::string_view service;  // "rpc.Marble"
  std::string_view method;   // "Activate"
  std::string_view code;     // grpc status name, e.g. "OK", "PermissionDenied"
};

// grpc_code_name returns grpc-go's name of |code| ("OK", "PermissionDenied", ...), the
// grpc_code label upstream's go-grpc-middleware uses.
[[nodiscard]] std::string_view grpc_code_name(ErrorCode code);

class CoordinatorMetrics final : public core::ActivationObserver,
                                 public api::http::RequestObserver {
 public:
  // |state| is read at every scrape (the coordinator_state gauge); |clock| stamps events.
  CoordinatorMetrics(MetricsInfo info, std::function<int()> state, const Clock& clock);
  ~CoordinatorMetrics() override;

  // core::ActivationObserver
  void on_activation(const core::ActivationRequest& request, std::string_view type_label,
                     const Status& outcome, double seconds) override;
  // api::http::RequestObserver
  void started(std::string_view route) override;
  void finished(const api::http::RequestRecord& record) override;
  // grpc_started / grpc_handled feed the grpc_server_* counters.
  void grpc_started(std::string_view service, std::string_view method);
  void grpc_handled(const GrpcCallRecord& record);

  // serialize renders every metric in the Prometheus text format (version 0.0.4).
  [[nodiscard]] std::string serialize();
  // events_json renders the activation event log: a JSON array, or "null" when empty.
  [[nodiscard]] std::string events_json() const;

  // Events kept in memory (upstream keeps all of them, which grows without bound).
  static constexpr std::size_t kMaxEvents = 10'000;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mr::metrics
