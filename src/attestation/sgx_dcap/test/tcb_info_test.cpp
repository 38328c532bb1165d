#include "attestation/sgx_dcap/tcb_info.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "attestation/sgx_dcap/collateral.h"
#include "attestation/sgx_dcap/test/testdata.h"

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
  EXPECT_EQ(match_tcb(info, pck, q, qe)->status, TcbStatus::kUnknown);
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

}  // namespace
}  // namespace mr::attestation::dcap
