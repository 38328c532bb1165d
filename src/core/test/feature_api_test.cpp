// The feature-gated operations (spec 3.6): sign-quote with real quotes of the simulated DCAP PKI
// (raw and OE-framed, non-standard TCB statuses, verification failures), Marble authentication
// by certificate, and monotonic counters (lower/equal/greater, state, persistence, races).

#include "core/feature_api.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "attestation/oe_report.h"
#include "attestation/sgx_dcap/dcap_verifier.h"
#include "attestation/simulated/no_tee_issuer.h"
#include "attestation/simulated/simulated_dcap.h"
#include "base/encoding.h"
#include "base/testing/fake_clock.h"
#include "base/testing/temp_dir.h"
#include "core/client_api.h"
#include "core/marble_api.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "seal/file_seal_key_provider.h"
#include "store/keys.h"
#include "store/memory/memory_store.h"

namespace mr::core {
namespace {

namespace sim = attestation::simulated;
namespace dcap = attestation::dcap;

const UnixTime kNow = *parse_rfc3339("2026-11-23T12:00:00Z");
constexpr char kUuid[] = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";

constexpr char kManifest[] = R"({
  "Packages": {"backend": {"UniqueID": "1111111111111111111111111111111111111111111111111111111111111111"}},
  "Marbles": {"backend": {"Package": "backend"}, "frontend": {"Package": "backend"}},
  "Config": {"FeatureGates": ["signquoteendpoint", "MonotonicCounter"]}
})";
constexpr char kManifestWithoutGates[] = R"({
  "Packages": {"backend": {"UniqueID": "1111111111111111111111111111111111111111111111111111111111111111"}},
  "Marbles": {"backend": {"Package": "backend"}}
})";

// verify_signed recomputes what the SDK's VerifySignedQuote checks.
bool verify_signed(const Snapshot& s, ByteSpan quote, const SignedQuote& signed_quote) {
  const std::string text = base64_encode(quote) + signed_quote.tcb_status;
  return static_cast<bool>(crypto::verify_digest(s.ca->root.public_key(),
                                                 crypto::sha256(as_bytes(text)),
                                                 signed_quote.signature, crypto::HashAlg::kSha256));
}

class FeatureApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = sim::SimulatedDcapPki::create({.now = kNow});
    ASSERT_TRUE(pki) << pki.error().message;
    pki_ = std::move(*pki);
    verifier_ = make_verifier(pki_->collateral());
    seal_keys_ = std::make_unique<seal::FileSealKeyProvider>(dir_.path());
    auto core = Core::start({&clock_, &persistent_, &volatile_, seal_keys_.get(), &issuer_},
                            CoreConfig{.simulation = true});
    ASSERT_TRUE(core) << core.error().message;
    core_ = std::move(*core);
    client_ = std::make_unique<ClientApi>(*core_);
    features_ = std::make_unique<FeatureApi>(*core_, verifier_.get());
  }

  std::unique_ptr<attestation::QuoteVerifier> make_verifier(const dcap::Collateral& collateral) {
    auto v = dcap::DcapQuoteVerifier::create(
        {std::make_shared<dcap::StaticCollateralProvider>(collateral),
         &clock_,
         {pki_->root_ca_der()}});
    EXPECT_TRUE(v) << v.error().message;
    return v ? std::move(*v) : nullptr;
  }
  void set_manifest(const std::string& raw = kManifest) {
    auto r = client_->set_manifest(raw);
    ASSERT_TRUE(r) << r.error().message;
  }
  Bytes raw_quote() {
    auto q = pki_->sgx_quote(sim::SimulatedEnclave{.isv_svn = 2}, as_bytes("report data"));
    EXPECT_TRUE(q) << q.error().message;
    return q ? *q : Bytes{};
  }
  // marble_cert activates a Marble (simulation: no quote) and returns its leaf certificate DER.
  Bytes marble_cert(const std::string& type = "backend", const std::string& uuid = kUuid) {
    auto key = *crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP256));
    crypto::CertTemplate t;
    t.subject.common_name = "MarbleRun Marble";
    t.not_before = kNow;
    t.not_after = kNow + std::chrono::hours(24);
    auto self = *crypto::create_certificate(t, key.public_key(), nullptr, key);
    MarbleApi marbles(*core_, nullptr);
    auto a = marbles.activate(
        {{}, *crypto::create_csr(key, {}, {"backend"}, {}), type, uuid, self.der()});
    EXPECT_TRUE(a) << a.error().message;
    if (!a) return {};
    auto chain = crypto::Certificate::chain_from_pem(
        a->env.at("MARBLE_PREDEFINED_MARBLE_CERTIFICATE_CHAIN"));
    return (*chain)[0].der();
  }
  MarbleCaller marble(const std::string& type = "backend") {
    auto m = features_->authenticate_marble(marble_cert(type));
    EXPECT_TRUE(m) << m.error().message;
    return *m;
  }

  mr::testing::TempDir dir_;
  mr::testing::FakeClock clock_{kNow};
  store::MemoryStore persistent_, volatile_;
  sim::NoTeeIssuer issuer_;
  std::shared_ptr<sim::SimulatedDcapPki> pki_;
  std::unique_ptr<attestation::QuoteVerifier> verifier_;
  std::unique_ptr<seal::FileSealKeyProvider> seal_keys_;
  std::unique_ptr<Core> core_;
  std::unique_ptr<ClientApi> client_;
  std::unique_ptr<FeatureApi> features_;
};

