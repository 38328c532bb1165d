// Spec 2.3 steps 1-5 through a fake transport: what exactly a Marble sends.
#include "marble/activation.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "attestation/simulated/no_tee_issuer.h"
#include "base/testing/fake_clock.h"
#include "base/testing/temp_dir.h"
#include "crypto/hash.h"
#include "crypto/x509.h"
#include "marble/test/coordinator_ca.h"

namespace mr::marble {
namespace {

const UnixTime kNow = *parse_rfc3339("2026-11-23T12:00:00Z");

// RecordingIssuer returns a fixed quote (or error) and remembers the report data.
class RecordingIssuer final : public attestation::QuoteIssuer {
 public:
  explicit RecordingIssuer(Result<Bytes> answer) : answer_(std::move(answer)) {}
  Result<Bytes> issue(ByteSpan report_data) override {
    report_data_.assign(report_data.begin(), report_data.end());
    ++calls_;
    if (!answer_) return tl::unexpected(answer_.error());
    return *answer_;
  }
  Bytes report_data_;
  int calls_ = 0;

 private:
  Result<Bytes> answer_;
};

// FakeTransport records the request and the client identity and returns a canned answer.
class FakeTransport final : public ActivationTransport {
 public:
  Result<Parameters> activate(const ActivationRequest& request,
                              const ClientIdentity& identity) override {
    ++calls_;
    request_ = request;
    cert_pem_ = identity.cert_pem;
    key_pem_ = std::string(identity.key_pem.view());
    if (error_) return fail(*error_);
    Parameters p;
    p.files = files_;
    p.env = env_;
    p.argv = argv_;
    return p;
  }
  int calls_ = 0;
  ActivationRequest request_;
  std::string cert_pem_, key_pem_;
  std::optional<Error> error_;
  Parameters::Map files_{{"/tmp/f", "content"}}, env_{{"E", "v"}};
  std::vector<std::string> argv_{"./app"};
};

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ActivationTest : public ::testing::Test {
 protected:
  ActivationOptions options() {
    ActivationOptions o;
    o.marble_type = "backend";
    o.dns_names = {"localhost", "10.1.2.3"};
    o.uuid_file = dir_ / "uuid";
    o.clock = &clock_;
    return o;
  }
  mr::testing::TempDir dir_;
  mr::testing::FakeClock clock_{kNow};
  FakeTransport transport_;
};

TEST_F(ActivationTest, SendsTypeUuidCsrAndQuoteOverTheClientCertificate) {
  RecordingIssuer issuer(Bytes{1, 2, 3});
  auto p = activate_with(options(), issuer, transport_);
  ASSERT_TRUE(p) << p.error().message;
  const ActivationRequest& r = transport_.request_;
  EXPECT_EQ(r.marble_type, "backend");
  EXPECT_EQ(r.uuid, read(dir_ / "uuid"));
  EXPECT_EQ(r.quote, (Bytes{1, 2, 3}));

  // The TLS client certificate is the self-signed one, and the quote binds SHA-256 of its DER.
  auto cert = crypto::Certificate::from_pem(transport_.cert_pem_);
  ASSERT_TRUE(cert);
  EXPECT_EQ(cert->subject().common_name, "MarbleRun Marble");
  const auto hash = crypto::sha256(cert->der());
  EXPECT_EQ(issuer.report_data_, Bytes(hash.begin(), hash.end()));
  EXPECT_EQ(cert->not_before(), kNow);

  // The key presented matches the certificate, and the CSR is over the same key.
  auto key = crypto::PrivateKey::from_pem(transport_.key_pem_);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->public_key(), cert->public_key());
  auto csr = crypto::parse_csr(r.csr_der);
  ASSERT_TRUE(csr);
  EXPECT_EQ(csr->public_key, cert->public_key());
  EXPECT_EQ(csr->dns_names, (std::vector<std::string>{"localhost"}));
  EXPECT_EQ(csr->ip_addresses.size(), 3u);

