// YAML manifests converted as upstream's CLI converts them (sigs.k8s.io/yaml.YAMLToJSONStrict).

#include "cli/manifest_yaml.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "base/testing/temp_dir.h"

namespace mr::cli {
namespace {

using ::testing::HasSubstr;

std::string convert(std::string_view yaml) {
  auto r = yaml_to_json(yaml);
  EXPECT_TRUE(r) << r.error().message;
  return r ? *r : "";
}

std::string error_of(std::string_view yaml) {
  auto r = yaml_to_json(yaml);
  EXPECT_FALSE(r) << *r;
  return r ? "" : r.error().message;
}

TEST(YamlToJson, KeysSortedCompactAndGoEscaped) {
  EXPECT_EQ(convert("b: 1\na: x <y> & z\n"), R"({"a":"x \u003cy\u003e \u0026 z","b":1})");
  EXPECT_EQ(convert("Marbles:\n  web:\n    Parameters:\n      Argv: [a, b]\n"),
            R"({"Marbles":{"web":{"Parameters":{"Argv":["a","b"]}}}})");
}

TEST(YamlToJson, PlainScalarsResolveAsYamlV2) {
  EXPECT_EQ(convert("a: yes\nb: off\nc: ~\nd:\ne: null\nf: True\n"),
            R"({"a":true,"b":false,"c":null,"d":null,"e":null,"f":true})");
  EXPECT_EQ(convert("a: 0x1F\nb: 0755\nc: 0o10\nd: 0b101\ne: -42\nf: 1_000\n"),
            R"({"a":31,"b":493,"c":8,"d":5,"e":-42,"f":1000})");
  EXPECT_EQ(convert("a: 1.5\nb: 1.0\nc: .5\nd: 1e3\ne: 08\nf: 18446744073709551615\n"),
            R"({"a":1.5,"b":1,"c":0.5,"d":1000,"e":8,"f":18446744073709551615})");
  // Strings: quoted scalars, dates, versions, and what no rule matches.
  EXPECT_EQ(convert("a: \"1\"\nb: '0755'\nc: 2001-12-14\nd: 1.2.3\ne: \"yes\"\nf: 1e400\n"),
            R"({"a":"1","b":"0755","c":"2001-12-14","d":"1.2.3","e":"yes","f":"1e400"})");
  EXPECT_EQ(convert("a: |\n  line1\n  line2\nb: !!str 12\n"), R"({"a":"line1\nline2\n","b":"12"})");
}

TEST(YamlToJson, KeysAreNamedAsSigsK8sYamlDoes) {
  EXPECT_EQ(convert("1: a\ntrue: b\n1.5: c\n"), R"({"1":"a","1.5":"c","true":"b"})");
  EXPECT_THAT(error_of("? [a]\n: b\n"), HasSubstr("unsupported map key"));
  EXPECT_THAT(error_of("~: b\n"), HasSubstr("unsupported map key"));
}

TEST(YamlToJson, AnchorsAliasesAndMergeKeys) {
  EXPECT_EQ(convert("base: &b {p: 1, q: 2}\nuse:\n  <<: *b\n  q: 3\n"),
            R"({"base":{"p":1,"q":2},"use":{"p":1,"q":3}})");
  EXPECT_EQ(convert("a: &a [1, 2]\nb: *a\n"), R"({"a":[1,2],"b":[1,2]})");
}

TEST(YamlToJson, StrictAndBoundedForHostileInput) {
  EXPECT_THAT(error_of("a: 1\na: 2\n"),
              HasSubstr("line 2, column 1: key \"a\" already set in map"));
  EXPECT_THAT(error_of("a: .inf\n"), HasSubstr("has no JSON form"));
  EXPECT_THAT(error_of("a: 1\n---\nb: 2\n"), HasSubstr("2 documents"));
  EXPECT_THAT(error_of("a: !custom x\n"), HasSubstr("unsupported tag !custom"));
  EXPECT_THAT(error_of("a: [1, 2\n"), HasSubstr("invalid YAML: line"));
  // A billion laughs: nine levels of ten aliases each.
  std::string laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 9; ++i) {
    laughs += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j)
      laughs += (j ? ", *a" : "*a") + std::to_string(i - 1);
    laughs += "]\n";
  }
  EXPECT_THAT(error_of(laughs), HasSubstr("more than a million values"));
  std::string deep(300, '[');
  deep += std::string(300, ']');
  EXPECT_THAT(error_of("a: " + deep + "\n"), HasSubstr("nested deeper than 200"));
  // The input never appears in an error.
  EXPECT_THAT(error_of("secret-value: 1\nsecret-value: 2\n"), HasSubstr("already set"));
}

TEST(LoadManifestFile, JsonStaysAsItIsYamlIsConverted) {
  mr::testing::TempDir dir;
  const std::string json = (dir.path() / "m.json").string();
  const std::string yaml = (dir.path() / "m.yaml").string();
  const std::string scalar = (dir.path() / "s.yaml").string();
  std::ofstream(json) << "{ \"Packages\" : {} }\n";
  std::ofstream(yaml) << "Packages: {}\nMarbles:\n";
  std::ofstream(scalar) << "just text\n";
  EXPECT_EQ(*load_manifest_file(json), "{ \"Packages\" : {} }\n");
  EXPECT_EQ(*load_manifest_file(yaml), R"({"Marbles":null,"Packages":{}})");
  auto s = load_manifest_file(scalar);
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message, HasSubstr("not a JSON object or YAML mapping"));
  auto missing = load_manifest_file((dir.path() / "missing.yaml").string());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace mr::cli
