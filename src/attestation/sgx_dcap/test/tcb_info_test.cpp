#include "attestation/sgx_dcap/tcb_info.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "attestation/sgx_dcap/collateral.h"
#include "attestation/sgx_dcap/openssl_util.h"
#include "attestation/sgx_dcap/test/testdata.h"
#include "base/json_depth.h"

namespace mr::attestation::dcap {
namespace {

Collateral sample(const std::string& name) {
  return *parse_collateral_json(testdata::read_text(name));
}

TEST(TcbInfo, ParsesSgxV3) {
  auto info = parse_tcb_info(sample("sgx_quote_collateral.json").tcb_info);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->id, "SGX");
  EXPECT_EQ(info->version, 3);
  EXPECT_EQ(info->fmspc, (std::array<std::uint8_t, 6>{0x00, 0xa0, 0x67, 0x11, 0x00, 0x00}));
  EXPECT_EQ(format_rfc3339(info->next_update), "2025-07-19T10:56:11Z");
  ASSERT_GE(info->tcb_levels.size(), 2u);
  EXPECT_EQ(info->tcb_levels[1].status, "ConfigurationAndSWHardeningNeeded");
  EXPECT_EQ(info->tcb_levels[1].advisory_ids,
            (std::vector<std::string>{"INTEL-SA-00289", "INTEL-SA-00615"}));
}

TEST(TcbInfo, ParsesTdxV3WithModuleIdentities) {
  auto info = parse_tcb_info(sample("tdx_quote_collateral.json").tcb_info);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->id, "TDX");
  ASSERT_TRUE(info->tdx_module);
  EXPECT_EQ(info->tdx_module->mr_signer.size(), 48u);
  ASSERT_EQ(info->tdx_module_identities.size(), 2u);
  EXPECT_EQ(info->tdx_module_identities[1].id, "TDX_01");
  ASSERT_TRUE(info->tcb_levels[0].tdx_components);
}

TEST(TcbInfo, ParsesV2Layout) {
  nlohmann::json level = {
      {"tcb", {{"pcesvn", 7}}}, {"tcbDate", "2020-01-01T00:00:00Z"}, {"tcbStatus", "UpToDate"}};
  for (int i = 1; i <= 16; ++i)
    level["tcb"][fmt::format("sgxtcbcomp{:02}svn", i)] = i;
  nlohmann::json doc = {{"version", 2},
                        {"issueDate", "2020-01-01T00:00:00Z"},
                        {"nextUpdate", "2020-02-01T00:00:00Z"},
                        {"fmspc", "00906ED50000"},
                        {"pceId", "0000"},
                        {"tcbType", 0},
                        {"tcbEvaluationDataNumber", 5},
                        {"tcbLevels", {level}}};
  auto info = parse_tcb_info(doc.dump());
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->tcb_levels[0].sgx_components[15], 16);
  EXPECT_EQ(info->tcb_levels[0].pce_svn, 7);
}

TEST(TcbInfo, RejectsMalformed) {
  EXPECT_FALSE(parse_tcb_info("[]"));
  EXPECT_FALSE(parse_tcb_info(R"({"version": 3})"));
  auto bad = parse_tcb_info(R"({"version": 1})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "invalid TCB info: unsupported version 1");
  std::string text = sample("sgx_quote_collateral.json").tcb_info;
  text.replace(text.find("\"fmspc\":\"00A067110000\""), 22, "\"fmspc\":\"00A0671100\"");
  bad = parse_tcb_info(text);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("fmspc"), std::string::npos);
}

