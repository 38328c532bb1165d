#include "attestation/policy.h"

#include <gtest/gtest.h>

#include "attestation/testing/fake_quote_verifier.h"
#include "base/encoding.h"
#include "base/json_depth.h"
#include "crypto/hash.h"
#include "manifest/manifest.h"

namespace mr::attestation {
namespace {

using mr::attestation::testing::FakeQuoteVerifier;

std::string message_of(const Status& s) {
  return s ? "" : s.error().message;
}

TEST(CheckTcbStatus, DecisionTable) {
  const std::vector<std::string> none;
  struct Row {
    TcbVerdict verdict;
    TcbStatus status;
    std::vector<std::string> accepted;
    std::string error;  // empty = accepted
  };
  const std::vector<Row> rows = {
      {TcbVerdict::kOk, TcbStatus::kUpToDate, none, ""},
      {TcbVerdict::kOk, TcbStatus::kUpToDate, {"OutOfDate"}, ""},
      {TcbVerdict::kOk, TcbStatus::kSWHardeningNeeded, none, ""},
      {TcbVerdict::kOk, TcbStatus::kSWHardeningNeeded, {"SWHardeningNeeded"}, ""},
      {TcbVerdict::kOk,
       TcbStatus::kSWHardeningNeeded,
       {"OutOfDate"},
       "TCB level invalid: SWHardeningNeeded"},
      {TcbVerdict::kOk,
       TcbStatus::kOutOfDate,
       {"OutOfDate"},
       "unexpected: got no error, but TCB status is OutOfDate"},
      {TcbVerdict::kOk, TcbStatus::kConfigurationNeeded, none,
       "unexpected: got no error, but TCB status is ConfigurationNeeded"},
      {TcbVerdict::kTcbLevelInvalid,
       TcbStatus::kUpToDate,
       {"UpToDate"},
       "unexpected: got ErrTCBLevelInvalid, but TCB status is UpToDate"},
      {TcbVerdict::kTcbLevelInvalid, TcbStatus::kOutOfDate, none, "TCB level invalid: OutOfDate"},
      {TcbVerdict::kTcbLevelInvalid, TcbStatus::kOutOfDate, {"OutOfDate"}, ""},
      {TcbVerdict::kTcbLevelInvalid,
       TcbStatus::kOutOfDate,
       {"outofdate"},
       "TCB level invalid: OutOfDate"},
      {TcbVerdict::kTcbLevelInvalid,
       TcbStatus::kConfigurationAndSWHardeningNeeded,
       {"SWHardeningNeeded", "ConfigurationAndSWHardeningNeeded"},
       ""},
      {TcbVerdict::kTcbLevelInvalid,
       TcbStatus::kRevoked,
       {"UpToDate", "SWHardeningNeeded"},
       "TCB level invalid: Revoked"},
      {TcbVerdict::kTcbLevelInvalid, TcbStatus::kUnknown, none, "TCB level invalid: Unknown"},
      {TcbVerdict::kTcbLevelInvalid, TcbStatus::kSWHardeningNeeded, none, ""},
  };
  for (const Row& r : rows) {
    const Status s = check_tcb_status(r.verdict, r.status, r.accepted);
    EXPECT_EQ(message_of(s), r.error) << tcb_status_name(r.status);
    if (!s) {
      EXPECT_EQ(s.error().code, ErrorCode::kPermissionDenied);
    }
  }
}

TEST(CheckAdvisories, DecisionTable) {
  const std::vector<std::string> adv = {"INTEL-SA-00615", "INTEL-SA-00289"};
  EXPECT_TRUE(check_advisories(TcbStatus::kSWHardeningNeeded, adv, {}));
  EXPECT_TRUE(check_advisories(TcbStatus::kSWHardeningNeeded, adv,
                               {"intel-sa-00289", "INTEL-SA-00615", "INTEL-SA-00000"}));
  EXPECT_EQ(message_of(check_advisories(TcbStatus::kSWHardeningNeeded, adv, {"INTEL-SA-00615"})),
            "TCB status SWHardeningNeeded contains advisories not accepted by configuration: "
            "[INTEL-SA-00289]");
  EXPECT_EQ(message_of(check_advisories(TcbStatus::kSWHardeningNeeded, adv, {"X"})),
            "TCB status SWHardeningNeeded contains advisories not accepted by configuration: "
            "[INTEL-SA-00615 INTEL-SA-00289]");
  // Only SWHardeningNeeded is looked at.
  EXPECT_TRUE(check_advisories(TcbStatus::kConfigurationAndSWHardeningNeeded, adv, {"X"}));
  EXPECT_TRUE(check_advisories(TcbStatus::kUpToDate, adv, {"X"}));
  EXPECT_EQ(message_of(check_advisories(TcbStatus::kSWHardeningNeeded, std::nullopt, {"X"})),
            "no valid TCB advisory list in report");
  EXPECT_TRUE(check_advisories(TcbStatus::kSWHardeningNeeded, std::nullopt, {}));
}

TEST(CheckReportData, FirstHalfIsCertHash) {
  const Bytes cert = to_bytes("certificate DER");
  ReportData rd{};
  const auto h = crypto::sha256(cert);
  std::copy(h.begin(), h.end(), rd.begin());
  rd[40] = 0xff;  // the second half is not looked at
  EXPECT_TRUE(check_report_data(rd, cert));
  const Status s = check_report_data(rd, to_bytes("another certificate"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "hash(cert) != report.Data");
  EXPECT_EQ(s.error().code, ErrorCode::kPermissionDenied);
}

VerifiedQuote sgx_claims() {
  VerifiedQuote q;
  q.tee_type = TeeType::kSgx;
  q.quote_version = 3;
  q.sgx.emplace();
  q.sgx->mr_enclave.fill(0xab);
  q.sgx->mr_signer.fill(0xcd);
  q.sgx->isv_prod_id = 3;
  q.sgx->isv_svn = 5;
  q.tcb_status = TcbStatus::kUpToDate;
  return q;
}

TEST(CheckPackage, Compliance) {
  const VerifiedQuote q = sgx_claims();
  PackagePolicy pkg;
  EXPECT_TRUE(check_package(q, pkg));
  pkg.unique_id = std::string(64, 'A').replace(1, 1, "B");
  EXPECT_FALSE(check_package(q, pkg));
  pkg.unique_id = std::string(32, 'a') + std::string(32, 'B');
  EXPECT_FALSE(check_package(q, pkg));
  pkg.unique_id = hex_encode(q.sgx->mr_enclave);
  for (char& c : pkg.unique_id)
    c = static_cast<char>(std::toupper(c));
  EXPECT_TRUE(check_package(q, pkg));  // case-insensitive
  pkg.signer_id = "CDCD";
  EXPECT_FALSE(check_package(q, pkg));
  pkg.signer_id = hex_encode(q.sgx->mr_signer);
  EXPECT_TRUE(check_package(q, pkg));
  pkg.product_id = 4;
  EXPECT_EQ(message_of(check_package(q, pkg)),
            "package properties not compliant: ProductID is 3, package requires 4");
  pkg.product_id = 3;
  pkg.security_version = 5;
  EXPECT_TRUE(check_package(q, pkg));
  pkg.security_version = 4;
  EXPECT_TRUE(check_package(q, pkg));
  pkg.security_version = 6;
  EXPECT_EQ(message_of(check_package(q, pkg)),
            "package properties not compliant: SecurityVersion is 5, package requires at least 6");
}

TEST(CheckPackage, DebugMustMatchExactly) {
  VerifiedQuote q = sgx_claims();
  PackagePolicy pkg;
  q.sgx->attributes[0] = 0x02;  // debug enclave
  EXPECT_EQ(message_of(check_package(q, pkg)),
            "package properties not compliant: Debug is true, package requires false");
  pkg.debug = true;
  EXPECT_TRUE(check_package(q, pkg));
  q.sgx->attributes[0] = 0;
  EXPECT_FALSE(check_package(q, pkg));  // a Debug package refuses production enclaves too
}

TEST(CheckPackage, TdxQuoteHasNoPackage) {
  VerifiedQuote q;
  q.tee_type = TeeType::kTdx;
  q.td.emplace();
  EXPECT_FALSE(check_package(q, PackagePolicy{}));
}

class VerifyMarbleQuoteTest : public ::testing::Test {
 protected:
  VerifiedQuote bound(TcbStatus status, std::vector<std::string> adv = {}) {
    VerifiedQuote q = sgx_claims();
    const auto h = crypto::sha256(cert_);
    std::copy(h.begin(), h.end(), q.sgx->report_data.begin());
    q.tcb_status = status;
    q.advisory_ids = std::move(adv);
    return q;
  }
  const Bytes cert_ = to_bytes("marble cert");
  const Bytes quote_ = to_bytes("quote");
  FakeQuoteVerifier verifier_;
};

TEST_F(VerifyMarbleQuoteTest, AcceptsCompliantQuote) {
  verifier_.add(quote_, bound(TcbStatus::kUpToDate));
  PackagePolicy pkg;
  pkg.signer_id = hex_encode(sgx_claims().sgx->mr_signer);
  pkg.product_id = 3;
  pkg.security_version = 5;
  auto q = verify_marble_quote(verifier_, quote_, cert_, pkg);
  ASSERT_TRUE(q) << q.error().message;
}

TEST_F(VerifyMarbleQuoteTest, RefusesInUpstreamOrder) {
  PackagePolicy pkg;
  pkg.security_version = 9;  // would fail last
  verifier_.add(quote_, bound(TcbStatus::kOutOfDate));
  EXPECT_EQ(verify_marble_quote(verifier_, quote_, cert_, pkg).error().message,
            "TCB level invalid: OutOfDate");
  pkg.accepted_tcb_statuses = {"OutOfDate"};
  EXPECT_EQ(verify_marble_quote(verifier_, quote_, to_bytes("other cert"), pkg).error().message,
            "hash(cert) != report.Data");
  EXPECT_EQ(verify_marble_quote(verifier_, quote_, cert_, pkg).error().message,
            "package properties not compliant: SecurityVersion is 5, package requires at least 9");
  pkg.security_version = 5;
  EXPECT_TRUE(verify_marble_quote(verifier_, quote_, cert_, pkg));

  verifier_.add(quote_, bound(TcbStatus::kSWHardeningNeeded, {"INTEL-SA-00615"}));
  pkg.accepted_tcb_statuses.clear();  // default: SWHardeningNeeded
  pkg.accepted_advisories = {"INTEL-SA-00334"};
  EXPECT_EQ(verify_marble_quote(verifier_, quote_, cert_, pkg).error().message,
            "TCB status SWHardeningNeeded contains advisories not accepted by configuration: "
            "[INTEL-SA-00615]");
  pkg.accepted_advisories.push_back("intel-sa-00615");
  EXPECT_TRUE(verify_marble_quote(verifier_, quote_, cert_, pkg));

  verifier_.set_error(Error{ErrorCode::kFailedPrecondition, "collateral expired at x"});
  auto r = verify_marble_quote(verifier_, quote_, cert_, pkg);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
}

TEST(ParseEraConfig, GoJsonSemantics) {
  auto cfg = parse_era_config(R"({"securityversion": 3, "ProductID": 3, "SignerID": "ab",
      "UNIQUEID": "", "Debug": false, "AcceptedTCBStatuses": ["UpToDate"], "Unknown": {},
      "Nonce": "bm9uY2U=", "AcceptedAdvisories": null, "ProductID": 4})");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->security_version, 3u);
  EXPECT_EQ(cfg->product_id, 4);
  EXPECT_EQ(cfg->signer_id, "ab");
  EXPECT_EQ(cfg->accepted_tcb_statuses, std::vector<std::string>{"UpToDate"});
  EXPECT_EQ(cfg->nonce, to_bytes("nonce"));
  EXPECT_FALSE(parse_era_config(R"({"ProductID": 70000})"));
  EXPECT_FALSE(parse_era_config(R"({"SecurityVersion": -1})"));
  EXPECT_FALSE(parse_era_config(R"({"SecurityVersion": 1.5})"));
  EXPECT_FALSE(parse_era_config(R"({"Debug": "yes"})"));
  EXPECT_FALSE(parse_era_config(R"([1])"));
  auto bad = parse_era_config("{");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.rfind("invalid era config: invalid JSON", 0), 0u);
  bad = parse_era_config(R"({"ProductID": "3"})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "invalid era config: json: cannot unmarshal string into Go struct field "
            "VerifyOptions.ProductID of type uint16");
}

// AcceptedTCBStatuses in the era config takes only Intel's status names, exact case; a typo
// used to be accepted and then never matched any quote.
TEST(ParseEraConfig, AcceptedTcbStatusesAreIntelsNames) {
  auto cfg = parse_era_config(
      R"({"AcceptedTCBStatuses": ["UpToDate", "SWHardeningNeeded", "ConfigurationNeeded",
          "ConfigurationAndSWHardeningNeeded", "OutOfDate", "OutOfDateConfigurationNeeded",
          "Revoked"]})");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->accepted_tcb_statuses.size(), 7u);

  const std::string kNames =
      "names are case-sensitive: UpToDate, SWHardeningNeeded, ConfigurationNeeded, "
      "ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded, Revoked)";
  auto bad = parse_era_config(R"({"AcceptedTCBStatuses": ["UpToDate", "outofdate"]})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message,
            "invalid era config: AcceptedTCBStatuses value \"outofdate\" is not a TCB status (did "
            "you mean \"OutOfDate\"? " +
                kNames);
  bad = parse_era_config(R"({"acceptedtcbstatuses": ["SWHardeningNeded"]})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "invalid era config: AcceptedTCBStatuses value \"SWHardeningNeded\" is not a TCB "
            "status (" +
                kNames);
  // "Unknown" is what a verifier reports for no status; it is not a status a level can have.
  EXPECT_FALSE(parse_era_config(R"({"AcceptedTCBStatuses": ["Unknown"]})"));
  EXPECT_FALSE(parse_era_config(R"({"AcceptedTCBStatuses": [""]})"));
  EXPECT_TRUE(check_accepted_tcb_statuses({}));
}

