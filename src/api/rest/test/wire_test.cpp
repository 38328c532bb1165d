// The REST wire codec against the store's record encoding: core::encode_secret is what the REST
// layer used to re-parse for GET secrets, so wire::secret_json must give the same JSON, byte for
// byte, for every kind of secret. This is the one place that sees both.
#include "api/rest/wire.h"

#include <gtest/gtest.h>

#include "base/encoding.h"
#include "core/ca.h"
#include "core/records.h"
#include "core/secret_generator.h"
#include "gojson/encode.h"

namespace mr::api::rest {
namespace {

const UnixTime kNow = *parse_rfc3339("2026-11-23T12:00:00Z");

manifest::Secret definition(std::string type, std::uint64_t size, bool shared) {
  manifest::Secret s;
  s.type = std::move(type);
  s.size = size;
  s.shared = shared;
  return s;
}

manifest::Secret user_defined(std::string type, Bytes cert, Bytes priv, Bytes pub) {
  manifest::Secret s = definition(std::move(type), 0, false);
  s.user_defined = true;
  s.cert_der = std::move(cert);
  s.private_key = std::move(priv);
  s.public_key = std::move(pub);
  return s;
}

// expect_same_as_record checks secret_json against the parsed record and the Go bytes of both.
void expect_same_as_record(const std::string& name, const manifest::Secret& s) {
  SCOPED_TRACE(name);
  auto record = gojson::parse(core::encode_secret(s));
  ASSERT_TRUE(record) << record.error().message;
  const gojson::Json codec = wire::secret_json(s);
  EXPECT_EQ(codec, *record);
  EXPECT_EQ(gojson::dump(codec), gojson::dump(*record));
  EXPECT_EQ(codec.dump(), core::encode_secret(s));
}

class WireSecretTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ca_ = new core::CaSet(*core::generate_ca({"localhost"}, kNow)); }
  static void TearDownTestSuite() { delete ca_; }
  static core::CaSet* ca_;

  // generated is the secret Core generates from |def| (a Marble's when |def| is not shared).
  static manifest::Secret generated(const manifest::Secret& def) {
    const Bytes root_secret(32, 0x07);
    const core::SecretContext ctx{*ca_, root_secret, kNow};
    std::optional<Uuid> uuid;
    if (!def.shared) uuid = *Uuid::parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
    auto s = core::generate_secret("s", def, uuid, "backend", ctx);
    EXPECT_TRUE(s) << s.error().message;
    return s ? *s : manifest::Secret{};
  }
};
core::CaSet* WireSecretTest::ca_ = nullptr;

TEST_F(WireSecretTest, GeneratedSecretsOfEveryTypeEncodeAsTheRecordDoes) {
  auto ecdsa = definition("cert-ecdsa", 256, true);
  ecdsa.valid_for = 7;
  const std::vector<std::pair<std::string, manifest::Secret>> cases = {
      {"cert-ecdsa shared", generated(ecdsa)},
      {"cert-ecdsa private", generated(definition("cert-ecdsa", 384, false))},
      {"cert-rsa", generated(definition("cert-rsa", 2048, true))},
      {"cert-ed25519", generated(definition("cert-ed25519", 0, false))},
      {"symmetric-key shared", generated(definition("symmetric-key", 128, true))},
      {"symmetric-key private", generated(definition("symmetric-key", 256, false))},
  };
  for (const auto& [name, s] : cases) {
    ASSERT_FALSE(s.private_key.empty()) << name;
    expect_same_as_record(name, s);
  }
  // A generated certificate is there, as base64 of its DER.
  const manifest::Secret& cert = cases[0].second;
  ASSERT_FALSE(cert.cert_der.empty());
  EXPECT_EQ(wire::secret_json(cert)["Cert"], base64_encode(cert.cert_der));
  EXPECT_EQ(wire::secret_json(cert)["ValidFor"], 7u);
}

TEST_F(WireSecretTest, UserDefinedSecretsEncodeAsTheRecordDoes) {
  const Bytes data = {'h', 'i', 0x00, 0xff};
  const manifest::Secret with_cert = generated(definition("cert-ecdsa", 256, true));
  const std::vector<std::pair<std::string, manifest::Secret>> cases = {
      {"plain not uploaded", user_defined("plain", {}, {}, {})},
      {"plain", user_defined("plain", {}, data, data)},
      {"symmetric-key", user_defined("symmetric-key", {}, Bytes(16, 0x2a), Bytes(16, 0x2a))},
      {"cert-ecdsa not uploaded", user_defined("cert-ecdsa", {}, {}, {})},
      {"cert-ecdsa",
       user_defined("cert-ecdsa", with_cert.cert_der, with_cert.private_key, with_cert.public_key)},
      {"cert only", user_defined("cert-rsa", with_cert.cert_der, {}, {})},
      {"empty definition", manifest::Secret{}},
  };
  for (const auto& [name, s] : cases)
    expect_same_as_record(name, s);
}