TEST_F(FeatureApiTest, FeatureGatesFollowTheCurrentManifestCaseInsensitively) {
  EXPECT_FALSE(features_->enabled(kSignQuoteGate));  // no manifest: off
  EXPECT_FALSE(features_->enabled(kMonotonicCounterGate));
  set_manifest();
  EXPECT_TRUE(features_->enabled(kSignQuoteGate));  // "signquoteendpoint" in the manifest
  EXPECT_TRUE(features_->enabled(kMonotonicCounterGate));
  EXPECT_FALSE(features_->enabled("AzureHSMSealing"));
}

TEST_F(FeatureApiTest, FeatureGatesOffInAManifestWithoutThem) {
  set_manifest(kManifestWithoutGates);
  EXPECT_FALSE(features_->enabled(kSignQuoteGate));
  EXPECT_FALSE(features_->enabled(kMonotonicCounterGate));
}

TEST_F(FeatureApiTest, SignsARawSgxQuoteOverTheSubmittedBytes) {
  set_manifest();
  const Bytes raw = raw_quote();
  ASSERT_TRUE(attestation::is_raw_sgx_quote(raw));
  auto s = features_->sign_quote(raw);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->tcb_status, "UpToDate");
  EXPECT_TRUE(verify_signed(*core_->snapshot(), raw, *s));
  // The signature is over the bytes as submitted, not the OE-framed ones the verifier saw.
  EXPECT_FALSE(verify_signed(*core_->snapshot(), attestation::oe_wrap_sgx_quote(raw), *s));
  // A forged status does not verify.
  SignedQuote forged = *s;
  forged.tcb_status = "OutOfDate";
  EXPECT_FALSE(verify_signed(*core_->snapshot(), raw, forged));
}

TEST_F(FeatureApiTest, SignsAnOeFramedQuoteAsIs) {
  set_manifest();
  const Bytes framed = attestation::oe_wrap_sgx_quote(raw_quote());
  auto s = features_->sign_quote(framed);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->tcb_status, "UpToDate");
  EXPECT_TRUE(verify_signed(*core_->snapshot(), framed, *s));
}

TEST_F(FeatureApiTest, SignsNonStandardTcbStatusesWithThatStatus) {
  set_manifest();
  for (auto status :
       {attestation::TcbStatus::kOutOfDate, attestation::TcbStatus::kSWHardeningNeeded,
        attestation::TcbStatus::kConfigurationNeeded}) {
    sim::CollateralOptions options;
    options.issue_date = kNow - std::chrono::hours(1);
    options.platform_status = status;
    auto collateral = pki_->issue_collateral(options);
    ASSERT_TRUE(collateral) << collateral.error().message;
    const auto verifier = make_verifier(*collateral);
    FeatureApi features(*core_, verifier.get());
    const Bytes raw = raw_quote();
    auto s = features.sign_quote(raw);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->tcb_status, attestation::tcb_status_name(status));
    EXPECT_TRUE(verify_signed(*core_->snapshot(), raw, *s));
  }
}