TEST(QeIdentity, ParsesAndMatches) {
  auto id = parse_qe_identity(sample("sgx_quote_collateral.json").qe_identity);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->id, "QE");
  SgxReportBody r;
  r.mr_signer = id->mr_signer;
  r.isv_prod_id = id->isv_prod_id;
  r.attributes = id->attributes;
  r.isv_svn = 8;
  auto m = match_qe_identity(*id, r);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, TcbStatus::kUpToDate);
  r.isv_svn = 6;
  m = match_qe_identity(*id, r);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, TcbStatus::kOutOfDate);
  EXPECT_EQ(m->advisory_ids, std::vector<std::string>{"INTEL-SA-00615"});
  r.isv_svn = 0;
  EXPECT_EQ(match_qe_identity(*id, r)->status, TcbStatus::kUnknown);
  r.isv_svn = 8;
  r.attributes[0] |= 0x02;  // DEBUG is under the mask
  EXPECT_EQ(match_qe_identity(*id, r).error().message, "QE identity mismatch: attributes");
  r.attributes = id->attributes;
  r.isv_prod_id = 9;
  EXPECT_EQ(match_qe_identity(*id, r).error().message, "QE identity mismatch: ISVPRODID");
  r.isv_prod_id = id->isv_prod_id;
  r.mr_signer[0] ^= 1;
  EXPECT_EQ(match_qe_identity(*id, r).error().code, ErrorCode::kPermissionDenied);
}

// A synthetic SGX TCB info with three levels to exercise selection and convergence.
TcbInfo synthetic_sgx() {
  TcbInfo info;
  info.version = 3;
  info.id = "SGX";
  auto level = [](std::uint8_t comp, std::uint16_t pce, std::string status,
                  std::vector<std::string> adv) {
    TcbLevel l;
    l.sgx_components.fill(comp);
    l.pce_svn = pce;
    l.status = std::move(status);
    l.advisory_ids = std::move(adv);
    return l;
  };
  info.tcb_levels = {level(5, 10, "UpToDate", {}),
                     level(5, 5, "SWHardeningNeeded", {"INTEL-SA-00615"}),
                     level(3, 5, "OutOfDate", {"INTEL-SA-00100", "INTEL-SA-00615"})};
  return info;
}

TEST(MatchTcb, SelectsFirstLevelWherePlatformIsHigherOrEqual) {
  const TcbInfo info = synthetic_sgx();
  ParsedQuote q;
  q.tee_type = TeeType::kSgx;
  PckExtensions pck;
  QeMatch qe{TcbStatus::kUpToDate, {}};

  pck.tcb_components.fill(5);
  pck.pce_svn = 10;
  EXPECT_EQ(match_tcb(info, pck, q, qe)->status, TcbStatus::kUpToDate);
  pck.pce_svn = 9;
  EXPECT_EQ(match_tcb(info, pck, q, qe)->status, TcbStatus::kSWHardeningNeeded);
  pck.tcb_components[7] = 4;  // one component lower: only the OutOfDate level fits
  auto m = match_tcb(info, pck, q, qe);
  EXPECT_EQ(m->status, TcbStatus::kOutOfDate);
  EXPECT_EQ(m->advisory_ids, (std::vector<std::string>{"INTEL-SA-00100", "INTEL-SA-00615"}));
  pck.tcb_components.fill(2);
  auto none = match_tcb(info, pck, q, qe);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kPermissionDenied);
  pck.tcb_components.fill(5);
  pck.pce_svn = 4;  // components fit the lowest level, PCESVN is below all of them
  EXPECT_FALSE(match_tcb(info, pck, q, qe));
}

TEST(MatchTcb, ConvergesWithQeStatus) {
  const TcbInfo info = synthetic_sgx();
  ParsedQuote q;
  PckExtensions pck;
  pck.tcb_components.fill(5);
  pck.pce_svn = 9;
  auto m = match_tcb(info, pck, q, QeMatch{TcbStatus::kOutOfDate, {"INTEL-SA-00477"}});
  EXPECT_EQ(m->status, TcbStatus::kOutOfDate);
  EXPECT_EQ(m->advisory_ids, (std::vector<std::string>{"INTEL-SA-00615", "INTEL-SA-00477"}));
  EXPECT_EQ(match_tcb(info, pck, q, QeMatch{TcbStatus::kRevoked, {}})->status, TcbStatus::kRevoked);
}

TEST(MatchTcb, RejectsTeeMismatch) {
  TcbInfo info = synthetic_sgx();
  ParsedQuote q;
  q.tee_type = TeeType::kTdx;
  q.td.emplace();
  EXPECT_FALSE(match_tcb(info, PckExtensions{}, q, QeMatch{}));
}

