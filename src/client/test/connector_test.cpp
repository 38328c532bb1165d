// connect_to_coordinator: trust on first use, the pinned root, refusals, simulation, waiting.

#include "client/connector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/encoding.h"
#include "base/testing/temp_dir.h"
#include "client/cert_cache.h"
#include "client/test/fakes.h"
#include "crypto/hash.h"
#include "gojson/go_json.h"

namespace mr::client {
namespace {

using testing::FakeTransport;
using ::testing::HasSubstr;
using testing::make_cert;
using testing::TestCa;

// FakeVerifier accepts any quote and reports report data = the quote's first 32 bytes (so a
// "quote" of SHA-256(root) binds that root), ISV SVN 1, product 1.
class FakeVerifier final : public attestation::QuoteVerifier {
 public:
  Result<attestation::VerifiedQuote> verify(ByteSpan quote) const override {
    ++calls;
    attestation::VerifiedQuote q;
    q.tcb_status = attestation::TcbStatus::kUpToDate;
    q.sgx.emplace();
    q.sgx->isv_svn = 1;
    q.sgx->isv_prod_id = 1;
    std::copy_n(quote.begin(), std::min<std::size_t>(quote.size(), 64), q.sgx->report_data.begin());
    return q;
  }
  mutable int calls = 0;
};

// FakeCoordinator serves quote and status through FakeTransport and records the TLS configs.
struct FakeCoordinator {
  std::shared_ptr<FakeTransport::Shared> shared = std::make_shared<FakeTransport::Shared>();
  std::vector<TlsTransportConfig> configs;
  int status_code = 3;

  void serve(const TestCa& intermediate, const TestCa& root, bool with_quote = true) {
    gojson::Json data = gojson::Json::object();
    data["cert"] = intermediate.cert.pem() + root.cert.pem();
    data["quote"] = nullptr;
    if (with_quote) data["quote"] = base64_encode(crypto::sha256(root.cert.der()));
    shared->routes["GET /api/v2/quote"] = testing::success(data.dump());
    shared->routes["GET /api/v2/status"] = [this](const HttpRequest&) {
      return HttpResponse{200, R"({"status":"success","data":{"code":)" +
                                   std::to_string(status_code) + R"(,"message":"m"}})"};
    };
  }
  TransportFactory factory() {
    return [this](TlsTransportConfig c) -> Result<std::unique_ptr<HttpTransport>> {
      configs.push_back(c);
      return std::unique_ptr<HttpTransport>(std::make_unique<FakeTransport>(shared));
    };
  }
};

class ConnectorTest : public ::testing::Test {
 protected:
  ConnectorOptions options() {
    ConnectorOptions o;
    o.address = {"127.0.0.1", 4433};
    o.cache_path = dir_ / "cache" / "coordinator-cert.pem";
    o.verify.verifier = &verifier_;
    attestation::EraConfig era;
    era.security_version = 1;
    era.product_id = 1;
    o.verify.era = era;
    o.make_transport = coordinator_.factory();
    o.notice = [this](std::string_view line) { notices_.emplace_back(line); };
    return o;
  }

