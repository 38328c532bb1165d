#include "metrics/metrics.h"

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <cctype>

#include "base/encoding.h"
#include "gojson/go_json.h"

namespace mr::metrics {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::Histogram;

// outcome_label is "ok" or the error code in lower snake case ("permission_denied").
std::string outcome_label(const Status& s) {
  if (s) return "ok";
  std::string name(error_code_name(s.error().code));
  for (char& c : name)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

struct Event {
  std::string time;
  std::string marble_type;
  std::string uuid;
  std::string quote_b64;
};

}  // namespace

std::string_view grpc_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "OK";
    case ErrorCode::kCancelled:
      return "Canceled";
    case ErrorCode::kUnknown:
      return "Unknown";
    case ErrorCode::kInvalidArgument:
      return "InvalidArgument";
    case ErrorCode::kDeadlineExceeded:
      return "DeadlineExceeded";
    case ErrorCode::kNotFound:
      return "NotFound";
    case ErrorCode::kAlreadyExists:
      return "AlreadyExists";
    case ErrorCode::kPermissionDenied:
      return "PermissionDenied";
    case ErrorCode::kResourceExhausted:
      return "ResourceExhausted";
    case ErrorCode::kFailedPrecondition:
      return "FailedPrecondition";
    case ErrorCode::kAborted:
      return "Aborted";
    case ErrorCode::kOutOfRange:
      return "OutOfRange";
    case ErrorCode::kUnimplemented:
      return "Unimplemented";
    case ErrorCode::kInternal:
      return "Internal";
    case ErrorCode::kUnavailable:
      return "Unavailable";
    case ErrorCode::kDataLoss:
      return "DataLoss";
    case ErrorCode::kUnauthenticated:
      return "Unauthenticated";
  }
  return "Unknown";
}

struct CoordinatorMetrics::Impl {
  Impl(MetricsInfo i, std::function<int()> s, const Clock& c)
      : info(std::move(i)),
        state_source(std::move(s)),
        clock(c),
        registry(std::make_shared<prometheus::Registry>()),
        version(BuildGauge()
                    .Name("coordinator_version_info")
                    .Help("Version information of the Coordinator.")
                    .Register(*registry)),
        state(BuildGauge()
                  .Name("coordinator_state")
                  .Help("State of the Coordinator.")
                  .Register(*registry)),
        activations(BuildCounter()
                        .Name("coordinator_marble_activations_total")
                        .Help("Number of attempted marble activations.")
                        .Register(*registry)),
        activations_success(BuildCounter()
                                .Name("coordinator_marble_activations_success_total")
                                .Help("Number of successful marble activations.")
                                .Register(*registry)),
        activations_by_outcome(
            BuildCounter()
                .Name("coordinator_marble_activations_by_outcome_total")
                .Help("Marble activations by outcome (ok or the gRPC error code).")
                .Register(*registry)),
        activation_seconds(BuildHistogram()
                               .Name("coordinator_marble_activation_duration_seconds")
                               .Help("Time to answer a marble activation.")
                               .Register(*registry)),
        http_requests(BuildCounter()
                          .Name("server_client_api_http_request_total")
                          .Help("Total number of HTTP requests to the client API.")
                          .Register(*registry)),
        http_seconds(BuildHistogram()
                         .Name("server_client_api_http_request_duration_histogram_seconds")
                         .Help("Latency of HTTP requests to the client API.")
                         .Register(*registry)),
        http_request_bytes(BuildHistogram()
                               .Name("server_client_api_http_request_size_histogram_bytes")
                               .Help("Size of HTTP request bodies.")
                               .Register(*registry)),
        http_response_bytes(BuildHistogram()
                                .Name("server_client_api_http_response_size_histogram_bytes")
                                .Help("Size of HTTP response bodies.")
                                .Register(*registry)),
        http_in_flight(BuildGauge()
                           .Name("server_client_api_http_in_flight_requests")
                           .Help("HTTP requests being served.")
                           .Register(*registry)),
        grpc_started(BuildCounter()
                         .Name("grpc_server_started_total")
                         .Help("Total number of RPCs started on the server.")
                         .Register(*registry)),
        grpc_handled(BuildCounter()
                         .Name("grpc_server_handled_total")
                         .Help("Total number of RPCs completed on the server, regardless of "
                               "success or failure.")
                         .Register(*registry)),
        scrapes(BuildCounter()
                    .Name("promhttp_metric_handler_requests_total")
                    .Help("Total number of scrapes by HTTP status code.")
                    .Register(*registry)) {
    version.Add({{"version", info.version}, {"commit", info.commit}}).Set(0);
  }

