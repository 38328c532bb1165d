#include "attestation/sgx_dcap/collateral.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>

#include "attestation/sgx_dcap/collateral_cache.h"
#include "attestation/sgx_dcap/dcap_verifier.h"
#include "attestation/sgx_dcap/test/testdata.h"
#include "base/encoding.h"
#include "base/json_depth.h"
#include "base/testing/fake_clock.h"
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

// Collateral JSON nested 100 000 levels deep (in every place a JSON text enters: the single-JSON
// file, a PCS response body, the signed TCB info inside an otherwise valid file) gets a clean
// error naming the limit; no DOM is built for it.
TEST(Collateral, DeeplyNestedJsonIsRefusedCleanly) {
  constexpr std::size_t kDepth = 100'000;
  const std::string deep = std::string(kDepth, '[') + std::string(kDepth, ']');
  const std::string kLimit = "JSON nesting exceeds the limit of 64 levels";

  // The whole file.
  auto c = parse_collateral_json("{\"tcb_info\":" + deep + "}");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(c.error().message, "invalid collateral: " + kLimit + " (at byte 75)");
  testing::TempDir dir;
  write(dir.path() / "deep.json", deep);
  auto loaded = load_collateral(dir.path() / "deep.json");
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find(kLimit), std::string::npos) << loaded.error().message;

  // One level over the limit (the object and 64 arrays) is refused; at the limit it parses.
  const auto levels = [](std::size_t arrays) {
    return "{\"tcb_info\":" + std::string(arrays, '[') + std::string(arrays, ']') + "}";
  };
  EXPECT_EQ(parse_collateral_json(levels(kMaxJsonDepth)).error().message,
            "invalid collateral: JSON nesting exceeds the limit of 64 levels (at byte 75)");
  EXPECT_EQ(parse_collateral_json(levels(kMaxJsonDepth - 1)).error().message.find("nesting"),
            std::string::npos);
  const auto signed_levels = [](std::size_t arrays) {
    return "{\"tcbInfo\":" + std::string(arrays, '[') + std::string(arrays, ']') +
           ",\"signature\":\"00\"}";
  };
  EXPECT_EQ(split_signed_body(signed_levels(kMaxJsonDepth), "tcbInfo").error().message,
            "invalid collateral: JSON nesting exceeds the limit of 64 levels (at byte 74)");
  EXPECT_TRUE(split_signed_body(signed_levels(kMaxJsonDepth - 1), "tcbInfo"));

  // A PCS response body (what the fetcher and the directory layout read).
  auto split = split_signed_body("{\"signature\":\"00\",\"tcbInfo\":" + deep + "}", "tcbInfo");
  ASSERT_FALSE(split);
  EXPECT_NE(split.error().message.find(kLimit), std::string::npos) << split.error().message;
  write(dir.path() / "tcb_info.json", "{\"tcbInfo\":" + deep + ",\"signature\":\"00\"}");
  auto from_dir = load_collateral_dir(dir.path());
  ASSERT_FALSE(from_dir);
  EXPECT_NE(from_dir.error().message.find(kLimit), std::string::npos) << from_dir.error().message;

  // Valid collateral JSON whose signed TCB info text is the deep one: refused where it is parsed,
  // by the cache and by the verifier.
  auto good = parse_collateral_json(testdata::read_text("sgx_quote_collateral.json"));
  ASSERT_TRUE(good);
  Collateral bad = *good;
  bad.tcb_info = deep;
  auto reparsed = parse_collateral_json(to_collateral_json(bad));
  ASSERT_TRUE(reparsed) << reparsed.error().message;  // a string at depth 1: fine here
  auto expiry = collateral_expiry(*reparsed);
  ASSERT_FALSE(expiry);
  EXPECT_EQ(expiry.error().message, "invalid TCB info: " + kLimit + " (at byte 64)");
  mr::testing::FakeClock clock(testdata::sample_time());
  auto cache = CachingCollateralProvider::create({.clock = &clock});
  ASSERT_TRUE(cache);
  auto put = (*cache)->put(CollateralKey{}, *reparsed);
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, ErrorCode::kInvalidArgument);
  // The verifier checks the signature over the exact text first; with a valid signature (not
  // forgeable here) the parse would refuse it the same way.
  auto v = DcapQuoteVerifier::create(
      {std::make_shared<StaticCollateralProvider>(*reparsed), &clock, {}});
  ASSERT_TRUE(v);
  auto q = (*v)->verify(testdata::read("sgx_quote"));
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().message, "TCB info signature verification failed");
}

}  // namespace
}  // namespace mr::attestation::dcap
