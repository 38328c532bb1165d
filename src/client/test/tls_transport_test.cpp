// The TLS transport against a local HTTPS server (cpp-httplib on OpenSSL, like the Coordinator).

#include "client/tls_transport.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

#include "base/testing/temp_dir.h"
#include "client/coordinator_client.h"
#include "client/test/fakes.h"
#include "crypto/openssl/ossl.h"
#include "crypto/pem.h"

namespace mr::client {
namespace {

using ::testing::HasSubstr;
using testing::make_cert;
using testing::TestCa;

int accept_any(int, X509_STORE_CTX*) {
  return 1;
}

ossl::Ptr<X509> to_x509(const crypto::Certificate& c) {
  const unsigned char* p = c.der().data();
  return ossl::Ptr<X509>(d2i_X509(nullptr, &p, static_cast<long>(c.der().size())));
}

ossl::Ptr<EVP_PKEY> to_pkey(const crypto::PrivateKey& k) {
  SecretBytes der = k.to_pkcs8_der();
  const unsigned char* p = der.data();
  return ossl::Ptr<EVP_PKEY>(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size())));
}

// TestServer serves /api/v2/status over TLS with |leaf| (plus |chain|) and reports the CN of the
// client certificate it received as the status message.
class TestServer {
 public:
  TestServer(const TestCa& leaf, std::vector<crypto::Certificate> chain = {})
      : server_([leaf, chain](SSL_CTX& ctx) {
          auto x = to_x509(leaf.cert);
          auto k = to_pkey(leaf.key);
          if (SSL_CTX_use_certificate(&ctx, x.get()) != 1) return false;
          if (SSL_CTX_use_PrivateKey(&ctx, k.get()) != 1) return false;
          for (const auto& c : chain) {
            auto cx = to_x509(c);
            if (SSL_CTX_add1_chain_cert(&ctx, cx.get()) != 1) return false;
          }
          SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER, accept_any);
          return true;
        }) {
    server_.Get("/api/v2/status", [](const httplib::Request& req, httplib::Response& res) {
      std::string who = "nobody";
      if (req.ssl != nullptr) {
        ossl::Ptr<X509> peer(SSL_get1_peer_certificate(req.ssl));
        if (peer) {
          char cn[256] = {};
          X509_NAME_get_text_by_NID(X509_get_subject_name(peer.get()), NID_commonName, cn,
                                    sizeof(cn));
          who = cn;
        }
      }
      res.set_content(R"({"status":"success","data":{"code":3,"message":")" + who + "\"}}",
                      "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~TestServer() {
    server_.stop();
    thread_.join();
  }
  [[nodiscard]] int port() const { return port_; }

 private:
  httplib::SSLServer server_;
  int port_ = 0;
  std::thread thread_;
};

class TlsTransportTest : public ::testing::Test {
 protected:
  TestCa root_ = make_cert("MarbleRun Coordinator", nullptr, true, {"coordinator.test"});

  Result<CoordinatorStatus> status(int port, std::optional<Bytes> pinned,
                                   std::shared_ptr<const ClientIdentity> id = nullptr,
                                   std::string host = "127.0.0.1") {
    TlsTransportConfig c;
    c.address = {host, port};
    c.pinned_root_der = std::move(pinned);
    c.identity = std::move(id);
    c.connect_timeout = std::chrono::seconds(5);
    c.read_timeout = std::chrono::seconds(5);
    auto t = make_tls_transport(std::move(c));
    if (!t) return fail(t.error());
    return CoordinatorClient(std::move(*t)).status();
  }
};

TEST_F(TlsTransportTest, PinnedRootServedAsLeafIsAccepted) {
  TestServer server(root_);
  auto s = status(server.port(), root_.cert.der());
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->code, 3);
  EXPECT_EQ(s->message, "nobody");
}

TEST_F(TlsTransportTest, AnotherRootIsRefused) {
  TestServer server(root_);
  const TestCa other = make_cert("MarbleRun Coordinator", nullptr, true);
  auto s = status(server.port(), other.cert.der());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kPermissionDenied);
  EXPECT_THAT(s.error().message, HasSubstr("not the pinned root certificate"));
}

