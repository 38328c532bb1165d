// MarbleServer in-process on port 0, driven by gRPC's own C++ client (the generated stub, no
// project client code) and by a raw OpenSSL client for the TLS properties: proto ⇄ domain, the
// peer's leaf certificate, status codes and messages, identity rotation without restart, limits,
// overload and graceful shutdown; and a real Core behind it.
#include "api/grpc/marble_server.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "api/grpc/marble_identity.h"
#include "api/grpc/tls_credentials.h"
#include "attestation/simulated/no_tee_issuer.h"
#include "base/testing/temp_dir.h"
#include "coordinator.grpc.pb.h"
#include "core/ca.h"
#include "core/client_api.h"
#include "core/core.h"
#include "crypto/keys.h"
#include "crypto/openssl/testing/tls_probe.h"
#include "crypto/tls_policy.h"
#include "crypto/x509.h"
#include "seal/file_seal_key_provider.h"
#include "store/memory/memory_store.h"

namespace mr::api::grpc {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// A Marble-like client identity: a self-signed certificate (P-256 keeps the tests fast).
struct ClientIdentity {
  crypto::PrivateKey key;
  crypto::Certificate cert;
};

ClientIdentity client_identity(std::string_view cn = "MarbleRun Marble") {
  auto key = *crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP256));
  crypto::CertTemplate t;
  t.subject.common_name = std::string(cn);
  t.not_before = SystemClock().now() - std::chrono::hours(1);
  t.not_after = *t.not_before + std::chrono::hours(24);
  t.dns_names = std::vector<std::string>{"localhost"};
  t.key_usage = crypto::kKeyUsageDigitalSignature | crypto::kKeyUsageKeyAgreement;
  t.ext_key_usage = std::vector<crypto::ExtKeyUsage>{crypto::ExtKeyUsage::kClientAuth};
  t.basic_constraints_valid = true;
  return {key, *crypto::create_certificate(t, key.public_key(), nullptr, key)};
}

core::CaSet make_ca() {
  auto ca = core::generate_ca({"localhost"}, SystemClock().now());
  EXPECT_TRUE(ca) << ca.error().message;
  return *ca;
}

// Switchable identity source (what the Core's snapshot provides in production).
class TestIdentity {
 public:
  void set(std::optional<MarbleTlsIdentity> id) {
    std::scoped_lock lock(mu_);
    id_ = std::move(id);
  }
  MarbleIdentitySource source() {
    return [this] {
      std::scoped_lock lock(mu_);
      return id_;
    };
  }

 private:
  std::mutex mu_;
  std::optional<MarbleTlsIdentity> id_;
};

struct CallResult {
  ::grpc::Status status;
  rpc::ActivationResp resp;
  std::string server_cert_pem;   // what the server presented, from the client's auth context
  std::string server_chain_pem;  // the whole chain it sent
};

// channel connects to 127.0.0.1:|port|, trusting |root_pem| for the server (name "localhost"),
// with |client| as the client certificate (none if null; |chain_pem| overrides the chain sent).
std::shared_ptr<::grpc::Channel> channel(int port, const std::string& root_pem,
                                         const ClientIdentity* client,
                                         const std::string& chain_pem = "") {
  ::grpc::SslCredentialsOptions o;
  o.pem_root_certs = root_pem;
  if (client) {
    o.pem_private_key = std::string(client->key.to_pem().view());
    o.pem_cert_chain = chain_pem.empty() ? client->cert.pem() : chain_pem;
  }
  ::grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a fresh connection per channel
  return ::grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), ::grpc::SslCredentials(o),
                                     args);
}

CallResult call(const std::shared_ptr<::grpc::Channel>& ch, const rpc::ActivationReq& req) {
  auto stub = rpc::Marble::NewStub(ch);
  ::grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 20s);
  CallResult r;
  r.status = stub->Activate(&ctx, req, &r.resp);
  if (auto auth = ctx.auth_context()) {
    for (const auto& v : auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME)) {
      r.server_cert_pem.assign(v.data(), v.size());
    }
    for (const auto& v : auth->FindPropertyValues(GRPC_X509_PEM_CERT_CHAIN_PROPERTY_NAME)) {
      r.server_chain_pem.assign(v.data(), v.size());
    }
  }
  return r;
}

