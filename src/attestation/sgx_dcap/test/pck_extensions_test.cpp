#include "attestation/sgx_dcap/pck_extensions.h"

#include <gtest/gtest.h>

#include "attestation/sgx_dcap/der.h"

namespace mr::attestation::dcap {
namespace {

PckExtensions sample() {
  PckExtensions e;
  e.ppid = Bytes(16, 0x11);
  for (std::size_t i = 0; i < 16; ++i)
    e.tcb_components[i] = static_cast<std::uint8_t>(i * 17);
  e.tcb_components[4] = 255;  // encodes with a leading zero octet
  e.pce_svn = 13;
  e.cpu_svn = e.tcb_components;
  e.pce_id = {0, 0};
  e.fmspc = {0x00, 0xa0, 0x67, 0x11, 0x00, 0x00};
  e.sgx_type = 1;
  return e;
}

TEST(PckExtensions, EncodeParseRoundTrip) {
  const PckExtensions e = sample();
  auto parsed = parse_pck_extensions(encode_pck_extensions(e));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(*parsed, e);
  PckExtensions with_instance = e;
  with_instance.platform_instance_id = Bytes(16, 0x22);
  parsed = parse_pck_extensions(encode_pck_extensions(with_instance));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, with_instance);
}

TEST(PckExtensions, RejectsTruncationAndGarbage) {
  const Bytes enc = encode_pck_extensions(sample());
  for (std::size_t n = 0; n < enc.size(); ++n) {
    EXPECT_FALSE(parse_pck_extensions(ByteSpan(enc).first(n))) << n;
  }
  EXPECT_FALSE(parse_pck_extensions(Bytes{0x30, 0x00}));  // missing everything
  EXPECT_FALSE(parse_pck_extensions(Bytes{0x04, 0x00}));
}

TEST(Der, OidRoundTrip) {
  const Bytes oid = der_encode_oid("1.2.840.113741.1.13.1.2.17");
  DerReader r(oid);
  auto tlv = r.expect(der::kOid);
  ASSERT_TRUE(tlv);
  EXPECT_EQ(*der_oid_to_string(tlv->value), "1.2.840.113741.1.13.1.2.17");
}

TEST(Der, UintBounds) {
  EXPECT_EQ(*der_to_uint(Bytes{0x00, 0xff}, 255), 255u);
  EXPECT_FALSE(der_to_uint(Bytes{0x01, 0x00}, 255));
  EXPECT_FALSE(der_to_uint(Bytes{0x80}, 255));  // negative
  EXPECT_FALSE(der_to_uint(Bytes{}, 255));
}

}  // namespace
}  // namespace mr::attestation::dcap
