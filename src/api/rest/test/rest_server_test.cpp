// RestServer over real TLS with a test route table (no Core): TLS identity per handshake,
// unverified client certificates, routing, body limits and timeouts.
#include "api/rest/rest_server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "base/encoding.h"
#include "crypto/keys.h"
#include "crypto/x509.h"
#include "https_client.h"

namespace mr::api::rest {
namespace {

using namespace std::chrono_literals;
using testing::ClientCertificate;
using testing::RawResponse;
using testing::TlsConnection;

std::string key_path(const std::string& name) {
  return std::string(MR_SOURCE_DIR) + "/tests/testdata/keys/" + name;
}

TlsIdentity load_identity(const std::string& who) {
  auto cert = crypto::Certificate::from_pem(testing::read_file(key_path(who + ".cert.pem")));
  auto key = crypto::PrivateKey::from_pem(testing::read_file(key_path(who + ".key.pem")));
  EXPECT_TRUE(cert && key);
  return TlsIdentity{*cert, *key};
}

Route test_route(Method m, std::string_view path, Handler h, Auth auth = Auth::kNone,
                 std::optional<std::size_t> limit = kServerBodyLimit) {
  return Route{m,
               path,
               auth,
               ApiVersion::kV2,
               ErrorPolicy::kServerError,
               limit,
               Deprecation::kNone,
               std::move(h)};
}

std::vector<Route> test_routes() {
  return {
      test_route(Method::kGet, "/api/v2/status",
                 [](const RequestContext&) -> HandlerResult {
                   return Json::object({{"code", 2}, {"message", "ready <&>"}});
                 }),
      test_route(
          Method::kPost, "/api/v2/echo",
          [](const RequestContext& ctx) -> HandlerResult {
            return Json::object({{"size", ctx.body.size()}, {"body", std::string(ctx.body)}});
          }),
      test_route(
          Method::kPost, "/api/v2/limited",
          [](const RequestContext& ctx) -> HandlerResult { return Json(ctx.body.size()); },
          Auth::kNone, 100),
      test_route(Method::kGet, "/api/v2/peer",
                 [](const RequestContext& ctx) -> HandlerResult {
                   if (!ctx.peer_certificate) return Json(nullptr);
                   return Json(hex_encode(*ctx.peer_certificate));
                 }),
      test_route(
          Method::kGet, "/api/v2/whoami",
          [](const RequestContext& ctx) -> HandlerResult { return Json(ctx.user); }, Auth::kUser),
  };
}

class RestServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bob_ = load_identity("bob");
    carol_ = load_identity("carol");
    alice_ = load_identity("alice");
    alice_client_ = {testing::read_file(key_path("alice.cert.pem")),
                     testing::read_file(key_path("alice.key.pem"))};
    RestServerConfig config;
    config.address = "127.0.0.1:0";
    config.max_body_bytes = 1024;
    config.read_timeout = 1000ms;  // "answered at once" below means well under this
    config.write_timeout = 1000ms;
    config.keep_alive_timeout = 1s;
    config.worker_threads = 4;
    const Bytes alice_der = alice_.certificate.der();
    Router router(test_routes(),
                  [alice_der](const std::optional<Bytes>& leaf) -> Result<std::string> {
                    if (leaf && *leaf == alice_der) return std::string("alice");
                    return fail(ErrorCode::kUnauthenticated, std::string(kUnknownUserMessage));
                  });
    auto server =
        RestServer::create(config, std::move(router), [this]() -> std::optional<TlsIdentity> {
          switch (identity_.load()) {
            case 0:
              return bob_;
            case 1:
              return carol_;
            default:
              return std::nullopt;
          }
        });
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(*server);
    ASSERT_TRUE(server_->start());
    port_ = server_->port();
    ASSERT_GT(port_, 0);
  }

  std::optional<RawResponse> get(std::string_view target,
                                 const ClientCertificate* client = nullptr) {
    return testing::request(port_, "GET", target, {}, {}, client);
  }

