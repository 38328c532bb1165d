// The manifests in samples/ are realistic and must stay valid.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "manifest/check.h"
#include "test_util.h"

namespace mr::manifest {
namespace {

class Samples : public ::testing::TestWithParam<const char*> {};

TEST_P(Samples, AreValid) {
  const std::string raw = testing::read_file(std::string(MR_SOURCE_DIR) + "/samples/" + GetParam());
  ASSERT_FALSE(raw.empty());
  auto m = Manifest::parse(raw);
  ASSERT_TRUE(m) << m.error().message;
  CheckReport r = validate_all(*m, {});
  EXPECT_THAT(r.errors, ::testing::IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(All, Samples,
                         ::testing::Values("minimal.json", "full.json", "multi-party.json"));

TEST(SamplesShape, FullUsesEverySection) {
  auto m = Manifest::parse(testing::read_file(std::string(MR_SOURCE_DIR) + "/samples/full.json"));
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->packages.empty());
  EXPECT_FALSE(m->infrastructures.empty());
  EXPECT_FALSE(m->marbles.empty());
  EXPECT_FALSE(m->users.empty());
  EXPECT_FALSE(m->secrets.empty());
  EXPECT_FALSE(m->recovery_keys.empty());
  EXPECT_FALSE(m->roles.empty());
  EXPECT_FALSE(m->tls.empty());
  EXPECT_FALSE(m->config.feature_gates.empty());
}

}  // namespace
}  // namespace mr::manifest