rpc::ActivationReq request(std::string type = "backend") {
  rpc::ActivationReq req;
  req.set_quote(std::string("\x01\x00quote", 7));
  req.set_csr("csr");
  req.set_marbletype(std::move(type));
  req.set_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
  return req;
}

// Blocks handler calls until released; counts entries.
class Gate {
 public:
  void enter() {
    std::unique_lock lock(mu_);
    ++entered_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
  }
  void wait_entered(int n) {
    std::unique_lock lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, 10s, [&] { return entered_ >= n; }));
  }
  void open() {
    std::scoped_lock lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int entered_ = 0;
  bool open_ = false;
};

class MarbleServerTest : public ::testing::Test {
 protected:
  void SetUp() override { identity_.set(MarbleTlsIdentity{ca_.marble_root, ca_.intermediate_key}); }

  // start runs a server whose handler records requests and answers with |answer|.
  void start(MarbleServerConfig config = {}) {
    config.address = "127.0.0.1:0";
    if (config.worker_threads == 0) config.worker_threads = 4;
    auto s = MarbleServer::create(
        config,
        [this](const core::ActivationRequest& r) -> Result<core::Activation> {
          {
            std::scoped_lock lock(mu_);
            seen_.push_back(r);
          }
          return answer_(r);
        },
        identity_.source());
    ASSERT_TRUE(s) << s.error().message;
    server_ = std::move(*s);
    auto st = server_->start();
    ASSERT_TRUE(st) << st.error().message;
    ASSERT_GT(server_->port(), 0);
  }
  std::shared_ptr<::grpc::Channel> channel_as(const ClientIdentity* client) {
    return channel(server_->port(), ca_.marble_root.pem(), client);
  }
  std::vector<core::ActivationRequest> seen() {
    std::scoped_lock lock(mu_);
    return seen_;
  }

  core::CaSet ca_ = make_ca();
  TestIdentity identity_;
  ClientIdentity client_ = client_identity();
  std::function<Result<core::Activation>(const core::ActivationRequest&)> answer_ =
      [](const core::ActivationRequest&) -> Result<core::Activation> {
    core::Activation a;
    a.files["/etc/app/key"] = std::string("\x00\x01\xfe\xff", 4);
    a.env["MARBLE_PREDEFINED_ROOT_CA"] = "root";
    a.env["EMPTY"] = "";
    a.argv = {"app", "--flag"};
    return a;
  };
  std::mutex mu_;
  std::vector<core::ActivationRequest> seen_;
  std::unique_ptr<MarbleServer> server_;
};

TEST_F(MarbleServerTest, ActivateConvertsRequestPeerCertificateAndResponse) {
  start();
  const CallResult r = call(channel_as(&client_), request());
  ASSERT_TRUE(r.status.ok()) << r.status.error_code() << " " << r.status.error_message();

  const auto reqs = seen();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].quote, to_bytes(std::string("\x01\x00quote", 7)));
  EXPECT_EQ(reqs[0].csr_der, to_bytes("csr"));
  EXPECT_EQ(reqs[0].marble_type, "backend");
  EXPECT_EQ(reqs[0].uuid, "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
  EXPECT_EQ(reqs[0].peer_cert_der, client_.cert.der());  // exactly the DER the client presented

  const rpc::Parameters& p = r.resp.parameters();
  EXPECT_EQ(p.files().at("/etc/app/key"), std::string("\x00\x01\xfe\xff", 4));
  EXPECT_EQ(p.env().at("MARBLE_PREDEFINED_ROOT_CA"), "root");
  EXPECT_EQ(p.env().at("EMPTY"), "");
  ASSERT_EQ(p.argv_size(), 2);
  EXPECT_EQ(p.argv(0), "app");
  EXPECT_EQ(p.argv(1), "--flag");

  // The server presented the Marble root (with the intermediate key, as the handshake proved).
  EXPECT_EQ(r.server_cert_pem, ca_.marble_root.pem());
  EXPECT_EQ(server_->identity_changes(), 1u);  // no rotation
}

TEST_F(MarbleServerTest, OnlyThePeersLeafReachesTheHandler) {
  start();
  // The client sends leaf ‖ another certificate (a chain); the leaf is what it proved.
  const ClientIdentity other = client_identity("some CA");
  const std::string chain = client_.cert.pem() + other.cert.pem();
  const CallResult r =
      call(channel(server_->port(), ca_.marble_root.pem(), &client_, chain), request());
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_EQ(seen().size(), 1u);
  EXPECT_EQ(seen()[0].peer_cert_der, client_.cert.der());
}

