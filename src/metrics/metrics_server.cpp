#include "metrics/metrics_server.h"

#include <chrono>
#include <utility>

namespace mr::metrics {
namespace {

using api::http::Response;

// text_reply is Go's http.Error: |body| as text/plain with X-Content-Type-Options: nosniff.
Response text_reply(int status, std::string body) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.body = std::move(body);
  return r;
}

// MetricsService routes the two endpoints.
class MetricsService final : public api::http::Service {
 public:
  explicit MetricsService(CoordinatorMetrics& metrics) : metrics_(metrics) {}

  [[nodiscard]] std::string_view name() const override { return "metrics"; }

  [[nodiscard]] api::http::Routing route(const api::http::RequestHead& head) const override {
    api::http::Routing routing;
    const bool metrics = head.path == "/metrics";
    if (!metrics && head.path != "/events") {
      routing.response = text_reply(404, "404 page not found\n");
      return routing;
    }
    if (head.method != "GET" && head.method != "HEAD") {
      routing.response = text_reply(405, "Method Not Allowed\n");
      routing.response->headers.emplace_back("Allow", "GET, HEAD");
      return routing;
    }
    routing.label = metrics ? "/metrics" : "/events";
    CoordinatorMetrics& m = metrics_;
    if (metrics) {
      routing.handler = [&m](const api::http::Request&) {
        Response r;
        r.content_type = std::string(kMetricsContentType);
        r.body = m.serialize();
        return r;
      };
    } else {
      routing.handler = [&m](const api::http::Request&) {
        Response r;
        r.content_type = "application/json";
        r.body = m.events_json();
        return r;
      };
    }
    return routing;
  }

 private:
  CoordinatorMetrics& metrics_;
};

}  // namespace

api::http::ServerConfig MetricsServer::default_config(std::string address) {
  using std::chrono::seconds;
  api::http::ServerConfig c;
  c.address = std::move(address);
  c.read_timeout = seconds(5);
  c.write_timeout = seconds(5);
  c.body_timeout = seconds(5);  // bodies are never read
  c.request_timeout = seconds(5);
  c.keep_alive_timeout = seconds(5);
  c.max_connections = 256;
  c.max_connections_per_address = 64;
  c.io_threads = 1;
  c.worker_threads = 2;
  c.max_queued_connections = 16;
  return c;
}

MetricsServer::MetricsServer(std::unique_ptr<api::http::Server> server)
    : server_(std::move(server)) {}

MetricsServer::~MetricsServer() {
  server_->stop();
}

int MetricsServer::port() const {
  return server_->port();
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const std::string& address,
                                                            CoordinatorMetrics& metrics) {
  return start(default_config(address), metrics);
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(api::http::ServerConfig config,
                                                            CoordinatorMetrics& metrics) {
  MR_ASSIGN_OR_RETURN(
      auto server, api::http::Server::create(
                       std::move(config), std::make_unique<MetricsService>(metrics), std::nullopt));
  MR_RETURN_IF_ERROR(server->start());
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(server)));
}

}  // namespace mr::metrics
