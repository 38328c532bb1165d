#include "crypto/pem.h"

#include <gtest/gtest.h>

namespace mr::crypto {
namespace {

Bytes seq(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i)
    b[i] = static_cast<std::uint8_t>(i);
  return b;
}

TEST(Pem, EncodeWraps64ColumnsAndEndsWithNewline) {
  const std::string pem = pem_encode("TEST", seq(100));
  EXPECT_TRUE(pem.starts_with("-----BEGIN TEST-----\n"));
  EXPECT_TRUE(pem.ends_with("\n-----END TEST-----\n"));
  // 100 bytes → 136 base64 characters → lines of 64, 64, 8.
  const std::string body = pem.substr(21, pem.size() - 21 - 19);
  EXPECT_EQ(body.find('\n'), 64u);
  EXPECT_EQ(body.find('\n', 65), 129u);
  EXPECT_EQ(pem_encode("EMPTY", {}), "-----BEGIN EMPTY-----\n-----END EMPTY-----\n");
}

TEST(Pem, DecodeFirstSkipsPreambleAndReturnsRest) {
  const std::string a = pem_encode("A", seq(10));
  const std::string b = pem_encode("B", seq(3));
  const std::string text = "some text\n" + a + "between\n" + b;
  std::string_view rest;
  auto first = pem_decode_first(text, &rest);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->type, "A");
  EXPECT_EQ(first->der, seq(10));
  EXPECT_EQ(rest, "between\n" + b);
  auto second = pem_decode_first(rest, &rest);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->type, "B");
  EXPECT_FALSE(pem_decode_first(rest));
}

TEST(Pem, DecodeAllSkipsMalformedBlocks) {
  const std::string good = pem_encode("CERTIFICATE", seq(5));
  const std::string mismatched = "-----BEGIN X-----\nAAAA\n-----END Y-----\n";
  const std::string bad_base64 = "-----BEGIN X-----\n!!!!\n-----END X-----\n";
  const auto blocks = pem_decode_all(mismatched + bad_base64 + good + good);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].type, "CERTIFICATE");
  EXPECT_EQ(blocks[1].der, seq(5));
  EXPECT_TRUE(pem_decode_all("no blocks").empty());
}

TEST(Pem, HeadersAndCrlfAreTolerated) {
  const std::string text =
      "-----BEGIN RSA PRIVATE KEY-----\r\n"
      "Proc-Type: 4,ENCRYPTED\r\n"
      "DEK-Info: AES-128-CBC,00\r\n"
      "\r\n"
      "AAEC\r\n"
      "-----END RSA PRIVATE KEY-----\r\n";
  auto block = pem_decode_first(text);
  ASSERT_TRUE(block);
  EXPECT_EQ(block->type, "RSA PRIVATE KEY");
  EXPECT_EQ(block->der, (Bytes{0x00, 0x01, 0x02}));
}

TEST(Pem, BeginMustStartALine) {
  const std::string inline_begin = "x" + pem_encode("A", seq(2));
  EXPECT_FALSE(pem_decode_first(inline_begin));
}

}  // namespace
}  // namespace mr::crypto