TEST_F(MarbleServerTest, ErrorsKeepCodeAndMessage) {
  const std::vector<Error> errors = {
      {ErrorCode::kFailedPrecondition, "cannot accept marbles in current state"},
      {ErrorCode::kPermissionDenied, "marble verification failed: unknown marble type requested"},
      {ErrorCode::kInvalidArgument, "invalid UUID: invalid UUID length: 3"},
      {ErrorCode::kUnauthenticated, "couldn't get marble TLS certificate"},
      {ErrorCode::kInternal,
       "customizing marble parameters: tried to parse secret with empty value"},
  };
  std::atomic<std::size_t> next{0};
  answer_ = [&](const core::ActivationRequest&) -> Result<core::Activation> {
    return fail(errors[next.fetch_add(1)]);
  };
  start();
  auto ch = channel_as(&client_);
  for (const Error& e : errors) {
    const CallResult r = call(ch, request());
    EXPECT_EQ(static_cast<int>(r.status.error_code()), static_cast<int>(e.code)) << e.message;
    EXPECT_EQ(r.status.error_message(), e.message);
    EXPECT_FALSE(r.resp.has_parameters());
  }
}

TEST_F(MarbleServerTest, HandshakeWithoutClientCertificateFails) {
  start();
  const CallResult r = call(channel_as(nullptr), request());
  EXPECT_EQ(r.status.error_code(), ::grpc::StatusCode::UNAVAILABLE) << r.status.error_message();
  EXPECT_TRUE(seen().empty());
}

// Waits until the server has served |n| identities.
void wait_for_changes(const MarbleServer& server, std::uint64_t n) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (server.identity_changes() < n && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(server.identity_changes(), n);
}

TEST_F(MarbleServerTest, ServerCertificateFollowsTheIdentityOnTheSamePort) {
  Gate gate;
  answer_ = [&](const core::ActivationRequest& r) -> Result<core::Activation> {
    if (r.marble_type == "slow") gate.enter();
    core::Activation a;
    a.argv = {r.marble_type};
    return a;
  };
  start({.identity_poll_interval = 20ms});
  const int port = server_->port();
  auto before = channel_as(&client_);
  ASSERT_TRUE(call(before, request()).status.ok());
  // A call in flight during the rotation completes on the old server.
  auto in_flight = std::async(std::launch::async, [&] { return call(before, request("slow")); });
  gate.wait_entered(1);

  // The Coordinator rotates its intermediate (package update): new Marble root, new key.
  auto rotated = core::rotate_intermediate(ca_, core::RotationSans::kDnsOnly, SystemClock().now());
  ASSERT_TRUE(rotated) << rotated.error().message;
  ASSERT_NE(rotated->marble_root, ca_.marble_root);
  identity_.set(MarbleTlsIdentity{rotated->marble_root, rotated->intermediate_key});
  wait_for_changes(*server_, 2);
  EXPECT_EQ(server_->port(), port);

  const CallResult now = call(channel(port, rotated->marble_root.pem(), &client_), request());
  ASSERT_TRUE(now.status.ok()) << now.status.error_message();
  EXPECT_EQ(now.server_cert_pem, rotated->marble_root.pem());
  // A client that trusts only the old Marble root no longer accepts the server.
  const CallResult stale = call(channel(port, ca_.marble_root.pem(), &client_), request());
  EXPECT_EQ(stale.status.error_code(), ::grpc::StatusCode::UNAVAILABLE);

  gate.open();
  const CallResult slow = in_flight.get();
  ASSERT_TRUE(slow.status.ok()) << slow.status.error_message();
  EXPECT_EQ(slow.resp.parameters().argv(0), "slow");
  EXPECT_EQ(slow.server_cert_pem, ca_.marble_root.pem());

  // And back (e.g. recovery restoring the previous CA).
  identity_.set(MarbleTlsIdentity{ca_.marble_root, ca_.intermediate_key});
  wait_for_changes(*server_, 3);
  EXPECT_EQ(call(channel_as(&client_), request()).server_cert_pem, ca_.marble_root.pem());
  EXPECT_EQ(server_->port(), port);
}