TEST_F(FeatureApiTest, VerificationFailuresAreInvalidArgumentWithTheReason) {
  set_manifest();
  Bytes tampered = raw_quote();
  tampered[200] ^= 0x01;  // inside the report body: the QE's signature no longer matches
  auto bad = features_->sign_quote(tampered);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(bad.error().message.starts_with("quote verification failed: "))
      << bad.error().message;

  auto garbage = features_->sign_quote(as_bytes("not a quote"));
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(garbage.error().message.starts_with("quote verification failed: "));

  auto empty = features_->sign_quote({});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);

  // A quote of another PKI (a forged Intel root) does not verify.
  auto other = *sim::SimulatedDcapPki::create({.now = kNow});
  auto foreign = other->sgx_quote({}, as_bytes("x"));
  ASSERT_TRUE(foreign);
  auto f = features_->sign_quote(*foreign);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, ErrorCode::kInvalidArgument);

  // Expired collateral: verification fails.
  clock_.advance(std::chrono::hours(24 * 31));
  auto expired = features_->sign_quote(raw_quote());
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(FeatureApiTest, WithoutAVerifierEveryQuoteFailsVerification) {
  set_manifest();
  FeatureApi simulation(*core_, nullptr);
  auto r = simulation.sign_quote(raw_quote());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message,
            "quote verification failed: this Coordinator runs in simulation mode and cannot "
            "verify quotes");
}

TEST_F(FeatureApiTest, AuthenticatesMarblesByTheirCertificate) {
  set_manifest();
  auto m = features_->authenticate_marble(marble_cert("frontend"));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->type, "frontend");
  EXPECT_EQ(m->uuid.to_string(), kUuid);
}

TEST_F(FeatureApiTest, RefusesWhatIsNotAMarbleCertificateOfThisCoordinator) {
  set_manifest();
  auto expect_refused = [&](const std::optional<Bytes>& der, std::string_view why) {
    auto r = features_->authenticate_marble(der);
    ASSERT_FALSE(r) << why;
    EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated) << why;
    EXPECT_TRUE(r.error().message.starts_with("unauthorized marble: ")) << r.error().message;
  };
  expect_refused(std::nullopt, "no certificate");
  expect_refused(Bytes{1, 2, 3}, "garbage");
  // A user-made certificate with a UUID CN and the Marble type extension, self-signed.
  auto key = *crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP256));
  crypto::CertTemplate t;
  t.subject.common_name = kUuid;
  t.not_before = kNow - std::chrono::hours(1);
  t.not_after = kNow + std::chrono::hours(24);
  t.extra_extensions.push_back({std::string(kMarbleTypeOid), false, to_bytes("backend")});
  expect_refused(crypto::create_certificate(t, key.public_key(), nullptr, key)->der(),
                 "self-signed");
  // The Coordinator's own root (not a Marble certificate): does not chain to the Marble root.
  expect_refused(core_->snapshot()->ca->root.der(), "coordinator root");
  // Signed by the Marble root's key but without the type extension.
  const CaSet& ca = *core_->snapshot()->ca;
  crypto::CertTemplate no_type = t;
  no_type.extra_extensions.clear();
  expect_refused(
      crypto::create_certificate(no_type, key.public_key(), &ca.marble_root, ca.intermediate_key)
          ->der(),
      "no type extension");
  crypto::CertTemplate no_uuid = t;
  no_uuid.subject.common_name = "backend";
  expect_refused(
      crypto::create_certificate(no_uuid, key.public_key(), &ca.marble_root, ca.intermediate_key)
          ->der(),
      "CN not a UUID");
  // Expired.
  const Bytes good = marble_cert();
  clock_.advance(std::chrono::hours(24 * 366 * 300));
  expect_refused(good, "expired");
}

TEST_F(FeatureApiTest, MarbleAuthenticationNeedsStateThree) {
  auto r = features_->authenticate_marble(Bytes{1});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "unauthorized marble: server is not in expected state");
}

