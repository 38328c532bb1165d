// KeyServer and fetch_key in-process on 127.0.0.1, port 0: simulation, and real signed quotes of
// the simulated DCAP PKI verified by the real DcapQuoteVerifier. Attackers: other signers, lower
// SVNs, other enclaves, replayed quotes, simulation peers, garbage and oversized requests, TLS
// clients without a certificate.
#include "api/grpc/key_server.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <gtest/gtest.h>

#include <mutex>

#include "attestation/sgx_dcap/dcap_verifier.h"
#include "attestation/simulated/simulated_dcap.h"
#include "base/testing/fake_clock.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/openssl/testing/tls_probe.h"
#include "crypto/x509.h"
#include "keyserver.grpc.pb.h"

namespace mr::api::grpc {
namespace {

using attestation::PeerAttestation;
using attestation::simulated::SimulatedDcapIssuer;
using attestation::simulated::SimulatedDcapPki;
using attestation::simulated::SimulatedEnclave;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

const UnixTime kNow = *parse_rfc3339("2026-11-23T12:00:00Z");
const Bytes kKey = to_bytes("0123456789abcdef0123456789abcdef");

// ClientCert is a self-signed certificate and key for raw clients.
struct ClientCert {
  crypto::Certificate cert;
  crypto::PrivateKey key;
};

ClientCert client_cert() {
  auto key = crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP384));
  EXPECT_TRUE(key);
  crypto::CertTemplate t;
  t.subject.common_name = "raw client";
  t.not_before = kNow - std::chrono::hours(1);
  t.not_after = kNow + std::chrono::hours(24);
  auto cert = crypto::create_certificate(t, key->public_key(), nullptr, *key);
  EXPECT_TRUE(cert);
  return {std::move(*cert), std::move(*key)};
}

// CaptureVerifier accepts any server certificate and keeps its PEM.
class CaptureVerifier final : public ::grpc::experimental::ExternalCertificateVerifier {
 public:
  explicit CaptureVerifier(std::shared_ptr<std::pair<std::mutex, std::string>> out)
      : out_(std::move(out)) {}
  bool Verify(::grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(::grpc::Status)>, ::grpc::Status* sync_status) override {
    std::scoped_lock lock(out_->first);
    out_->second = std::string(request->peer_cert().data(), request->peer_cert().size());
    *sync_status = ::grpc::Status::OK;
    return true;
  }
  void Cancel(::grpc::experimental::TlsCustomVerificationCheckRequest*) override {}

 private:
  std::shared_ptr<std::pair<std::mutex, std::string>> out_;
};

struct RawCall {
  ::grpc::Status status;
  std::string key;
  std::string server_cert_pem;
};

// raw_call sends GetKeyEncryptionKey with |quote| as |client| over TLS, trusting any server.
RawCall raw_call(int port, const std::string& quote, const ClientCert& client) {
  namespace gx = ::grpc::experimental;
  const std::string cert_pem = client.cert.pem();
  const SecretBytes key_pem = client.key.to_pem();
  auto provider = std::make_shared<gx::StaticDataCertificateProvider>(
      cert_pem, std::vector<gx::IdentityKeyCertPair>{{std::string(key_pem.view()), cert_pem}});
  gx::TlsChannelCredentialsOptions tls;
  tls.set_certificate_provider(provider);
  tls.watch_root_certs();
  tls.watch_identity_key_cert_pairs();
  tls.set_verify_server_certs(false);
  tls.set_check_call_host(false);
  auto captured = std::make_shared<std::pair<std::mutex, std::string>>();
  tls.set_certificate_verifier(gx::ExternalCertificateVerifier::Create<CaptureVerifier>(captured));
  ::grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(8 << 20);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto channel = ::grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                             gx::TlsCredentials(tls), args);
  auto stub = keypb::API::NewStub(channel);
  keypb::GetKeyEncryptionKeyRequest req;
  req.set_quote(quote);
  keypb::GetKeyEncryptionKeyResponse resp;
  ::grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 10s);
  RawCall r;
  r.status = stub->GetKeyEncryptionKey(&ctx, req, &resp);
  r.key = resp.key();
  std::scoped_lock lock(captured->first);
  r.server_cert_pem = captured->second;
  return r;
}

class KeyServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = SimulatedDcapPki::create({kNow, {}, {}});
    ASSERT_TRUE(pki) << pki.error().message;
    pki_ = std::move(*pki);
    auto v = pki_->verifier(&clock_);
    ASSERT_TRUE(v) << v.error().message;
    verifier_ = std::move(*v);
    enclave_.mr_enclave.fill(0xa1);
    enclave_.mr_signer.fill(0xb2);
    enclave_.isv_prod_id = 3;
    enclave_.isv_svn = 5;
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  // real makes the attestation of a Coordinator running |e| (simulated DCAP).
  PeerAttestation* real(const SimulatedEnclave& e) {
    issuers_.push_back(std::make_unique<SimulatedDcapIssuer>(pki_, e));
    auto a = PeerAttestation::create({issuers_.back().get(), verifier_.get(), false, false});
    EXPECT_TRUE(a) << a.error().message;
    attestations_.push_back(std::move(*a));
    return attestations_.back().get();
  }
  // simulation makes the attestation of a Coordinator in simulation mode.
  PeerAttestation* simulation(bool accept_simulated_peers) {
    auto a = PeerAttestation::create({nullptr, nullptr, true, accept_simulated_peers});
    EXPECT_TRUE(a);
    attestations_.push_back(std::move(*a));
    return attestations_.back().get();
  }

  // start serves kKey (or nothing with |has_key| false) with |attestation| on port 0.
  void start(PeerAttestation* attestation, bool has_key = true, bool same_enclave = true) {
    KeyServerConfig config;
    config.address = "127.0.0.1:0";
    config.attestation = attestation;
    config.key = [has_key]() -> std::optional<SecretBytes> {
      if (!has_key) return std::nullopt;
      return SecretBytes(ByteSpan(kKey));
    };
    config.require_same_enclave = [same_enclave] { return same_enclave; };
    config.commit_counter = [] { return std::uint64_t{42}; };
    config.clock = &clock_;
    auto s = KeyServer::create(std::move(config));
    ASSERT_TRUE(s) << s.error().message;
    server_ = std::move(*s);
    const Status started = server_->start();
    ASSERT_TRUE(started) << started.error().message;
    ASSERT_GT(server_->port(), 0);
  }
  std::string target() const { return "127.0.0.1:" + std::to_string(server_->port()); }

  Result<SecretBytes> fetch(PeerAttestation* client) {
    return fetch_key(target(), *client, 10s).map([](FetchedKey k) { return std::move(k.key); });
  }

  static void expect_key(const Result<SecretBytes>& k) {
    ASSERT_TRUE(k) << k.error().message;
    EXPECT_TRUE(k->equals(kKey));
  }

  mr::testing::FakeClock clock_{kNow};
  std::shared_ptr<SimulatedDcapPki> pki_;
  std::unique_ptr<attestation::dcap::DcapQuoteVerifier> verifier_;
  std::vector<std::unique_ptr<SimulatedDcapIssuer>> issuers_;
  std::vector<std::unique_ptr<PeerAttestation>> attestations_;
  SimulatedEnclave enclave_;
  std::unique_ptr<KeyServer> server_;
};

// --- simulation ------------------------------------------------------------------------------

TEST_F(KeyServerTest, SimulationPeersThatAcceptEachOtherExchangeTheKey) {
  start(simulation(true));
  expect_key(fetch(simulation(true)));
}

TEST_F(KeyServerTest, TheCommitCounterComesWithTheKey) {
  start(simulation(true));
  auto k = fetch_key(target(), *simulation(true), 10s);
  ASSERT_TRUE(k) << k.error().message;
  EXPECT_TRUE(k->key.equals(kKey));
  EXPECT_EQ(k->commit_counter, 42u);
}

TEST_F(KeyServerTest, SimulationServerWithoutTheFlagRefusesASimulationClient) {
  start(simulation(false));
  auto k = fetch(simulation(true));
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().code, ErrorCode::kPermissionDenied);
  EXPECT_THAT(k.error().message, HasSubstr("refused this Coordinator's attestation"));
  EXPECT_THAT(k.error().message, HasSubstr("accept_simulated_peers"));
  EXPECT_THAT(k.error().message, HasSubstr(target()));
}

