#include "api/rest/rest_server.h"

#include <utility>

#include "api/rest/error_mapping.h"
#include "api/rest/path.h"
#include "base/log.h"

namespace mr::api::rest {
namespace {

const log::Logger kLog("rest");

// to_response hands a route layer Reply to the server as it is.
http::Response to_response(Reply reply) {
  http::Response r;
  r.status = reply.status;
  r.content_type = std::move(reply.content_type);
  r.body = std::move(reply.body);
  r.headers = std::move(reply.headers);
  r.close_connection = reply.close_connection;
  return r;
}

// RestService is the client API as the HTTP server sees it: the Router's route table, JSend
// errors.
class RestService final : public http::Service {
 public:
  RestService(Router router, std::size_t max_body_bytes)
      : router_(std::move(router)), max_body_bytes_(max_body_bytes) {}

  [[nodiscard]] std::string_view name() const override { return "rest"; }

  [[nodiscard]] http::Routing route(const http::RequestHead& head) const override {
    http::Routing routing;
    Router::Resolution r = router_.resolve(head.method, head.path, head.raw_query);
    if (!r.route) {
      routing.response = to_response(std::move(*r.reply));  // 301 to the clean path, or 405
      return routing;
    }
    const Route& route = *r.route;
    routing.label = route.path;
    if (route.method == Method::kPost) {
      const std::size_t limit = route.upstream_body_limit.value_or(max_body_bytes_);
      routing.body_limit = limit;
      routing.too_large = [&route] { return to_response(body_too_large_reply(route)); };
      const bool over_limit = head.content_length && *head.content_length > limit;
      if (head.has_body && !over_limit &&
          head.content_type.substr(0, 19) == "multipart/form-data") {
        routing.response = to_response(unsupported_media_type_reply());
        return routing;
      }
    }
    routing.handler = [this, &route](const http::Request& request) {
      RequestContext ctx;
      ctx.body = request.body;
      ctx.query = parse_query(request.raw_query);  // Go's rules
      ctx.peer_certificate = request.peer_certificate;
      return to_response(router_.dispatch(route, std::move(ctx)));
    };
    return routing;
  }

  [[nodiscard]] http::Response error(int status, std::string_view message) const override {
    return to_response(jsend::error(status, message));
  }

 private:
  const Router router_;
  const std::size_t max_body_bytes_;
};

}  // namespace

struct RestServer::Impl {
  std::string address;
  std::unique_ptr<http::Server> server;
};

Result<std::unique_ptr<RestServer>> RestServer::create(RestServerConfig config, Router router,
                                                       TlsIdentitySource identity) {
  if (config.max_body_bytes == 0) {
    return fail(ErrorCode::kInvalidArgument, "the REST body limit must be positive");
  }
  if (!identity) return fail(ErrorCode::kInvalidArgument, "no TLS identity source");
  auto service = std::make_unique<RestService>(std::move(router), config.max_body_bytes);
  auto impl = std::make_unique<Impl>();
  impl->address = config.address;
  MR_ASSIGN_OR_RETURN(impl->server,
                      http::Server::create(std::move(config), std::move(service),
                                           std::optional<TlsIdentitySource>(std::move(identity))));
  return std::unique_ptr<RestServer>(new RestServer(std::move(impl)));
}

RestServer::RestServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RestServer::~RestServer() {
  stop();
}

Status RestServer::start() {
  MR_RETURN_IF_ERROR(impl_->server->start());
  kLog.info("client API listening", {{"address", impl_->address}, {"port", port()}});
  return ok();
}

void RestServer::stop() {
  impl_->server->stop();
}

int RestServer::port() const {
  return impl_->server->port();
}

}  // namespace mr::api::rest
