#include <gtest/gtest.h>

#include "manifest/manifest.h"
#include "test_util.h"

namespace mr::manifest {
namespace {

using nlohmann::json;
using testing::base_manifest;
using testing::parse_or_die;

TEST(Parse, KeepsRawBytesVerbatim) {
  const std::string raw = "{ \"Packages\" : {\"p\":{\"Debug\":true}} ,\n\"x\":1 }  ";
  auto m = Manifest::parse(raw);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->raw(), raw);
  EXPECT_TRUE(m->packages.at("p").debug);
}

TEST(Parse, EverySectionOfTheBaseManifest) {
  Manifest m = parse_or_die(base_manifest());
  EXPECT_EQ(m.packages.size(), 2u);
  EXPECT_EQ(m.packages.at("pkg").product_id, 1u);
  EXPECT_EQ(m.packages.at("pkg").security_version, 2u);
  EXPECT_FALSE(m.packages.at("unique").security_version.has_value());
  EXPECT_EQ(m.marbles.at("web").tls, std::vector<std::string>{"tag"});
  EXPECT_EQ(m.marbles.at("web").parameters.env.at("K").data, "{{ hex .Secrets.shared }}");
  EXPECT_EQ(m.secrets.at("shared").size, 128u);
  EXPECT_TRUE(m.secrets.at("upload").user_defined);
  EXPECT_EQ(m.tls.at("tag").incoming.at(0).port, "8080");
  EXPECT_EQ(m.users.at("alice").roles.size(), 2u);
  EXPECT_EQ(m.roles.at("writer").actions, std::vector<std::string>{"WriteSecret"});
  EXPECT_TRUE(m.recovery_keys.contains("officer"));
}

TEST(Parse, CaseInsensitiveKeysAndUnknownKeysIgnored) {
  auto m = Manifest::parse(
      R"({"packages":{"p":{"signerid":"ab","PRODUCTID":0}},"MARBLES":{"m":{"package":"p"}},"Extra":{"x":1}})");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->packages.at("p").signer_id, "ab");
  ASSERT_TRUE(m->packages.at("p").product_id.has_value());  // 0 is present, not absent
  EXPECT_EQ(*m->packages.at("p").product_id, 0u);
  EXPECT_EQ(m->marbles.at("m").package, "p");
}

TEST(Parse, NullIsAbsent) {
  auto m = Manifest::parse(
      R"({"Packages":null,"Marbles":{"m":{"Package":null,"Parameters":null}},"Config":null})");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_TRUE(m->packages.empty());
  EXPECT_EQ(m->marbles.at("m").package, "");
  auto top = Manifest::parse("null");
  ASSERT_TRUE(top);
  EXPECT_TRUE(top->marbles.empty());
}

TEST(Parse, FileFormsAndEncodings) {
  auto m = Manifest::parse(R"({"Marbles":{"m":{"Parameters":{"Files":{
      "/plain":"hello {{ .X }}",
      "/b64":{"Data":"aGVsbG8=","Encoding":"base64"},
      "/hex":{"Data":"68656c6c6f","Encoding":"HEX","NoTemplates":true},
      "/empty":{"Data":"x","Encoding":""}}}}}})");
  ASSERT_TRUE(m) << m.error().message;
  const auto& files = m->marbles.at("m").parameters.files;
  EXPECT_EQ(files.at("/plain").data, "hello {{ .X }}");
  EXPECT_FALSE(files.at("/plain").no_templates);
  EXPECT_EQ(files.at("/b64").data, "hello");
  EXPECT_EQ(files.at("/b64").encoding, Encoding::kBase64);
  EXPECT_EQ(files.at("/hex").data, "hello");
  EXPECT_TRUE(files.at("/hex").no_templates);
  EXPECT_EQ(files.at("/empty").encoding, Encoding::kString);
}