TEST_F(KeyServerTest, SimulationClientWithoutTheFlagRefusesASimulationServer) {
  start(simulation(true));
  auto k = fetch(simulation(false));
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().code, ErrorCode::kPermissionDenied);
  EXPECT_THAT(k.error().message, HasSubstr("refusing the Coordinator at " + target()));
}

// --- simulated DCAP --------------------------------------------------------------------------

TEST_F(KeyServerTest, SameEnclaveGetsTheKey) {
  start(real(enclave_));
  expect_key(fetch(real(enclave_)));
  expect_key(fetch(real(enclave_)));  // a second request, a second connection
}

TEST_F(KeyServerTest, ServerCertificateCarriesAQuoteOverItsPublicKey) {
  start(real(enclave_));
  const RawCall r = raw_call(server_->port(), "", client_cert());
  auto cert = crypto::Certificate::from_pem(r.server_cert_pem);
  ASSERT_TRUE(cert) << r.server_cert_pem;
  EXPECT_EQ(cert->subject().common_name, "MarbleRun Coordinator");
  EXPECT_EQ(cert->issuer().common_name, "MarbleRun Coordinator");
  const auto ext = cert->extension(kAttestationQuoteOid);
  ASSERT_TRUE(ext);
  EXPECT_TRUE(real(enclave_)->check_peer(ext->value, cert->public_key().to_der(), true));
  EXPECT_FALSE(real(enclave_)->check_peer(ext->value, cert->der(), true));  // not over the cert
}

TEST_F(KeyServerTest, DifferentSignerIsRefused) {
  start(real(enclave_));
  auto e = enclave_;
  e.mr_signer.fill(0xee);
  auto k = fetch(real(e));
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().code, ErrorCode::kPermissionDenied);
  EXPECT_THAT(k.error().message, HasSubstr("SignerID"));
}

TEST_F(KeyServerTest, ServerRefusesALowerSvn) {
  start(real(enclave_));
  auto e = enclave_;
  e.isv_svn = 4;
  auto k = fetch(real(e));  // the client accepts the server (5 >= 4); the server refuses
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().code, ErrorCode::kPermissionDenied);
  EXPECT_THAT(k.error().message, HasSubstr("refused this Coordinator's attestation"));
  EXPECT_THAT(k.error().message, HasSubstr("SecurityVersion (ISVSVN) 4 is lower"));
}

TEST_F(KeyServerTest, ClientRefusesAServerWithALowerSvnBeforeSendingAnything) {
  auto e = enclave_;
  e.isv_svn = 4;
  start(real(e));
  auto higher = enclave_;  // SVN 5
  auto k = fetch(real(higher));
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().code, ErrorCode::kPermissionDenied);
  EXPECT_THAT(k.error().message, HasSubstr("refusing the Coordinator at " + target()));
  EXPECT_THAT(k.error().message, HasSubstr("SecurityVersion (ISVSVN) 4 is lower"));
}

TEST_F(KeyServerTest, DifferentEnclaveIsRefusedWhenTheSameEnclaveIsRequired) {
  auto other = enclave_;
  other.mr_enclave.fill(0x99);
  start(real(enclave_), true, /*same_enclave=*/true);
  auto k = fetch(real(other));
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().code, ErrorCode::kPermissionDenied);
  EXPECT_THAT(k.error().message, HasSubstr("UniqueID (MRENCLAVE)"));
  server_->stop();
  start(real(enclave_), true, /*same_enclave=*/false);  // product key: same signer and product
  expect_key(fetch(real(other)));
}