// RealPlatform is what the verifier extracts from a real sample quote: the parsed quote, its PCK
// certificate's SGX extension and the QE identity's verdict on its quoting enclave.
struct RealPlatform {
  ParsedQuote quote;
  PckExtensions pck;
  QeMatch qe;
  TcbInfo tcb_info;
};

RealPlatform real_platform(const std::string& quote_file, const std::string& collateral_file) {
  RealPlatform out;
  auto q = parse_quote(testdata::read(quote_file));
  EXPECT_TRUE(q) << q.error().message;
  out.quote = std::move(*q);
  EXPECT_EQ(out.quote.cert_data_type, kCertDataPckChain);
  auto certs = parse_pem_certificates(std::string_view(
      reinterpret_cast<const char*>(out.quote.cert_data.data()), out.quote.cert_data.size()));
  EXPECT_TRUE(certs) << certs.error().message;
  X509* leaf = certs->front().get();
  ossl::Ptr<ASN1_OBJECT> oid(OBJ_txt2obj(std::string(kSgxExtensionOid).c_str(), 1));
  const ASN1_OCTET_STRING* data =
      X509_EXTENSION_get_data(X509_get_ext(leaf, X509_get_ext_by_OBJ(leaf, oid.get(), -1)));
  auto pck = parse_pck_extensions(
      ByteSpan(ASN1_STRING_get0_data(data), static_cast<std::size_t>(ASN1_STRING_length(data))));
  EXPECT_TRUE(pck) << pck.error().message;
  out.pck = std::move(*pck);
  const Collateral c = sample(collateral_file);
  auto qe_identity = parse_qe_identity(c.qe_identity);
  EXPECT_TRUE(qe_identity) << qe_identity.error().message;
  auto qe = match_qe_identity(*qe_identity, out.quote.qe_report);
  EXPECT_TRUE(qe) << qe.error().message;
  out.qe = std::move(*qe);
  auto info = parse_tcb_info(c.tcb_info);
  EXPECT_TRUE(info) << info.error().message;
  out.tcb_info = std::move(*info);
  return out;
}

// The real samples match a level as the verifier reports them, with that level's tcbDate (TDX
// included).
TEST(MatchTcbRealData, SamplesMatchTheirLevels) {
  RealPlatform sgx = real_platform("sgx_quote", "sgx_quote_collateral.json");
  auto m = match_tcb(sgx.tcb_info, sgx.pck, sgx.quote, sgx.qe);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->status, TcbStatus::kConfigurationAndSWHardeningNeeded);
  EXPECT_EQ(m->tcb_date, "2024-03-13T00:00:00Z");

  RealPlatform tdx = real_platform("tdx_quote", "tdx_quote_collateral.json");
  m = match_tcb(tdx.tcb_info, tdx.pck, tdx.quote, tdx.qe);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->status, TcbStatus::kUpToDate);
  EXPECT_EQ(m->tcb_date, "2024-03-13T00:00:00Z");
}

