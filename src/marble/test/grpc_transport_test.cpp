// The gRPC transport against an in-process gRPC server that behaves like the Coordinator's Marble
// API transport (spec 2.2): TLS, client certificate required but not chain-verified, a server
// certificate the Marble has no reason to trust; and, with the Coordinator root pinned, servers
// presenting the Coordinator's chain, another Coordinator's, an upstream-like one and a Marble's.
#include "marble/grpc_transport.h"

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <thread>

#include "attestation/simulated/no_tee_issuer.h"
#include "base/clock.h"
#include "base/testing/temp_dir.h"
#include "coordinator.grpc.pb.h"
#include "crypto/hash.h"
#include "crypto/x509.h"
#include "marble/activation.h"
#include "marble/test/coordinator_ca.h"

namespace mr::marble {
namespace {

// FakeMarbleService answers Activate with a canned response or status and records what it saw.
class FakeMarbleService final : public rpc::Marble::Service {
 public:
  grpc::Status Activate(grpc::ServerContext* ctx, const rpc::ActivationReq* req,
                        rpc::ActivationResp* resp) override {
    std::scoped_lock lock(mu);
    ++calls;
    request = *req;
    const auto pems = ctx->auth_context()->FindPropertyValues("x509_pem_cert");
    peer_cert_pem = pems.empty() ? "" : std::string(pems.front().data(), pems.front().size());
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    if (!status.ok()) return status;
    if (with_parameters) {
      auto* p = resp->mutable_parameters();
      (*p->mutable_files())["/tmp/x"] = files_value;
      (*p->mutable_env())["MARBLE_PREDEFINED_ROOT_CA"] = "-----BEGIN CERTIFICATE-----\n";
      p->add_argv("./app");
      p->add_argv("--flag");
      if (ca) {  // what the Coordinator sets: a Marble certificate from |ca|
        for (const auto& [k, v] : ca->predefined_env(ca->issue_leaf(SystemClock().now()).first)) {
          (*p->mutable_env())[k] = v;
        }
      }
    }
    return grpc::Status::OK;
  }

  std::mutex mu;
  int calls = 0;
  const TestCa* ca = nullptr;  // set: the answer carries MARBLE_PREDEFINED_* from it
  rpc::ActivationReq request;
  std::string peer_cert_pem;
  grpc::Status status = grpc::Status::OK;
  bool with_parameters = true;
  std::string files_value = std::string("bin\0ary", 7);
  std::chrono::milliseconds delay{0};
};

struct ServerIdentity {
  std::string cert_pem;
  std::string key_pem;
};

// untrusted_server_identity is a self-signed certificate for another name, without SANs.
ServerIdentity untrusted_server_identity() {
  auto key = crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP384));
  EXPECT_TRUE(key);
  crypto::CertTemplate t;
  t.subject.common_name = "not the Coordinator";
  t.not_before = UnixTime(std::chrono::seconds(1'600'000'000));
  t.not_after = *t.not_before + std::chrono::hours(24);  // long expired: also not checked
  auto cert = crypto::create_certificate(t, key->public_key(), nullptr, *key);
  EXPECT_TRUE(cert);
  return {cert->pem(), std::string(key->to_pem().view())};
}

class GrpcTransportTest : public ::testing::Test {
 protected:
  void SetUp() override { route_grpc_logging(GrpcLogging::kSilent); }
  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now());
  }

