// Marble activation (spec 2.4): parameters, certificates, refusals with their codes, the quote
// checks with real simulated-DCAP quotes, and MaxActivations under concurrency.

#include "core/marble_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "attestation/sgx_dcap/dcap_verifier.h"
#include "attestation/simulated/no_tee_issuer.h"
#include "attestation/simulated/simulated_dcap.h"
#include "base/encoding.h"
#include "base/testing/fake_clock.h"
#include "base/testing/temp_dir.h"
#include "core/client_api.h"
#include "core/records.h"
#include "crypto/hash.h"
#include "crypto/pem.h"
#include "gojson/go_json.h"
#include "seal/file_seal_key_provider.h"
#include "store/memory/memory_store.h"
#include "store/records.h"
#include "test_keys.h"

namespace mr::core {
namespace {

using ::testing::HasSubstr;
namespace sim = attestation::simulated;

const UnixTime kNow = *parse_rfc3339("2026-11-23T12:00:00Z");
constexpr char kUuid[] = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";

// What a Marble's premain produces: a key, a self-signed TLS certificate and a CSR.
struct MarbleIdentity {
  crypto::PrivateKey key;
  crypto::Certificate cert;
  Bytes csr;
};

MarbleIdentity marble_identity(const std::vector<std::string>& dns = {"backend"}) {
  auto key = *crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP384));
  crypto::CertTemplate t;
  t.subject.common_name = "MarbleRun Marble";
  t.not_before = kNow;
  t.not_after = kNow + kGoMaxDuration;
  t.dns_names = dns;
  t.ip_addresses = std::vector<IpAddress>{*IpAddress::parse("127.0.0.1")};
  t.key_usage = crypto::kKeyUsageDigitalSignature | crypto::kKeyUsageKeyAgreement;
  t.basic_constraints_valid = true;
  auto cert = *crypto::create_certificate(t, key.public_key(), nullptr, key);
  auto csr = *crypto::create_csr(key, {}, dns, {*IpAddress::parse("127.0.0.1")});
  return {key, cert, csr};
}

constexpr char kManifest[] = R"({
  "Packages": {"backend": {"SignerID": "2222222222222222222222222222222222222222222222222222222222222222", "ProductID": 7, "SecurityVersion": 3},
               "frontend": {"UniqueID": "1111111111111111111111111111111111111111111111111111111111111111"}},
  "Marbles": {
    "backend": {"Package": "backend", "MaxActivations": 100, "TLS": ["web"],
      "Parameters": {
        "Files": {"/keys/shared": "{{ hex .Secrets.sharedKey }}", "/keys/mine": "{{ raw .Secrets.myKey }}",
                  "/certs/mine.pem": "{{ pem .Secrets.myCert.Cert }}{{ pem .MarbleRun.MarbleCert.Cert }}"},
        "Env": {"PREV": "{{ hex .Previous.Secrets.myKey }}", "MARBLE_PREDEFINED_ROOT_CA": "overridden"},
        "Argv": ["backend", "--serve"]}},
    "frontend": {"Package": "frontend", "DisableSecretBinding": true,
      "Parameters": {"Env": {"K": "{{ hex .Secrets.myKey }}", "U": "{{ string .Secrets.token }}"}}}},
  "Secrets": {"sharedKey": {"Type": "symmetric-key", "Size": 128, "Shared": true},
              "myKey": {"Type": "symmetric-key", "Size": 256},
              "myCert": {"Type": "cert-ecdsa", "Size": 256, "ValidFor": 7},
              "webCert": {"Type": "cert-ed25519", "Shared": true},
              "token": {"Type": "plain", "UserDefined": true}},
  "TLS": {"web": {"Incoming": [{"Port": "8443", "Cert": "webCert", "DisableClientAuth": true}, {"Port": "9000"}],
                  "Outgoing": [{"Addr": "db", "Port": "5432"}]}}
})";

