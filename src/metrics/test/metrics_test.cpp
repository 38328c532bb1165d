#include "metrics/metrics.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "base/testing/fake_clock.h"
#include "gojson/go_json.h"
#include "metrics/metrics_server.h"

namespace mr::metrics {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

// HttpResponse is one parsed answer (header names lower-cased).
struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  [[nodiscard]] std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// Connection is a raw plain-HTTP client on 127.0.0.1: exact control over the bytes sent.
class Connection {
 public:
  explicit Connection(int port, std::chrono::seconds timeout = 10s) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
    if (fd_ < 0) return;
    int yes = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    timeval tv{static_cast<time_t>(timeout.count()), 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~Connection() {
    if (fd_ >= 0) ::close(fd_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  [[nodiscard]] bool connected() const { return fd_ >= 0; }

  bool send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // read_response reads one answer (Content-Length framing; no body for HEAD); nullopt on EOF.
  std::optional<HttpResponse> read_response(bool head = false) {
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    HttpResponse r;
    const std::string block = buf_.substr(0, end + 2);
    buf_.erase(0, end + 4);
    std::size_t line_end = block.find("\r\n");
    r.status = std::stoi(block.substr(9, 3));
    for (std::size_t pos = line_end + 2; pos < block.size(); pos = line_end + 2) {
      line_end = block.find("\r\n", pos);
      const std::string line = block.substr(pos, line_end - pos);
      const std::size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers.emplace(name, line.substr(colon + 2));
    }
    const std::size_t length = head ? 0 : std::stoul("0" + r.header("content-length"));
    while (buf_.size() < length) {
      if (!fill()) return std::nullopt;
    }
    r.body = buf_.substr(0, length);
    buf_.erase(0, length);
    return r;
  }

  // closed_by_server waits (up to the receive timeout) for the server to close the connection.
  bool closed_by_server() {
    while (fill()) {
    }
    return errno_ == 0;
  }

 private:
  bool fill() {
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    errno_ = n < 0 ? errno : 0;
    if (n <= 0) return false;
    buf_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  int errno_ = 0;
  std::string buf_;
};

// get sends one request on a new connection and reads the answer.
std::optional<HttpResponse> get(int port, std::string_view method, std::string_view target) {
  Connection c(port);
  if (!c.connected()) return std::nullopt;
  if (!c.send(std::string(method) + " " + std::string(target) +
              " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) {
    return std::nullopt;
  }
  return c.read_response(method == "HEAD");
}

class MetricsTest : public ::testing::Test {
 protected:
  mr::testing::FakeClock clock_{*parse_rfc3339("2026-11-23T12:00:00Z")};
  int state_ = 3;
  CoordinatorMetrics metrics_{{"0.1.0", "abc"}, [this] { return state_; }, clock_};
  core::ActivationRequest request_{
      {0x01, 0x02}, {}, "web", "6ba7b810-9dad-11d1-80b4-00c04fd430c8", {}};
};

TEST_F(MetricsTest, ActivationsByTypeAndOutcomeWithoutUuidLabels) {
  metrics_.on_activation(request_, "web", ok(), 0.004);
  metrics_.on_activation(request_, "web", fail(ErrorCode::kPermissionDenied, "no"), 0.002);
  metrics_.on_activation(request_, "unknown", fail(ErrorCode::kPermissionDenied, "no"), 0.001);
  const std::string text = metrics_.serialize();
  EXPECT_THAT(text, HasSubstr("coordinator_marble_activations_total{type=\"web\"} 2"));
  EXPECT_THAT(text, HasSubstr("coordinator_marble_activations_total{type=\"unknown\"} 1"));
  EXPECT_THAT(text, HasSubstr("coordinator_marble_activations_success_total{type=\"web\"} 1"));
  EXPECT_THAT(text, HasSubstr("coordinator_marble_activations_by_outcome_total{outcome="
                              "\"permission_denied\",type=\"web\"} 1"));
  EXPECT_THAT(
      text,
      HasSubstr("coordinator_marble_activations_by_outcome_total{outcome=\"ok\",type=\"web\"} 1"));
  EXPECT_THAT(
      text,
      HasSubstr(
          "coordinator_marble_activation_duration_seconds_bucket{type=\"web\",le=\"0.005\"} 2"));
  EXPECT_THAT(text,
              HasSubstr("coordinator_marble_activation_duration_seconds_count{type=\"web\"} 2"));
  EXPECT_THAT(text, HasSubstr("coordinator_state 3"));
  EXPECT_THAT(text, HasSubstr("coordinator_version_info{commit=\"abc\",version=\"0.1.0\"} 0"));
  EXPECT_THAT(text, Not(HasSubstr("uuid")));
}

TEST_F(MetricsTest, HttpRequestsByRoute) {
  metrics_.started("/api/v2/status");
  metrics_.finished({"GET", "/api/v2/status", 200, 0.01, 0, 90});
  metrics_.started("other");
  metrics_.finished({"GET", "other", 405, 0.001, 0, 31});
  const std::string text = metrics_.serialize();
  EXPECT_THAT(text, HasSubstr("server_client_api_http_request_total{code=\"200\",method=\"GET\","
                              "path=\"/api/v2/status\"} 1"));
  EXPECT_THAT(
      text,
      HasSubstr(
          "server_client_api_http_request_total{code=\"405\",method=\"GET\",path=\"other\"} 1"));
  EXPECT_THAT(text,
              HasSubstr("server_client_api_http_in_flight_requests{path=\"/api/v2/status\"} 0"));
  EXPECT_THAT(text, HasSubstr("server_client_api_http_response_size_histogram_bytes_bucket{path=\"/"
                              "api/v2/status\",le=\"100\"} 1"));
}

TEST_F(MetricsTest, EventLogHoldsSuccessfulActivationsOnly) {
  EXPECT_EQ(metrics_.events_json(), "null");
  metrics_.on_activation(request_, "web", fail(ErrorCode::kPermissionDenied, "no"), 0.001);
  EXPECT_EQ(metrics_.events_json(), "null");
  metrics_.on_activation(request_, "web", ok(), 0.001);
  auto j = gojson::Json::parse(metrics_.events_json());
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["time"], "2026-11-23T12:00:00Z");
  EXPECT_EQ(j[0]["activation"]["marbleType"], "web");
  EXPECT_EQ(j[0]["activation"]["uuid"], request_.uuid);
  EXPECT_EQ(j[0]["activation"]["quote"], "AQI=");
  for (std::size_t i = 0; i < CoordinatorMetrics::kMaxEvents + 5; ++i)
    metrics_.on_activation(request_, "web", ok(), 0);
  EXPECT_EQ(gojson::Json::parse(metrics_.events_json()).size(), CoordinatorMetrics::kMaxEvents);
}

class MetricsServerTest : public MetricsTest {
 protected:
  // Sends to a connection the server dropped fail (EPIPE) instead of killing the test.
  void SetUp() override { std::signal(SIGPIPE, SIG_IGN); }

  void start(api::http::ServerConfig config = MetricsServer::default_config("127.0.0.1:0")) {
    auto server = MetricsServer::start(std::move(config), metrics_);
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(*server);
    port_ = server_->port();
    ASSERT_GT(port_, 0);
  }

  std::unique_ptr<MetricsServer> server_;
  int port_ = 0;
};

TEST_F(MetricsServerTest, ServesMetricsAndEventsWithTheirContentTypes) {
  metrics_.on_activation(request_, "web", ok(), 0.001);
  auto server = MetricsServer::start("127.0.0.1:0", metrics_);  // the Coordinator's call
  ASSERT_TRUE(server) << server.error().message;
  const int port = (*server)->port();
  auto m = get(port, "GET", "/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  EXPECT_EQ(m->header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(m->header("content-length"), std::to_string(m->body.size()));
  EXPECT_THAT(m->body, HasSubstr("coordinator_marble_activations_total{type=\"web\"} 1"));
  EXPECT_THAT(m->body, HasSubstr("coordinator_state 3"));
  auto e = get(port, "GET", "/events");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, 200);
  EXPECT_EQ(e->header("content-type"), "application/json");
  EXPECT_EQ(e->body, metrics_.events_json());  // raw, not wrapped in a JSend envelope
  auto j = gojson::Json::parse(e->body);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["activation"]["marbleType"], "web");
}

TEST_F(MetricsServerTest, KeepAliveAndHead) {
  start();
  Connection c(port_);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto h = c.read_response(/*head=*/true);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(h->header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_GT(std::stoul(h->header("content-length")), 0u);
  EXPECT_EQ(h->header("keep-alive"), "timeout=5, max=100");
  // The HEAD answer carried no body: the next answer on the connection parses.
  ASSERT_TRUE(c.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto e = c.read_response();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, 200);
  EXPECT_EQ(e->body, "null");
}

TEST_F(MetricsServerTest, UnknownPathIs404AndOtherMethodsAre405) {
  start();
  auto r = get(port_, "GET", "/nope");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r->body, "404 page not found\n");
  r = get(port_, "GET", "/api/v2/status");  // the client API is not served here
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  r = get(port_, "POST", "/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->header("allow"), "GET, HEAD");
  EXPECT_EQ(r->body, "Method Not Allowed\n");
  r = get(port_, "DELETE", "/events");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
}

TEST_F(MetricsServerTest, OneMegabyteHeaderBlockIs431) {
  start();
  Connection c(port_);
  ASSERT_TRUE(c.connected());
  // Sent from another thread: the server answers after its 16 KiB and drains the rest.
  std::thread sender([&c] {
    (void)c.send("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(1 << 20, 'a') +
                 "\r\n\r\n");
  });
  auto r = c.read_response();
  sender.join();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_EQ(r->header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r->body, "request header fields too large\n");
  EXPECT_TRUE(c.closed_by_server());
  // Too many fields, in few bytes, too.
  std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 100; ++i)
    request += "X-A: b\r\n";
  Connection d(port_);
  ASSERT_TRUE(d.send(request + "\r\n"));
  r = d.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  // Just under the byte limit is served.
  r = std::nullopt;
  Connection e(port_);
  ASSERT_TRUE(e.send("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(15 << 10, 'a') +
                     "\r\n\r\n"));
  r = e.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(MetricsServerTest, IdleConnectionsAreClosedAtTheirDeadlines) {
  auto config = MetricsServer::default_config("127.0.0.1:0");
  config.read_timeout = 400ms;
  config.keep_alive_timeout = 1s;
  start(config);
  // Connected and silent: closed after read_timeout.
  Connection silent(port_);
  ASSERT_TRUE(silent.connected());
  auto t0 = Clock::now();
  EXPECT_TRUE(silent.closed_by_server());
  auto waited = Clock::now() - t0;
  EXPECT_GE(waited, 300ms);
  EXPECT_LT(waited, 2s);
  // Headers trickled one byte every 100 ms: dropped at the header deadline (read_timeout from
  // the first byte), though every single wait is shorter.
  Connection slow(port_);
  ASSERT_TRUE(slow.send("G"));
  t0 = Clock::now();
  bool sending = true;
  const std::string rest = "ET /metrics HTTP/1.1\r\nX-Slow: " + std::string(100, 'a');
  for (std::size_t i = 0; sending && i < rest.size() && Clock::now() - t0 < 5s; ++i) {
    std::this_thread::sleep_for(100ms);
    sending = slow.send(std::string_view(rest).substr(i, 1));
  }
  waited = Clock::now() - t0;
  EXPECT_FALSE(sending) << "still connected after 5 s";
  EXPECT_GE(waited, 300ms);
  EXPECT_LT(waited, 2s);
  // Idle after an answer: closed after keep_alive_timeout.
  Connection kept(port_);
  ASSERT_TRUE(kept.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = kept.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("keep-alive"), "timeout=1, max=100");
  t0 = Clock::now();
  EXPECT_TRUE(kept.closed_by_server());
  waited = Clock::now() - t0;
  EXPECT_GE(waited, 900ms);
  EXPECT_LT(waited, 3s);
  // Meanwhile and afterwards the endpoint answers.
  r = get(port_, "GET", "/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(MetricsServerTest, PerAddressCapClosesTheOldestIdleConnection) {
  auto config = MetricsServer::default_config("127.0.0.1:0");
  config.max_connections_per_address = 2;
  start(config);
  Connection oldest(port_, 5s);
  ASSERT_TRUE(oldest.connected());
  std::this_thread::sleep_for(50ms);
  Connection second(port_, 5s);
  ASSERT_TRUE(second.connected());
  std::this_thread::sleep_for(50ms);
  auto r = get(port_, "GET", "/metrics");  // a third connection from the same address
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  const auto t0 = Clock::now();
  EXPECT_TRUE(oldest.closed_by_server());
  EXPECT_LT(Clock::now() - t0, 2s);  // well before its 5 s read deadline
}

TEST_F(MetricsServerTest, BadAddressesAreRefused) {
  auto bad = MetricsServer::start("nonsense", metrics_);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  start();
  auto taken = MetricsServer::start("127.0.0.1:" + std::to_string(port_), metrics_);
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace mr::metrics