// No TCB level covers the platform: refused (Intel QVL's TCB_NOT_SUPPORTED, go-tdx-guest's "no
// matching TCB level found"), never a result with status Unknown. The signed real samples offer
// no such pair (each quote matches its own TCB info and the FMSPCs differ), so these cases run
// the matching on Intel's real TCB info with real platforms' values: the two sample platforms'
// unmodified PCK values against each other's TCB info, and the TDX sample's own values lowered.
TEST(MatchTcbRealData, NoMatchingLevelIsRefused) {
  const RealPlatform sgx = real_platform("sgx_quote", "sgx_quote_collateral.json");
  const RealPlatform tdx = real_platform("tdx_quote", "tdx_quote_collateral.json");

  // SGX: the TDX machine's PCK CPUSVN (3,3,2,2,4,...) is below every level of FMSPC 00A067110000
  // (the lowest needs 5,5,2,2,255,...).
  auto m = match_tcb(sgx.tcb_info, tdx.pck, sgx.quote, sgx.qe);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(m.error().message,
            "TCB not supported: no matching TCB level found (the PCK certificate's TCB components "
            "and PCESVN are below every TCB level of the SGX TCB info for FMSPC 00A067110000)");

  // TDX: the SGX machine's PCK values (component 8 is 0, every level needs 5) are below every
  // level of the TDX TCB info for FMSPC B0C06F000000.
  m = match_tcb(tdx.tcb_info, sgx.pck, tdx.quote, tdx.qe);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message,
            "TCB not supported: no matching TCB level found (the PCK certificate's TCB components "
            "and PCESVN are below every TCB level of the TDX TCB info for FMSPC B0C06F000000)");

  // TDX: the PCESVN of the real TDX PCK lowered below every level (each needs 5 or more).
  PckExtensions low_pce = tdx.pck;
  low_pce.pce_svn = 4;
  EXPECT_FALSE(match_tcb(tdx.tcb_info, low_pce, tdx.quote, tdx.qe));

  // TDX: the PCK reaches a level but the TD's TEE TCB SVN (byte 2 is 3, every level needs 2)
  // lowered to 1 does not.
  ParsedQuote low_tee = tdx.quote;
  low_tee.td->tee_tcb_svn[2] = 1;
  m = match_tcb(tdx.tcb_info, tdx.pck, low_tee, tdx.qe);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message,
            "TCB not supported: no matching TCB level found (the TD's TEE TCB SVN is below every "
            "TCB level of the TDX TCB info for FMSPC B0C06F000000 that its PCK certificate "
            "reaches)");

  // TDX: the TDX module's SVN (6) lowered below every level of identity TDX_01 (4 and 2).
  ParsedQuote low_module = tdx.quote;
  low_module.td->tee_tcb_svn[0] = 1;
  m = match_tcb(tdx.tcb_info, tdx.pck, low_module, tdx.qe);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message,
            "TCB not supported: no matching TCB level found (the TDX module's SVN 1 is below "
            "every TCB level of TDX module identity TDX_01)");
}

// A quoting enclave below every level of its (real) QE identity is refused the same way.
TEST(MatchTcbRealData, QuotingEnclaveBelowEveryLevelIsRefused) {
  const Collateral c = sample("tdx_quote_collateral.json");
  auto identity = parse_qe_identity(c.qe_identity);
  ASSERT_TRUE(identity);
  auto q = parse_quote(testdata::read("tdx_quote"));
  ASSERT_TRUE(q);
  SgxReportBody report = q->qe_report;
  std::uint16_t lowest = 0xffff;
  for (const QeTcbLevel& l : identity->tcb_levels)
    lowest = std::min(lowest, l.isv_svn);
  ASSERT_GT(lowest, 0);
  report.isv_svn = static_cast<std::uint16_t>(lowest - 1);
  auto m = match_qe_identity(*identity, report);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(m.error().message,
            fmt::format("TCB not supported: no matching TCB level found (the quoting enclave's "
                        "ISVSVN {} is below every TCB level of the TD_QE identity)",
                        lowest - 1));
}

// with_levels returns Intel's signed JSON text |text| (TCB info or QE identity) with |edit|
// applied to each of its tcbLevels. The signature no longer covers the result, so it is checked
// by parsing and matching, not by the verifier.
std::string with_levels(const std::string& text,
                        const std::function<void(nlohmann::json& level)>& edit) {
  nlohmann::json doc = nlohmann::json::parse(text);
  for (nlohmann::json& level : doc.at("tcbLevels"))
    edit(level);
  return doc.dump();
}

