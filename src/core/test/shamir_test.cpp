#include "core/shamir.h"

#include <gtest/gtest.h>

#include "crypto/hash.h"

namespace mr::core {
namespace {

TEST(Shamir, AnyThresholdSubsetRecoversTheSecret) {
  const SecretBytes secret = crypto::random_secret(32);
  auto shares = shamir::split(secret.span(), 5, 3);
  ASSERT_TRUE(shares);
  ASSERT_EQ(shares->size(), 5u);
  for (const auto& s : *shares)
    EXPECT_EQ(s.size(), 33u);
  for (int a = 0; a < 5; ++a)
    for (int b = a + 1; b < 5; ++b)
      for (int c = b + 1; c < 5; ++c) {
        std::vector<SecretBytes> pick;
        for (int i : {a, b, c})
          pick.push_back((*shares)[i].clone());
        auto got = shamir::combine(pick);
        ASSERT_TRUE(got);
        EXPECT_TRUE(got->equals(secret.span())) << a << b << c;
      }
}

TEST(Shamir, FewerThanThresholdGivesSomethingElse) {
  const SecretBytes secret = crypto::random_secret(32);
  auto shares = *shamir::split(secret.span(), 3, 3);
  std::vector<SecretBytes> two;
  two.push_back(shares[0].clone());
  two.push_back(shares[1].clone());
  auto got = shamir::combine(two);
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->equals(secret.span()));
}

TEST(Shamir, KnownAnswerOverGf256) {
  // Degree-1 polynomial f(x) = 0x42 + 0x05*x over GF(2^8)/0x11B: f(1) = 0x47, f(2) = 0x48.
  std::vector<SecretBytes> shares;
  shares.push_back(SecretBytes(Bytes{0x47, 0x01}));
  shares.push_back(SecretBytes(Bytes{0x48, 0x02}));
  auto got = shamir::combine(shares);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->view(), std::string("\x42", 1));
}

TEST(Shamir, RejectsBadInput) {
  const Bytes s = {1, 2, 3};
  EXPECT_FALSE(shamir::split(s, 3, 1));
  EXPECT_FALSE(shamir::split(s, 2, 3));
  EXPECT_FALSE(shamir::split(s, 256, 2));
  EXPECT_FALSE(shamir::split(Bytes{}, 3, 2));
  std::vector<SecretBytes> dup;
  dup.push_back(SecretBytes(Bytes{1, 7}));
  dup.push_back(SecretBytes(Bytes{2, 7}));
  EXPECT_EQ(shamir::combine(dup).error().message, "duplicate share detected");
}

}  // namespace
}  // namespace mr::core
