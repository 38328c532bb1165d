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
  const std::string tail =
      " (a package update changes only SecurityVersion; use a full "
      "manifest update for the rest)";
  for (const auto& [field, value] :
       std::vector<std::pair<std::string, json>>{{"Debug", true},
                                                 {"UniqueID", "ab"},
                                                 {"SignerID", "ab"},
                                                 {"ProductID", 1},
                                                 {"AcceptedTCBStatuses", {"OutOfDate"}},
                                                 {"AcceptedAdvisories", {"INTEL-SA-00334"}}}) {
    EXPECT_EQ(
        update({{"frontend", {{"SecurityVersion", 4}, {field, value}}}}).error().message,
        "update manifest contains unupdatable values: package \"frontend\" sets " + field + tail)
        << field;
  }
  EXPECT_EQ(update({{"frontend",
                     {{"SecurityVersion", 4}, {"SignerID", "ab"}, {"AcceptedTCBStatuses", {"x"}}}}})
                .error()
                .message,
            "update manifest contains unupdatable values: package \"frontend\" sets SignerID, "
            "AcceptedTCBStatuses" +
                tail);
  // Explicit defaults change nothing and are accepted.
  EXPECT_TRUE(update({{"frontend", {{"SecurityVersion", 4}, {"Debug", false}}}}));
  EXPECT_EQ(update({{"frontend", json::object()}}).error().message,
            "update manifest does not specify a SecurityVersion to update");
  EXPECT_EQ(update({{"frontend", {{"SecurityVersion", 2}}}}).error().message,
            "update manifest tries to downgrade SecurityVersion of the original manifest");
}

TEST(PackageUpdate, ConfigIsRefusedNotIgnored) {
  auto with_config = [](const json& config) {
    return check_package_update(
        current(), parse_or_die(json{{"Packages", {{"frontend", {{"SecurityVersion", 4}}}}},
                                     {"Config", config}}));
  };
  EXPECT_EQ(with_config({{"FeatureGates", {"SignQuoteEndpoint"}}}).error().message,
            "update manifest contains unupdatable values: Config (a package update changes only "
            "SecurityVersion; use a full manifest update for the rest)");
  EXPECT_FALSE(with_config({{"SealMode", "Disabled"}}));
  EXPECT_TRUE(with_config(json::object()));  // an empty section changes nothing
}

}  // namespace
}  // namespace mr::manifest