  mr::testing::TempDir dir_;
  FakeVerifier verifier_;
  FakeCoordinator coordinator_;
  std::vector<std::string> notices_;
  TestCa root_ = make_cert("MarbleRun Coordinator", nullptr, true);
  TestCa intermediate_ = make_cert("MarbleRun Coordinator - Intermediate CA", &root_, true);
};

TEST_F(ConnectorTest, FirstUseVerifiesPinsAndSaysSo) {
  coordinator_.serve(intermediate_, root_);
  auto c = connect_to_coordinator(options(), TrustPurpose::kPinned);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->event, TrustEvent::kFirstUse);
  EXPECT_EQ(verifier_.calls, 1);
  auto cached = CertificateCache(options().cache_path).load();
  ASSERT_TRUE(cached && *cached);
  EXPECT_EQ((*cached)->root_der, root_.cert.der());
  EXPECT_EQ((*cached)->intermediate_der, intermediate_.cert.der());
  ASSERT_EQ(notices_.size(), 1u);
  EXPECT_THAT(notices_[0], HasSubstr("First contact with the Coordinator at 127.0.0.1:4433"));
  EXPECT_THAT(notices_[0], HasSubstr("quote verified"));
  EXPECT_THAT(notices_[0], HasSubstr(options().cache_path.string()));
  // The probe is unverified; the client handed back trusts exactly the root.
  ASSERT_EQ(coordinator_.configs.size(), 2u);
  EXPECT_FALSE(coordinator_.configs[0].pinned_root_der);
  EXPECT_EQ(coordinator_.configs[1].pinned_root_der, root_.cert.der());
}

TEST_F(ConnectorTest, CachedRootIsTrustedWithoutVerifyingAgain) {
  coordinator_.serve(intermediate_, root_);
  ASSERT_TRUE(connect_to_coordinator(options(), TrustPurpose::kPinned));
  notices_.clear();
  auto c = connect_to_coordinator(options(), TrustPurpose::kPinned);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->event, TrustEvent::kCachedRoot);
  EXPECT_EQ(verifier_.calls, 1);
  EXPECT_TRUE(notices_.empty());
  // kAttest verifies every time.
  auto a = connect_to_coordinator(options(), TrustPurpose::kAttest);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(verifier_.calls, 2);
}

TEST_F(ConnectorTest, ChangedRootIsRefusedUntilTheCacheIsRemoved) {
  coordinator_.serve(intermediate_, root_);
  ASSERT_TRUE(connect_to_coordinator(options(), TrustPurpose::kPinned));
  const TestCa new_root = make_cert("MarbleRun Coordinator", nullptr, true);
  const TestCa new_intermediate = make_cert("i", &new_root, true);
  coordinator_.serve(new_intermediate, new_root);
  for (TrustPurpose p : {TrustPurpose::kPinned, TrustPurpose::kAttest}) {
    auto c = connect_to_coordinator(options(), p);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, ErrorCode::kPermissionDenied);
    EXPECT_THAT(c.error().message, HasSubstr("the Coordinator's root certificate changed"));
    EXPECT_THAT(c.error().message,
                HasSubstr("remove " + options().cache_path.string() + " if this is expected"));
  }
  auto cached = CertificateCache(options().cache_path).load();
  EXPECT_EQ((*cached)->root_der, root_.cert.der());
  std::filesystem::remove(options().cache_path);
  auto c = connect_to_coordinator(options(), TrustPurpose::kPinned);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->event, TrustEvent::kFirstUse);
  EXPECT_EQ((*CertificateCache(options().cache_path).load())->root_der, new_root.cert.der());
}

TEST_F(ConnectorTest, RecoveryModeExplainsTheTemporaryRoot) {
  coordinator_.serve(intermediate_, root_);
  ASSERT_TRUE(connect_to_coordinator(options(), TrustPurpose::kPinned));
  const TestCa temp_root = make_cert("MarbleRun Coordinator", nullptr, true);
  coordinator_.serve(make_cert("i", &temp_root, true), temp_root);
  coordinator_.status_code = 1;
  auto c = connect_to_coordinator(options(), TrustPurpose::kPinned);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(c.error().message, HasSubstr("is in recovery mode"));
  // Recovery itself verifies the quote and leaves the cache alone.
  auto r = connect_to_coordinator(options(), TrustPurpose::kRecovery);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->certs.root_der, temp_root.cert.der());
  EXPECT_EQ((*CertificateCache(options().cache_path).load())->root_der, root_.cert.der());
}

TEST_F(ConnectorTest, NewIntermediateSignedByThePinnedRootIsCached) {
  coordinator_.serve(intermediate_, root_);
  ASSERT_TRUE(connect_to_coordinator(options(), TrustPurpose::kPinned));
  const TestCa updated = make_cert("MarbleRun Coordinator - Intermediate CA", &root_, true);
  coordinator_.serve(updated, root_);
  ASSERT_TRUE(connect_to_coordinator(options(), TrustPurpose::kPinned));
  EXPECT_EQ((*CertificateCache(options().cache_path).load())->intermediate_der, updated.cert.der());
  // One the root did not sign is not taken from an unverified answer.
  const TestCa stranger = make_cert("MarbleRun Coordinator - Intermediate CA", nullptr, true);
  coordinator_.serve(stranger, root_);
  ASSERT_TRUE(connect_to_coordinator(options(), TrustPurpose::kPinned));
  EXPECT_EQ((*CertificateCache(options().cache_path).load())->intermediate_der, updated.cert.der());
}