  void start_tls_server() { start_tls_server(untrusted_server_identity()); }
  void start_tls_server(const ServerIdentity& id) {
    grpc::SslServerCredentialsOptions opts(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
    opts.pem_key_cert_pairs.push_back({id.key_pem, id.cert_pem});
    start(grpc::SslServerCredentials(opts));
  }
  // start_coordinator_like_server presents |ca|'s chain as the Coordinator's Marble API does
  // (the Marble root, then the intermediate, with the intermediate key) and answers with
  // certificates from it.
  void start_coordinator_like_server(const TestCa& ca) {
    service_.ca = &ca;
    start_tls_server({ca.served_chain_pem(), ca.key_pem()});
  }
  void start(std::shared_ptr<grpc::ServerCredentials> creds) {
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", std::move(creds), &port_);
    b.RegisterService(&service_);
    server_ = b.BuildAndStart();
    ASSERT_TRUE(server_);
    ASSERT_GT(port_, 0);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // client_identity is a self-signed certificate like the Marble's.
  static ClientIdentity client_identity() {
    auto key = crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP384));
    crypto::CertTemplate t;
    t.subject.common_name = "MarbleRun Marble";
    t.not_before = UnixTime(std::chrono::seconds(1'700'000'000));
    t.not_after = *t.not_before + kGoMaxDuration;
    auto cert = crypto::create_certificate(t, key->public_key(), nullptr, *key);
    return {cert->pem(), key->to_pem()};
  }

  ActivationRequest request() {
    ActivationRequest r;
    r.quote = {9, 8, 7};
    r.csr_der = {1, 2, 3};
    r.marble_type = "backend";
    r.uuid = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
    return r;
  }

  FakeMarbleService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

TEST_F(GrpcTransportTest, ActivatesPresentingTheClientCertificateWithoutVerifyingTheServer) {
  start_tls_server();
  const ClientIdentity id = client_identity();
  auto t = make_grpc_transport({address(), std::chrono::seconds(10)});
  auto p = t->activate(request(), id);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->files.at("/tmp/x"), std::string("bin\0ary", 7));
  EXPECT_EQ(p->env.at("MARBLE_PREDEFINED_ROOT_CA"), "-----BEGIN CERTIFICATE-----\n");
  EXPECT_EQ(p->argv, (std::vector<std::string>{"./app", "--flag"}));

  std::scoped_lock lock(service_.mu);
  EXPECT_EQ(service_.request.quote(), std::string("\x09\x08\x07", 3));
  EXPECT_EQ(service_.request.csr(), std::string("\x01\x02\x03", 3));
  EXPECT_EQ(service_.request.marbletype(), "backend");
  EXPECT_EQ(service_.request.uuid(), "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
  auto seen = crypto::Certificate::from_pem(service_.peer_cert_pem);
  auto sent = crypto::Certificate::from_pem(id.cert_pem);
  ASSERT_TRUE(seen && sent);
  EXPECT_EQ(seen->der(), sent->der());
}

TEST_F(GrpcTransportTest, RefusalCarriesTheCoordinatorsCodeAndMessage) {
  start_tls_server();
  service_.status = grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                                 "marble verification failed: unknown marble type requested");
  auto p = make_grpc_transport({address(), std::chrono::seconds(10)})
               ->activate(request(), client_identity());
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(p.error().message, "the Coordinator at " + address() +
                                   " refused the activation (PERMISSION_DENIED): marble "
                                   "verification failed: unknown marble type requested");
}

TEST_F(GrpcTransportTest, FailedPreconditionToo) {
  start_tls_server();
  service_.status =
      grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "cannot accept marbles in current state");
  auto p = make_grpc_transport({address(), std::chrono::seconds(10)})
               ->activate(request(), client_identity());
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(p.error().message.find("(FAILED_PRECONDITION): cannot accept marbles in current state"),
            std::string::npos);
}

TEST_F(GrpcTransportTest, UnreachableCoordinator) {
  // A port that was just free: bind, read the port, close.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  ::close(fd);
  const std::string addr = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));

  const auto start = std::chrono::steady_clock::now();
  auto p =
      make_grpc_transport({addr, std::chrono::seconds(20)})->activate(request(), client_identity());
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(p.error().message.find("cannot reach the Coordinator at " + addr), std::string::npos)
      << p.error().message;
  EXPECT_EQ(p.error().message.find('\n'), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));  // fails fast
}

TEST_F(GrpcTransportTest, TlsHandshakeFailure) {
  start(grpc::InsecureServerCredentials());  // no TLS at all
  auto p = make_grpc_transport({address(), std::chrono::seconds(10)})
               ->activate(request(), client_identity());
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(p.error().message.find("TLS handshake failed"), std::string::npos) << p.error().message;
}

TEST_F(GrpcTransportTest, Deadline) {
  start_tls_server();
  service_.delay = std::chrono::milliseconds(1500);
  auto p = make_grpc_transport({address(), std::chrono::milliseconds(300)})
               ->activate(request(), client_identity());
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kDeadlineExceeded);
  EXPECT_NE(p.error().message.find("did not answer within 300 ms"), std::string::npos)
      << p.error().message;
}