TEST_F(FeatureApiTest, CountersOnlyGrowAndReturnThePreviousValue) {
  set_manifest();
  const MarbleCaller m = marble();
  EXPECT_EQ(*features_->set_monotonic_counter(m, "db", 5), 0u);  // unset: 0
  EXPECT_EQ(*features_->set_monotonic_counter(m, "db", 3), 5u);  // lower: unchanged
  EXPECT_EQ(*features_->set_monotonic_counter(m, "db", 5), 5u);  // equal: unchanged
  EXPECT_EQ(*features_->set_monotonic_counter(m, "db", 9), 5u);  // greater: stored
  EXPECT_EQ(*features_->set_monotonic_counter(m, "db", 0), 9u);
  EXPECT_EQ(*features_->set_monotonic_counter(m, "db", UINT64_MAX), 9u);
  EXPECT_EQ(*features_->set_monotonic_counter(m, "db", 1), UINT64_MAX);
}

TEST_F(FeatureApiTest, CountersAreSeparatePerTypeUuidAndName) {
  set_manifest();
  const MarbleCaller backend = marble("backend");
  const MarbleCaller frontend = marble("frontend");
  MarbleCaller other_uuid = backend;
  other_uuid.uuid = *Uuid::parse("00000000-0000-0000-0000-000000000001");
  EXPECT_EQ(*features_->set_monotonic_counter(backend, "c", 10), 0u);
  EXPECT_EQ(*features_->set_monotonic_counter(frontend, "c", 20), 0u);
  EXPECT_EQ(*features_->set_monotonic_counter(other_uuid, "c", 30), 0u);
  EXPECT_EQ(*features_->set_monotonic_counter(backend, "d", 40), 0u);
  EXPECT_EQ(*features_->set_monotonic_counter(backend, "c", 0), 10u);
  EXPECT_EQ(*features_->set_monotonic_counter(frontend, "c", 0), 20u);
  EXPECT_EQ(*features_->set_monotonic_counter(other_uuid, "c", 0), 30u);
  // Names that would collide in a naive "type:uuid:name" id do not.
  MarbleCaller colon{"a:b", backend.uuid};
  MarbleCaller plain{"a", backend.uuid};
  EXPECT_EQ(*features_->set_monotonic_counter(colon, "c", 1), 0u);
  EXPECT_EQ(*features_->set_monotonic_counter(plain, "b:c", 2), 0u);
}

TEST_F(FeatureApiTest, CounterIdAndRecordFollowTheSpec) {
  set_manifest();
  const MarbleCaller m = marble();
  ASSERT_TRUE(features_->set_monotonic_counter(m, "name", 0x0102030405060708));
  const std::string id = monotonic_counter_id("backend", *Uuid::parse(kUuid), "name");
  EXPECT_EQ(id, "YmFja2VuZA==:a6e4EJ2tEdGAtADAT9QwyA==:bmFtZQ==");
  // The record is part of the sealed state: a restarted Core reads it back.
  core_.reset();
  features_.reset();
  client_.reset();
  auto core = Core::start({&clock_, &persistent_, &volatile_, seal_keys_.get(), &issuer_},
                          CoreConfig{.simulation = true});
  ASSERT_TRUE(core) << core.error().message;
  core_ = std::move(*core);
  features_ = std::make_unique<FeatureApi>(*core_, verifier_.get());
  EXPECT_EQ(*features_->set_monotonic_counter(m, "name", 1), 0x0102030405060708u);
}

TEST_F(FeatureApiTest, CountersNeedStateThree) {
  auto r = features_->set_monotonic_counter({"backend", *Uuid::parse(kUuid)}, "c", 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(r.error().message, "server is not in expected state");
}

TEST_F(FeatureApiTest, ConcurrentRaisesEndAtTheMaximumAndEachSeesAPreviousValue) {
  set_manifest();
  const MarbleCaller m = marble();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (std::uint64_t v = 1; v <= 50; ++v) {
        auto r = features_->set_monotonic_counter(m, "c", v * 8 + t);
        if (!r || *r > 50 * 8 + 7) ++failures;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(*features_->set_monotonic_counter(m, "c", 0), 50u * 8 + 7);
}

}  // namespace
}  // namespace mr::core
