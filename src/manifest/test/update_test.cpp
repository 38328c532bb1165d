#include "manifest/update.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace mr::manifest {
namespace {

using nlohmann::json;
using testing::parse_or_die;

NameMap<PackageProperties> current() {
  NameMap<PackageProperties> c;
  c["frontend"] = PackageProperties{false, "", "abcd", 1, 3, {}, {}};
  c["backend"] = PackageProperties{false, "", "abcd", 2, std::nullopt, {}, {}};
  return c;
}

Result<std::vector<PackageUpdate>> update(const json& packages) {
  return check_package_update(current(), parse_or_die(json{{"Packages", packages}}));
}

TEST(PackageUpdate, RaisesOrKeepsSecurityVersion) {
  auto r = update({{"frontend", {{"SecurityVersion", 4}}}, {"backend", {{"SecurityVersion", 1}}}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, (std::vector<PackageUpdate>{{"backend", 1}, {"frontend", 4}}));
  EXPECT_TRUE(update({{"frontend", {{"SecurityVersion", 3}}}}));  // equal is allowed
}

TEST(PackageUpdate, Refusals) {
  EXPECT_EQ(update(json::object()).error().message, "no packages defined");
  auto unknown = update({{"ghost", {{"SecurityVersion", 1}}}});
  EXPECT_EQ(unknown.error().message,
            "loading current package \"ghost\" from store: requested value not set");
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  for (const json& bad : {json{{"SecurityVersion", 4}, {"Debug", true}},
                          json{{"SecurityVersion", 4}, {"UniqueID", "ab"}},
                          json{{"SecurityVersion", 4}, {"SignerID", "ab"}},
                          json{{"SecurityVersion", 4}, {"ProductID", 1}}}) {
    EXPECT_EQ(update({{"frontend", bad}}).error().message,
              "update manifest contains unupdatable values")
        << bad;
  }
  EXPECT_EQ(update({{"frontend", json::object()}}).error().message,
            "update manifest does not specify a SecurityVersion to update");
  EXPECT_EQ(update({{"frontend", {{"SecurityVersion", 2}}}}).error().message,
            "update manifest tries to downgrade SecurityVersion of the original manifest");
}

}  // namespace
}  // namespace mr::manifest
