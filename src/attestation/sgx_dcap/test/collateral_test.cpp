#include "attestation/sgx_dcap/collateral.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>

#include "attestation/sgx_dcap/test/testdata.h"
#include "base/encoding.h"
#include "base/testing/temp_dir.h"
#include "crypto/pem.h"

namespace mr::attestation::dcap {
namespace {

void write(const std::filesystem::path& p, std::string_view data) {
  std::ofstream out(p, std::ios::binary);
  out << data;
}

TEST(Collateral, ParsesSingleJsonLayout) {
  auto c = parse_collateral_json(testdata::read_text("sgx_quote_collateral.json"));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->tcb_info_signature.size(), 64u);
  EXPECT_EQ(c->qe_identity_signature.size(), 64u);
  EXPECT_EQ(c->pck_crl[0], 0x30);
  EXPECT_EQ(c->root_ca_crl[0], 0x30);
  EXPECT_EQ(c->tcb_info.substr(0, 12), R"({"id":"SGX",)");
  auto again = parse_collateral_json(to_collateral_json(*c));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *c);
}

TEST(Collateral, MissingFieldIsNamed) {
  auto c = parse_collateral_json(R"({"tcb_info": "{}"})");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(c.error().message.find("missing qe_identity"), std::string::npos);
  EXPECT_FALSE(parse_collateral_json("not json"));
}

TEST(Collateral, DecodesCrlInEveryEncoding) {
  auto c = parse_collateral_json(testdata::read_text("sgx_quote_collateral.json"));
  ASSERT_TRUE(c);
  const Bytes& der = c->pck_crl;
  EXPECT_EQ(*decode_crl(der), der);
  EXPECT_EQ(*decode_crl(as_bytes(hex_encode(der) + "\n")), der);
  EXPECT_EQ(*decode_crl(as_bytes(crypto::pem_encode("X509 CRL", der))), der);
  EXPECT_FALSE(decode_crl(as_bytes("hello")));
}

TEST(Collateral, SplitSignedBodyKeepsExactText) {
  const std::string inner = R"({"id":"SGX","version":3, "x": [1, {"y": "}\"{"}]})";
  const std::string body = "{\"signature\":\"0a0b\", \"tcbInfo\" : " + inner + "}";
  auto split = split_signed_body(body, "tcbInfo");
  ASSERT_TRUE(split) << split.error().message;
  EXPECT_EQ(split->first, inner);
  EXPECT_EQ(split->second, (Bytes{0x0a, 0x0b}));
  EXPECT_FALSE(split_signed_body(body, "enclaveIdentity"));
  EXPECT_FALSE(split_signed_body(R"({"tcbInfo":{}})", "tcbInfo"));
}

TEST(Collateral, DecodesUrlEncodedIssuerChain) {
  const std::string pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  std::string encoded;
  for (char ch : pem) {
    if (ch == '-' || ch == '\n' || ch == ' ') {
      encoded += fmt::format("%{:02X}", static_cast<unsigned char>(ch));
    } else {
      encoded += ch;
    }
  }
  auto decoded = decode_issuer_chain(encoded);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, pem);
}

TEST(Collateral, LoadsPcsDirectoryLayout) {
  auto c = parse_collateral_json(testdata::read_text("sgx_quote_collateral.json"));
  ASSERT_TRUE(c);
  mr::testing::TempDir dir;
  write(dir / "tcb_info.json", R"({"tcbInfo":)" + c->tcb_info + R"(,"signature":")" +
                                   hex_encode(c->tcb_info_signature) + "\"}");
  write(dir / "qe_identity.json", R"({"enclaveIdentity":)" + c->qe_identity + R"(,"signature":")" +
                                      hex_encode(c->qe_identity_signature) + "\"}");
  write(dir / "pck_crl.der", to_string(c->pck_crl));
  write(dir / "root_ca_crl.pem", crypto::pem_encode("X509 CRL", c->root_ca_crl));
  write(dir / "tcb_info_issuer_chain.pem", c->tcb_info_issuer_chain);
  write(dir / "qe_identity_issuer_chain.pem", c->qe_identity_issuer_chain);
  write(dir / "pck_crl_issuer_chain.pem", c->pck_crl_issuer_chain);
  auto loaded = load_collateral(dir.path());
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(*loaded, *c);

  std::filesystem::remove(dir / "pck_crl.der");
  loaded = load_collateral(dir.path());
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::kNotFound);
}

TEST(Collateral, LoadsSingleFile) {
  auto c = load_collateral(testdata::dir() / "tdx_quote_collateral.json");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->qe_identity.substr(0, 14), R"({"id":"TD_QE",)");
  EXPECT_EQ(load_collateral(testdata::dir() / "nope.json").error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace mr::attestation::dcap