  MetricsInfo info;
  std::function<int()> state_source;
  const Clock& clock;
  std::shared_ptr<prometheus::Registry> registry;
  prometheus::Family<prometheus::Gauge>& version;
  prometheus::Family<prometheus::Gauge>& state;
  prometheus::Family<prometheus::Counter>& activations;
  prometheus::Family<prometheus::Counter>& activations_success;
  prometheus::Family<prometheus::Counter>& activations_by_outcome;
  prometheus::Family<Histogram>& activation_seconds;
  prometheus::Family<prometheus::Counter>& http_requests;
  prometheus::Family<Histogram>& http_seconds;
  prometheus::Family<Histogram>& http_request_bytes;
  prometheus::Family<Histogram>& http_response_bytes;
  prometheus::Family<prometheus::Gauge>& http_in_flight;
  prometheus::Family<prometheus::Counter>& grpc_started;
  prometheus::Family<prometheus::Counter>& grpc_handled;
  prometheus::Family<prometheus::Counter>& scrapes;

  mutable std::mutex events_mu;  // guards events
  std::deque<Event> events;
};

CoordinatorMetrics::CoordinatorMetrics(MetricsInfo info, std::function<int()> state,
                                       const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(info), std::move(state), clock)) {}

CoordinatorMetrics::~CoordinatorMetrics() = default;

void CoordinatorMetrics::on_activation(const core::ActivationRequest& request,
                                       std::string_view type_label, const Status& outcome,
                                       double seconds) {
  const std::string type(type_label);
  impl_->activations.Add({{"type", type}}).Increment();
  impl_->activations_by_outcome.Add({{"type", type}, {"outcome", outcome_label(outcome)}})
      .Increment();
  impl_->activation_seconds
      .Add({{"type", type}},
           Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5})
      .Observe(seconds);
  if (!outcome) return;
  impl_->activations_success.Add({{"type", type}}).Increment();
  std::string ts = format_rfc3339(impl_->clock.now());
  std::scoped_lock lock(impl_->events_mu);
  impl_->events.push_back(Event{std::move(ts), type, request.uuid, base64_encode(request.quote)});
  if (impl_->events.size() > kMaxEvents) impl_->events.pop_front();
}

void CoordinatorMetrics::started(std::string_view route) {
  impl_->http_in_flight.Add({{"path", std::string(route)}}).Increment();
}

void CoordinatorMetrics::finished(const api::http::RequestRecord& r) {
  const std::string path(r.route), method(r.method);
  impl_->http_in_flight.Add({{"path", path}}).Decrement();
  impl_->http_requests.Add({{"code", std::to_string(r.status)}, {"method", method}, {"path", path}})
      .Increment();
  impl_->http_seconds
      .Add({{"method", method}, {"path", path}},
           Histogram::BucketBoundaries{.005, .025, .1, .5, 1, 2.5, 5})
      .Observe(r.seconds);
  const Histogram::BucketBoundaries sizes{100, 1000, 2000, 5000, 10000};
  impl_->http_request_bytes.Add({{"path", path}}, sizes)
      .Observe(static_cast<double>(r.request_bytes));
  impl_->http_response_bytes.Add({{"path", path}}, sizes)
      .Observe(static_cast<double>(r.response_bytes));
}

void CoordinatorMetrics::grpc_started(std::string_view service, std::string_view method) {
  impl_->grpc_started
      .Add({{"grpc_type", "unary"},
            {"grpc_service", std::string(service)},
            {"grpc_method", std::string(method)}})
      .Increment();
}

void CoordinatorMetrics::grpc_handled(const GrpcCallRecord& r) {
  impl_->grpc_handled
      .Add({{"grpc_type", "unary"},
            {"grpc_service", std::string(r.service)},
            {"grpc_method", std::string(r.method)},
            {"grpc_code", std::string(r.code)}})
      .Increment();
}

std::string CoordinatorMetrics::serialize() {
  impl_->state.Add({}).Set(impl_->state_source ? impl_->state_source() : 0);
  impl_->scrapes.Add({{"code", "200"}}).Increment();
  return prometheus::TextSerializer().Serialize(impl_->registry->Collect());
}

std::string CoordinatorMetrics::events_json() const {
  std::scoped_lock lock(impl_->events_mu);
  if (impl_->events.empty()) return "null";
  gojson::Json out = gojson::Json::array();
  for (const Event& e : impl_->events) {
    out.push_back({{"time", e.time},
                   {"activation",
                    {{"marbleType", e.marble_type}, {"uuid", e.uuid}, {"quote", e.quote_b64}}}});
  }
  return out.dump();
}

}  // namespace mr::metrics