TEST(Parse, FileErrors) {
  EXPECT_EQ(Manifest::parse(
                R"({"Marbles":{"m":{"Parameters":{"Env":{"E":{"Data":"x","Encoding":"rot13"}}}}}})")
                .error()
                .message,
            "unknown encoding type: rot13");
  EXPECT_EQ(
      Manifest::parse(
          R"({"Marbles":{"m":{"Parameters":{"Env":{"E":{"Data":"!!","Encoding":"base64"}}}}}})")
          .error()
          .message,
      "illegal base64 data at input byte 0");
  EXPECT_FALSE(Manifest::parse(
      R"({"Marbles":{"m":{"Parameters":{"Env":{"E":{"Data":"abc","Encoding":"hex"}}}}}})"));
  EXPECT_FALSE(Manifest::parse(R"({"Marbles":{"m":{"Parameters":{"Env":{"E":42}}}}})"));
}

TEST(Parse, TypeErrorsNameTheField) {
  auto m = Manifest::parse(R"({"Packages":{"frontend":{"Debug":"yes"}}})");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message,
            "json: cannot unmarshal string into Go struct field "
            "PackageProperties.Packages.frontend.Debug of type bool");
  EXPECT_NE(Manifest::parse(R"({"Marbles":{"m":{"MaxActivations":-1}}})")
                .error()
                .message.find("of type uint"),
            std::string::npos);
  EXPECT_EQ(Manifest::parse("[]").error().message,
            "json: cannot unmarshal array into Go value of type Manifest");
}

TEST(Parse, NotJsonGivesOneLine) {
  auto m = Manifest::parse("Packages: {}");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message.find('\n'), std::string::npos);
  EXPECT_NE(m.error().message.find("invalid JSON"), std::string::npos);
}

TEST(Parse, CertTemplateWithGoFieldNames) {
  auto m = Manifest::parse(R"({"Secrets":{"c":{"Type":"cert-ecdsa","Size":256,"Cert":{
      "Subject":{"CommonName":"svc","Organization":["Org"],"Country":["DE"],"ExtraNames":[{"Type":[2,5,4,5],"Value":"42"}]},
      "NotAfter":"2030-01-02T03:04:05Z","KeyUsage":5,"ExtKeyUsage":[1,2],"IsCA":true,"MaxPathLen":1,
      "DNSNames":["a.example","b.example"],"IPAddresses":["10.0.0.1","::1"],"EmailAddresses":["x@example.com"],
      "URIs":[{"Scheme":"spiffe","Host":"example.org","Path":"/svc"}],
      "ExtraExtensions":[{"Id":[1,3,9903,2,1],"Critical":false,"Value":"d2Vi"}],
      "PermittedDNSDomains":["example"],"PolicyIdentifiers":[[2,5,29,32,0]],"SubjectKeyId":"AQI="}}}})");
  ASSERT_TRUE(m) << m.error().message;
  const crypto::CertTemplate& t = m->secrets.at("c").cert;
  EXPECT_EQ(t.subject.common_name, "svc");
  EXPECT_EQ(t.subject.organization, std::vector<std::string>{"Org"});
  ASSERT_EQ(t.subject.extra_names.size(), 1u);
  EXPECT_EQ(t.subject.extra_names[0].type, "2.5.4.5");
  ASSERT_TRUE(t.not_after.has_value());
  EXPECT_EQ(format_rfc3339(*t.not_after), "2030-01-02T03:04:05Z");
  EXPECT_EQ(t.key_usage, 5u);
  ASSERT_TRUE(t.ext_key_usage.has_value());
  EXPECT_EQ(t.ext_key_usage->size(), 2u);
  EXPECT_TRUE(t.is_ca);
  EXPECT_EQ(t.max_path_len, 1);
  ASSERT_TRUE(t.dns_names.has_value());
  EXPECT_EQ(t.dns_names->size(), 2u);
  ASSERT_TRUE(t.ip_addresses.has_value());
  EXPECT_EQ((*t.ip_addresses)[1].to_string(), "::1");
  EXPECT_EQ(t.uris, std::vector<std::string>{"spiffe://example.org/svc"});
  ASSERT_EQ(t.extra_extensions.size(), 1u);
  EXPECT_EQ(t.extra_extensions[0].id, "1.3.9903.2.1");
  EXPECT_EQ(to_string(t.extra_extensions[0].value), "web");
  EXPECT_EQ(t.policy_identifiers, std::vector<std::string>{"2.5.29.32.0"});
  EXPECT_EQ(t.subject_key_id, (Bytes{1, 2}));
}