  TlsIdentity bob_{load_identity("bob")}, carol_{bob_}, alice_{bob_};
  ClientCertificate alice_client_;
  std::atomic<int> identity_{0};
  std::unique_ptr<RestServer> server_;
  int port_ = 0;
};

TEST_F(RestServerTest, ServesJSendWithTheIdentityCertificateAlone) {
  auto c = TlsConnection::connect(port_);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->server_certificate_der(), bob_.certificate.der());
  EXPECT_EQ(c->peer_chain_length(), 1);
  ASSERT_TRUE(c->send("GET /api/v2/status HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Content-Type"), "application/json");
  EXPECT_EQ(r->body,
            "{\"status\":\"success\",\"data\":{\"code\":2,\"message\":\"ready "
            "\\u003c\\u0026\\u003e\"}}\n");
  // Keep-alive: a second request on the same connection.
  ASSERT_TRUE(c->send("GET /api/v2/status HTTP/1.1\r\nHost: x\r\n\r\n"));
  r = c->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(RestServerTest, IdentityIsLookedUpPerHandshake) {
  identity_ = 1;
  auto c = TlsConnection::connect(port_);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->server_certificate_der(), carol_.certificate.der());
  identity_ = 2;  // no identity (state 0): handshakes fail
  EXPECT_FALSE(TlsConnection::connect(port_));
  identity_ = 0;
  c = TlsConnection::connect(port_);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->server_certificate_der(), bob_.certificate.der());
}

TEST_F(RestServerTest, UnknownPathsAndMethodsAnswer405) {
  for (auto [method, target] : std::vector<std::pair<std::string_view, std::string_view>>{
           {"GET", "/api/v2/nonexistent"},
           {"GET", "/api/v2/status/"},
           {"POST", "/api/v2/status"},
           {"PUT", "/api/v2/status"},
           {"DELETE", "/api/v2/echo"},
           {"GET", "/api/v2/echo"},
       }) {
    SCOPED_TRACE(std::string(method) + " " + std::string(target));
    auto r = testing::request(port_, method, target);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 405);
    EXPECT_EQ(r->header("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(r->header("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(r->body, "{\"status\":\"error\",\"data\":null}\n");
  }
}

TEST_F(RestServerTest, UncleanPathsRedirect) {
  auto r = get("//api/v2/status?nonce=YQ%3D%3D");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 301);
  EXPECT_EQ(r->header("Location"), "/api/v2/status?nonce=YQ%3D%3D");
  EXPECT_EQ(r->body, "<a href=\"/api/v2/status?nonce=YQ%3D%3D\">Moved Permanently</a>.\n\n");
  r = get("/api/v2/x/../status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 301);
  EXPECT_EQ(r->header("Location"), "/api/v2/status");
}

TEST_F(RestServerTest, ClientCertificatesAreAcceptedUnverifiedAndTheLeafReachesHandlers) {
  auto r = get("/api/v2/peer", &alice_client_);  // self-signed, unknown issuer: still accepted
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body,
            "{\"status\":\"success\",\"data\":\"" + hex_encode(alice_.certificate.der()) + "\"}\n");
  r = get("/api/v2/peer");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "{\"status\":\"success\",\"data\":null}\n");

  r = get("/api/v2/whoami", &alice_client_);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "{\"status\":\"success\",\"data\":\"alice\"}\n");
  ClientCertificate bob{testing::read_file(key_path("bob.cert.pem")),
                        testing::read_file(key_path("bob.key.pem"))};
  for (const ClientCertificate* who : std::vector<const ClientCertificate*>{nullptr, &bob}) {
    r = get("/api/v2/whoami", who);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(r->header("Content-Type"), "application/json");
    EXPECT_EQ(r->body, "{\"status\":\"fail\",\"data\":null,\"message\":\"" +
                           std::string(kUnknownUserMessage) + "\"}\n");
  }
}