// The real samples against their own real collateral, edited so that every level is just above
// the platform: refused, each with the reason of the component that no longer reaches a level.
TEST(MatchTcbRealData, RealCollateralEditedToLeaveNoMatchingLevelIsRefused) {
  const RealPlatform sgx = real_platform("sgx_quote", "sgx_quote_collateral.json");
  const RealPlatform tdx = real_platform("tdx_quote", "tdx_quote_collateral.json");
  const Collateral sgx_c = sample("sgx_quote_collateral.json");
  const Collateral tdx_c = sample("tdx_quote_collateral.json");

  // Every level needs a PCESVN one above the machine's (SGX and TDX).
  const struct {
    const RealPlatform& platform;
    const Collateral& collateral;
    std::string_view info_of;
  } cases[] = {{sgx, sgx_c, "SGX TCB info for FMSPC 00A067110000"},
               {tdx, tdx_c, "TDX TCB info for FMSPC B0C06F000000"}};
  for (const auto& c : cases) {
    auto edited = parse_tcb_info(with_levels(c.collateral.tcb_info, [&](nlohmann::json& l) {
      l["tcb"]["pcesvn"] = c.platform.pck.pce_svn + 1;
    }));
    ASSERT_TRUE(edited) << edited.error().message;
    auto none = match_tcb(*edited, c.platform.pck, c.platform.quote, c.platform.qe);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, ErrorCode::kPermissionDenied);
    EXPECT_EQ(none.error().message,
              fmt::format("TCB not supported: no matching TCB level found (the PCK certificate's "
                          "TCB components and PCESVN are below every TCB level of the {})",
                          c.info_of));
  }

  // Every TDX level needs a TEE TCB SVN byte 2 one above the TD's.
  auto info = parse_tcb_info(with_levels(tdx_c.tcb_info, [&](nlohmann::json& l) {
    l["tcb"]["tdxtcbcomponents"][2]["svn"] = tdx.quote.td->tee_tcb_svn[2] + 1;
  }));
  ASSERT_TRUE(info) << info.error().message;
  auto m = match_tcb(*info, tdx.pck, tdx.quote, tdx.qe);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message,
            "TCB not supported: no matching TCB level found (the TD's TEE TCB SVN is below every "
            "TCB level of the TDX TCB info for FMSPC B0C06F000000 that its PCK certificate "
            "reaches)");

  // Every level of the real TD_QE identity needs an ISVSVN one above the quoting enclave's.
  auto identity = parse_qe_identity(with_levels(tdx_c.qe_identity, [&](nlohmann::json& l) {
    l["tcb"]["isvsvn"] = tdx.quote.qe_report.isv_svn + 1;
  }));
  ASSERT_TRUE(identity) << identity.error().message;
  auto qe = match_qe_identity(*identity, tdx.quote.qe_report);
  ASSERT_FALSE(qe);
  EXPECT_EQ(qe.error().message,
            fmt::format("TCB not supported: no matching TCB level found (the quoting enclave's "
                        "ISVSVN {} is below every TCB level of the TD_QE identity)",
                        tdx.quote.qe_report.isv_svn));

  // Control: the unedited real collateral matches (see SamplesMatchTheirLevels).
  EXPECT_TRUE(match_tcb(sgx.tcb_info, sgx.pck, sgx.quote, sgx.qe));
  EXPECT_TRUE(match_tcb(tdx.tcb_info, tdx.pck, tdx.quote, tdx.qe));
}

std::string deeply_nested(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

// TCB info and QE identity texts nested deeper than the JSON limit get a clean error before any
// DOM is built.
TEST(TcbInfo, DeepNestingIsRefusedBeforeParsing) {
  const std::string deep = deeply_nested(100'000);
  auto info = parse_tcb_info(deep);
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(info.error().message,
            "invalid TCB info: JSON nesting exceeds the limit of 64 levels (at byte 64)");
  auto qe = parse_qe_identity("{\"x\":" + deep + "}");
  ASSERT_FALSE(qe);
  EXPECT_EQ(qe.error().message,
            "invalid QE identity: JSON nesting exceeds the limit of 64 levels (at byte 68)");
  // One level over the limit is refused the same way; at the limit it is ordinary malformed
  // (wrongly shaped) input.
  EXPECT_EQ(parse_tcb_info(deeply_nested(kMaxJsonDepth + 1)).error().message,
            "invalid TCB info: JSON nesting exceeds the limit of 64 levels (at byte 64)");
  EXPECT_EQ(parse_qe_identity(deeply_nested(kMaxJsonDepth + 1)).error().message,
            "invalid QE identity: JSON nesting exceeds the limit of 64 levels (at byte 64)");
  auto shallow = parse_tcb_info(deeply_nested(kMaxJsonDepth));
  ASSERT_FALSE(shallow);
  EXPECT_EQ(shallow.error().message, "invalid TCB info: not a JSON object");
}

}  // namespace
}  // namespace mr::attestation::dcap