TEST(Parse, NilVersusEmptyListsInCertTemplate) {
  auto unset =
      Manifest::parse(R"({"Secrets":{"c":{"Type":"cert-ecdsa","Cert":{"ExtKeyUsage":null}}}})");
  ASSERT_TRUE(unset);
  EXPECT_FALSE(unset->secrets.at("c").cert.ext_key_usage.has_value());
  EXPECT_FALSE(unset->secrets.at("c").cert.dns_names.has_value());
  auto empty = Manifest::parse(
      R"({"Secrets":{"c":{"Type":"cert-ecdsa","Cert":{"ExtKeyUsage":[],"DNSNames":[],"IPAddresses":[]}}}})");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->secrets.at("c").cert.ext_key_usage.has_value());
  EXPECT_TRUE(empty->secrets.at("c").cert.ext_key_usage->empty());
  EXPECT_TRUE(empty->secrets.at("c").cert.dns_names.has_value());
  EXPECT_TRUE(empty->secrets.at("c").cert.ip_addresses.has_value());
}

TEST(Parse, CertTemplateErrors) {
  EXPECT_FALSE(Manifest::parse(R"({"Secrets":{"c":{"Cert":{"NotAfter":"tomorrow"}}}})"));
  EXPECT_FALSE(Manifest::parse(R"({"Secrets":{"c":{"Cert":{"IPAddresses":["not-an-ip"]}}}})"));
  EXPECT_FALSE(Manifest::parse(R"({"Secrets":{"c":{"Cert":{"ExtKeyUsage":[99]}}}})"));
  EXPECT_FALSE(Manifest::parse(R"({"Secrets":{"c":{"Cert":{"ExtraExtensions":[{"Id":[7]}]}}}})"));
}

TEST(Parse, InfrastructureBytesAsBase64OrArray) {
  auto m = Manifest::parse(
      R"({"Infrastructures":{"a":{"CPUSVN":"AQI=","RootCA":[1,2,3],"QESVN":0,"PCESVN":65535}}})");
  ASSERT_TRUE(m) << m.error().message;
  const auto& inf = m->infrastructures.at("a");
  EXPECT_EQ(inf.cpu_svn, (Bytes{1, 2}));
  EXPECT_EQ(inf.root_ca, (Bytes{1, 2, 3}));
  EXPECT_EQ(inf.qe_svn, 0);
  EXPECT_EQ(inf.pce_svn, 65535);
  EXPECT_FALSE(Manifest::parse(R"({"Infrastructures":{"a":{"QESVN":65536}}})"));
}

TEST(Parse, SealModeAndFeatures) {
  EXPECT_EQ(*parse_seal_mode(""), SealMode::kProductKey);
  EXPECT_EQ(*parse_seal_mode("UniqueKey"), SealMode::kUniqueKey);
  EXPECT_EQ(*parse_seal_mode("Disabled"), SealMode::kDisabled);
  EXPECT_EQ(parse_seal_mode("uniquekey").error().message, "unknown seal mode: uniquekey");
  Manifest m = parse_or_die(json{{"Config", {{"FeatureGates", {"signquoteendpoint"}}}}});
  EXPECT_TRUE(m.has_feature(kFeatureSignQuoteEndpoint));
  EXPECT_FALSE(m.has_feature(kFeatureMonotonicCounter));
}

TEST(Parse, PackageUpdateShape) {
  EXPECT_TRUE(
      parse_or_die(json{{"Packages", {{"p", {{"SecurityVersion", 3}}}}}}).is_package_update());
  EXPECT_TRUE(parse_or_die(json::object()).is_package_update());
  EXPECT_TRUE(
      parse_or_die(json{{"Packages", json::object()}, {"Config", {{"SealMode", "Disabled"}}}})
          .is_package_update());
  EXPECT_FALSE(parse_or_die(base_manifest()).is_package_update());
}

}  // namespace
}  // namespace mr::manifest