TEST_F(GrpcTransportTest, AnswerWithoutParameters) {
  start_tls_server();
  service_.with_parameters = false;
  auto p = make_grpc_transport({address(), std::chrono::seconds(10)})
               ->activate(request(), client_identity());
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kInternal);
}

TEST_F(GrpcTransportTest, LargeAnswersBeyondGrpcsDefault4MiB) {
  start_tls_server();
  service_.files_value = std::string(6 << 20, 'x');
  auto p = make_grpc_transport({address(), std::chrono::seconds(20)})
               ->activate(request(), client_identity());
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->files.at("/tmp/x").size(), 6u << 20);
}

// QuoteIsReportData issues the report data itself as "quote" (upstream's MockIssuer idea), so the
// server can check that the quote binds the certificate it saw in the TLS handshake.
class QuoteIsReportData final : public attestation::QuoteIssuer {
 public:
  Result<Bytes> issue(ByteSpan report_data) override {
    return Bytes(report_data.begin(), report_data.end());
  }
};

TEST_F(GrpcTransportTest, ActivateEndToEndQuoteBindsTheTlsCertificate) {
  start_tls_server();
  mr::testing::TempDir dir;
  ActivationOptions o;
  o.coordinator_addr = address();
  o.marble_type = "backend";
  o.uuid_file = dir / "uuid";
  o.timeout = std::chrono::seconds(10);
  QuoteIsReportData issuer;
  auto p = activate(o, issuer);
  ASSERT_TRUE(p) << p.error().message;
  std::scoped_lock lock(service_.mu);
  auto peer = crypto::Certificate::from_pem(service_.peer_cert_pem);
  ASSERT_TRUE(peer);
  const auto hash = crypto::sha256(peer->der());
  EXPECT_EQ(service_.request.quote(), std::string(hash.begin(), hash.end()));
  EXPECT_EQ(peer->subject().common_name, "MarbleRun Marble");
  auto csr = crypto::parse_csr(to_bytes(service_.request.csr()));
  ASSERT_TRUE(csr);
  EXPECT_EQ(csr->public_key, peer->public_key());
}

TEST_F(GrpcTransportTest, ActivateUnreachableNamesTheAddress) {
  mr::testing::TempDir dir;
  ActivationOptions o;
  o.coordinator_addr = "127.0.0.1:1";  // nobody listens on port 1 (binding it needs root)
  o.marble_type = "backend";
  o.uuid_file = dir / "uuid";
  o.timeout = std::chrono::seconds(10);
  attestation::simulated::NoTeeIssuer issuer;
  auto p = activate(o, issuer);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(p.error().message.find("cannot reach the Coordinator at 127.0.0.1:1"),
            std::string::npos);
}

// --- Pinning the Coordinator root (EDG_MARBLE_COORDINATOR_ROOT_CA) ---------------------------

TEST_F(GrpcTransportTest, ServerCheckSeesThePresentedChainInOrder) {
  const TestCa ca = TestCa::make(SystemClock().now());
  start_coordinator_like_server(ca);
  std::vector<Bytes> seen;
  GrpcTransportOptions o{address(), std::chrono::seconds(10)};
  o.server_check = [&seen](const std::vector<Bytes>& chain) -> Status {
    seen = chain;
    return ok();
  };
  auto p = make_grpc_transport(std::move(o))->activate(request(), client_identity());
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(seen, (std::vector<Bytes>{ca.ca.marble_root.der(), ca.ca.intermediate.der()}));
}

TEST_F(GrpcTransportTest, ServerCheckRefusalFailsTheHandshakeWithoutRetrying) {
  start_tls_server();
  int checks = 0;
  GrpcTransportOptions o{address(), std::chrono::seconds(10)};
  o.server_check = [&checks](const std::vector<Bytes>&) -> Status {
    ++checks;
    return fail(ErrorCode::kUnauthenticated, "not the one");
  };
  auto p = make_grpc_transport(std::move(o))->activate(request(), client_identity());
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(p.error().message, "refusing the Coordinator at " + address() + ": not the one");
  EXPECT_EQ(checks, 1);  // no second attempt
  std::scoped_lock lock(service_.mu);
  EXPECT_EQ(service_.calls, 0);  // the request never left the Marble
}