TEST_F(KeyServerTest, ReplayedQuoteOverAnotherCertificateIsRefused) {
  start(real(enclave_));
  // A genuine quote of the right enclave, but over another Coordinator's certificate.
  const ClientCert victim = client_cert();
  SimulatedDcapIssuer issuer(pki_, enclave_);
  auto quote = issuer.issue(crypto::sha256(victim.cert.der()));
  ASSERT_TRUE(quote);
  const std::string q(quote->begin(), quote->end());
  const RawCall replayed = raw_call(server_->port(), q, client_cert());
  EXPECT_EQ(replayed.status.error_code(), ::grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(replayed.status.error_message(), HasSubstr("report data"));
  EXPECT_TRUE(replayed.key.empty());
  // The victim itself, with the same quote, is served: the refusal was the binding.
  const RawCall genuine = raw_call(server_->port(), q, victim);
  ASSERT_TRUE(genuine.status.ok()) << genuine.status.error_message();
  EXPECT_EQ(genuine.key, std::string(kKey.begin(), kKey.end()));
}

TEST_F(KeyServerTest, SimulationAndRealCoordinatorsNeverExchangeTheKey) {
  start(real(enclave_));
  auto k = fetch(simulation(true));  // the simulation client cannot judge the server's quote
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().code, ErrorCode::kPermissionDenied);
  // A simulation client that skipped the server check: the real server wants a quote.
  const RawCall r = raw_call(server_->port(), "", client_cert());
  EXPECT_EQ(r.status.error_code(), ::grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(r.status.error_message(), HasSubstr("sent no quote"));
  server_->stop();
  start(simulation(true));
  auto k2 = fetch(real(enclave_));
  ASSERT_FALSE(k2);
  EXPECT_EQ(k2.error().code, ErrorCode::kPermissionDenied);
  EXPECT_THAT(k2.error().message, HasSubstr("refusing the Coordinator"));
  EXPECT_THAT(k2.error().message, HasSubstr("sent no quote"));
}

// --- failures and hostile input --------------------------------------------------------------

TEST_F(KeyServerTest, ServerWithoutAKeyAnswersUnavailable) {
  start(real(enclave_), /*has_key=*/false);
  auto k = fetch(real(enclave_));
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(k.error().message, HasSubstr("does not hold the data key"));
  EXPECT_THAT(k.error().message, HasSubstr(target()));
}

TEST_F(KeyServerTest, UnreachableServerIsUnavailable) {
  start(real(enclave_));
  const std::string gone = target();
  server_->stop();
  auto k = fetch_key(gone, *real(enclave_), 2s);
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(k.error().message, HasSubstr("cannot reach the Coordinator at " + gone));
}

TEST_F(KeyServerTest, GarbageAndOversizedRequestsAreRefusedAndTheServerKeepsServing) {
  start(real(enclave_));
  const RawCall garbage = raw_call(server_->port(), "not a quote at all", client_cert());
  EXPECT_EQ(garbage.status.error_code(), ::grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(garbage.key.empty());
  const RawCall huge = raw_call(server_->port(), std::string(1 << 20, 'q'), client_cert());
  EXPECT_EQ(huge.status.error_code(), ::grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(huge.key.empty());
  expect_key(fetch(real(enclave_)));
}

TEST_F(KeyServerTest, TlsClientWithoutACertificateIsRefused) {
  start(simulation(true));  // even where every quote-less peer is accepted
  ossl::testing::TlsProbe p;
  p.alpn_h2 = true;
  p.read_first = true;
  EXPECT_FALSE(ossl::testing::tls_probe(server_->port(), p).handshake);
  const ClientCert c = client_cert();
  p.cert_pem = c.cert.pem();
  p.key_pem = std::string(c.key.to_pem().view());
  EXPECT_TRUE(ossl::testing::tls_probe(server_->port(), p).handshake);
}

TEST_F(KeyServerTest, CreateRejectsIncompleteConfigs) {
  KeyServerConfig c;
  c.key = [] { return std::optional<SecretBytes>(); };
  EXPECT_EQ(KeyServer::create(c).error().code, ErrorCode::kInvalidArgument);  // no attestation
  c.attestation = simulation(true);
  c.address = "nonsense";
  EXPECT_EQ(KeyServer::create(c).error().code, ErrorCode::kInvalidArgument);
  c.address = "127.0.0.1:0";
  c.max_queued_requests = 0;
  EXPECT_EQ(KeyServer::create(c).error().code, ErrorCode::kInvalidArgument);
  c.max_queued_requests = 1;
  c.key = nullptr;
  EXPECT_EQ(KeyServer::create(c).error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace mr::api::grpc