TEST_F(MarbleServerTest, StartNeedsAnIdentity) {
  identity_.set(std::nullopt);
  auto s = MarbleServer::create(
      {.address = "127.0.0.1:0"},
      [](const core::ActivationRequest&) -> Result<core::Activation> { return core::Activation{}; },
      identity_.source());
  ASSERT_TRUE(s);
  auto st = (*s)->start();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ((*s)->port(), 0);
}

TEST_F(MarbleServerTest, CreateRejectsBadConfig) {
  auto handler = [](const core::ActivationRequest&) -> Result<core::Activation> {
    return core::Activation{};
  };
  EXPECT_EQ(MarbleServer::create({.address = "nope"}, handler, identity_.source()).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_FALSE(MarbleServer::create({.address = ":0", .max_queued_activations = 0}, handler,
                                    identity_.source()));
  EXPECT_FALSE(MarbleServer::create({.address = ":0"}, nullptr, identity_.source()));
  EXPECT_FALSE(MarbleServer::create({.address = ":0"}, handler, nullptr));
}

TEST_F(MarbleServerTest, ABoundPortIsNotShared) {
  start();
  auto second = MarbleServer::create(
      {.address = "127.0.0.1:" + std::to_string(server_->port())},
      [](const core::ActivationRequest&) -> Result<core::Activation> { return core::Activation{}; },
      identity_.source());
  ASSERT_TRUE(second);
  auto st = (*second)->start();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(call(channel_as(&client_), request()).status.ok());  // the first one still serves
}

TEST_F(MarbleServerTest, AnEmptyHostListensOnEveryInterface) {
  auto s = MarbleServer::create(
      {.address = ":0"},
      [](const core::ActivationRequest&) -> Result<core::Activation> { return core::Activation{}; },
      identity_.source());
  ASSERT_TRUE(s);
  ASSERT_TRUE((*s)->start());
  EXPECT_TRUE(call(channel((*s)->port(), ca_.marble_root.pem(), &client_), request()).status.ok());
}

TEST_F(MarbleServerTest, RequestsOverFourMiBAreRefused) {
  start();
  rpc::ActivationReq big = request();
  big.set_quote(std::string(std::size_t{4} << 20, 'q'));
  const CallResult r = call(channel_as(&client_), big);
  EXPECT_EQ(r.status.error_code(), ::grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(seen().empty());
  rpc::ActivationReq fits = request();
  fits.set_quote(std::string((std::size_t{4} << 20) - 1024, 'q'));
  EXPECT_TRUE(call(channel_as(&client_), fits).status.ok());
}

TEST_F(MarbleServerTest, OverloadIsRefusedWithResourceExhausted) {
  Gate gate;
  answer_ = [&](const core::ActivationRequest&) -> Result<core::Activation> {
    gate.enter();
    return core::Activation{};
  };
  start({.worker_threads = 1, .max_queued_activations = 1});
  auto ch = channel_as(&client_);
  auto first = std::async(std::launch::async, [&] { return call(ch, request()); });
  gate.wait_entered(1);  // the only worker is busy
  auto second = std::async(std::launch::async, [&] { return call(ch, request()); });
  // Wait until the second call is queued (the third must find the queue full).
  std::this_thread::sleep_for(300ms);
  const CallResult third = call(ch, request());
  EXPECT_EQ(third.status.error_code(), ::grpc::StatusCode::RESOURCE_EXHAUSTED);
  gate.open();
  EXPECT_TRUE(first.get().status.ok());
  EXPECT_TRUE(second.get().status.ok());
  EXPECT_EQ(seen().size(), 2u);
}

TEST_F(MarbleServerTest, StopLetsCallsInFlightFinish) {
  Gate gate;
  answer_ = [&](const core::ActivationRequest&) -> Result<core::Activation> {
    gate.enter();
    core::Activation a;
    a.argv = {"done"};
    return a;
  };
  start({.shutdown_grace = 5s});
  const int port = server_->port();
  auto ch = channel_as(&client_);
  auto in_flight = std::async(std::launch::async, [&] { return call(ch, request()); });
  gate.wait_entered(1);
  auto stopping = std::async(std::launch::async, [&] { server_->stop(); });
  std::this_thread::sleep_for(200ms);
  gate.open();
  const CallResult r = in_flight.get();
  EXPECT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.resp.parameters().argv(0), "done");
  stopping.get();
  EXPECT_EQ(server_->port(), 0);
  EXPECT_EQ(call(channel(port, ca_.marble_root.pem(), &client_), request()).status.error_code(),
            ::grpc::StatusCode::UNAVAILABLE);
  server_->stop();  // idempotent
}

TEST_F(MarbleServerTest, StopCancelsCallsAfterTheGrace) {
  std::atomic<bool> release{false};
  answer_ = [&](const core::ActivationRequest&) -> Result<core::Activation> {
    while (!release)
      std::this_thread::sleep_for(10ms);
    return core::Activation{};
  };
  start({.shutdown_grace = 100ms});
  auto ch = channel_as(&client_);
  auto in_flight = std::async(std::launch::async, [&] { return call(ch, request()); });
  while (seen().empty())
    std::this_thread::sleep_for(10ms);
  const auto t0 = std::chrono::steady_clock::now();
  auto stopping = std::async(std::launch::async, [&] { server_->stop(); });
  const CallResult r = in_flight.get();  // cancelled at the deadline, not after the handler
  EXPECT_FALSE(r.status.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  release = true;  // the worker finishes its job; stop() then returns
  stopping.get();
}

// --- TLS properties, with a raw OpenSSL client --------------------------------------------

struct Handshake {
  bool ok = false;
  int client_ca_names = -1;  // acceptable client CAs the server advertised
  std::string alpn;
  std::string version;
};

Handshake handshake(int port, const ClientIdentity* client, int max_version) {
  Handshake h;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_max_proto_version(ctx, max_version);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  const unsigned char alpn[] = {2, 'h', '2'};
  SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn));
  if (client) {
    const std::string cert_pem = client->cert.pem();
    const SecretBytes key_pem = client->key.to_pem();
    BIO* cb = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
    X509* x = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
    BIO* kb = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
    EVP_PKEY* k = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
    SSL_CTX_use_certificate(ctx, x);
    SSL_CTX_use_PrivateKey(ctx, k);
    X509_free(x);
    EVP_PKEY_free(k);
    BIO_free(cb);
    BIO_free(kb);
  }
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) == 1) {
      // A healthy connection has data to read: the server's HTTP/2 SETTINGS. In TLS 1.3 a
      // refused client certificate shows only here, when the server's alert arrives.
      char buf[1];
      h.ok = SSL_peek(ssl, buf, 1) > 0;
      const unsigned char* sel = nullptr;
      unsigned len = 0;
      SSL_get0_alpn_selected(ssl, &sel, &len);
      h.alpn.assign(reinterpret_cast<const char*>(sel), len);
      h.version = SSL_get_version(ssl);
      const STACK_OF(X509_NAME)* cas = SSL_get_client_CA_list(ssl);
      h.client_ca_names = cas ? sk_X509_NAME_num(cas) : 0;
    }
    SSL_free(ssl);
  }
  ERR_clear_error();
  close(fd);
  SSL_CTX_free(ctx);
  return h;
}