TEST_F(TlsTransportTest, ALeafChainingToThePinnedRootIsNotTheRoot) {
  // Like a Marble certificate signed by the Coordinator's intermediate: it chains to the root,
  // but the Coordinator itself always serves the root.
  const TestCa intermediate = make_cert("intermediate", &root_, true);
  const TestCa leaf = make_cert("marble", &intermediate, false);
  TestServer server(leaf, {intermediate.cert});
  auto s = status(server.port(), root_.cert.der());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kPermissionDenied);
  EXPECT_THAT(s.error().message, HasSubstr("not the pinned root certificate"));
}

TEST_F(TlsTransportTest, HostNameMustBeInTheSans) {
  TestServer server(root_);
  auto s = status(server.port(), root_.cert.der(), nullptr, "localhost");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kPermissionDenied);
  EXPECT_THAT(s.error().message, HasSubstr("not valid for the host name localhost"));
  EXPECT_THAT(s.error().message, HasSubstr("coordinator.test, 127.0.0.1"));
}

TEST_F(TlsTransportTest, InsecureAcceptsAnything) {
  const TestCa stranger = make_cert("stranger", nullptr, false);
  TestServer server(stranger);
  auto s = status(server.port(), std::nullopt, nullptr, "localhost");
  ASSERT_TRUE(s) << s.error().message;
}

TEST_F(TlsTransportTest, ClientCertificateIsPresented) {
  TestServer server(root_);
  const TestCa alice = make_cert("alice", nullptr, false);
  auto id = parse_client_identity(alice.cert.pem(), alice.key.to_pem());
  ASSERT_TRUE(id) << id.error().message;
  auto s = status(server.port(), root_.cert.der(),
                  std::make_shared<const ClientIdentity>(std::move(*id)));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->message, "alice");
}

TEST_F(TlsTransportTest, ConnectionRefusedIsUnavailable) {
  int port = 0;
  {
    TestServer server(root_);
    port = server.port();
  }
  auto s = status(port, root_.cert.der());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(s.error().message, HasSubstr("the Coordinator at 127.0.0.1:" + std::to_string(port) +
                                           " refused the connection: nothing listens on port"));
}

TEST_F(TlsTransportTest, UnresolvableHostIsNotFound) {
  TlsTransportConfig c;
  c.address = CoordinatorAddress{"no-such-coordinator.invalid", 4433};
  auto t = make_tls_transport(std::move(c));
  ASSERT_TRUE(t);
  auto r = (*t)->send(HttpRequest{HttpMethod::kGet, "/api/v2/status", {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);  // not retried as if it were starting
  EXPECT_THAT(r.error().message, HasSubstr("cannot resolve the host name"));
}

TEST(ClientIdentity, KeyMustMatchTheCertificate) {
  const TestCa alice = make_cert("alice", nullptr, false);
  const TestCa bob = make_cert("bob", nullptr, false);
  auto id = parse_client_identity(alice.cert.pem(), bob.key.to_pem());
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().message, "the client key does not belong to the client certificate");
  auto none = parse_client_identity("no pem here", alice.key.to_pem());
  ASSERT_FALSE(none);
  EXPECT_THAT(none.error().message, HasSubstr("no CERTIFICATE PEM block"));
}

TEST(ClientIdentity, LoadsTheTestUsers) {
  const std::string dir = std::string(MR_SOURCE_DIR) + "/tests/testdata/keys/";
  auto id = load_client_identity(dir + "alice.cert.pem", dir + "alice.key.pem");
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->cert_chain_der.size(), 1u);
  auto missing = load_client_identity(dir + "nobody.cert.pem", dir + "alice.key.pem");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  auto mismatch = load_client_identity(dir + "alice.cert.pem", dir + "bob.key.pem");
  ASSERT_FALSE(mismatch);
  EXPECT_THAT(mismatch.error().message, HasSubstr("bob.key.pem"));
}

}  // namespace
}  // namespace mr::client
