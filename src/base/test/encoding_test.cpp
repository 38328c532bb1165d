#include "base/encoding.h"

#include <gtest/gtest.h>

namespace mr {
namespace {

TEST(Hex, RoundTripLowerCase) {
  const Bytes b = {0x00, 0xab, 0xCD, 0xff};
  EXPECT_EQ(hex_encode(b), "00abcdff");
  EXPECT_EQ(*hex_decode("00ABcdFF"), b);
  EXPECT_EQ(*hex_decode(""), Bytes{});
}

TEST(Hex, RejectsOddLengthAndBadChars) {
  EXPECT_EQ(hex_decode("abc").error().message, "odd length hex string");
  auto r = hex_decode("zz");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, "invalid hex byte at offset 0");
}

TEST(Base64, StandardMatchesRfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (auto [plain, enc] : vectors) {
    EXPECT_EQ(base64_encode(as_bytes(plain)), enc);
    EXPECT_EQ(to_string(*base64_decode(enc)), plain);
  }
}

TEST(Base64, UrlSafeAlphabetIsPadded) {
  const Bytes b = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(base64_encode(b), "+/+/");
  EXPECT_EQ(base64url_encode(b), "-_-_");
  EXPECT_EQ(*base64url_decode("-_-_"), b);
  EXPECT_FALSE(base64url_decode("+/+/"));
  EXPECT_EQ(base64url_encode(as_bytes("a")), "YQ==");
  EXPECT_FALSE(base64url_decode("YQ"));  // Go's URLEncoding requires padding
}

TEST(Base64, SkipsNewlinesLikeGo) {
  EXPECT_EQ(to_string(*base64_decode("Zm9v\r\nYmFy\n")), "foobar");
  EXPECT_EQ(to_string(*base64_decode("Zg=\n=")), "f");
}

TEST(Base64, RejectsBadPaddingAndCharacters) {
  EXPECT_EQ(base64_decode("Zg").error().message, "illegal base64 data at input byte 0");
  EXPECT_EQ(base64url_decode("AAAAAA").error().message, "illegal base64 data at input byte 4");
  EXPECT_EQ(base64_decode("Z===").error().message, "illegal base64 data at input byte 1");
  EXPECT_EQ(base64_decode("Zg==Zg==").error().message, "illegal base64 data at input byte 4");
  EXPECT_EQ(base64_decode("Zm9v!").error().message, "illegal base64 data at input byte 4");
  EXPECT_FALSE(base64_decode("Z"));
  EXPECT_FALSE(base64_decode("Zg=a"));
}

TEST(Base64, UnpaddedVariant) {
  EXPECT_EQ(base64_encode(as_bytes("f"), Base64Alphabet::kStandard, Base64Padding::kUnpadded),
            "Zg");
  EXPECT_EQ(to_string(*base64_decode("Zg", Base64Alphabet::kStandard, Base64Padding::kUnpadded)),
            "f");
  EXPECT_FALSE(base64_decode("Zg==", Base64Alphabet::kStandard, Base64Padding::kUnpadded));
}

TEST(Base64, BinaryRoundTripAllLengths) {
  Bytes b;
  for (int n = 0; n < 70; ++n) {
    EXPECT_EQ(*base64_decode(base64_encode(b)), b) << n;
    EXPECT_EQ(*base64url_decode(base64url_encode(b)), b) << n;
    b.push_back(static_cast<std::uint8_t>(n * 37 + 11));
  }
}

}  // namespace
}  // namespace mr