TEST_F(RestServerTest, BodiesAreReadWithinTheLimit) {
  auto r = testing::request(port_, "POST", "/api/v2/echo", std::string(1024, 'a'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("\"size\":1024"), std::string::npos);

  // Chunked within the limit.
  auto c = TlsConnection::connect(port_);
  ASSERT_TRUE(c);
  ASSERT_TRUE(
      c->send("POST /api/v2/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
              "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  r = c->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "{\"status\":\"success\",\"data\":{\"size\":5,\"body\":\"abcde\"}}\n");

  // A POST without Content-Length or chunking has an empty body: answered at once.
  c = TlsConnection::connect(port_);
  ASSERT_TRUE(c);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(c->send("POST /api/v2/echo HTTP/1.1\r\nHost: x\r\n\r\n"));
  r = c->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "{\"status\":\"success\",\"data\":{\"size\":0,\"body\":\"\"}}\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 700ms);
}

TEST_F(RestServerTest, OversizedContentLengthIs413BeforeTheBodyIsRead) {
  auto c = TlsConnection::connect(port_);
  ASSERT_TRUE(c);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(
      c->send("POST /api/v2/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"));
  auto r = c->read_response();  // no body byte sent: the answer must not wait for it
  ASSERT_TRUE(r);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 700ms);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r->body,
            "{\"status\":\"error\",\"data\":null,\"message\":\"http: request body too large\"}\n");
  EXPECT_EQ(r->header("Connection"), "close");
  // Body bytes that follow are never taken for a request: the connection just ends.
  ASSERT_TRUE(c->send("GET /api/v2/status HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_TRUE(c->at_eof());
}

TEST_F(RestServerTest, OversizedChunkedBodyIs413) {
  auto c = TlsConnection::connect(port_);
  ASSERT_TRUE(c);
  std::string req = "POST /api/v2/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i)
    req += "200\r\n" + std::string(512, 'z') + "\r\n";
  ASSERT_TRUE(c->send(req));  // 1536 bytes, no terminating chunk
  auto r = c->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->body,
            "{\"status\":\"error\",\"data\":null,\"message\":\"http: request body too large\"}\n");
  EXPECT_EQ(r->header("Connection"), "close");
}

TEST_F(RestServerTest, ExpectContinueWithOversizedBodyIsRefusedUpFront) {
  auto c = TlsConnection::connect(port_);
  ASSERT_TRUE(c);
  ASSERT_TRUE(
      c->send("POST /api/v2/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: "
              "100-continue\r\n\r\n"));
  auto r = c->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->header("Content-Length"), std::to_string(r->body.size()));
  EXPECT_EQ(r->body,
            "{\"status\":\"error\",\"data\":null,\"message\":\"http: request body too large\"}\n");
  EXPECT_EQ(r->header("Connection"), "close");

  // Within the limit, the client gets "100 Continue" and the body is read.
  c = TlsConnection::connect(port_);
  ASSERT_TRUE(c);
  ASSERT_TRUE(
      c->send("POST /api/v2/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: "
              "100-continue\r\n\r\n"));
  r = c->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 100);
  ASSERT_TRUE(c->send("abc"));
  r = c->read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "{\"status\":\"success\",\"data\":{\"size\":3,\"body\":\"abc\"}}\n");
}

