#include "attestation/claims.h"

#include <gtest/gtest.h>

namespace mr::attestation {
namespace {

TEST(TcbStatus, NamesRoundTrip) {
  for (TcbStatus s :
       {TcbStatus::kUpToDate, TcbStatus::kSWHardeningNeeded, TcbStatus::kConfigurationNeeded,
        TcbStatus::kConfigurationAndSWHardeningNeeded, TcbStatus::kOutOfDate,
        TcbStatus::kOutOfDateConfigurationNeeded, TcbStatus::kRevoked, TcbStatus::kUnknown}) {
    EXPECT_EQ(parse_tcb_status(tcb_status_name(s)), s);
  }
  EXPECT_EQ(tcb_status_name(TcbStatus::kConfigurationAndSWHardeningNeeded),
            "ConfigurationAndSWHardeningNeeded");
  EXPECT_FALSE(parse_tcb_status("uptodate"));
  EXPECT_FALSE(parse_tcb_status("TDRelaunchAdvised"));
}

TEST(TcbStatus, VerdictFollowsEgo) {
  EXPECT_EQ(verdict_for(TcbStatus::kUpToDate), TcbVerdict::kOk);
  EXPECT_EQ(verdict_for(TcbStatus::kSWHardeningNeeded), TcbVerdict::kOk);
  EXPECT_EQ(verdict_for(TcbStatus::kConfigurationAndSWHardeningNeeded),
            TcbVerdict::kTcbLevelInvalid);
  EXPECT_EQ(verdict_for(TcbStatus::kOutOfDate), TcbVerdict::kTcbLevelInvalid);
  EXPECT_EQ(verdict_for(TcbStatus::kUnknown), TcbVerdict::kTcbLevelInvalid);
}

TEST(VerifiedQuote, ReportDataAndDebugFromEitherBody) {
  VerifiedQuote q;
  EXPECT_FALSE(q.debug());
  q.sgx.emplace();
  q.sgx->report_data[0] = 7;
  q.sgx->attributes[0] = 0x02;
  EXPECT_EQ(q.report_data()[0], 7);
  EXPECT_TRUE(q.debug());
  VerifiedQuote td;
  td.tee_type = TeeType::kTdx;
  td.td.emplace();
  td.td->report_data[1] = 9;
  td.td->td_attributes[0] = 0x01;
  EXPECT_EQ(td.report_data()[1], 9);
  EXPECT_TRUE(td.debug());
  EXPECT_EQ(tee_type_name(td.tee_type), "TDX");
}

}  // namespace
}  // namespace mr::attestation