class MarbleApiTest : public ::testing::Test {
 protected:
  // Starts a Coordinator; with |pki| it quotes (so is not in simulation) and verifies Marble
  // quotes against the simulated DCAP PKI.
  void start(std::shared_ptr<sim::SimulatedDcapPki> pki = nullptr) {
    if (pki) {
      issuer_ = std::make_unique<sim::SimulatedDcapIssuer>(pki, sim::SimulatedEnclave{});
      auto v = pki->verifier(&clock_);
      ASSERT_TRUE(v) << v.error().message;
      verifier_ = std::move(*v);
    } else {
      issuer_ = std::make_unique<sim::NoTeeIssuer>();
    }
    seal_keys_ = std::make_unique<seal::FileSealKeyProvider>(dir_.path());
    auto core = Core::start({&clock_, &persistent_, &volatile_, seal_keys_.get(), issuer_.get()},
                            CoreConfig{.simulation = !pki});
    ASSERT_TRUE(core) << core.error().message;
    core_ = std::move(*core);
    client_ = std::make_unique<ClientApi>(*core_);
    marbles_ = std::make_unique<MarbleApi>(*core_, verifier_.get());
  }
  void set_manifest(const std::string& raw = kManifest) {
    auto r = client_->set_manifest(raw);
    ASSERT_TRUE(r) << r.error().message;
  }
  ActivationRequest request(const MarbleIdentity& id, std::string type = "backend",
                            Bytes quote = {}) {
    return ActivationRequest{std::move(quote), id.csr, std::move(type), kUuid, id.cert.der()};
  }

  mr::testing::TempDir dir_;
  mr::testing::FakeClock clock_{kNow};
  store::MemoryStore persistent_, volatile_;
  std::unique_ptr<attestation::QuoteIssuer> issuer_;
  std::unique_ptr<attestation::QuoteVerifier> verifier_;
  std::unique_ptr<seal::FileSealKeyProvider> seal_keys_;
  std::unique_ptr<Core> core_;
  std::unique_ptr<ClientApi> client_;
  std::unique_ptr<MarbleApi> marbles_;
};

TEST_F(MarbleApiTest, ActivationReturnsRenderedParametersAndACertificate) {
  start();
  set_manifest();
  const auto id = marble_identity({"backend", "backend.ns"});
  auto a = marbles_->activate(request(id));
  ASSERT_TRUE(a) << a.error().message;
  const Snapshot& s = *core_->snapshot();

  EXPECT_EQ(a->argv, (std::vector<std::string>{"backend", "--serve"}));
  EXPECT_EQ(a->files.at("/keys/shared"), hex_encode(s.secrets.at("sharedKey").private_key));
  // Per-Marble key: HKDF(root secret, uuid ‖ name, marble type).
  auto expected =
      *derive_marble_key(s.root_secret->span(), *Uuid::parse(kUuid), "myKey", "backend", 32);
  EXPECT_TRUE(expected.equals(as_bytes(a->files.at("/keys/mine"))));
  EXPECT_EQ(a->env.at("PREV"), hex_encode(as_bytes(a->files.at("/keys/mine"))));  // no rotation yet

  // The leaf: Coordinator-generated key, CN = UUID, CSR SANs, chains to the Marble root.
  auto chain =
      *crypto::Certificate::chain_from_pem(a->env.at("MARBLE_PREDEFINED_MARBLE_CERTIFICATE_CHAIN"));
  ASSERT_EQ(chain.size(), 2u);
  const auto& leaf = chain[0];
  EXPECT_EQ(chain[1], s.ca->intermediate);
  EXPECT_EQ(leaf.subject().common_name, kUuid);
  EXPECT_EQ(leaf.dns_names(), (std::vector<std::string>{"backend", "backend.ns"}));
  EXPECT_EQ(to_string(leaf.extension("1.3.9903.2.1")->value), "backend");
  EXPECT_NE(leaf.public_key(), id.key.public_key());
  auto leaf_key = *crypto::PrivateKey::from_pem(a->env.at("MARBLE_PREDEFINED_PRIVATE_KEY"));
  EXPECT_EQ(leaf_key.public_key(), leaf.public_key());
  EXPECT_TRUE(crypto::verify_chain(leaf, {}, {s.ca->marble_root}, kNow + std::chrono::hours(1)));
  EXPECT_EQ(a->env.at("MARBLE_PREDEFINED_ROOT_CA"),
            s.ca->marble_root.pem());  // overrides the manifest
  EXPECT_EQ(a->env.at("MARBLE_PREDEFINED_COORDINATOR_ROOT_CA"), s.ca->root.pem());

  // A per-Marble certificate secret, issued by the Marble root, valid 7 days.
  auto my_cert = *crypto::Certificate::chain_from_pem(a->files.at("/certs/mine.pem"));
  ASSERT_EQ(my_cert.size(), 2u);
  EXPECT_EQ(my_cert[0].not_after(), kNow + std::chrono::hours(24 * 7));
  EXPECT_EQ(my_cert[1], leaf);
}