  EXPECT_EQ(p->files.at("/tmp/f"), "content");
  EXPECT_EQ(p->env.at("E"), "v");
  EXPECT_EQ(p->argv, (std::vector<std::string>{"./app"}));
}

TEST_F(ActivationTest, SameUuidAcrossRestartsNewKeyEachTime) {
  RecordingIssuer issuer(Bytes{});
  ASSERT_TRUE(activate_with(options(), issuer, transport_));
  const std::string uuid = transport_.request_.uuid;
  const std::string cert = transport_.cert_pem_;
  ASSERT_TRUE(activate_with(options(), issuer, transport_));
  EXPECT_EQ(transport_.request_.uuid, uuid);
  EXPECT_NE(transport_.cert_pem_, cert);
}

TEST_F(ActivationTest, NoTeeMeansAnEmptyQuote) {
  attestation::simulated::NoTeeIssuer issuer;
  ActivationReport report;
  ASSERT_TRUE(activate_with(options(), issuer, transport_, &report));
  EXPECT_TRUE(transport_.request_.quote.empty());
  EXPECT_EQ(report.uuid, transport_.request_.uuid);
  EXPECT_TRUE(report.uuid_created);
  EXPECT_EQ(report.quote_size, 0u);
  EXPECT_EQ(report.empty_quote_reason, "no TEE (OE_UNSUPPORTED)");
}

TEST_F(ActivationTest, ReportOfAQuotedActivation) {
  RecordingIssuer issuer(Bytes(100, 7));
  ActivationReport report;
  ASSERT_TRUE(activate_with(options(), issuer, transport_, &report));
  ASSERT_TRUE(activate_with(options(), issuer, transport_, &report));
  EXPECT_FALSE(report.uuid_created);  // the second start reuses the file
  EXPECT_EQ(report.quote_size, 100u);
  EXPECT_EQ(report.empty_quote_reason, "");
}

TEST_F(ActivationTest, AnyQuoteFailureMeansAnEmptyQuote) {
  RecordingIssuer issuer(tl::unexpected(Error{ErrorCode::kUnavailable, "the TEE broke"}));
  ASSERT_TRUE(activate_with(options(), issuer, transport_));
  EXPECT_EQ(issuer.calls_, 1);
  EXPECT_TRUE(transport_.request_.quote.empty());
}

TEST_F(ActivationTest, TransportErrorsPassThrough) {
  transport_.error_ = Error{ErrorCode::kPermissionDenied,
                            "the Coordinator at x refused the activation (PERMISSION_DENIED): "
                            "marble verification failed: unknown marble type requested"};
  RecordingIssuer issuer(Bytes{1});
  auto p = activate_with(options(), issuer, transport_);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(p.error().message, transport_.error_->message);
}

TEST_F(ActivationTest, RefusalOfAnEmptyQuoteSaysWhyItWasEmpty) {
  transport_.error_ =
      Error{ErrorCode::kPermissionDenied, "marble verification failed: invalid quote"};
  attestation::simulated::NoTeeIssuer issuer;
  auto p = activate_with(options(), issuer, transport_);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message,
            "marble verification failed: invalid quote [this Marble sent an empty quote: no TEE "
            "(OE_UNSUPPORTED)]");
  // Other refusals and real quotes are passed on unchanged.
  RecordingIssuer real(Bytes{1});
  p = activate_with(options(), real, transport_);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message, "marble verification failed: invalid quote");
}

TEST_F(ActivationTest, MissingTypeFailsBeforeAnythingHappens) {
  ActivationOptions o = options();
  o.marble_type.clear();
  attestation::simulated::NoTeeIssuer issuer;
  auto p = activate_with(o, issuer, transport_);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(transport_.calls_, 0);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "uuid"));
}

TEST_F(ActivationTest, BadUuidFileFailsBeforeActivating) {
  { std::ofstream(dir_ / "uuid") << "not-a-uuid"; }
  attestation::simulated::NoTeeIssuer issuer;
  auto p = activate_with(options(), issuer, transport_);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(transport_.calls_, 0);
}

TEST_F(ActivationTest, TtlsConfigFollowsThePolicy) {
  transport_.env_["MARBLE_TTLS_CONFIG"] = R"({"tls":{"Incoming":{"*:8080":{}},"Outgoing":{}}})";
  attestation::simulated::NoTeeIssuer issuer;
  ActivationOptions o = options();
  EXPECT_TRUE(activate_with(o, issuer, transport_));  // kValidate by default
  o.ttls = TtlsPolicy::kRefuse;
  auto p = activate_with(o, issuer, transport_);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(p.error().message.find("MARBLE_TTLS_CONFIG"), std::string::npos);
}

TEST_F(ActivationTest, EmptyTtlsConfigIsRefusedEvenInProcess) {
  transport_.env_["MARBLE_TTLS_CONFIG"] = R"({"tls":{"Incoming":{},"Outgoing":{}}})";
  attestation::simulated::NoTeeIssuer issuer;
  auto p = activate_with(options(), issuer, transport_);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
}

// With a pinned root, a bad pin file stops everything before the UUID file or the transport is
// touched; the answer's MARBLE_PREDEFINED_* certificates are checked against the root.
TEST_F(ActivationTest, BadPinFileFailsBeforeAnythingHappens) {
  for (const std::string& content : {std::string(), std::string("garbage")}) {
    ActivationOptions o = options();
    o.coordinator_root_ca = dir_ / "root.pem";
    if (!content.empty()) write_text(o.coordinator_root_ca, content);
    attestation::simulated::NoTeeIssuer issuer;
    auto p = activate_with(o, issuer, transport_);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(p.error().message.rfind(
                  "EDG_MARBLE_COORDINATOR_ROOT_CA: " + o.coordinator_root_ca.string() + ": ", 0),
              0u)
        << p.error().message;
    EXPECT_EQ(transport_.calls_, 0);
    EXPECT_FALSE(std::filesystem::exists(dir_ / "uuid"));
  }
}

TEST_F(ActivationTest, PinnedRootChecksTheAnswersCertificates) {
  const TestCa ca = TestCa::make(kNow);
  ActivationOptions o = options();
  o.coordinator_root_ca = dir_ / "root.pem";
  write_text(o.coordinator_root_ca, ca.ca.root.pem());
  attestation::simulated::NoTeeIssuer issuer;

  for (auto& [k, v] : ca.predefined_env(ca.issue_leaf(kNow).first))
    transport_.env_[k] = v;
  auto p = activate_with(o, issuer, transport_);
  ASSERT_TRUE(p) << p.error().message;

  // Unpinned, an answer without them is fine; pinned, it is refused.
  transport_.env_ = {{"E", "v"}};
  EXPECT_TRUE(activate_with(options(), issuer, transport_));
  p = activate_with(o, issuer, transport_);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(p.error().message.find("MARBLE_PREDEFINED_COORDINATOR_ROOT_CA: not sent"),
            std::string::npos)
      << p.error().message;

  // Another Coordinator's certificates.
  const TestCa other = TestCa::make(kNow);
  transport_.env_ = other.predefined_env(other.issue_leaf(kNow).first);
  p = activate_with(o, issuer, transport_);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kUnauthenticated);
}

}  // namespace
}  // namespace mr::marble
