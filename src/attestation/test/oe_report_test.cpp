#include "attestation/oe_report.h"

#include <gtest/gtest.h>

namespace mr::attestation {
namespace {

Bytes raw_quote_like() {
  Bytes q(64, 0);
  q[0] = 3;    // version 3
  q[2] = 2;    // ECDSA P-256
  q[8] = 10;   // QE SVN
  q[10] = 15;  // PCE SVN
  return q;
}

TEST(OeReport, WrapAndUnwrap) {
  const Bytes quote = raw_quote_like();
  const Bytes framed = oe_wrap_sgx_quote(quote);
  ASSERT_EQ(framed.size(), quote.size() + kOeHeaderSize);
  EXPECT_EQ(framed[0], 1);
  EXPECT_EQ(framed[4], 2);
  EXPECT_EQ(framed[8], 64);
  EXPECT_TRUE(has_oe_header(framed));
  auto inner = oe_unwrap(framed);
  ASSERT_TRUE(inner);
  EXPECT_TRUE(std::equal(inner->begin(), inner->end(), quote.begin(), quote.end()));
  auto stripped = strip_oe_header(framed);
  ASSERT_TRUE(stripped);
  EXPECT_EQ(stripped->size(), quote.size());
  stripped = strip_oe_header(quote);  // unframed input passes through
  ASSERT_TRUE(stripped);
  EXPECT_EQ(stripped->data(), quote.data());
}

TEST(OeReport, RejectsBadHeaders) {
  Bytes framed = oe_wrap_sgx_quote(raw_quote_like());
  EXPECT_FALSE(oe_unwrap(ByteSpan(framed).first(10)));
  Bytes wrong_len = framed;
  wrong_len[8] = 63;
  EXPECT_FALSE(oe_unwrap(wrong_len));
  EXPECT_FALSE(strip_oe_header(wrong_len));
  Bytes wrong_type = framed;
  wrong_type[4] = 1;
  EXPECT_EQ(oe_unwrap(wrong_type).error().message, "OE report is not an SGX remote report");
  Bytes wrong_version = framed;
  wrong_version[0] = 2;
  EXPECT_FALSE(oe_unwrap(wrong_version));
}

TEST(IsRawSgxQuote, Heuristic) {
  Bytes q = raw_quote_like();
  EXPECT_TRUE(is_raw_sgx_quote(q));
  EXPECT_FALSE(is_raw_sgx_quote(oe_wrap_sgx_quote(q)));
  EXPECT_FALSE(is_raw_sgx_quote(ByteSpan(q).first(47)));
  Bytes v4 = q;
  v4[0] = 4;
  EXPECT_FALSE(is_raw_sgx_quote(v4));
  Bytes key = q;
  key[2] = 4;
  EXPECT_FALSE(is_raw_sgx_quote(key));
  key[2] = 3;
  EXPECT_TRUE(is_raw_sgx_quote(key));
  Bytes tee = q;
  tee[4] = 0x81;
  EXPECT_FALSE(is_raw_sgx_quote(tee));
  Bytes qe = q;
  qe[8] = 0;
  EXPECT_FALSE(is_raw_sgx_quote(qe));
  Bytes pce = q;
  pce[10] = 0;
  EXPECT_FALSE(is_raw_sgx_quote(pce));
}

}  // namespace
}  // namespace mr::attestation