TEST_F(ConnectorTest, SimulationNeedsConsentAndIsNotCalledAttested) {
  coordinator_.serve(intermediate_, root_, /*with_quote=*/false);
  auto refused = connect_to_coordinator(options(), TrustPurpose::kAttest);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr("simulation mode"));
  EXPECT_FALSE(std::filesystem::exists(options().cache_path));
  ConnectorOptions o = options();
  o.verify.simulation = SimulationPolicy::kAccept;
  auto c = connect_to_coordinator(o, TrustPurpose::kAttest);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->simulated);
  ASSERT_EQ(notices_.size(), 1u);
  EXPECT_THAT(notices_[0], HasSubstr("NOT attested (simulation mode accepted)"));
}

TEST_F(ConnectorTest, APinnedSimulationModeCoordinatorNeedsNoConsentAgain) {
  coordinator_.serve(intermediate_, root_, /*with_quote=*/false);
  ConnectorOptions consent = options();
  consent.verify.simulation = SimulationPolicy::kAccept;
  ASSERT_TRUE(connect_to_coordinator(consent, TrustPurpose::kPinned));
  for (TrustPurpose p : {TrustPurpose::kPinned, TrustPurpose::kAttest}) {
    auto c = connect_to_coordinator(options(), p);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->event, TrustEvent::kCachedRoot);
  }
  // Recovery does not use the pin, so it needs the consent every time.
  auto r = connect_to_coordinator(options(), TrustPurpose::kRecovery);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("simulation mode"));
}

TEST_F(ConnectorTest, InsecureChecksNothingAndKeepsNoCache) {
  coordinator_.serve(intermediate_, root_);
  ConnectorOptions o = options();
  o.mode = TrustMode::kInsecure;
  o.verify = {};
  auto c = connect_to_coordinator(o, TrustPurpose::kAttest);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->event, TrustEvent::kInsecure);
  EXPECT_EQ(c->certs.root_der, root_.cert.der());
  EXPECT_FALSE(std::filesystem::exists(o.cache_path));
  EXPECT_FALSE(coordinator_.configs.back().pinned_root_der);
}

TEST_F(ConnectorTest, WaitsForAnUnreachableCoordinator) {
  coordinator_.serve(intermediate_, root_);
  auto quote_route = coordinator_.shared->routes["GET /api/v2/quote"];
  int failures = 2;
  coordinator_.shared->routes["GET /api/v2/quote"] =
      [&](const HttpRequest& r) -> Result<HttpResponse> {
    if (failures-- > 0) return fail(ErrorCode::kUnavailable, "cannot connect to the Coordinator");
    return quote_route(r);
  };
  std::vector<std::string> waits;
  ConnectorOptions o = options();
  o.wait = {std::chrono::seconds(5), std::chrono::milliseconds(1),
            [&](const Error& e) { waits.push_back(e.message); }};
  auto c = connect_to_coordinator(o, TrustPurpose::kPinned);
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_EQ(waits[0], "cannot connect to the Coordinator");
}

TEST_F(ConnectorTest, GivesUpWaitingAfterTheTimeout) {
  coordinator_.shared->routes["GET /api/v2/quote"] =
      [](const HttpRequest&) -> Result<HttpResponse> {
    return fail(ErrorCode::kUnavailable, "cannot connect to the Coordinator");
  };
  ConnectorOptions o = options();
  o.wait = {std::chrono::milliseconds(50), std::chrono::milliseconds(5), nullptr};
  auto c = connect_to_coordinator(o, TrustPurpose::kPinned);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(
      c.error().message,
      HasSubstr(
          "getting the Coordinator's quote: cannot connect to the Coordinator (gave up after"));
}

}  // namespace
}  // namespace mr::client