TEST_F(MarbleApiTest, TtlsConfigFollowsTheTlsTags) {
  start();
  set_manifest();
  auto a = *marbles_->activate(request(marble_identity()));
  auto j = gojson::Json::parse(a.env.at("MARBLE_TTLS_CONFIG"));
  const auto& tls = j["tls"];
  const std::string root = core_->snapshot()->ca->marble_root.pem();
  EXPECT_EQ(tls["Outgoing"]["db:5432"]["cacrt"], root);
  EXPECT_EQ(tls["Incoming"]["*:9000"]["clientAuth"], true);
  EXPECT_EQ(tls["Incoming"]["*:9000"]["clikey"], a.env.at("MARBLE_PREDEFINED_PRIVATE_KEY"));
  EXPECT_EQ(tls["Incoming"]["*:8443"]["clientAuth"], false);
  EXPECT_EQ(tls["Incoming"]["*:8443"]["clicrt"],
            crypto::pem_encode("CERTIFICATE", core_->snapshot()->secrets.at("webCert").cert_der));
  // Go's json.Marshal: sorted keys, no spaces.
  EXPECT_EQ(
      a.env.at("MARBLE_TTLS_CONFIG").rfind("{\"tls\":{\"Incoming\":{\"*:8443\":{\"cacrt\":", 0),
      0u);
}

