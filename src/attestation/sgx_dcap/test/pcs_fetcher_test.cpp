// PcsFetcher against a local PCS/PCCS look-alike on 127.0.0.1, port 0.
#include "attestation/sgx_dcap/pcs_fetcher.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

#include "attestation/sgx_dcap/test/testdata.h"
#include "base/encoding.h"

namespace mr::attestation::dcap {
namespace {

std::string url_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c)) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

class PcsFetcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    c_ = *load_collateral(testdata::dir() / "sgx_quote_collateral.json");
    server_.Get("/pccs/sgx/certification/v4/tcb",
                [this](const httplib::Request& req, httplib::Response& res) {
                  seen_fmspc_ = req.get_param_value("fmspc");
                  res.set_header("TCB-Info-Issuer-Chain", url_encode(c_.tcb_info_issuer_chain));
                  res.set_content(R"({"tcbInfo":)" + c_.tcb_info + R"(,"signature":")" +
                                      hex_encode(c_.tcb_info_signature) + "\"}",
                                  "application/json");
                });
    server_.Get("/pccs/sgx/certification/v4/qe/identity", [this](const httplib::Request&,
                                                                 httplib::Response& res) {
      res.set_header("SGX-Enclave-Identity-Issuer-Chain", url_encode(c_.qe_identity_issuer_chain));
      res.set_content(R"({"enclaveIdentity":)" + c_.qe_identity + R"(,"signature":")" +
                          hex_encode(c_.qe_identity_signature) + "\"}",
                      "application/json");
    });
    server_.Get("/pccs/sgx/certification/v4/pckcrl",
                [this](const httplib::Request& req, httplib::Response& res) {
                  seen_ca_ = req.get_param_value("ca");
                  res.set_header("SGX-PCK-CRL-Issuer-Chain", url_encode(c_.pck_crl_issuer_chain));
                  res.set_content(to_string(c_.pck_crl), "application/pkix-crl");
                });
    server_.Get("/pccs/sgx/certification/v4/rootcacrl",
                [this](const httplib::Request&, httplib::Response& res) {
                  res.set_content(hex_encode(c_.root_ca_crl), "text/plain");  // PCCS style
                });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 1000 && !server_.is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  void TearDown() override {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  PcsConfig config() {
    PcsConfig cfg;
    cfg.base_url = fmt::format("http://127.0.0.1:{}/pccs/", port_);
    cfg.timeout = std::chrono::seconds(5);
    return cfg;
  }

  Collateral c_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::string seen_fmspc_, seen_ca_;
};

TEST_F(PcsFetcherTest, FetchesEveryPiece) {
  PcsFetcher fetcher(config());
  auto c = fetcher.fetch({TeeType::kSgx, "00A067110000", PckCa::kProcessor});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(*c, c_);
  EXPECT_EQ(seen_fmspc_, "00A067110000");
  EXPECT_EQ(seen_ca_, "processor");
}

TEST_F(PcsFetcherTest, ReportsHttpErrors) {
  PcsFetcher fetcher(config());
  auto c = fetcher.fetch({TeeType::kTdx, "B0C06F000000", PckCa::kPlatform});  // no /tdx/ routes
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(c.error().message.find("HTTP status 404"), std::string::npos);
}

TEST_F(PcsFetcherTest, ReportsUnreachableService) {
  PcsConfig cfg = config();
  server_.stop();
  thread_.join();
  cfg.timeout = std::chrono::seconds(1);
  PcsFetcher fetcher(cfg);
  auto c = fetcher.fetch({TeeType::kSgx, "00A067110000", PckCa::kProcessor});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kUnavailable);
}

TEST(PcsFetcherConfig, RejectsBadUrl) {
  PcsConfig cfg;
  cfg.base_url = "ftp://example";
  auto c = PcsFetcher(cfg).fetch({TeeType::kSgx, "00A067110000", PckCa::kProcessor});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace mr::attestation::dcap
