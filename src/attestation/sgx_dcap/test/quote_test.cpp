#include "attestation/sgx_dcap/quote.h"

#include <gtest/gtest.h>

#include "attestation/oe_report.h"
#include "attestation/sgx_dcap/test/testdata.h"
#include "base/encoding.h"

namespace mr::attestation::dcap {
namespace {

TEST(ParseQuote, SgxV3Sample) {
  const Bytes raw = testdata::read("sgx_quote");
  auto q = parse_quote(raw);
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->header.version, 3);
  EXPECT_EQ(q->tee_type, TeeType::kSgx);
  EXPECT_EQ(q->header.qe_vendor_id, kIntelQeVendorId);
  ASSERT_TRUE(q->sgx);
  EXPECT_FALSE(q->td);
  EXPECT_EQ(q->signed_size, kQuoteHeaderSize + kSgxReportBodySize);
  EXPECT_EQ(q->cert_data_type, kCertDataPckChain);
  EXPECT_EQ(q->qe_auth_data.size(), 32u);
  const std::string pem(q->cert_data.begin(), q->cert_data.end());
  EXPECT_NE(pem.find("-----BEGIN CERTIFICATE-----"), std::string::npos);
  // The quoting enclave's report names Intel's QE signer.
  EXPECT_EQ(hex_encode(q->qe_report.mr_signer),
            "8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff");
}

TEST(ParseQuote, TdxV4Sample) {
  const Bytes raw = testdata::read("tdx_quote");
  auto q = parse_quote(raw);
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->header.version, 4);
  EXPECT_EQ(q->tee_type, TeeType::kTdx);
  ASSERT_TRUE(q->td);
  EXPECT_EQ(q->body_type, kBodyTypeTd10);
  EXPECT_EQ(q->signed_size, kQuoteHeaderSize + kTdReport10Size);
  EXPECT_EQ(q->cert_data_type, kCertDataPckChain);
  EXPECT_EQ(q->td->tee_tcb_svn[1], 1);  // TDX module major version 1
}

TEST(ParseQuote, AcceptsOeFramedThroughStrip) {
  const Bytes framed = oe_wrap_sgx_quote(testdata::read("sgx_quote"));
  auto raw = strip_oe_header(framed);
  ASSERT_TRUE(raw);
  EXPECT_TRUE(parse_quote(*raw));
}

TEST(ParseQuote, EveryTruncationFails) {
  const Bytes raw = testdata::read("sgx_quote");
  for (std::size_t n = 0; n < raw.size(); n += (n < 700 ? 1 : 37)) {
    auto q = parse_quote(ByteSpan(raw).first(n));
    ASSERT_FALSE(q) << n;
    EXPECT_EQ(q.error().code, ErrorCode::kInvalidArgument);
  }
  const Bytes tdx = testdata::read("tdx_quote");
  for (std::size_t n = 0; n < 4936; n += 13)
    EXPECT_FALSE(parse_quote(ByteSpan(tdx).first(n))) << n;
}

TEST(ParseQuote, RejectsUnsupportedVersionAndKeyType) {
  Bytes raw = testdata::read("sgx_quote");
  raw[0] = 2;
  auto q = parse_quote(raw);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().message, "unsupported quote version 2");
  raw[0] = 3;
  raw[2] = 3;  // ECDSA P-384
  q = parse_quote(raw);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().message, "unsupported attestation key type 3");
}

TEST(ParseQuote, RejectsInconsistentSizes) {
  Bytes raw = testdata::read("sgx_quote");
  // Signature data length one larger than what is there.
  raw[432] += 1;
  EXPECT_FALSE(parse_quote(raw));
  raw = testdata::read("sgx_quote");
  // A huge certification data size must not read out of bounds.
  const std::size_t cert_size_off = 436 + 64 + 64 + 384 + 64 + 2 + 32 + 2;
  raw[cert_size_off + 3] = 0x7f;
  EXPECT_FALSE(parse_quote(raw));
}

TEST(SgxReportBody, EncodeParseRoundTrip) {
  SgxReportBody r;
  r.cpu_svn[0] = 1;
  r.misc_select = 0x01020304;
  r.attributes[0] = 0x07;
  r.mr_enclave.fill(0xaa);
  r.mr_signer.fill(0xbb);
  r.isv_prod_id = 3;
  r.isv_svn = 0x1234;
  r.report_data.fill(0x5a);
  auto enc = encode_sgx_report_body(r);
  auto dec = parse_sgx_report_body(enc);
  ASSERT_TRUE(dec);
  EXPECT_EQ(*dec, r);
  EXPECT_TRUE(dec->debug());
}

}  // namespace
}  // namespace mr::attestation::dcap
