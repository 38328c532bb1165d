#include "metrics/metrics_server.h"

#include <httplib.h>

#include <thread>

#include "api/rest/rest_server.h"

namespace mr::metrics {

struct MetricsServer::Impl {
  httplib::Server server;
  std::thread thread;
  int port = 0;
};

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MetricsServer::~MetricsServer() {
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int MetricsServer::port() const {
  return impl_->port;
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const std::string& address,
                                                            CoordinatorMetrics& metrics) {
  MR_ASSIGN_OR_RETURN(auto addr, api::rest::parse_listen_address(address));
  auto impl = std::make_unique<Impl>();
  impl->server.set_read_timeout(5, 0);
  impl->server.set_write_timeout(5, 0);
  impl->server.set_payload_max_length(1 << 16);
  impl->server.Get("/metrics", [&metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.serialize(), "text/plain; version=0.0.4; charset=utf-8");
  });
  impl->server.Get("/events", [&metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.events_json(), "application/json");
  });
  const std::string host = addr.host.empty() ? "0.0.0.0" : addr.host;
  impl->port = addr.port == 0 ? impl->server.bind_to_any_port(host)
                              : (impl->server.bind_to_port(host, addr.port) ? addr.port : -1);
  if (impl->port < 0)
    return failf(ErrorCode::kUnavailable, "metrics: cannot listen on {}", address);
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->server.listen_after_bind(); });
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(impl)));
}

}  // namespace mr::metrics