TEST_F(MarbleApiTest, Refusals) {
  start();
  const auto id = marble_identity();
  auto not_ready = marbles_->activate(request(id));
  EXPECT_EQ(not_ready.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(not_ready.error().message, "cannot accept marbles in current state");
  set_manifest();
  auto unknown = marbles_->activate(request(id, "ghost"));
  EXPECT_EQ(unknown.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(unknown.error().message, "marble verification failed: unknown marble type requested");
  auto no_cert = request(id);
  no_cert.peer_cert_der.clear();
  EXPECT_EQ(marbles_->activate(no_cert).error().code, ErrorCode::kUnauthenticated);
  auto bad_uuid = request(id);
  bad_uuid.uuid = "not-a-uuid";
  auto r = marbles_->activate(bad_uuid);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, "invalid UUID: invalid UUID length: 10");
  auto bad_csr = request(id);
  bad_csr.csr_der = {1, 2, 3};
  EXPECT_EQ(marbles_->activate(bad_csr).error().code, ErrorCode::kInternal);
  // A user-defined secret that was never uploaded fails at activation, not at SetManifest.
  auto frontend = marbles_->activate(request(id, "frontend"));
  EXPECT_EQ(frontend.error().code, ErrorCode::kInternal);
  EXPECT_THAT(frontend.error().message, HasSubstr("customizing marble parameters"));
}

TEST_F(MarbleApiTest, MaxActivationsHoldsUnderConcurrency) {
  start();
  set_manifest();
  const auto id = marble_identity();
  std::atomic<int> ok{0}, denied{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 200; ++i) {
    threads.emplace_back([&] {
      auto r = marbles_->activate(request(id));
      if (r) {
        ++ok;
      } else if (r.error().code == ErrorCode::kPermissionDenied) {
        ++denied;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(ok, 100);
  EXPECT_EQ(denied, 100);
  EXPECT_EQ(other, 0);
  EXPECT_EQ(*core_->activations("backend"), 100u);
  auto again = marbles_->activate(request(id));
  EXPECT_EQ(again.error().message,
            "marble verification failed: reached max activations count (100) for marble type "
            "\"backend\"");
}

TEST_F(MarbleApiTest, DisableSecretBindingDerivesWithoutTheMarbleType) {
  start();
  set_manifest();
  // Set the user-defined secret directly in the state for this test.
  {
    auto guard = *core_->lock({State::kAcceptingMarbles});
    Snapshot next = guard.snapshot();
    auto& s = next.secrets.at("token");
    s.private_key = s.public_key = to_bytes("t0ken");
    ASSERT_TRUE(guard.commit(std::move(next)));
  }
  auto a = marbles_->activate(request(marble_identity(), "frontend"));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->env.at("U"), "t0ken");
  auto unbound = *derive_marble_key(core_->snapshot()->root_secret->span(), *Uuid::parse(kUuid),
                                    "myKey", "", 32);
  EXPECT_EQ(a->env.at("K"), hex_encode(unbound.span()));
}

// With a TEE (here: simulated DCAP), quotes are verified against the package.
class MarbleQuoteTest : public MarbleApiTest {
 protected:
  void SetUp() override {
    auto pki = sim::SimulatedDcapPki::create({kNow});
    ASSERT_TRUE(pki) << pki.error().message;
    pki_ = *pki;
    start(pki_);
    ASSERT_FALSE(core_->snapshot()->simulation);
    set_manifest();
  }
  Bytes quote_for(const crypto::Certificate& cert, sim::SimulatedEnclave enclave) {
    sim::SimulatedDcapIssuer issuer(pki_, enclave);
    auto digest = crypto::sha256(cert.der());
    return *issuer.issue(digest);
  }
  static sim::SimulatedEnclave backend_enclave() {
    sim::SimulatedEnclave e;
    e.mr_signer.fill(0x22);
    e.isv_prod_id = 7;
    e.isv_svn = 3;
    return e;
  }
  std::shared_ptr<sim::SimulatedDcapPki> pki_;
};

TEST_F(MarbleQuoteTest, CorrectQuoteIsAdmitted) {
  const auto id = marble_identity();
  auto a = marbles_->activate(request(id, "backend", quote_for(id.cert, backend_enclave())));
  ASSERT_TRUE(a) << a.error().message;
  sim::SimulatedEnclave frontend;
  frontend.mr_enclave.fill(0x11);
  auto f = marbles_->activate(request(id, "frontend", quote_for(id.cert, frontend)));
  ASSERT_FALSE(f);  // admitted by the quote check; fails later on the unset user secret
  EXPECT_EQ(f.error().code, ErrorCode::kInternal);
}

TEST_F(MarbleQuoteTest, WrongMeasurementLowerSvnOrOtherCertificateIsRefused) {
  const auto id = marble_identity();
  sim::SimulatedEnclave wrong_enclave;
  wrong_enclave.mr_enclave.fill(0x99);
  auto r1 = marbles_->activate(request(id, "frontend", quote_for(id.cert, wrong_enclave)));
  EXPECT_EQ(r1.error().code, ErrorCode::kPermissionDenied);
  EXPECT_THAT(r1.error().message, HasSubstr("marble verification failed: invalid quote:"));

  auto low = backend_enclave();
  low.isv_svn = 2;
  auto r2 = marbles_->activate(request(id, "backend", quote_for(id.cert, low)));
  EXPECT_EQ(r2.error().code, ErrorCode::kPermissionDenied);

  const auto other = marble_identity();
  auto r3 = marbles_->activate(request(id, "backend", quote_for(other.cert, backend_enclave())));
  EXPECT_EQ(r3.error().code, ErrorCode::kPermissionDenied);
  EXPECT_THAT(r3.error().message, HasSubstr("hash(cert) != report.Data"));

  auto r4 = marbles_->activate(request(id, "backend", {}));  // empty quote: not in simulation
  EXPECT_EQ(r4.error().code, ErrorCode::kPermissionDenied);
}

}  // namespace
}  // namespace mr::core