TEST(WireSecret, FieldsAreGoNamesInGoOrderWithNullForEmptyBytes) {
  manifest::Secret s = user_defined("plain", {}, {}, {0x01, 0x02, 0x03});
  s.size = 24;
  s.valid_for = 365;
  EXPECT_EQ(gojson::dump(wire::secret_json(s)),
            R"({"Type":"plain","Size":24,"Shared":false,"UserDefined":true,"Cert":null,)"
            R"("ValidFor":365,"Private":null,"Public":"AQID"})");
}

TEST(WireSecret, SecretMapsAreKeyedByNameInOrder) {
  core::SecretMap secrets;
  secrets["b"] = user_defined("plain", {}, {0x01}, {0x01});
  secrets["a"] = user_defined("plain", {}, {}, {});
  const gojson::Json j = wire::secrets_json(secrets);
  EXPECT_EQ(gojson::dump(j), "{\"a\":" + core::encode_secret(secrets["a"]) +
                                 ",\"b\":" + core::encode_secret(secrets["b"]) + "}");
  EXPECT_EQ(gojson::dump(wire::secrets_json({})), "{}");
}

TEST(Wire, BytesNamesAndRecoverySecrets) {
  EXPECT_EQ(gojson::dump(wire::bytes_json({})), "null");
  EXPECT_EQ(gojson::dump(wire::bytes_json(as_bytes("\xfb\xff"))), R"("+/8=")");
  EXPECT_EQ(gojson::dump(wire::names_json({})), "null");
  EXPECT_EQ(gojson::dump(wire::names_json({"bob", "alice"})), R"(["bob","alice"])");
  EXPECT_EQ(gojson::dump(wire::recovery_secrets_json({})), "{}");
  EXPECT_EQ(gojson::dump(wire::recovery_secrets_json({{"z", {0x01}}, {"a", {}}})),
            R"({"a":null,"z":"AQ=="})");
}

TEST(Wire, StatusQuoteAndManifestSpeakV1AndV2) {
  const core::StatusInfo status{2, "ready"};
  EXPECT_EQ(gojson::dump(wire::status_json(status, ApiVersion::kV2)),
            R"({"code":2,"message":"ready"})");
  EXPECT_EQ(gojson::dump(wire::status_json(status, ApiVersion::kV1)),
            R"({"StatusCode":2,"StatusMessage":"ready"})");

  const core::CertQuote quote{"PEM", {}};
  EXPECT_EQ(gojson::dump(wire::quote_json(quote, ApiVersion::kV2)),
            R"({"cert":"PEM","quote":null})");
  EXPECT_EQ(gojson::dump(wire::quote_json(core::CertQuote{"PEM", {0x01}}, ApiVersion::kV1)),
            R"({"Cert":"PEM","Quote":"AQ=="})");

  const core::ManifestInfo info{"{}", "44136fa3", {0x30, 0x01}};
  EXPECT_EQ(gojson::dump(wire::manifest_json(info, ApiVersion::kV2)),
            R"({"manifestSignatureRootECDSA":"MAE=","manifestFingerprint":"44136fa3",)"
            R"("manifest":"e30="})");
  EXPECT_EQ(gojson::dump(wire::manifest_json(info, ApiVersion::kV1)),
            R"({"ManifestSignatureRootECDSA":"MAE=","ManifestSignature":"44136fa3",)"
            R"("Manifest":"e30="})");
  // No manifest yet (v1 answers 200 with empty fields).
  EXPECT_EQ(gojson::dump(wire::manifest_json(core::ManifestInfo{}, ApiVersion::kV1)),
            R"({"ManifestSignatureRootECDSA":null,"ManifestSignature":"","Manifest":null})");
}

TEST(Wire, ManifestRequestsDecodeLikeGo) {
  auto raw = wire::decode_manifest_request(R"({"manifest":"e30="} trailing)", "X");
  ASSERT_TRUE(raw) << raw.error().message;
  EXPECT_EQ(*raw, "{}");
  auto empty = wire::decode_manifest_request("", "X");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message, "EOF");
  auto wrong = wire::decode_manifest_request(R"({"manifest":5})", "UpdateManifestRequest");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("UpdateManifestRequest"), std::string::npos)
      << wrong.error().message;
}

}  // namespace
}  // namespace mr::api::rest
