// apply_server_tls_policy on a raw OpenSSL server (RSA and ECDSA certificates, so that RSA key
// exchange and both ECDHE authentications are possible): what it refuses, what it accepts, and
// a control server without the policy that accepts every refused probe (the probes are real).
#include "crypto/openssl/tls_policy.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <thread>

#include "crypto/openssl/ossl.h"
#include "crypto/openssl/testing/tls_probe.h"
#include "crypto/tls_policy.h"
#include "crypto/x509.h"
#include "test_util.h"

namespace mr::crypto {
namespace {

using ossl::testing::TlsProbe;
using ossl::testing::TlsProbeResult;

std::string self_signed_pem(const PrivateKey& key, const std::string& cn) {
  CertTemplate t;
  t.subject.common_name = cn;
  t.not_before = SystemClock().now() - std::chrono::hours(1);
  t.not_after = *t.not_before + std::chrono::hours(24);
  t.dns_names = std::vector<std::string>{"localhost"};
  t.ext_key_usage = std::vector<ExtKeyUsage>{ExtKeyUsage::kServerAuth};
  auto c = create_certificate(t, key.public_key(), nullptr, key);
  EXPECT_TRUE(c) << c.error().message;
  return c->pem();
}

void use_pem(SSL_CTX* ctx, const std::string& cert_pem, const PrivateKey& key) {
  ossl::Ptr<BIO> cb(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  ossl::Ptr<X509> x(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
  const SecretBytes key_pem = key.to_pem();
  ossl::Ptr<BIO> kb(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  ossl::Ptr<EVP_PKEY> k(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(x && k);
  ASSERT_EQ(SSL_CTX_use_certificate(ctx, x.get()), 1);
  ASSERT_EQ(SSL_CTX_use_PrivateKey(ctx, k.get()), 1);
}

// RawServer accepts connections on 127.0.0.1:0, handshakes and reads until the peer stops (so
// that a renegotiation request is processed).
class RawServer {
 public:
  explicit RawServer(bool with_policy) {
    std::signal(SIGPIPE, SIG_IGN);  // TLS 1.3 tickets written to a client that already left
    ctx_.reset(SSL_CTX_new(TLS_server_method()));
    // The most permissive starting point: everything OpenSSL can do, renegotiation allowed.
    SSL_CTX_set_security_level(ctx_.get(), 0);
    SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_VERSION);
    SSL_CTX_set_cipher_list(ctx_.get(), "ALL:@SECLEVEL=0");
    SSL_CTX_set_options(ctx_.get(), SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
    SSL_CTX_clear_options(ctx_.get(), SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_dh_auto(ctx_.get(), 1);
    use_pem(ctx_.get(), self_signed_pem(testing::rsa2048(), "rsa"), testing::rsa2048());
    use_pem(ctx_.get(), self_signed_pem(testing::p256(), "ecdsa"), testing::p256());
    if (with_policy) {
      auto s = ossl::apply_server_tls_policy(*ctx_);
      EXPECT_TRUE(s) << s.error().message;
    }
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~RawServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  SSL_CTX& ctx() { return *ctx_; }

 private:
  void serve() {
    while (!stop_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      timeval tv{5, 0};
      setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ossl::Ptr<SSL> ssl(SSL_new(ctx_.get()));
      SSL_set_fd(ssl.get(), c);
      if (SSL_accept(ssl.get()) == 1) {
        char buf[256];
        while (SSL_read(ssl.get(), buf, sizeof buf) > 0) {
        }
      }
      ERR_clear_error();
      ::close(c);
    }
  }

  ossl::Ptr<SSL_CTX> ctx_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TlsProbe tls12(std::string ciphers) {
  TlsProbe p;
  p.max_version = TLS1_2_VERSION;
  p.tls12_ciphers = std::move(ciphers);
  return p;
}

// The probes the policy must refuse; each one succeeds against a server without it.
struct Refused {
  const char* what;
  TlsProbe probe;
};
std::vector<Refused> refused_probes() {
  TlsProbe tls11;
  tls11.max_version = TLS1_1_VERSION;
  TlsProbe reneg = tls12("ECDHE-ECDSA-AES128-GCM-SHA256");
  reneg.try_renegotiation = true;
  return {
      {"TLS 1.2 ECDHE CBC-SHA1", tls12("ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES256-SHA")},
      {"TLS 1.2 ECDHE CBC-SHA2", tls12("ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384")},
      {"TLS 1.2 RSA key exchange, GCM", tls12("AES128-GCM-SHA256:AES256-GCM-SHA384")},
      {"TLS 1.2 RSA key exchange, CBC", tls12("AES128-SHA:AES256-SHA256")},
      {"TLS 1.2 DHE", tls12("DHE-RSA-AES128-GCM-SHA256:DHE-RSA-CHACHA20-POLY1305")},
      {"TLS 1.1", tls11},
  };
}

TEST(TlsPolicy, ControlServerWithoutThePolicyAcceptsEveryProbe) {
  RawServer server(/*with_policy=*/false);
  for (const Refused& r : refused_probes()) {
    const TlsProbeResult got = ossl::testing::tls_probe(server.port(), r.probe);
    EXPECT_TRUE(got.handshake) << r.what << ": " << got.error;
  }
  TlsProbe reneg = tls12("ECDHE-ECDSA-AES128-GCM-SHA256");
  reneg.try_renegotiation = true;
  EXPECT_TRUE(ossl::testing::tls_probe(server.port(), reneg).renegotiated);
}

TEST(TlsPolicy, RefusesOldVersionsCbcRsaKeyExchangeAndDhe) {
  RawServer server(/*with_policy=*/true);
  for (const Refused& r : refused_probes()) {
    const TlsProbeResult got = ossl::testing::tls_probe(server.port(), r.probe);
    EXPECT_TRUE(got.connected) << r.what;
    EXPECT_FALSE(got.handshake) << r.what << " was accepted with " << got.cipher;
  }
}

TEST(TlsPolicy, RefusesRenegotiation) {
  RawServer server(/*with_policy=*/true);
  TlsProbe reneg = tls12("ECDHE-ECDSA-AES128-GCM-SHA256");
  reneg.try_renegotiation = true;
  const TlsProbeResult got = ossl::testing::tls_probe(server.port(), reneg);
  EXPECT_TRUE(got.handshake) << got.error;
  EXPECT_FALSE(got.renegotiated);
}

TEST(TlsPolicy, AcceptsEveryTls13SuiteAndTheTls12EcdheAeadSuites) {
  RawServer server(/*with_policy=*/true);
  for (std::string_view suite : kTls13CipherSuites) {
    TlsProbe p;
    p.min_version = TLS1_3_VERSION;
    p.tls13_suites = std::string(suite);
    const TlsProbeResult got = ossl::testing::tls_probe(server.port(), p);
    EXPECT_TRUE(got.handshake) << suite << ": " << got.error;
    EXPECT_EQ(got.version, "TLSv1.3");
    EXPECT_EQ(got.cipher, suite);
  }
  for (std::string_view suite : kTls12CipherSuites) {
    const TlsProbeResult got = ossl::testing::tls_probe(server.port(), tls12(std::string(suite)));
    EXPECT_TRUE(got.handshake) << suite << ": " << got.error;
    EXPECT_EQ(got.version, "TLSv1.2");
    EXPECT_EQ(got.cipher, suite);
  }
  // A client offering everything gets TLS 1.3; one offering TLS 1.2 and everything gets an
  // ECDHE + AEAD suite (the server's preference).
  EXPECT_EQ(ossl::testing::tls_probe(server.port(), {}).version, "TLSv1.3");
  const TlsProbeResult any12 = ossl::testing::tls_probe(server.port(), tls12(""));
  EXPECT_TRUE(any12.handshake) << any12.error;
  EXPECT_TRUE(tls_policy_allows_suite(any12.cipher)) << any12.cipher;
}

TEST(TlsPolicy, SetsTheOptions) {
  RawServer server(/*with_policy=*/true);
  const uint64_t o = SSL_CTX_get_options(&server.ctx());
  EXPECT_NE(o & SSL_OP_NO_COMPRESSION, 0u);
  EXPECT_NE(o & SSL_OP_NO_RENEGOTIATION, 0u);
  EXPECT_NE(o & SSL_OP_CIPHER_SERVER_PREFERENCE, 0u);
  EXPECT_EQ(o & SSL_OP_ALLOW_CLIENT_RENEGOTIATION, 0u);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(&server.ctx()), TLS1_2_VERSION);
  EXPECT_GE(SSL_CTX_get_security_level(&server.ctx()), 2);
}

TEST(TlsPolicy, SuiteNames) {
  EXPECT_TRUE(tls_policy_allows_suite("ECDHE-RSA-CHACHA20-POLY1305"));
  EXPECT_TRUE(tls_policy_allows_suite("TLS_AES_256_GCM_SHA384"));
  EXPECT_FALSE(tls_policy_allows_suite("ECDHE-ECDSA-AES128-SHA"));
  EXPECT_FALSE(tls_policy_allows_suite("AES128-GCM-SHA256"));
  EXPECT_FALSE(tls_policy_allows_suite(""));
  EXPECT_EQ(tls_suite_list(kTls13CipherSuites),
            "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
}

}  // namespace
}  // namespace mr::crypto