// The era config and the manifest (manifest::kTcbStatusNames, which cannot depend on
// attestation) accept exactly the same names.
TEST(ParseEraConfig, StatusNamesAgreeWithTheManifestCheck) {
  ASSERT_EQ(kIntelTcbStatuses.size(), manifest::kTcbStatusNames.size());
  for (std::size_t i = 0; i < kIntelTcbStatuses.size(); ++i) {
    EXPECT_EQ(tcb_status_name(kIntelTcbStatuses[i]), manifest::kTcbStatusNames[i]);
    EXPECT_TRUE(check_accepted_tcb_statuses({std::string(manifest::kTcbStatusNames[i])}));
  }
}

// Era config JSON nested deeper than the limit gets a clean error before any DOM is built.
TEST(ParseEraConfig, DeepNestingIsRefused) {
  const auto nested = [](std::size_t depth) {
    return R"({"AcceptedAdvisories":)" + std::string(depth - 1, '[') + std::string(depth - 1, ']') +
           "}";
  };
  EXPECT_EQ(parse_era_config(nested(kMaxJsonDepth)).error().message.find("nesting"),
            std::string::npos);
  for (std::size_t depth : {kMaxJsonDepth + 1, std::size_t{100'000}}) {
    auto r = parse_era_config(nested(depth));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().message,
              "invalid era config: JSON nesting exceeds the limit of 64 levels (at byte 85)");
  }
}

class CoordinatorQuoteTest : public ::testing::Test {
 protected:
  CoordinatorQuoteTest() {
    q_ = sgx_claims();
    crypto::Sha256 h;
    h.update(root_);
    h.update(nonce_);
    const auto d = h.finish();
    std::copy(d.begin(), d.end(), q_.sgx->report_data.begin());
    cfg_.security_version = 5;
    cfg_.product_id = 3;
    cfg_.signer_id = hex_encode(q_.sgx->mr_signer);
  }
  const Bytes root_ = to_bytes("root DER");
  const Bytes nonce_ = to_bytes("n0nce");
  VerifiedQuote q_;
  EraConfig cfg_;
};

TEST_F(CoordinatorQuoteTest, AcceptsMatchingQuote) {
  EXPECT_TRUE(check_coordinator_quote(q_, root_, nonce_, cfg_));
  cfg_.security_version = 4;
  EXPECT_TRUE(check_coordinator_quote(q_, root_, nonce_, cfg_));
}

TEST_F(CoordinatorQuoteTest, RefusesMismatches) {
  EXPECT_FALSE(check_coordinator_quote(q_, root_, {}, cfg_));  // nonce not bound
  EXPECT_FALSE(check_coordinator_quote(q_, to_bytes("other root"), nonce_, cfg_));
  EraConfig c = cfg_;
  c.security_version = 6;
  EXPECT_FALSE(check_coordinator_quote(q_, root_, nonce_, c));
  c = cfg_;
  c.product_id = 4;
  EXPECT_FALSE(check_coordinator_quote(q_, root_, nonce_, c));
  c = cfg_;
  c.signer_id = std::string(64, '0');
  EXPECT_EQ(message_of(check_coordinator_quote(q_, root_, nonce_, c)), "invalid SignerID");
  c = cfg_;
  c.unique_id = std::string(64, '0');
  EXPECT_EQ(message_of(check_coordinator_quote(q_, root_, nonce_, c)), "invalid UniqueID");
  c.unique_id = "zz";
  EXPECT_EQ(check_coordinator_quote(q_, root_, nonce_, c).error().code,
            ErrorCode::kInvalidArgument);
  c = cfg_;
  c.security_version = 0;
  EXPECT_EQ(message_of(check_coordinator_quote(q_, root_, nonce_, c)),
            "invalid era config: missing SecurityVersion");
  c = cfg_;
  c.product_id = 0;
  EXPECT_EQ(message_of(check_coordinator_quote(q_, root_, nonce_, c)),
            "invalid era config: missing ProductID");
  c = cfg_;
  c.unique_id = hex_encode(q_.sgx->mr_enclave);
  c.security_version = 0;
  c.product_id = 3;
  EXPECT_TRUE(check_coordinator_quote(q_, root_, nonce_, c));  // UniqueID alone suffices
}

TEST_F(CoordinatorQuoteTest, DebugAndTcbPolicy) {
  q_.sgx->attributes[0] = 0x02;
  EXPECT_EQ(message_of(check_coordinator_quote(q_, root_, nonce_, cfg_)),
            "debug enclave not allowed");
  cfg_.debug = true;
  EXPECT_TRUE(check_coordinator_quote(q_, root_, nonce_, cfg_));
  q_.tcb_status = TcbStatus::kOutOfDate;
  EXPECT_EQ(message_of(check_coordinator_quote(q_, root_, nonce_, cfg_)),
            "TCB level invalid: OutOfDate");
  cfg_.accepted_tcb_statuses = {"UpToDate", "OutOfDate"};
  EXPECT_TRUE(check_coordinator_quote(q_, root_, nonce_, cfg_));
  q_.tcb_status = TcbStatus::kSWHardeningNeeded;
  q_.advisory_ids = {"INTEL-SA-00615"};
  cfg_.accepted_tcb_statuses = {"UpToDate", "SWHardeningNeeded"};
  cfg_.accepted_advisories = {"INTEL-SA-00334"};
  EXPECT_FALSE(check_coordinator_quote(q_, root_, nonce_, cfg_));
}

}  // namespace
}  // namespace mr::attestation
