// Template functions in each context (spec 6.3) and the dry run (spec 5.8).

#include "manifest/dry_run.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/encoding.h"
#include "test_util.h"

namespace mr::manifest {
namespace {

using nlohmann::json;
using testing::base_manifest;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::parse_or_die;

NameMap<Secret> sample_secrets() {
  NameMap<Secret> s;
  Secret cert;
  cert.type = "cert-ecdsa";
  cert.cert_der = {0x30, 0x01, 0x02};
  cert.public_key = {0x30, 0x03};
  cert.private_key = {0x30, 0x04};
  s.emplace("cert", cert);
  Secret key;
  key.type = "symmetric-key";
  key.size = 32;
  key.private_key = key.public_key = {0x00, 0xab, 0x00, 0xcd};
  s.emplace("key", key);
  Secret plain;
  plain.type = "plain";
  plain.user_defined = true;
  plain.private_key = plain.public_key = to_bytes("s3cr3t value");
  s.emplace("plain", plain);
  Secret nul = plain;
  nul.private_key = nul.public_key = Bytes{'a', 0, 'b'};
  s.emplace("nul", nul);
  Secret empty;
  empty.type = "cert-rsa";
  s.emplace("empty", empty);
  Secret unset;  // a user-defined plain secret never uploaded
  unset.type = "plain";
  unset.user_defined = true;
  s.emplace("unset", unset);
  return s;
}

gotemplate::Value data() {
  ReservedSecrets r;
  r.root_ca.cert_der = {0x30, 0x09};
  return template_data(r, sample_secrets(), sample_secrets());
}

Result<std::string> render(const std::string& text, bool env) {
  Marble m;
  (env ? m.parameters.env : m.parameters.files)["x"] = File{text, Encoding::kString, false};
  MR_ASSIGN_OR_RETURN(auto compiled, ParameterTemplates::compile("m", m));
  MR_ASSIGN_OR_RETURN(auto out, compiled.render(data()));
  return env ? out.env.at("x") : out.files.at("x");
}

TEST(Functions, PemPicksTheBlockTypeFromTheValueType) {
  for (bool env : {false, true}) {
    EXPECT_EQ(*render("{{ pem .Secrets.cert.Cert }}", env),
              "-----BEGIN CERTIFICATE-----\nMAEC\n-----END CERTIFICATE-----\n");
    EXPECT_EQ(*render("{{ pem .Secrets.cert.Public }}", env),
              "-----BEGIN PUBLIC KEY-----\nMAM=\n-----END PUBLIC KEY-----\n");
    EXPECT_EQ(*render("{{ pem .Secrets.cert.Private }}", env),
              "-----BEGIN PRIVATE KEY-----\nMAQ=\n-----END PRIVATE KEY-----\n");
    EXPECT_EQ(*render("{{ pem .MarbleRun.RootCA.Cert }}", env),
              "-----BEGIN CERTIFICATE-----\nMAk=\n-----END CERTIFICATE-----\n");
  }
}

TEST(Functions, PemErrors) {
  EXPECT_THAT(render("{{ pem .Secrets.cert }}", false).error().message,
              HasSubstr("error calling pem: invalid secret type for pem encoding"));
  EXPECT_THAT(render("{{ pem .Secrets.ghost.Cert }}", false).error().message,
              HasSubstr("error calling pem: secret does not exist"));
  EXPECT_THAT(render("{{ pem .Secrets.key.Cert }}", true).error().message,
              HasSubstr("error calling pem: tried to parse secret with empty value"));
  EXPECT_THAT(render("{{ pem .MarbleRun.RootCA.Private }}", true).error().message,
              HasSubstr("tried to parse secret with empty value"));
}

TEST(Functions, HexAndBase64InBothContexts) {
  for (bool env : {false, true}) {
    EXPECT_EQ(*render("{{ hex .Secrets.key }}", env), "00ab00cd");
    EXPECT_EQ(*render("{{ .Secrets.key | hex }}", env), "00ab00cd");
    EXPECT_EQ(*render("{{ base64 .Secrets.key.Private }}", env), "AKsAzQ==");
    EXPECT_EQ(*render("{{ hex .Secrets.cert.Cert }}", env), "300102");
    EXPECT_EQ(*render("{{ base64 .Secrets.cert }}", env),
              "MAM=");  // a whole Secret means its Public
  }
}

TEST(Functions, RawOnlyInFilesAndKeepsNulBytes) {
  auto out = render("{{ raw .Secrets.key }}", false);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, std::string("\0\xab\0\xcd", 4));
  auto in_env = render("{{ raw .Secrets.key }}", true);
  ASSERT_FALSE(in_env);
  EXPECT_THAT(in_env.error().message, HasSubstr("function \"raw\" not defined"));
  EXPECT_THAT(in_env.error().message, HasSubstr("parsing secrets for env variable \"x\""));
}

TEST(Functions, StringOnlyInEnvAndOnlyForPlainSecrets) {
  EXPECT_EQ(*render("{{ string .Secrets.plain }}", true), "s3cr3t value");
  EXPECT_THAT(render("{{ string .Secrets.plain }}", false).error().message,
              HasSubstr("function \"string\" not defined"));
  EXPECT_THAT(render("{{ string .Secrets.key }}", true).error().message,
              HasSubstr("only secrets of type plain are allowed to use string encoding for "
                        "environment variables"));
  EXPECT_THAT(render("{{ string .Secrets.nul }}", true).error().message,
              HasSubstr("secret contains null bytes"));
  EXPECT_THAT(render("{{ string .Secrets.unset }}", true).error().message,
              HasSubstr("tried to parse secret with empty value"));
}

TEST(Functions, MissingValuesAndTrimMarkers) {
  EXPECT_EQ(*render("a {{ .Secrets.ghost }} b", false), "a <no value> b");
  EXPECT_EQ(*render("a   {{- hex .Secrets.key -}}   b", false), "a00ab00cdb");
  EXPECT_EQ(*render("{{ .Secrets.key.Size }}", true), "32");
  EXPECT_EQ(*render("{{ hex .Previous.Secrets.key }}", true), "00ab00cd");
}

TEST(Functions, NoTemplatesEntriesAreCopiedVerbatim) {
  Marble m;
  m.parameters.files["/f"] = File{"{{ not a template", Encoding::kString, true};
  m.parameters.argv = {"{{ raw .X }}", "b"};
  auto compiled = ParameterTemplates::compile("m", m);
  ASSERT_TRUE(compiled) << compiled.error().message;
  auto out = compiled->render(data());
  ASSERT_TRUE(out);
  EXPECT_EQ(out->files.at("/f"), "{{ not a template");
  EXPECT_EQ(out->argv, (std::vector<std::string>{"{{ raw .X }}", "b"}));
}

TEST(DryRun, BaseManifestPassesWithPlaceholders) {
  Manifest m = parse_or_die(base_manifest());
  EXPECT_THAT(dry_run_report(m, placeholder_secrets(m)).errors, IsEmpty());
}

TEST(DryRun, ReportsMarbleAndEntry) {
  json j = base_manifest();
  j["Marbles"]["web"]["Parameters"]["Env"]["K"] = "{{ raw .Secrets.shared }}";
  j["Marbles"]["worker"]["Parameters"]["Files"]["/f"] = "{{ pem .Secrets.ghost.Cert }}";
  Manifest m = parse_or_die(j);
  CheckReport r = dry_run_report(m, placeholder_secrets(m));
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_THAT(
      r.errors[0],
      HasSubstr("in Marble web: env variable K: template: data:1: function \"raw\" not defined"));
  EXPECT_THAT(r.errors[1], HasSubstr("in Marble worker: file /f: template: data:1:"));
  EXPECT_THAT(r.errors[1], HasSubstr("secret does not exist"));
}

TEST(DryRun, SymmetricKeyHasNoCertificate) {
  json j = base_manifest();
  j["Marbles"]["web"]["Parameters"]["Files"]["/c"] = "{{ pem .Secrets.shared.Cert }}";
  Manifest m = parse_or_die(j);
  CheckReport r = dry_run_report(m, placeholder_secrets(m));
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_THAT(r.errors[0], HasSubstr("tried to parse secret with empty value"));
}

TEST(DryRun, Rule13EnvWithNulBytes) {
  json j = base_manifest();
  j["Marbles"]["web"]["Parameters"]["Env"]["BIN"] = {
      {"Data", "YQBi"}, {"Encoding", "base64"}, {"NoTemplates", true}};
  Manifest m = parse_or_die(j);
  EXPECT_THAT(dry_run_report(m, placeholder_secrets(m)).errors,
              ElementsAre("in Marble web: env variable: BIN: content contains null bytes"));
}

TEST(DryRun, ReservedSecretsHaveDummiesOnlyWhereUpstreamSetsThem) {
  json j = base_manifest();
  j["Marbles"]["web"]["Parameters"]["Files"]["/ok"] =
      "{{ pem .MarbleRun.MarbleCert.Private }}{{ pem .MarbleRun.CoordinatorRoot.Cert }}";
  Manifest ok = parse_or_die(j);
  EXPECT_THAT(dry_run_report(ok, placeholder_secrets(ok)).errors, IsEmpty());
  j["Marbles"]["web"]["Parameters"]["Files"]["/bad"] = "{{ pem .MarbleRun.RootCA.Private }}";
  Manifest bad = parse_or_die(j);
  EXPECT_EQ(dry_run_report(bad, placeholder_secrets(bad)).errors.size(), 1u);
}

// A file that prints 8 MiB: under the per-template default, so only the Marble's total stops it.
std::string eight_mib_template() {
  return "{{range $i := 8192}}{{printf \"%1024d\" 1}}{{end}}";
}

TEST(RenderCap, FilesEnvAndArgvTogetherAreBoundedPerMarble) {
  json j = base_manifest();
  j["Marbles"]["web"]["Parameters"]["Files"]["/a"] = eight_mib_template();
  Manifest one = parse_or_die(j);
  EXPECT_THAT(dry_run_report(one, placeholder_secrets(one)).errors, IsEmpty());
  // Two such files: each alone is fine, together they pass 16 MiB.
  j["Marbles"]["web"]["Parameters"]["Files"]["/b"] = eight_mib_template();
  Manifest two = parse_or_die(j);
  EXPECT_THAT(dry_run_report(two, placeholder_secrets(two)).errors,
              ElementsAre("the parameters of Marble web render to more than 16777216 bytes "
                          "(Files, Env and Argv together)"));
  // Env counts too, and so do verbatim entries and argv.
  j["Marbles"]["web"]["Parameters"]["Files"].erase("/b");
  j["Marbles"]["web"]["Parameters"]["Env"]["E"] = eight_mib_template();
  Manifest env = parse_or_die(j);
  EXPECT_EQ(dry_run_report(env, placeholder_secrets(env)).errors.size(), 1u);
  json verbatim = base_manifest();
  verbatim["Marbles"]["web"]["Parameters"]["Files"]["/v"] = {
      {"Data", std::string(std::size_t{9} << 20, 'a')}, {"NoTemplates", true}};
  verbatim["Marbles"]["web"]["Parameters"]["Argv"] = {std::string(std::size_t{8} << 20, 'b')};
  Manifest big = parse_or_die(verbatim);
  EXPECT_THAT(dry_run_report(big, placeholder_secrets(big)).errors,
              ElementsAre(HasSubstr("the parameters of Marble web render to more than")));
}

TEST(RenderCap, TemplateStepsArePooledPerMarble) {
  json j = base_manifest();
  const std::string loop = "{{range $i := 300000}}{{end}}";
  for (const char* f : {"/1", "/2", "/3"})
    j["Marbles"]["web"]["Parameters"]["Files"][f] = loop;
  Manifest three = parse_or_die(j);
  EXPECT_THAT(dry_run_report(three, placeholder_secrets(three)).errors, IsEmpty());
  j["Marbles"]["web"]["Parameters"]["Env"]["E4"] = loop;
  Manifest four = parse_or_die(j);
  EXPECT_THAT(dry_run_report(four, placeholder_secrets(four)).errors,
              ElementsAre("the parameters of Marble web take more than 1000000 template steps "
                          "(Files and Env together)"));
}

TEST(RenderCap, TheWholeManifestsDryRunIsBounded) {
  // Eleven Marbles of one million-step loop each: every Marble is within its own budget, the
  // manifest is not (ten million steps in all).
  json j = base_manifest();
  for (int i = 0; i < 11; ++i) {
    j["Marbles"]["m" + std::to_string(i)] = {
        {"Package", "pkg"},
        {"Parameters", {{"Files", {{"/f", "{{range $i := 999990}}{{end}}"}}}}}};
  }
  Manifest m = parse_or_die(j);
  EXPECT_THAT(dry_run_report(m, placeholder_secrets(m)).errors,
              ElementsAre("in Marble m9: the templates of the manifest take more than 10000000 "
                          "template steps (all Marbles together)"));
  // Bytes: nine Marbles of 8 MiB each pass 64 MiB.
  json k = base_manifest();
  for (int i = 0; i < 9; ++i) {
    k["Marbles"]["b" + std::to_string(i)] = {
        {"Package", "pkg"}, {"Parameters", {{"Files", {{"/f", eight_mib_template()}}}}}};
  }
  Manifest b = parse_or_die(k);
  EXPECT_THAT(dry_run_report(b, placeholder_secrets(b)).errors,
              ElementsAre("in Marble b8: the templates of the manifest render to more than "
                          "67108864 bytes (all Marbles together)"));
}

TEST(RenderCap, ActivationRenderingIsBoundedToo) {
  Marble m;
  for (const char* f : {"/a", "/b"})
    m.parameters.files[f] = File{eight_mib_template(), Encoding::kString, false};
  auto compiled = ParameterTemplates::compile("big", m);
  ASSERT_TRUE(compiled) << compiled.error().message;
  auto out = compiled->render(data());
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(out.error().message,
            "the parameters of Marble big render to more than 16777216 bytes (Files, Env and "
            "Argv together)");
  // A template's own error still reads as before.
  Marble bad;
  bad.parameters.files["/x"] = File{"{{ pem .Secrets.ghost.Cert }}", Encoding::kString, false};
  auto bad_out = ParameterTemplates::compile("bad", bad)->render(data());
  ASSERT_FALSE(bad_out);
  EXPECT_THAT(bad_out.error().message, HasSubstr("parsing secrets for file \"/x\""));
}

}  // namespace
}  // namespace mr::manifest
