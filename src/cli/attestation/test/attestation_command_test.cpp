#include "cli/attestation/attestation_command.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "attestation/sgx_dcap/collateral.h"
#include "attestation/simulated/simulated_dcap.h"
#include "base/clock.h"
#include "base/encoding.h"
#include "base/testing/temp_dir.h"

namespace mr::cli {
namespace {

using nlohmann::json;

std::string testdata(const std::string& name) {
  return std::string(MR_SOURCE_DIR) + "/tests/testdata/dcap/" + name;
}

void write(const std::filesystem::path& p, ByteSpan data) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

struct RunResult {
  int code;
  json out;
  std::string err;
};

RunResult run(const AttestationVerifyOptions& o) {
  std::ostringstream out, err;
  const int code = run_attestation_verify(o, out, err);
  return {code, json::parse(out.str(), nullptr, false), err.str()};
}

AttestationVerifyOptions sample(const std::string& quote, const std::string& collateral) {
  AttestationVerifyOptions o;
  o.quote_path = testdata(quote);
  o.collateral_path = testdata(collateral);
  o.at = "2025-07-01T00:00:00Z";
  return o;
}

TEST(AttestationVerify, SgxSample) {
  const RunResult r = run(sample("sgx_quote", "sgx_quote_collateral.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out["verified"], true);
  EXPECT_EQ(r.out["tee"], "SGX");
  EXPECT_EQ(r.out["quoteVersion"], 3);
  EXPECT_EQ(r.out["tcbStatus"], "ConfigurationAndSWHardeningNeeded");
  EXPECT_EQ(r.out["advisoryIDs"], json::array({"INTEL-SA-00289", "INTEL-SA-00615"}));
  EXPECT_EQ(r.out["collateralExpiry"], "2025-07-19T10:01:18Z");
  EXPECT_EQ(r.out["platform"]["fmspc"], "00A067110000");
  EXPECT_EQ(r.out["sgx"]["mrenclave"].get<std::string>().size(), 64u);
  EXPECT_TRUE(r.out["sgx"]["debug"].is_boolean());
  EXPECT_EQ(r.out["reportData"].get<std::string>().size(), 128u);
  EXPECT_FALSE(r.out.contains("td"));
}

TEST(AttestationVerify, TdxSample) {
  const RunResult r = run(sample("tdx_quote", "tdx_quote_collateral.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out["tee"], "TDX");
  EXPECT_EQ(r.out["tcbStatus"], "UpToDate");
  EXPECT_EQ(r.out["advisoryIDs"], json::array());
  EXPECT_EQ(r.out["platform"]["tcbDate"], "2024-03-13T00:00:00Z");
  EXPECT_EQ(r.out["td"]["mrtd"].get<std::string>().size(), 96u);
  EXPECT_TRUE(r.out["td"].contains("rtmr3"));
  EXPECT_FALSE(r.out.contains("sgx"));
}

TEST(AttestationVerify, ExpiredAtToday) {
  AttestationVerifyOptions o = sample("sgx_quote", "sgx_quote_collateral.json");
  o.at = "2026-11-23T00:00:00Z";
  const RunResult r = run(o);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out["verified"], false);
  EXPECT_EQ(r.out["error"], "collateral expired at 2025-07-19T10:01:18Z");
}

TEST(AttestationVerify, TamperedQuoteIsNotVerified) {
  mr::testing::TempDir dir;
  std::ifstream in(testdata("sgx_quote"), std::ios::binary);
  Bytes quote((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  quote[100] ^= 1;
  write(dir / "q", quote);
  AttestationVerifyOptions o = sample("sgx_quote", "sgx_quote_collateral.json");
  o.quote_path = (dir / "q").string();
  const RunResult r = run(o);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out["error"], "quote signature verification failed");

  // Hex text of the untampered quote is accepted too.
  quote[100] ^= 1;
  const std::string hex = hex_encode(quote) + "\n";
  write(dir / "q.hex", as_bytes(hex));
  o.quote_path = (dir / "q.hex").string();
  EXPECT_EQ(run(o).code, 0);
}

TEST(AttestationVerify, UnusableInput) {
  mr::testing::TempDir dir;
  AttestationVerifyOptions o = sample("sgx_quote", "sgx_quote_collateral.json");
  o.quote_path = (dir / "missing").string();
  EXPECT_EQ(run(o).code, 2);

  write(dir / "short", Bytes(100, 3));
  o.quote_path = (dir / "short").string();
  RunResult r = run(o);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out["verified"], false);

  o = sample("sgx_quote", "sgx_quote_collateral.json");
  o.at = "yesterday";
  EXPECT_EQ(run(o).code, 2);
  o = sample("sgx_quote", "nope.json");
  EXPECT_EQ(run(o).code, 2);
}

TEST(AttestationVerify, SimulatedQuoteNeedsItsRoot) {
  const UnixTime now = *parse_rfc3339("2026-11-23T12:00:00Z");
  auto pki = attestation::simulated::SimulatedDcapPki::create({now, {}, {}});
  ASSERT_TRUE(pki);
  attestation::simulated::SimulatedDcapIssuer issuer(*pki, {});
  auto quote = issuer.issue(to_bytes("hello"));
  ASSERT_TRUE(quote);
  mr::testing::TempDir dir;
  write(dir / "quote", *quote);
  write(dir / "collateral.json",
        as_bytes(attestation::dcap::to_collateral_json((*pki)->collateral())));
  write(dir / "root.der", (*pki)->root_ca_der());

  AttestationVerifyOptions o;
  o.quote_path = (dir / "quote").string();
  o.collateral_path = (dir / "collateral.json").string();
  o.at = format_rfc3339(now);
  EXPECT_EQ(run(o).code, 1);  // Intel's root does not anchor the simulated PKI
  o.root_ca_path = (dir / "root.der").string();
  const RunResult r = run(o);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out["tcbStatus"], "UpToDate");
  EXPECT_EQ(r.out["reportData"].get<std::string>().substr(0, 10), hex_encode(to_bytes("hello")));
}

// A quote that no TCB level of its (signed) collateral covers is not verified: exit 1 and the
// reason, where it used to print "verified": true, "tcbStatus": "Unknown".
TEST(AttestationVerify, NoMatchingTcbLevelIsNotVerified) {
  const UnixTime now = *parse_rfc3339("2026-11-23T12:00:00Z");
  auto pki = attestation::simulated::SimulatedDcapPki::create({now, {}, {}});
  ASSERT_TRUE(pki);
  attestation::simulated::CollateralOptions above;
  above.issue_date = now - std::chrono::hours(1);
  above.levels_above_platform = true;
  auto collateral = (*pki)->issue_collateral(above);
  ASSERT_TRUE(collateral);
  attestation::simulated::SimulatedDcapIssuer issuer(*pki, {});
  auto quote = issuer.issue(to_bytes("hello"));
  ASSERT_TRUE(quote);
  mr::testing::TempDir dir;
  write(dir / "quote", *quote);
  write(dir / "collateral.json", as_bytes(attestation::dcap::to_collateral_json(*collateral)));
  write(dir / "root.der", (*pki)->root_ca_der());

  AttestationVerifyOptions o;
  o.quote_path = (dir / "quote").string();
  o.collateral_path = (dir / "collateral.json").string();
  o.root_ca_path = (dir / "root.der").string();
  o.at = format_rfc3339(now);
  const RunResult r = run(o);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_EQ(r.out["verified"], false);
  EXPECT_FALSE(r.out.contains("tcbStatus"));
  EXPECT_EQ(r.out["error"],
            "TCB not supported: no matching TCB level found (the PCK certificate's TCB components "
            "and PCESVN are below every TCB level of the SGX TCB info for FMSPC 5EC0DE000001)");
}

// Collateral nested 100 000 levels deep is bad input (exit 2) with a clean message.
TEST(AttestationVerify, DeeplyNestedCollateralIsBadInput) {
  mr::testing::TempDir dir;
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  write(dir / "collateral.json", as_bytes(deep));
  AttestationVerifyOptions o = sample("sgx_quote", "sgx_quote_collateral.json");
  o.collateral_path = (dir / "collateral.json").string();
  const RunResult r = run(o);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out["verified"], false);
  EXPECT_EQ(r.out["error"],
            "invalid collateral: JSON nesting exceeds the limit of 64 levels (at byte 64)");
}

TEST(AttestationVerify, WiredIntoCli11) {
  CLI::App app;
  int exit_code = -1;
  add_attestation_commands(app, exit_code);
  const std::string quote = testdata("tdx_quote");
  const std::string coll = testdata("tdx_quote_collateral.json");
  std::vector<std::string> args = {
      "2025-07-01T00:00:00Z", "--at", coll, "--collateral", quote, "--quote", "verify",
      "attestation"};
  ::testing::internal::CaptureStdout();
  app.parse(args);
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(exit_code, 0);
  EXPECT_EQ(json::parse(out)["tcbStatus"], "UpToDate");
}

}  // namespace
}  // namespace mr::cli