class PinnedActivationTest : public GrpcTransportTest {
 protected:
  ActivationOptions options(const std::string& root_pem) {
    ActivationOptions o;
    o.coordinator_addr = address();
    o.marble_type = "backend";
    o.uuid_file = dir_ / "uuid";
    o.timeout = std::chrono::seconds(10);
    o.coordinator_root_ca = dir_ / "root.pem";
    write_text(o.coordinator_root_ca, root_pem);
    return o;
  }
  int calls() {
    std::scoped_lock lock(service_.mu);
    return service_.calls;
  }
  mr::testing::TempDir dir_;
  const TestCa ca_ = TestCa::make(SystemClock().now());
  attestation::simulated::NoTeeIssuer issuer_;
};

TEST_F(PinnedActivationTest, TheRightRootIsAccepted) {
  start_coordinator_like_server(ca_);
  auto p = activate(options(ca_.ca.root.pem()), issuer_);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->env.at("MARBLE_PREDEFINED_COORDINATOR_ROOT_CA"), ca_.ca.root.pem());
  EXPECT_EQ(calls(), 1);
}

TEST_F(PinnedActivationTest, AnotherCoordinatorIsRefusedBeforeTheRequestIsSent) {
  const TestCa other = TestCa::make(SystemClock().now());
  start_coordinator_like_server(other);
  const auto start = std::chrono::steady_clock::now();
  auto p = activate(options(ca_.ca.root.pem()), issuer_);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(p.error().message.rfind("refusing the Coordinator at " + address() +
                                        ": its TLS key is not certified by the pinned "
                                        "Coordinator root (EDG_MARBLE_COORDINATOR_ROOT_CA): ",
                                    0),
            0u)
      << p.error().message;
  EXPECT_EQ(p.error().message.find('\n'), std::string::npos);
  EXPECT_EQ(calls(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));  // no retries
  // Unpinned, the same server is used as upstream would.
  ActivationOptions unpinned = options("");
  unpinned.coordinator_root_ca.clear();
  EXPECT_TRUE(activate(unpinned, issuer_));
}

TEST_F(PinnedActivationTest, AServerWithoutTheIntermediateIsRefused) {
  // What an upstream Coordinator presents: the Marble root alone.
  start_tls_server({ca_.ca.marble_root.pem(), ca_.key_pem()});
  auto p = activate(options(ca_.ca.root.pem()), issuer_);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(p.error().message.find("sends no intermediate certificate cannot be pinned"),
            std::string::npos)
      << p.error().message;
  EXPECT_EQ(calls(), 0);
}

TEST_F(PinnedActivationTest, AMarbleCannotPoseAsTheCoordinator) {
  // A Marble's certificate and key (issued by the intermediate key, so it chains to the root)
  // followed by the intermediate.
  const auto [leaf, key] = ca_.issue_leaf(SystemClock().now());
  start_tls_server({leaf.pem() + ca_.ca.intermediate.pem(), std::string(key.to_pem().view())});
  auto p = activate(options(ca_.ca.root.pem()), issuer_);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kUnauthenticated) << p.error().message;
  EXPECT_EQ(calls(), 0);
}

TEST_F(PinnedActivationTest, GarbageOrMissingPinFileIsAHardError) {
  start_coordinator_like_server(ca_);
  for (const std::string& text : {std::string("garbage"), ca_.ca.intermediate.pem()}) {
    const ActivationOptions o = options(text);
    auto p = activate(o, issuer_);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(p.error().message.rfind(
                  "EDG_MARBLE_COORDINATOR_ROOT_CA: " + o.coordinator_root_ca.string() + ": ", 0),
              0u)
        << p.error().message;
  }
  ActivationOptions o = options("");
  o.coordinator_root_ca = dir_ / "missing.pem";
  auto p = activate(o, issuer_);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("EDG_MARBLE_COORDINATOR_ROOT_CA: " +
                                   o.coordinator_root_ca.string() + ": cannot open"),
            std::string::npos);
  EXPECT_EQ(calls(), 0);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "uuid"));
}

}  // namespace
}  // namespace mr::marble