TEST_F(MarbleServerTest, TlsIsVersion12Or13WithAlpnH2AndARequiredClientCertificate) {
  start();
  const Handshake h13 = handshake(server_->port(), &client_, TLS1_3_VERSION);
  EXPECT_TRUE(h13.ok);
  EXPECT_EQ(h13.alpn, "h2");
  EXPECT_EQ(h13.version, "TLSv1.3");
  // No acceptable-CA list: Go's TLS client would withhold a certificate that matches none.
  EXPECT_EQ(h13.client_ca_names, 0);
  const Handshake h12 = handshake(server_->port(), &client_, TLS1_2_VERSION);
  EXPECT_TRUE(h12.ok);
  EXPECT_EQ(h12.alpn, "h2");
  EXPECT_EQ(h12.version, "TLSv1.2");
  EXPECT_EQ(h12.client_ca_names, 0);
  EXPECT_FALSE(handshake(server_->port(), &client_, TLS1_1_VERSION).ok);
  EXPECT_FALSE(handshake(server_->port(), nullptr, TLS1_3_VERSION).ok);
  EXPECT_FALSE(handshake(server_->port(), nullptr, TLS1_2_VERSION).ok);
}

// The server TLS policy (crypto/tls_policy.h) on the gRPC listener, with gRPC's defaults.
TEST_F(MarbleServerTest, TlsPolicyRefusesCbcRsaKeyExchangeAndOldVersions) {
  start();
  using ossl::testing::TlsProbe;
  const auto probe = [&](TlsProbe p) {
    p.cert_pem = client_.cert.pem();
    p.key_pem = std::string(client_.key.to_pem().view());
    p.alpn_h2 = true;
    p.read_first = true;  // the server's SETTINGS: the connection is really up
    return ossl::testing::tls_probe(server_->port(), p);
  };
  const auto tls12 = [](std::string ciphers) {
    TlsProbe p;
    p.max_version = TLS1_2_VERSION;
    p.tls12_ciphers = std::move(ciphers);
    return p;
  };
  TlsProbe tls11;
  tls11.max_version = TLS1_1_VERSION;
  TlsProbe tls10;
  tls10.max_version = TLS1_VERSION;
  const std::vector<std::pair<const char*, TlsProbe>> refused = {
      {"TLS 1.2 CBC-SHA1", tls12("ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA")},
      {"TLS 1.2 CBC-SHA2", tls12("ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384")},
      {"TLS 1.2 RSA key exchange", tls12("AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA")},
      {"TLS 1.1", tls11},
      {"TLS 1.0", tls10},
  };
  for (const auto& [what, p] : refused) {
    const auto r = probe(p);
    EXPECT_TRUE(r.connected) << what;
    EXPECT_FALSE(r.handshake) << what << " accepted with " << r.cipher;
  }
  for (std::string_view suite : crypto::kTls13CipherSuites) {
    TlsProbe p;
    p.min_version = TLS1_3_VERSION;
    p.tls13_suites = std::string(suite);
    const auto r = probe(p);
    EXPECT_TRUE(r.handshake) << suite << ": " << r.error;
    EXPECT_EQ(r.cipher, suite);
  }
  for (const char* suite : {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384"}) {
    const auto r = probe(tls12(suite));
    EXPECT_TRUE(r.handshake) << suite << ": " << r.error;
    EXPECT_EQ(r.version, "TLSv1.2");
    EXPECT_EQ(r.cipher, suite);
  }
  // Whatever a TLS 1.2 client offers, the suite chosen is within the policy.
  const auto any12 = probe(tls12(""));
  EXPECT_TRUE(any12.handshake) << any12.error;
  EXPECT_TRUE(crypto::tls_policy_allows_suite(any12.cipher)) << any12.cipher;
  // No renegotiation.
  TlsProbe reneg = tls12("ECDHE-ECDSA-AES128-GCM-SHA256");
  reneg.try_renegotiation = true;
  const auto r = probe(reneg);
  EXPECT_TRUE(r.handshake) << r.error;
  EXPECT_FALSE(r.renegotiated);
}

TEST(MarbleServerTlsPolicy, GrpcCipherSuitesOutsideThePolicyAreRefused) {
  EXPECT_TRUE(check_grpc_cipher_suites(std::nullopt));
  EXPECT_TRUE(check_grpc_cipher_suites(""));
  EXPECT_TRUE(check_grpc_cipher_suites(
      "TLS_AES_128_GCM_SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305"));
  auto bad = check_grpc_cipher_suites(
      "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA:"
      "AES256-GCM-SHA384");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(bad.error().message,
              HasSubstr("GRPC_SSL_CIPHER_SUITES offers ECDHE-ECDSA-AES128-SHA, AES256-GCM-SHA384, "
                        "which the TLS policy refuses"));
}

TEST(MarbleServerTlsPolicy, ServerDoesNotStartWithAWiderGrpcCipherList) {
  // Only the refused case touches the environment: the check fails before gRPC reads it.
  const char* before = std::getenv(kGrpcCipherSuitesEnv);
  ASSERT_EQ(before, nullptr) << "the test environment sets " << kGrpcCipherSuitesEnv;
  ASSERT_EQ(::setenv(kGrpcCipherSuitesEnv, "ECDHE-ECDSA-AES128-SHA", 1), 0);
  TestIdentity identity;
  const core::CaSet ca = make_ca();
  identity.set(MarbleTlsIdentity{ca.marble_root, ca.intermediate_key});
  auto s = MarbleServer::create(
      {.address = "127.0.0.1:0"},
      [](const core::ActivationRequest&) -> Result<core::Activation> { return core::Activation{}; },
      identity.source());
  ASSERT_TRUE(s);
  auto st = (*s)->start();
  ::unsetenv(kGrpcCipherSuitesEnv);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(st.error().message,
              HasSubstr("GRPC_SSL_CIPHER_SUITES offers ECDHE-ECDSA-AES128-SHA"));
  EXPECT_EQ((*s)->port(), 0);
}

// --- A real Core behind the server ----------------------------------------------------------

TEST(MarbleServerCore, ServesTheCoresMarbleRootAndActivates) {
  mr::testing::TempDir dir;
  SystemClock clock;
  store::MemoryStore persistent, volatile_store;
  seal::FileSealKeyProvider seal_keys(dir.path());
  attestation::simulated::NoTeeIssuer issuer;
  auto core = core::Core::start({&clock, &persistent, &volatile_store, &seal_keys, &issuer},
                                {.simulation = true});
  ASSERT_TRUE(core) << core.error().message;
  core::MarbleApi marbles(**core, nullptr);
  core::ClientApi client_api(**core);

  const MarbleIdentitySource source = core_marble_identity(**core);
  const auto id = source();
  ASSERT_TRUE(id);
  const core::SnapshotPtr snap = (*core)->snapshot();
  EXPECT_EQ(id->certificate, snap->ca->marble_root);
  EXPECT_EQ(id->key.public_key(), snap->ca->intermediate_key.public_key());
  // The intermediate follows: it links the Marble root's key to the Coordinator root.
  ASSERT_EQ(id->chain.size(), 1u);
  EXPECT_EQ(id->chain[0], snap->ca->intermediate);

  auto server = MarbleServer::create(
      {.address = "127.0.0.1:0", .worker_threads = 2},
      [&](const core::ActivationRequest& r) { return marbles.activate(r); }, source);
  ASSERT_TRUE(server);
  ASSERT_TRUE((*server)->start());
  const ClientIdentity marble = client_identity();
  auto ch = channel((*server)->port(), snap->ca->marble_root.pem(), &marble);

  rpc::ActivationReq req = request("app");
  req.set_quote("");
  req.set_csr(to_string(*crypto::create_csr(marble.key, {}, {"app.local"}, {})));
  CallResult r = call(ch, req);  // state 2: no manifest yet
  EXPECT_EQ(r.status.error_code(), ::grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(r.status.error_message(), "cannot accept marbles in current state");

  ASSERT_TRUE(client_api.set_manifest(R"({"Packages": {"p": {"Debug": true}},
      "Marbles": {"app": {"Package": "p", "Parameters": {"Argv": ["./app"],
        "Env": {"ROOT_CA": "{{ pem .MarbleRun.RootCA.Cert }}"}}}}})"));
  r = call(ch, req);
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.server_cert_pem, snap->ca->marble_root.pem());
  EXPECT_EQ(r.server_chain_pem, snap->ca->marble_root.pem() + snap->ca->intermediate.pem());
  EXPECT_EQ(r.resp.parameters().argv(0), "./app");
  EXPECT_EQ(r.resp.parameters().env().at("ROOT_CA"), snap->ca->marble_root.pem());
  auto chain = crypto::Certificate::chain_from_pem(
      r.resp.parameters().env().at("MARBLE_PREDEFINED_MARBLE_CERTIFICATE_CHAIN"));
  ASSERT_TRUE(chain);
  EXPECT_TRUE((*chain)[0].check_signature_from(snap->ca->marble_root.public_key()));
  EXPECT_EQ((*chain)[0].dns_names(), std::vector<std::string>{"app.local"});

  r = call(ch, request("nope"));
  EXPECT_EQ(r.status.error_code(), ::grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(r.status.error_message(), "marble verification failed: unknown marble type requested");
  rpc::ActivationReq bad_uuid = req;
  bad_uuid.set_uuid("not-a-uuid");
  r = call(ch, bad_uuid);
  EXPECT_EQ(r.status.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(r.status.error_message(), HasSubstr("invalid UUID"));
  (*server)->stop();
}

}  // namespace
}  // namespace mr::api::grpc
