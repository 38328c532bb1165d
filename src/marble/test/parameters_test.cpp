// Spec 2.3 step 6 / 2.6: checking what the Coordinator sent, MARBLE_TTLS_CONFIG in particular.
#include "marble/parameters.h"

#include <gtest/gtest.h>

namespace mr::marble {
namespace {

constexpr const char* kValidTtls =
    R"({"tls":{"Incoming":{"*:8080":{"cacrt":"-----BEGIN CERTIFICATE-----\n","clicrt":"x","clientAuth":true,"clikey":"SECRETKEY"}},"Outgoing":{}}})";

TEST(ValidateTtlsConfig, AcceptsIncomingOrOutgoing) {
  EXPECT_TRUE(validate_ttls_config(kValidTtls));
  EXPECT_TRUE(validate_ttls_config(
      R"({"tls":{"Incoming":{},"Outgoing":{"localhost:8080":{"cacrt":"a","clicrt":"b","clikey":"c"}}}})"));
  EXPECT_TRUE(validate_ttls_config(R"({"tls":{"Outgoing":{"a:1":{}}}})"));
}

TEST(ValidateTtlsConfig, RefusesConfigsWithoutEntries) {
  for (const char* bad : {R"({"tls":{"Incoming":{},"Outgoing":{}}})", R"({"tls":{}})",
                          R"({"tls":{"Incoming":null}})"}) {
    const Status s = validate_ttls_config(bad);
    ASSERT_FALSE(s) << bad;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(s.error().message,
              "invalid MARBLE_TTLS_CONFIG: it has neither Incoming nor Outgoing entries");
  }
}

TEST(ValidateTtlsConfig, RefusesMalformedJsonWithoutEchoingIt) {
  const struct {
    const char* json;
    const char* reason;
  } cases[] = {
      {"{not json SECRETKEY", "not valid JSON"},
      {"[]", "not a JSON object"},
      {"{}", "no \"tls\" object"},
      {R"({"tls":[]})", "no \"tls\" object"},
      {R"({"tls":{"Incoming":[]}})", "tls.Incoming is not an object"},
      {R"({"tls":{"Outgoing":{"a:1":"SECRETKEY"}}})", "an entry of tls.Outgoing is not an object"},
  };
  for (const auto& c : cases) {
    const Status s = validate_ttls_config(c.json);
    ASSERT_FALSE(s) << c.json;
    EXPECT_EQ(s.error().message, std::string("invalid MARBLE_TTLS_CONFIG: ") + c.reason);
    EXPECT_EQ(s.error().message.find("SECRETKEY"), std::string::npos);
  }
}

Parameters with_env(const std::string& name, const std::string& value) {
  Parameters p;
  p.env[name] = value;
  return p;
}

TEST(CheckParameters, TtlsConfigIsRefusedByThePremainPolicy) {
  const Parameters p = with_env("MARBLE_TTLS_CONFIG", kValidTtls);
  const Status s = check_parameters(p, TtlsPolicy::kRefuse);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(s.error().message.find("transparent TLS is not available"), std::string::npos);
  EXPECT_EQ(s.error().message.find("SECRETKEY"), std::string::npos);
  EXPECT_TRUE(check_parameters(p, TtlsPolicy::kValidate));
}

TEST(CheckParameters, TtlsConfigIsValidatedInProcess) {
  const Parameters p = with_env("MARBLE_TTLS_CONFIG", R"({"tls":{"Incoming":{},"Outgoing":{}}})");
  const Status s = check_parameters(p, TtlsPolicy::kValidate);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
}

TEST(CheckParameters, NoTtlsConfigIsFineEitherWay) {
  Parameters p = with_env("A", "b");
  p.files["/tmp/x"] = std::string("with\0nul", 8);  // file contents may hold anything
  EXPECT_TRUE(check_parameters(p, TtlsPolicy::kRefuse));
  EXPECT_TRUE(check_parameters(p, TtlsPolicy::kValidate));
}

TEST(CheckParameters, RefusesBadNamesAndValues) {
  EXPECT_FALSE(check_parameters(with_env("", "x"), TtlsPolicy::kValidate));
  EXPECT_FALSE(check_parameters(with_env("A=B", "x"), TtlsPolicy::kValidate));
  EXPECT_FALSE(check_parameters(with_env("A", std::string("x\0y", 3)), TtlsPolicy::kValidate));
  Parameters empty_path;
  empty_path.files[""] = "x";
  EXPECT_FALSE(check_parameters(empty_path, TtlsPolicy::kValidate));
  Parameters nul_path;
  nul_path.files[std::string("a\0b", 3)] = "x";
  EXPECT_FALSE(check_parameters(nul_path, TtlsPolicy::kValidate));
}

TEST(Parameters, IsMoveOnly) {
  static_assert(!std::is_copy_constructible_v<Parameters>);
  static_assert(std::is_nothrow_move_constructible_v<Parameters>);
  Parameters a = with_env("K", "v");
  Parameters b = std::move(a);
  EXPECT_EQ(b.env.at("K"), "v");
}

}  // namespace
}  // namespace mr::marble
