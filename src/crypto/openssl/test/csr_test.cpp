#include <gtest/gtest.h>
#include <openssl/core_names.h>

#include "crypto/openssl/impl.h"
#include "crypto/openssl/test/test_util.h"
#include "crypto/pem.h"
#include "crypto/x509.h"

namespace mr::crypto {
namespace {

DistinguishedName marble_subject() {
  DistinguishedName dn;
  dn.common_name = "marble";
  dn.organization = {"Edgeless"};
  return dn;
}

// self_signed_csr is a CSR for |key| signed by it with |md|, built by OpenSSL itself (for keys
// create_csr does not make); empty if OpenSSL refuses.
Bytes self_signed_csr(EVP_PKEY* key, const EVP_MD* md) {
  ossl::Ptr<X509_REQ> req(X509_REQ_new());
  if (!req || X509_REQ_set_pubkey(req.get(), key) != 1 || X509_REQ_sign(req.get(), key, md) <= 0) {
    return {};
  }
  return ossl::to_der<X509_REQ>(i2d_X509_REQ, req.get());
}

TEST(Csr, RoundTripWithSans) {
  const std::vector<std::string> dns = {"localhost", "backend.svc"};
  const std::vector<IpAddress> ips = {*IpAddress::parse("127.0.0.1"), *IpAddress::parse("::1")};
  for (const PrivateKey* key : {&testing::p384(), &testing::rsa2048(), &testing::ed25519()}) {
    auto der = create_csr(*key, marble_subject(), dns, ips);
    ASSERT_TRUE(der) << der.error().message;
    auto info = parse_csr(*der);
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->subject, marble_subject());
    EXPECT_EQ(info->dns_names, dns);
    EXPECT_EQ(info->ip_addresses, ips);
    EXPECT_TRUE(info->email_addresses.empty());
    EXPECT_EQ(info->public_key, key->public_key());
  }
}

TEST(Csr, WithoutSansHasNoExtensionRequest) {
  auto der = create_csr(testing::p256(), marble_subject(), {}, {});
  ASSERT_TRUE(der);
  const unsigned char* p = der->data();
  ossl::Ptr<X509_REQ> req(d2i_X509_REQ(nullptr, &p, static_cast<long>(der->size())));
  ASSERT_TRUE(req);
  EXPECT_EQ(X509_REQ_get_version(req.get()), 0);
  EXPECT_EQ(X509_REQ_get_attr_count(req.get()), 0);
  auto info = parse_csr(*der);
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->dns_names.empty());
  EXPECT_TRUE(info->ip_addresses.empty());
}

TEST(Csr, TamperedCsrIsRefused) {
  auto der = create_csr(testing::p256(), marble_subject(), {"localhost"}, {});
  ASSERT_TRUE(der);
  // Change the CN "marble" → "marbla" inside the signed part.
  Bytes body = *der;
  const std::string cn = "marble";
  auto it = std::search(body.begin(), body.end(), cn.begin(), cn.end());
  ASSERT_NE(it, body.end());
  it[5] = 'a';
  auto r = parse_csr(body);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(r.error().message, "signature over CSR is invalid");
  // Flip a bit in the signature (the last bytes of an ECDSA signature are in s).
  Bytes sig = *der;
  sig[sig.size() - 3] ^= 0x01;
  auto s = parse_csr(sig);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kPermissionDenied);
}

// An EC key given with explicit curve parameters instead of a curve name: Go refuses it
// ("x509: unsupported elliptic curve"), and so do parse_csr and Certificate::from_der.
TEST(Csr, ExplicitCurveParametersAreRefused) {
  ossl::Ptr<EVP_PKEY> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  ASSERT_TRUE(key);
  ASSERT_EQ(EVP_PKEY_set_utf8_string_param(key.get(), OSSL_PKEY_PARAM_EC_ENCODING,
                                           OSSL_PKEY_EC_ENCODING_EXPLICIT),
            1);
  auto info = parse_csr(self_signed_csr(key.get(), EVP_sha256()));
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(info.error().message, "parsing CSR: x509: unsupported elliptic curve");

  ossl::Ptr<X509> cert(X509_new());
  ASSERT_TRUE(cert);
  ASSERT_EQ(X509_set_version(cert.get(), 2), 1);
  ASSERT_EQ(X509_set_pubkey(cert.get(), key.get()), 1);
  ASSERT_TRUE(X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0));
  ASSERT_TRUE(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600));
  ASSERT_GT(X509_sign(cert.get(), key.get(), EVP_sha256()), 0);
  auto parsed = Certificate::from_der(ossl::to_der<X509>(i2d_X509, cert.get()));
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(parsed.error().message.find("unsupported elliptic curve"), std::string::npos)
      << parsed.error().message;
}

// Only an uncompressed point on a named curve takes parse_csr's direct import; every other key
// gets the answer a normal parse gives (a point off its curve, a compressed point).
TEST(Csr, PointsOffTheCurveAndCompressedPointsAreRefused) {
  auto der = create_csr(testing::p384(), marble_subject(), {}, {});
  ASSERT_TRUE(der);
  const Bytes point = detail::spki_key_bytes(testing::p384().public_key());
  ASSERT_EQ(point.size(), 97u);
  auto at = std::search(der->begin(), der->end(), point.begin(), point.end());
  ASSERT_NE(at, der->end());
  Bytes off_curve = *der;
  off_curve[static_cast<std::size_t>(at - der->begin()) + 96] ^= 0x01;  // last byte of y
  auto r = parse_csr(off_curve);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, "parsing CSR: x509: malformed or unsupported public key");

  ossl::Ptr<EVP_PKEY> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  ASSERT_TRUE(key);
  ASSERT_EQ(EVP_PKEY_set_utf8_string_param(key.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                           OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED),
            1);
  r = parse_csr(self_signed_csr(key.get(), EVP_sha384()));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, "parsing CSR: x509: unsupported elliptic curve point encoding");
}

TEST(Csr, MalformedCsrIsInvalidArgumentWithoutEcho) {
  auto der = create_csr(testing::p256(), marble_subject(), {}, {});
  ASSERT_TRUE(der);
  const Bytes truncated(der->begin(), der->end() - 4);
  Bytes trailing = *der;
  trailing.push_back(0);
  const std::string marker = "SECRETMARKER";
  const Bytes garbage = concat(testing::hex("308201"), as_bytes(marker));
  for (const Bytes& input : {truncated, trailing, garbage, Bytes{}}) {
    auto r = parse_csr(input);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_TRUE(r.error().message.starts_with("parsing CSR: ")) << r.error().message;
    EXPECT_EQ(r.error().message.find(marker), std::string::npos);
  }
}

TEST(Csr, OpensslCliVerifiesOurCsr) {
  if (!testing::have_openssl_cli()) GTEST_SKIP() << "openssl CLI not installed";
  mr::testing::TempDir dir;
  auto der = create_csr(testing::p384(), marble_subject(), {"localhost"},
                        {*IpAddress::parse("127.0.0.1")});
  ASSERT_TRUE(der);
  testing::write_file(dir / "csr.pem", pem_encode("CERTIFICATE REQUEST", *der));
  const auto r = testing::run("openssl req -verify -noout -text -in " + (dir / "csr.pem").string());
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("verify OK"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("DNS:localhost, IP Address:127.0.0.1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("ecdsa-with-SHA384"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace mr::crypto