TEST_F(RestServerTest, UpstreamBodyLimitIsAnInputError) {
  auto r = testing::request(port_, "POST", "/api/v2/limited", std::string(101, 'a'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->header("Content-Type"), "application/json");
  EXPECT_EQ(r->body,
            "{\"status\":\"fail\",\"data\":null,\"message\":\"http: request body too large\"}\n");
  r = testing::request(port_, "POST", "/api/v2/limited", std::string(100, 'a'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "{\"status\":\"success\",\"data\":100}\n");
}

TEST_F(RestServerTest, MultipartBodiesAreRefused) {
  auto r = testing::request(port_, "POST", "/api/v2/echo", "--b\r\n\r\nx\r\n--b--\r\n",
                            "Content-Type: multipart/form-data; boundary=b\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 415);
}

// waits until the server closes |fd| (or 5 s pass) and returns how long that took.
std::chrono::milliseconds time_until_closed(int fd) {
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  const auto start = std::chrono::steady_clock::now();
  char buf[4096];
  while (::recv(fd, buf, sizeof(buf), 0) > 0) {
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

TEST_F(RestServerTest, SilentClientsAreDisconnectedAfterTheReadTimeout) {
  const int fd = testing::tcp_connect(port_);
  ASSERT_GE(fd, 0);
  const auto waited = time_until_closed(fd);  // never sends a TLS ClientHello
  ::close(fd);
  EXPECT_GE(waited, 800ms);
  EXPECT_LT(waited, 4s);
}

TEST_F(RestServerTest, SlowBodiesTimeOut) {
  auto c = TlsConnection::connect(port_);
  ASSERT_TRUE(c);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(c->send("POST /api/v2/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"));
  auto r = c->read_response();  // the server gives up on the missing 7 bytes
  if (r) {
    EXPECT_EQ(r->status, 400);
  }
  EXPECT_TRUE(c->at_eof());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
}

TEST_F(RestServerTest, StopJoinsAndFreesThePort) {
  server_->stop();
  EXPECT_EQ(server_->port(), 0);
  EXPECT_FALSE(TlsConnection::connect(port_));
  server_->stop();  // idempotent
  EXPECT_FALSE(server_->start());
}

TEST(RestServer, SecondServerOnTheSamePortFails) {
  auto identity = [] { return std::optional<TlsIdentity>(load_identity("bob")); };
  RestServerConfig config;
  config.address = "127.0.0.1:0";
  auto first = RestServer::create(config, Router(test_routes()), identity);
  ASSERT_TRUE(first);
  ASSERT_TRUE((*first)->start());
  config.address = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = RestServer::create(config, Router(test_routes()), identity);
  ASSERT_TRUE(second);
  const auto started = (*second)->start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kUnavailable);
}

TEST(RestServer, ListensOnEveryInterfaceForAPortOnlyAddress) {
  RestServerConfig config;
  config.address = ":0";
  auto server = RestServer::create(config, Router(test_routes()),
                                   [] { return std::optional<TlsIdentity>(load_identity("bob")); });
  ASSERT_TRUE(server);
  ASSERT_TRUE((*server)->start());
  auto r = testing::request((*server)->port(), "GET", "/api/v2/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(ListenAddress, ParsesGoStyleAddresses) {
  EXPECT_EQ(parse_listen_address(":4433")->host, "");
  EXPECT_EQ(parse_listen_address(":4433")->port, 4433);
  EXPECT_EQ(parse_listen_address("0.0.0.0:4433")->host, "0.0.0.0");
  EXPECT_EQ(parse_listen_address("127.0.0.1:0")->port, 0);
  EXPECT_EQ(parse_listen_address("[::1]:8080")->host, "::1");
  EXPECT_EQ(parse_listen_address("localhost:2001")->host, "localhost");
  for (std::string_view bad : {"4433", "host:", ":65536", ":-1", ":http", "::1:80", "[::1:80"}) {
    SCOPED_TRACE(bad);
    const auto r = parse_listen_address(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(RestServer, RejectsBadConfig) {
  auto identity = [] { return std::optional<TlsIdentity>(load_identity("bob")); };
  RestServerConfig config;
  config.address = "nonsense";
  EXPECT_FALSE(RestServer::create(config, Router(test_routes()), identity));
  config.address = ":0";
  config.max_body_bytes = 0;
  EXPECT_FALSE(RestServer::create(config, Router(test_routes()), identity));
}

}  // namespace
}  // namespace mr::api::rest
