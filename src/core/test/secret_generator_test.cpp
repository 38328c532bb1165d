#include "core/secret_generator.h"

#include <gtest/gtest.h>

#include "base/encoding.h"
#include "crypto/hash.h"

namespace mr::core {
namespace {

const UnixTime kNow = *parse_rfc3339("2026-11-23T12:00:00Z");
constexpr std::chrono::seconds kDay{86400};

class SecretGen : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ca_ = new CaSet(*generate_ca({"localhost"}, kNow)); }
  static void TearDownTestSuite() { delete ca_; }
  static CaSet* ca_;
  const Bytes root_secret_ = Bytes(32, 0x07);
  SecretContext ctx() const { return SecretContext{*ca_, root_secret_, kNow}; }
  static manifest::Secret def(std::string type, std::uint64_t size, bool shared) {
    manifest::Secret s;
    s.type = std::move(type);
    s.size = size;
    s.shared = shared;
    return s;
  }
};
CaSet* SecretGen::ca_ = nullptr;

TEST_F(SecretGen, SharedAndPrivateAreSelectedByUuid) {
  SecretMap defs{{"shared", def("symmetric-key", 128, true)},
                 {"private", def("symmetric-key", 256, false)},
                 {"user", [] {
                    auto s = def("plain", 0, false);
                    s.user_defined = true;
                    return s;
                  }()}};
  auto shared = generate_secrets(defs, std::nullopt, "", ctx());
  ASSERT_TRUE(shared);
  ASSERT_EQ(shared->size(), 1u);
  EXPECT_EQ(shared->at("shared").private_key.size(), 16u);
  EXPECT_EQ(shared->at("shared").public_key, shared->at("shared").private_key);
  const Uuid uuid = *Uuid::parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
  auto mine = generate_secrets(defs, uuid, "backend", ctx());
  ASSERT_TRUE(mine);
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ(mine->at("private").private_key.size(), 32u);
}

TEST_F(SecretGen, PerMarbleSymmetricKeysAreHkdfBound) {
  const Uuid uuid = *Uuid::parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
  SecretMap defs{{"k", def("symmetric-key", 256, false)}};
  auto a = *generate_secrets(defs, uuid, "backend", ctx());
  auto b = *generate_secrets(defs, uuid, "backend", ctx());
  auto other_type = *generate_secrets(defs, uuid, "frontend", ctx());
  auto unbound = *generate_secrets(defs, uuid, "", ctx());
  EXPECT_EQ(a.at("k").private_key, b.at("k").private_key);  // deterministic
  EXPECT_NE(a.at("k").private_key, other_type.at("k").private_key);
  EXPECT_NE(a.at("k").private_key, unbound.at("k").private_key);
  // HKDF-SHA256(IKM = root secret, salt = uuid ‖ name, info = marble type).
  const std::string salt = uuid.to_string() + "k";
  auto expected = *crypto::hkdf_sha256(root_secret_, as_bytes(salt), as_bytes("backend"), 32);
  EXPECT_TRUE(expected.equals(a.at("k").private_key));
}

TEST_F(SecretGen, CertificateDefaults) {
  auto s = generate_secret("c", def("cert-ecdsa", 256, true), std::nullopt, "", ctx());
  ASSERT_TRUE(s) << s.error().message;
  auto cert = *crypto::Certificate::from_der(s->cert_der);
  EXPECT_EQ(cert.subject().common_name, "localhost");
  EXPECT_EQ(cert.dns_names(), std::vector<std::string>{"localhost"});
  ASSERT_EQ(cert.ip_addresses().size(), 2u);
  EXPECT_EQ(cert.key_usage(), crypto::kKeyUsageDigitalSignature | crypto::kKeyUsageCertSign);
  EXPECT_EQ(cert.ext_key_usage().size(), 2u);
  EXPECT_EQ(cert.not_after(), kNow + 365 * kDay);
  EXPECT_EQ(s->valid_for, 365u);  // written back
  EXPECT_EQ(cert.issuer(), ca_->marble_root.subject());
  EXPECT_TRUE(cert.check_signature_from(ca_->intermediate_key.public_key()));
  EXPECT_EQ(cert.public_key().curve(), crypto::Curve::kP256);
  EXPECT_EQ(crypto::PublicKey::from_der(s->public_key)->to_der(), cert.public_key().to_der());
  EXPECT_TRUE(crypto::PrivateKey::from_pkcs8_der(s->private_key));
}

TEST_F(SecretGen, TemplateFieldsAndValidity) {
  auto d = def("cert-ed25519", 0, false);
  d.valid_for = 7;
  d.cert.subject.common_name = "svc";
  d.cert.dns_names = std::vector<std::string>{"a", "b"};
  d.cert.ext_key_usage = std::vector<crypto::ExtKeyUsage>{};  // explicitly empty: no default
  auto s = *generate_secret("e", d, std::nullopt, "", ctx());
  auto cert = *crypto::Certificate::from_der(s.cert_der);
  EXPECT_EQ(cert.subject().common_name, "svc");
  EXPECT_TRUE(cert.ext_key_usage().empty());
  EXPECT_EQ(cert.not_after(), kNow + 7 * kDay);
  EXPECT_EQ(cert.public_key().type(), crypto::KeyType::kEd25519);

  auto multi = def("cert-ecdsa", 384, true);
  multi.cert.dns_names = std::vector<std::string>{"a", "b"};
  EXPECT_EQ(
      crypto::Certificate::from_der(generate_secret("m", multi, std::nullopt, "", ctx())->cert_der)
          ->subject()
          .common_name,
      "MarbleRun Generated Certificate");

  auto fixed = def("cert-ecdsa", 256, true);
  fixed.cert.not_after = *parse_rfc3339("2030-01-01T00:00:00Z");
  auto kept = *generate_secret("f", fixed, std::nullopt, "", ctx());
  EXPECT_EQ(crypto::Certificate::from_der(kept.cert_der)->not_after(),
            *parse_rfc3339("2030-01-01T00:00:00Z"));
}

TEST_F(SecretGen, SizeErrors) {
  EXPECT_EQ(
      generate_secret("k", def("symmetric-key", 0, true), std::nullopt, "", ctx()).error().message,
      "invalid secret size: k");
  EXPECT_EQ(generate_secret("p", def("plain", 0, true), std::nullopt, "", ctx()).error().message,
            "secret p is invalid: unsupported secret of type plain");
}

}  // namespace
}  // namespace mr::core
