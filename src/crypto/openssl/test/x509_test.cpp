// create_certificate and Certificate parsing, checked field by field against Go's encodings.
// Expectations are read back with OpenSSL's own API (independent of our DER code) or compared
// with hand-encoded DER taken from Go's encoding rules.

#include "crypto/x509.h"

#include <gtest/gtest.h>

#include "crypto/hash.h"
#include "crypto/openssl/impl.h"
#include "crypto/openssl/test/test_util.h"
#include "crypto/pem.h"

namespace mr::crypto {
namespace {

using namespace std::chrono_literals;
using testing::hex;

const UnixTime kNow = *parse_rfc3339("2024-05-01T12:00:00Z");

CertTemplate base_template(std::string cn) {
  CertTemplate t;
  t.subject.common_name = std::move(cn);
  t.not_before = kNow;
  t.not_after = kNow + 24h;
  return t;
}

// MarbleRun's CA template (spec 8.1).
CertTemplate ca_template(std::string cn) {
  CertTemplate t = base_template(std::move(cn));
  t.key_usage = kKeyUsageDigitalSignature | kKeyUsageCertSign;
  t.ext_key_usage = {{ExtKeyUsage::kServerAuth, ExtKeyUsage::kClientAuth}};
  t.basic_constraints_valid = true;
  t.is_ca = true;
  t.dns_names = {{"localhost"}};
  t.ip_addresses = {{*IpAddress::parse("127.0.0.1"), *IpAddress::parse("::1")}};
  t.not_after = kNow + kGoMaxDuration;
  return t;
}

Certificate make(const CertTemplate& t, const PrivateKey& subject, const Certificate* parent,
                 const PrivateKey& signer) {
  auto cert = create_certificate(t, subject.public_key(), parent, signer);
  if (!cert) {
    ADD_FAILURE() << cert.error().message;
    std::abort();
  }
  return std::move(*cert);
}

ossl::Ptr<X509> openssl_parse(const Certificate& c) {
  const unsigned char* p = c.der().data();
  ossl::Ptr<X509> x(d2i_X509(nullptr, &p, static_cast<long>(c.der().size())));
  EXPECT_TRUE(x);
  return x;
}

// The extensions as OpenSSL sees them: (OID, critical, extnValue contents hex).
struct RawExt {
  std::string oid;
  bool critical;
  std::string value;
};
std::vector<RawExt> openssl_extensions(const Certificate& c) {
  auto x = openssl_parse(c);
  std::vector<RawExt> out;
  for (int i = 0; i < X509_get_ext_count(x.get()); ++i) {
    X509_EXTENSION* e = X509_get_ext(x.get(), i);
    char oid[80];
    OBJ_obj2txt(oid, sizeof oid, X509_EXTENSION_get_object(e), 1);
    const ASN1_OCTET_STRING* v = X509_EXTENSION_get_data(e);
    out.push_back({oid, X509_EXTENSION_get_critical(e) == 1,
                   hex_encode(ByteSpan(ASN1_STRING_get0_data(v),
                                       static_cast<std::size_t>(ASN1_STRING_length(v))))});
  }
  return out;
}

std::vector<std::string> oids(const std::vector<RawExt>& exts) {
  std::vector<std::string> out;
  for (const auto& e : exts)
    out.push_back(e.oid);
  return out;
}

const RawExt& find(const std::vector<RawExt>& exts, const std::string& oid) {
  for (const auto& e : exts) {
    if (e.oid == oid) return e;
  }
  ADD_FAILURE() << "missing extension " << oid;
  static const RawExt kNone{};
  return kNone;
}

std::string name_der_hex(X509_NAME* name) {
  return hex_encode(ossl::to_der<X509_NAME>(i2d_X509_NAME, name));
}

std::string sig_alg_hex(const Certificate& c) {
  auto x = openssl_parse(c);
  return hex_encode(ossl::to_der<X509_ALGOR>(i2d_X509_ALGOR, X509_get0_tbs_sigalg(x.get())));
}

std::string h(std::string_view s) {
  return hex_encode(as_bytes(s));
}

class CaChain : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const PrivateKey& root_key = testing::p384();
    const PrivateKey& inter_key = testing::p384_other();
    root_ =
        new Certificate(make(ca_template("MarbleRun Coordinator"), root_key, nullptr, root_key));
    inter_ = new Certificate(
        make(ca_template("MarbleRun Coordinator - Intermediate CA"), inter_key, root_, root_key));
    CertTemplate leaf = base_template("6f2b7ba1-0f69-4ad3-9b1c-5a2f8b6b4c11");
    leaf.key_usage = kKeyUsageDigitalSignature | kKeyUsageKeyAgreement;
    leaf.ext_key_usage = {{ExtKeyUsage::kServerAuth, ExtKeyUsage::kClientAuth}};
    leaf.basic_constraints_valid = true;
    leaf.dns_names = {{"backend.svc"}};
    leaf.extra_extensions = {Extension{"1.3.9903.2.1", false, to_bytes("backend")}};
    leaf.not_after = kNow + kGoMaxDuration;
    leaf_ = new Certificate(make(leaf, testing::p256(), inter_, inter_key));
  }
  static void TearDownTestSuite() {
    delete root_;
    delete inter_;
    delete leaf_;
  }
  static Certificate* root_;
  static Certificate* inter_;
  static Certificate* leaf_;
};
Certificate* CaChain::root_ = nullptr;
Certificate* CaChain::inter_ = nullptr;
Certificate* CaChain::leaf_ = nullptr;

constexpr const char* kSanLocalhost =
    "3023"
    "82096c6f63616c686f7374"
    "87047f000001"
    "871000000000000000000000000000000001";
constexpr const char* kEkuServerClient = "301406082b0601050507030106082b06010505070302";

TEST_F(CaChain, RootIsSelfSignedWithGoExtensions) {
  auto x = openssl_parse(*root_);
  EXPECT_EQ(X509_get_version(x.get()), 2);  // v3
  EXPECT_EQ(name_der_hex(X509_get_issuer_name(x.get())),
            name_der_hex(X509_get_subject_name(x.get())));
  EXPECT_EQ(sig_alg_hex(*root_), "300a06082a8648ce3d040303");  // ecdsa-with-SHA384
  const auto exts = openssl_extensions(*root_);
  // KeyUsage, ExtKeyUsage, BasicConstraints, SubjectKeyId, SAN: no AKI on a self-signed root.
  EXPECT_EQ(oids(exts), (std::vector<std::string>{"2.5.29.15", "2.5.29.37", "2.5.29.19",
                                                  "2.5.29.14", "2.5.29.17"}));
  EXPECT_TRUE(exts[0].critical);
  EXPECT_EQ(exts[0].value, "03020284");
  EXPECT_FALSE(exts[1].critical);
  EXPECT_EQ(exts[1].value, kEkuServerClient);
  EXPECT_TRUE(exts[2].critical);
  EXPECT_EQ(exts[2].value, "30030101ff");
  EXPECT_FALSE(exts[3].critical);
  // SKI = SHA-1 over the subjectPublicKey BIT STRING contents (RFC 5280 method 1, as Go).
  const Bytes spki = testing::p384().public_key().to_der();
  const Bytes point(spki.end() - 97, spki.end());
  ASSERT_EQ(point[0], 0x04);
  const Bytes ski = detail::sha1(point);
  EXPECT_EQ(exts[3].value, "0414" + hex_encode(ski));
  EXPECT_EQ(root_->subject_key_id(), ski);
  EXPECT_FALSE(exts[4].critical);
  EXPECT_EQ(exts[4].value, kSanLocalhost);
  EXPECT_TRUE(root_->check_signature_from(testing::p384().public_key()));
}

TEST_F(CaChain, IntermediateCarriesRootSkiAsAki) {
  auto x = openssl_parse(*inter_);
  auto root = openssl_parse(*root_);
  EXPECT_EQ(name_der_hex(X509_get_issuer_name(x.get())),
            name_der_hex(X509_get_subject_name(root.get())));
  const auto exts = openssl_extensions(*inter_);
  EXPECT_EQ(oids(exts), (std::vector<std::string>{"2.5.29.15", "2.5.29.37", "2.5.29.19",
                                                  "2.5.29.14", "2.5.29.35", "2.5.29.17"}));
  EXPECT_EQ(find(exts, "2.5.29.35").value, "30168014" + hex_encode(root_->subject_key_id()));
  EXPECT_FALSE(find(exts, "2.5.29.35").critical);
  EXPECT_EQ(inter_->authority_key_id(), root_->subject_key_id());
  EXPECT_NE(inter_->subject_key_id(), root_->subject_key_id());
  EXPECT_EQ(inter_->issuer(), root_->subject());
  EXPECT_TRUE(inter_->check_signature_from(testing::p384().public_key()));
  auto wrong = inter_->check_signature_from(testing::p384_other().public_key());
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kPermissionDenied);
}

TEST_F(CaChain, MarbleLeafFields) {
  const auto exts = openssl_extensions(*leaf_);
  // No SKI (not a CA); AKI from the parent; the raw MarbleRun extension comes last.
  EXPECT_EQ(oids(exts), (std::vector<std::string>{"2.5.29.15", "2.5.29.37", "2.5.29.19",
                                                  "2.5.29.35", "2.5.29.17", "1.3.9903.2.1"}));
  EXPECT_EQ(exts[0].value, "03020388");  // DigitalSignature | KeyAgreement
  EXPECT_EQ(exts[2].value, "3000");      // CA=false, no pathlen
  EXPECT_TRUE(exts[2].critical);
  EXPECT_EQ(exts[3].value, "30168014" + hex_encode(inter_->subject_key_id()));
  EXPECT_EQ(exts[5].value, h("backend"));  // raw UTF-8, not DER-wrapped
  EXPECT_FALSE(exts[5].critical);
  EXPECT_EQ(sig_alg_hex(*leaf_), "300a06082a8648ce3d040303");  // signer is P-384

  EXPECT_EQ(leaf_->key_usage(), kKeyUsageDigitalSignature | kKeyUsageKeyAgreement);
  EXPECT_EQ(leaf_->ext_key_usage(),
            (std::vector<ExtKeyUsage>{ExtKeyUsage::kServerAuth, ExtKeyUsage::kClientAuth}));
  EXPECT_TRUE(leaf_->basic_constraints_valid());
  EXPECT_FALSE(leaf_->is_ca());
  EXPECT_TRUE(leaf_->subject_key_id().empty());
  EXPECT_EQ(leaf_->authority_key_id(), inter_->subject_key_id());
  EXPECT_EQ(leaf_->dns_names(), std::vector<std::string>{"backend.svc"});
  EXPECT_TRUE(leaf_->ip_addresses().empty());
  EXPECT_EQ(leaf_->public_key(), testing::p256().public_key());
  EXPECT_EQ(leaf_->subject().common_name, "6f2b7ba1-0f69-4ad3-9b1c-5a2f8b6b4c11");
  EXPECT_EQ(leaf_->issuer().common_name, "MarbleRun Coordinator - Intermediate CA");

  auto marble_type = leaf_->extension("1.3.9903.2.1");
  ASSERT_TRUE(marble_type);
  EXPECT_EQ(to_string(marble_type->value), "backend");
  EXPECT_FALSE(marble_type->critical);
  EXPECT_FALSE(leaf_->extension("1.2.3.4"));
  const auto all = leaf_->extensions();
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(all[5], *marble_type);
  EXPECT_EQ(hex_encode(all[1].value), kEkuServerClient);
}

TEST_F(CaChain, ValidityOf292YearsUsesGeneralizedTime) {
  EXPECT_EQ(leaf_->not_before(), kNow);
  EXPECT_EQ(leaf_->not_after(), kNow + kGoMaxDuration);
  auto x = openssl_parse(*leaf_);
  const ASN1_TIME* nb = X509_get0_notBefore(x.get());
  const ASN1_TIME* na = X509_get0_notAfter(x.get());
  EXPECT_EQ(ASN1_STRING_type(nb), V_ASN1_UTCTIME);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(nb))), "240501120000Z");
  EXPECT_EQ(ASN1_STRING_type(na), V_ASN1_GENERALIZEDTIME);
  // 2024-05-01T12:00:00Z + 9223372036 s = 2316-08-11T11:47:16Z (Go: time.Add(math.MaxInt64)).
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(na))),
            "23160811114716Z");
  EXPECT_EQ(format_rfc3339(leaf_->not_after()), "2316-08-11T11:47:16Z");
}

TEST_F(CaChain, OpensslCliAcceptsTheChain) {
  if (!testing::have_openssl_cli()) GTEST_SKIP() << "openssl CLI not installed";
  mr::testing::TempDir dir;
  testing::write_file(dir / "root.pem", root_->pem());
  testing::write_file(dir / "inter.pem", inter_->pem());
  testing::write_file(dir / "leaf.pem", leaf_->pem());
  const auto verify = testing::run(
      "openssl verify -attime " + std::to_string((kNow + 1h).time_since_epoch().count()) +
      " -CAfile " + (dir / "root.pem").string() + " -untrusted " + (dir / "inter.pem").string() +
      " " + (dir / "leaf.pem").string());
  EXPECT_EQ(verify.status, 0) << verify.output;
  EXPECT_NE(verify.output.find(": OK"), std::string::npos) << verify.output;
  const auto text = testing::run("openssl x509 -noout -text -in " + (dir / "leaf.pem").string());
  ASSERT_EQ(text.status, 0) << text.output;
  EXPECT_NE(text.output.find("X509v3 Key Usage: critical"), std::string::npos);
  EXPECT_NE(text.output.find("Digital Signature, Key Agreement"), std::string::npos);
  EXPECT_NE(text.output.find("X509v3 Basic Constraints: critical"), std::string::npos);
  EXPECT_NE(text.output.find("TLS Web Server Authentication, TLS Web Client Authentication"),
            std::string::npos);
  EXPECT_NE(text.output.find("DNS:backend.svc"), std::string::npos);
  EXPECT_NE(text.output.find("1.3.9903.2.1"), std::string::npos);
  EXPECT_NE(text.output.find("backend"), std::string::npos);
  EXPECT_NE(text.output.find("Not After : Aug 11 11:47:16 2316 GMT"), std::string::npos)
      << text.output;
  EXPECT_NE(text.output.find("Signature Algorithm: ecdsa-with-SHA384"), std::string::npos);
}

TEST(Certificate, SubjectUsesGoAttributeOrderAndStringTypes) {
  CertTemplate t = base_template("name");
  t.subject.country = {"DE"};
  t.subject.province = {"Bavaria"};
  t.subject.locality = {"M\xc3\xbcnchen"};
  t.subject.street_address = {"Main St 1"};
  t.subject.postal_code = {"80331"};
  t.subject.organization = {"b-org", "a-org"};
  t.subject.organizational_unit = {"OU*"};
  t.subject.serial_number = "42";
  t.subject.extra_names = {{"2.5.4.42", "Given"}};
  const Certificate cert = make(t, testing::p256(), nullptr, testing::p256());
  auto x = openssl_parse(cert);
  X509_NAME* name = X509_get_subject_name(x.get());
  struct Entry {
    int nid, rdn, type;
    std::string value;
  };
  const std::vector<Entry> expected = {
      {NID_countryName, 0, V_ASN1_PRINTABLESTRING, "DE"},
      {NID_stateOrProvinceName, 1, V_ASN1_PRINTABLESTRING, "Bavaria"},
      {NID_localityName, 2, V_ASN1_UTF8STRING, "M\xc3\xbcnchen"},
      {NID_streetAddress, 3, V_ASN1_PRINTABLESTRING, "Main St 1"},
      {NID_postalCode, 4, V_ASN1_PRINTABLESTRING, "80331"},
      {NID_organizationName, 5, V_ASN1_PRINTABLESTRING, "a-org"},  // one RDN, DER-sorted
      {NID_organizationName, 5, V_ASN1_PRINTABLESTRING, "b-org"},
      {NID_organizationalUnitName, 6, V_ASN1_UTF8STRING, "OU*"},  // '*' is not printable
      {NID_commonName, 7, V_ASN1_PRINTABLESTRING, "name"},
      {NID_serialNumber, 8, V_ASN1_PRINTABLESTRING, "42"},
      {NID_givenName, 9, V_ASN1_PRINTABLESTRING, "Given"},
  };
  ASSERT_EQ(X509_NAME_entry_count(name), static_cast<int>(expected.size()));
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    SCOPED_TRACE(i);
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    const ASN1_STRING* v = X509_NAME_ENTRY_get_data(e);
    EXPECT_EQ(OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)), expected[i].nid);
    EXPECT_EQ(X509_NAME_ENTRY_set(e), expected[i].rdn);
    EXPECT_EQ(ASN1_STRING_type(v), expected[i].type);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(v)),
                          static_cast<std::size_t>(ASN1_STRING_length(v))),
              expected[i].value);
  }
  // Parsing gives the same name back (multi-valued attributes in DER order).
  DistinguishedName back = t.subject;
  back.organization = {"a-org", "b-org"};
  EXPECT_EQ(cert.subject(), back);
  EXPECT_EQ(cert.issuer(), back);
}

TEST(Certificate, SimpleSubjectDerAndExtraNameOverride) {
  const Certificate simple = make(base_template("x"), testing::p256(), nullptr, testing::p256());
  auto x = openssl_parse(simple);
  EXPECT_EQ(name_der_hex(X509_get_subject_name(x.get())), "300c310a30080603550403130178");

  CertTemplate t = base_template("replaced");
  t.subject.extra_names = {{"2.5.4.3", "override"}};
  const Certificate cert = make(t, testing::p256(), nullptr, testing::p256());
  EXPECT_EQ(cert.subject().common_name, "override");
  EXPECT_TRUE(cert.subject().extra_names.empty());
  auto y = openssl_parse(cert);
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(y.get())), 1);
}

TEST(Certificate, EmptySubjectMakesSanCritical) {
  CertTemplate t = base_template("");
  t.dns_names = {{"only.example"}};
  const Certificate cert = make(t, testing::p256(), nullptr, testing::p256());
  auto x = openssl_parse(cert);
  EXPECT_EQ(name_der_hex(X509_get_subject_name(x.get())), "3000");
  const auto exts = openssl_extensions(cert);
  ASSERT_EQ(exts.size(), 1u);
  EXPECT_EQ(exts[0].oid, "2.5.29.17");
  EXPECT_TRUE(exts[0].critical);
  EXPECT_TRUE(cert.subject().empty());

  CertTemplate named = base_template("n");
  named.dns_names = {{"only.example"}};
  EXPECT_FALSE(
      openssl_extensions(make(named, testing::p256(), nullptr, testing::p256()))[0].critical);
}

TEST(Certificate, TimeEncodingsFollowRfc5280) {
  struct Case {
    const char* time;
    int type;
    const char* encoded;
  };
  const Case cases[] = {
      {"1949-12-31T23:59:59Z", V_ASN1_GENERALIZEDTIME, "19491231235959Z"},
      {"1950-01-01T00:00:00Z", V_ASN1_UTCTIME, "500101000000Z"},
      {"2049-12-31T23:59:59Z", V_ASN1_UTCTIME, "491231235959Z"},
      {"2050-01-01T00:00:00Z", V_ASN1_GENERALIZEDTIME, "20500101000000Z"},
      {"2262-04-11T23:47:17Z", V_ASN1_GENERALIZEDTIME, "22620411234717Z"},  // past int64 ns
      {"2500-03-01T08:00:00Z", V_ASN1_GENERALIZEDTIME, "25000301080000Z"},
      {"9999-12-31T23:59:59Z", V_ASN1_GENERALIZEDTIME, "99991231235959Z"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.time);
    auto when = parse_rfc3339(c.time);
    ASSERT_TRUE(when);
    CertTemplate t = base_template("t");
    t.not_before = *when;
    t.not_after = *when;
    const Certificate cert = make(t, testing::p256(), nullptr, testing::p256());
    auto x = openssl_parse(cert);
    const ASN1_TIME* na = X509_get0_notAfter(x.get());
    EXPECT_EQ(ASN1_STRING_type(na), c.type);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(na))), c.encoded);
    EXPECT_EQ(cert.not_before(), *when);
    EXPECT_EQ(cert.not_after(), *when);
  }
  CertTemplate far = base_template("t");
  far.not_after = UnixTime(std::chrono::seconds(253402300800LL));  // year 10000
  auto refused = create_certificate(far, testing::p256().public_key(), nullptr, testing::p256());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
}

TEST(Certificate, SerialNumbers) {
  CertTemplate t = base_template("s");
  t.serial_number = {0x80};
  const Certificate high_bit = make(t, testing::p256(), nullptr, testing::p256());
  auto x = openssl_parse(high_bit);
  EXPECT_EQ(
      hex_encode(ossl::to_der<ASN1_INTEGER>(i2d_ASN1_INTEGER, X509_get0_serialNumber(x.get()))),
      "02020080");  // positive INTEGER
  EXPECT_EQ(high_bit.serial_number(), Bytes{0x80});

  t.serial_number = {0x00, 0x00, 0x2a};
  EXPECT_EQ(make(t, testing::p256(), nullptr, testing::p256()).serial_number(), Bytes{0x2a});

  t.serial_number.clear();  // random in [0, 2^128)
  const Certificate a = make(t, testing::p256(), nullptr, testing::p256());
  const Certificate b = make(t, testing::p256(), nullptr, testing::p256());
  EXPECT_LE(a.serial_number().size(), 16u);
  EXPECT_NE(a.serial_number(), b.serial_number());
  auto y = openssl_parse(a);
  EXPECT_EQ(ASN1_STRING_type(X509_get0_serialNumber(y.get())), V_ASN1_INTEGER);
}

TEST(Certificate, DefaultSignatureAlgorithmBySignerKey) {
  const struct {
    const PrivateKey& key;
    const char* alg_hex;
  } cases[] = {
      {testing::p224(), "300a06082a8648ce3d040302"},
      {testing::p256(), "300a06082a8648ce3d040302"},
      {testing::p384(), "300a06082a8648ce3d040303"},
      {testing::p521(), "300a06082a8648ce3d040304"},
      {testing::rsa2048(), "300d06092a864886f70d01010b0500"},
      {testing::ed25519(), "300506032b6570"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.alg_hex);
    const Certificate cert = make(base_template("alg"), c.key, nullptr, c.key);
    EXPECT_EQ(sig_alg_hex(cert), c.alg_hex);
    EXPECT_EQ(cert.to_template().signature_algorithm,
              c.key.type() == KeyType::kRsa                ? 4
              : c.key.type() == KeyType::kEd25519          ? 16
              : c.key.public_key().curve() == Curve::kP384 ? 11
              : c.key.public_key().curve() == Curve::kP521 ? 12
                                                           : 10);
    EXPECT_TRUE(cert.check_signature_from(c.key.public_key()));
  }
}

TEST(Certificate, RequestedSignatureAlgorithms) {
  const struct {
    const PrivateKey& key;
    int requested;
    const char* alg_hex;
  } cases[] = {
      {testing::rsa2048(), 5, "300d06092a864886f70d01010c0500"},
      {testing::rsa2048(), 6, "300d06092a864886f70d01010d0500"},
      {testing::p256(), 12, "300a06082a8648ce3d040304"},
      {testing::p384(), 10, "300a06082a8648ce3d040302"},
      {testing::ed25519(), 16, "300506032b6570"},
      // RSA-PSS with exactly Go's hashToPSSParameters (NULL hash params, MGF1 with the same hash).
      {testing::rsa2048(), 13,
       "304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d"
       "010108300d06096086480165030402010500a203020120"},
      {testing::rsa2048(), 14,
       "304106092a864886f70d01010a3034a00f300d06096086480165030402020500a11c301a06092a864886f70d"
       "010108300d06096086480165030402020500a203020130"},
      {testing::rsa2048(), 15,
       "304106092a864886f70d01010a3034a00f300d06096086480165030402030500a11c301a06092a864886f70d"
       "010108300d06096086480165030402030500a203020140"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.requested);
    CertTemplate t = base_template("alg");
    t.signature_algorithm = c.requested;
    const Certificate cert = make(t, c.key, nullptr, c.key);
    EXPECT_EQ(sig_alg_hex(cert), c.alg_hex);
    EXPECT_EQ(cert.to_template().signature_algorithm, c.requested);
    EXPECT_TRUE(cert.check_signature_from(c.key.public_key()));
  }
  const struct {
    const PrivateKey& key;
    int requested;
  } refused[] = {{testing::rsa2048(), 10}, {testing::p256(), 4},    {testing::p256(), 16},
                 {testing::ed25519(), 11}, {testing::rsa2048(), 3}, {testing::rsa2048(), 2},
                 {testing::rsa2048(), 1},  {testing::p256(), 9},    {testing::p256(), 7},
                 {testing::p256(), 17},    {testing::p256(), -1}};
  for (const auto& c : refused) {
    SCOPED_TRACE(c.requested);
    CertTemplate t = base_template("alg");
    t.signature_algorithm = c.requested;
    auto r = create_certificate(t, c.key.public_key(), nullptr, c.key);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  }
}

CertTemplate everything_template() {
  CertTemplate t = base_template("all");
  t.key_usage = kKeyUsageDigitalSignature | kKeyUsageCertSign;
  t.ext_key_usage = {{ExtKeyUsage::kServerAuth}};
  t.unknown_ext_key_usage = {"1.2.3.4"};
  t.basic_constraints_valid = true;
  t.is_ca = true;
  t.max_path_len = 2;
  t.subject_key_id = {1, 2, 3, 4};
  t.authority_key_id = {9, 9};
  t.ocsp_server = {"http://o"};
  t.issuing_certificate_url = {"http://i"};
  t.dns_names = {{"a.example"}};
  t.email_addresses = {"m@example.com"};
  t.ip_addresses = {{*IpAddress::parse("10.0.0.1")}};
  t.uris = {"spiffe://x/y"};
  t.permitted_dns_domains = {".example.com"};
  t.excluded_ip_ranges = {IpNet{*IpAddress::parse("10.1.2.3"), {0xff, 0, 0, 0}}};
  t.crl_distribution_points = {"http://c"};
  t.policy_identifiers = {"2.23.140.1.2.1"};
  t.extra_extensions = {Extension{"1.3.9903.2.1", false, to_bytes("x")}};
  return t;
}

TEST(Certificate, ExtensionOrderAndValuesMatchGoBuildCertExtensions) {
  const Certificate cert =
      make(everything_template(), testing::ed25519(), nullptr, testing::ed25519());
  const auto exts = openssl_extensions(cert);
  EXPECT_EQ(oids(exts),
            (std::vector<std::string>{"2.5.29.15", "2.5.29.37", "2.5.29.19", "2.5.29.14",
                                      "2.5.29.35", "1.3.6.1.5.5.7.1.1", "2.5.29.17", "2.5.29.32",
                                      "2.5.29.30", "2.5.29.31", "1.3.9903.2.1"}));
  EXPECT_EQ(find(exts, "2.5.29.37").value,
            "300f06082b06010505070301"
            "06032a0304");
  EXPECT_EQ(find(exts, "2.5.29.19").value, "30060101ff020102");
  EXPECT_EQ(find(exts, "2.5.29.14").value, "040401020304");
  // Self-signed: the template's AuthorityKeyId is used as is.
  EXPECT_EQ(find(exts, "2.5.29.35").value, "300480020909");
  EXPECT_EQ(find(exts, "1.3.6.1.5.5.7.1.1").value,
            "302c3014"
            "06082b06010505073001"
            "8608" +
                h("http://o") + "3014" +
                "06082b06010505073002"
                "8608" +
                h("http://i"));
  EXPECT_EQ(find(exts, "2.5.29.17").value,
            "302e"
            "8209" +
                h("a.example") + "810d" + h("m@example.com") +
                "87040a000001"
                "860c" +
                h("spiffe://x/y"));
  EXPECT_EQ(find(exts, "2.5.29.32").value, "300a3008060667810c010201");
  EXPECT_EQ(find(exts, "2.5.29.30").value,
            "3020a010300e820c" + h(".example.com") + "a10c300a87080a000000ff000000");
  EXPECT_FALSE(find(exts, "2.5.29.30").critical);
  EXPECT_EQ(find(exts, "2.5.29.31").value, "3010300ea00ca00a8608" + h("http://c"));
}

TEST(Certificate, ToTemplateReissuesAnIdenticalCertificate) {
  // Ed25519 signatures are deterministic, so re-issuing from the parsed template must give the
  // same bytes: every field Go copies survives the round trip.
  CertTemplate t = everything_template();
  t.permitted_dns_domains_critical = true;
  t.subject.organization = {"o1", "o2"};
  t.subject.extra_names = {{"1.2.840.113549.1.9.1", "admin@example.com"}};
  t.ip_addresses->push_back(*IpAddress::parse("2001:db8::1"));
  t.permitted_ip_ranges = {IpNet{*IpAddress::parse("2001:db8::"), Bytes(8, 0xff)}};
  t.permitted_ip_ranges[0].mask.resize(16, 0);
  t.excluded_email_addresses = {"bad.example"};
  t.permitted_uri_domains = {".svc"};
  t.serial_number = {0x01, 0x02};
  t.signature_algorithm = 16;
  const Certificate cert = make(t, testing::ed25519(), nullptr, testing::ed25519());
  CertTemplate back = cert.to_template();
  EXPECT_TRUE(back.extra_extensions.empty());  // like Go: ExtraExtensions is not filled
  EXPECT_EQ(back.subject, t.subject);
  EXPECT_EQ(back.serial_number, t.serial_number);
  EXPECT_EQ(back.not_before, t.not_before);
  EXPECT_EQ(back.not_after, t.not_after);
  EXPECT_EQ(back.key_usage, t.key_usage);
  EXPECT_EQ(back.ext_key_usage, t.ext_key_usage);
  EXPECT_EQ(back.unknown_ext_key_usage, t.unknown_ext_key_usage);
  EXPECT_TRUE(back.basic_constraints_valid);
  EXPECT_TRUE(back.is_ca);
  EXPECT_EQ(back.max_path_len, 2);
  EXPECT_FALSE(back.max_path_len_zero);
  EXPECT_EQ(back.subject_key_id, t.subject_key_id);
  EXPECT_EQ(back.authority_key_id, t.authority_key_id);
  EXPECT_EQ(back.ocsp_server, t.ocsp_server);
  EXPECT_EQ(back.issuing_certificate_url, t.issuing_certificate_url);
  EXPECT_EQ(back.dns_names, t.dns_names);
  EXPECT_EQ(back.email_addresses, t.email_addresses);
  EXPECT_EQ(back.ip_addresses, t.ip_addresses);
  EXPECT_EQ(back.uris, t.uris);
  EXPECT_TRUE(back.permitted_dns_domains_critical);
  EXPECT_EQ(back.permitted_dns_domains, t.permitted_dns_domains);
  EXPECT_EQ(back.permitted_ip_ranges, t.permitted_ip_ranges);
  EXPECT_EQ(back.excluded_ip_ranges[0].ip, *IpAddress::parse("10.0.0.0"));  // masked, as Go
  EXPECT_EQ(back.excluded_email_addresses, t.excluded_email_addresses);
  EXPECT_EQ(back.permitted_uri_domains, t.permitted_uri_domains);
  EXPECT_EQ(back.crl_distribution_points, t.crl_distribution_points);
  EXPECT_EQ(back.policy_identifiers, t.policy_identifiers);
  EXPECT_EQ(back.signature_algorithm, 16);

  back.extra_extensions = t.extra_extensions;
  const Certificate again = make(back, testing::ed25519(), nullptr, testing::ed25519());
  EXPECT_EQ(hex_encode(again.der()), hex_encode(cert.der()));
}

TEST(Certificate, ToTemplateKeepsGoNilSemantics) {
  // No SAN and no EKU in the certificate: Go leaves DNSNames/IPAddresses/ExtKeyUsage nil, so
  // MarbleRun's defaults apply again when the certificate is reused as a template.
  CertTemplate t = base_template("plain");
  t.basic_constraints_valid = true;
  const Certificate cert = make(t, testing::p256(), nullptr, testing::p256());
  const CertTemplate back = cert.to_template();
  EXPECT_FALSE(back.dns_names.has_value());
  EXPECT_FALSE(back.ip_addresses.has_value());
  EXPECT_FALSE(back.ext_key_usage.has_value());
  EXPECT_EQ(back.max_path_len, -1);  // Go: absent pathLen parses as -1
  EXPECT_FALSE(back.max_path_len_zero);
  EXPECT_TRUE(create_certificate(back, testing::p256().public_key(), nullptr, testing::p256()));
}

TEST(Certificate, KeyUsageBitStrings) {
  const struct {
    unsigned usage;
    const char* value;
  } cases[] = {{kKeyUsageDigitalSignature | kKeyUsageCertSign, "03020284"},
               {kKeyUsageDigitalSignature | kKeyUsageKeyAgreement, "03020388"},
               {kKeyUsageCrlSign, "03020102"},
               {0xff, "030200ff"},
               {kKeyUsageDecipherOnly, "0303070080"},
               {0x1ff, "030307ff80"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.usage);
    CertTemplate t = base_template("ku");
    t.key_usage = c.usage;
    const Certificate cert = make(t, testing::p256(), nullptr, testing::p256());
    const auto exts = openssl_extensions(cert);
    ASSERT_EQ(exts.size(), 1u);
    EXPECT_TRUE(exts[0].critical);
    EXPECT_EQ(exts[0].value, c.value);
    EXPECT_EQ(cert.key_usage(), c.usage);
  }
}

TEST(Certificate, BasicConstraintsPathLength) {
  const struct {
    bool is_ca;
    int max_path_len;
    bool zero;
    const char* value;
    int parsed;
  } cases[] = {{true, 0, false, "30030101ff", -1},     {true, -1, false, "30030101ff", -1},
               {true, 0, true, "30060101ff020100", 0}, {true, 3, false, "30060101ff020103", 3},
               {false, 0, false, "3000", -1},          {false, -1, false, "3000", -1}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.value);
    CertTemplate t = base_template("bc");
    t.basic_constraints_valid = true;
    t.is_ca = c.is_ca;
    t.max_path_len = c.max_path_len;
    t.max_path_len_zero = c.zero;
    const Certificate cert = make(t, testing::p256(), nullptr, testing::p256());
    EXPECT_EQ(find(openssl_extensions(cert), "2.5.29.19").value, c.value);
    EXPECT_EQ(cert.to_template().max_path_len, c.parsed);
    EXPECT_EQ(cert.to_template().max_path_len_zero, c.parsed == 0);
    EXPECT_EQ(cert.is_ca(), c.is_ca);
  }
  CertTemplate bad = base_template("bc");
  bad.basic_constraints_valid = true;
  bad.max_path_len = 1;
  EXPECT_EQ(
      create_certificate(bad, testing::p256().public_key(), nullptr, testing::p256()).error().code,
      ErrorCode::kInvalidArgument);
  bad.max_path_len = 0;
  bad.max_path_len_zero = true;
  EXPECT_EQ(
      create_certificate(bad, testing::p256().public_key(), nullptr, testing::p256()).error().code,
      ErrorCode::kInvalidArgument);
  // Without basic_constraints_valid there is no extension, but a CA still gets an SKI (as Go).
  CertTemplate no_bc = base_template("bc");
  no_bc.is_ca = true;
  const auto exts = openssl_extensions(make(no_bc, testing::p256(), nullptr, testing::p256()));
  EXPECT_EQ(oids(exts), std::vector<std::string>{"2.5.29.14"});
}

TEST(Certificate, AuthorityKeyIdRules) {
  const PrivateKey& key = testing::p256();
  // A parent without SKI: the template's AuthorityKeyId is used.
  CertTemplate parent_t = base_template("parent");
  const Certificate parent = make(parent_t, key, nullptr, key);
  ASSERT_TRUE(parent.subject_key_id().empty());
  CertTemplate child = base_template("child");
  child.authority_key_id = {7, 7, 7};
  EXPECT_EQ(make(child, testing::p384(), &parent, key).authority_key_id(), (Bytes{7, 7, 7}));
  child.authority_key_id.clear();
  EXPECT_FALSE(make(child, testing::p384(), &parent, key).extension("2.5.29.35"));

  // Self-issued (issuer name == subject name): the parent's SKI is not used.
  CertTemplate ca = base_template("same");
  ca.is_ca = true;
  ca.basic_constraints_valid = true;
  const Certificate ca_cert = make(ca, key, nullptr, key);
  ASSERT_FALSE(ca_cert.subject_key_id().empty());
  CertTemplate same = base_template("same");
  EXPECT_FALSE(make(same, testing::p384(), &ca_cert, key).extension("2.5.29.35"));
  same.subject.common_name = "other";
  EXPECT_EQ(make(same, testing::p384(), &ca_cert, key).authority_key_id(),
            ca_cert.subject_key_id());

  // A template SKI wins over the derived one, and a non-CA may carry one.
  CertTemplate with_ski = base_template("ski");
  with_ski.subject_key_id = {0xaa};
  with_ski.is_ca = true;
  EXPECT_EQ(make(with_ski, key, nullptr, key).subject_key_id(), Bytes{0xaa});
  with_ski.is_ca = false;
  EXPECT_EQ(make(with_ski, key, nullptr, key).subject_key_id(), Bytes{0xaa});
}

TEST(Certificate, ExtraExtensionReplacesBuiltin) {
  CertTemplate t = base_template("extra");
  t.key_usage = kKeyUsageDigitalSignature;
  t.dns_names = {{"a"}};
  t.extra_extensions = {Extension{"2.5.29.15", true, hex("03020780")}};
  const Certificate cert = make(t, testing::p256(), nullptr, testing::p256());
  const auto exts = openssl_extensions(cert);
  EXPECT_EQ(oids(exts), (std::vector<std::string>{"2.5.29.17", "2.5.29.15"}));
  EXPECT_EQ(exts[1].value, "03020780");
  EXPECT_EQ(cert.key_usage(), kKeyUsageDigitalSignature);

  t.extra_extensions.push_back(Extension{"2.5.29.15", false, hex("03020780")});
  auto dup = create_certificate(t, testing::p256().public_key(), nullptr, testing::p256());
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kInvalidArgument);
  t.extra_extensions = {Extension{"not.an.oid", false, {}}};
  EXPECT_EQ(
      create_certificate(t, testing::p256().public_key(), nullptr, testing::p256()).error().code,
      ErrorCode::kInvalidArgument);
}

TEST(Certificate, CreateRefusesBadInput) {
  const PrivateKey& key = testing::p256();
  CertTemplate t = base_template("x");
  t.not_before.reset();
  EXPECT_EQ(create_certificate(t, key.public_key(), nullptr, key).error().code,
            ErrorCode::kInvalidArgument);
  t = base_template("x");
  t.not_after.reset();
  EXPECT_EQ(create_certificate(t, key.public_key(), nullptr, key).error().code,
            ErrorCode::kInvalidArgument);
  // The signer must match the parent's key (or the subject key when self-signed).
  t = base_template("x");
  auto self = create_certificate(t, key.public_key(), nullptr, testing::p384());
  ASSERT_FALSE(self);
  EXPECT_EQ(self.error().code, ErrorCode::kInvalidArgument);
  const Certificate parent = make(base_template("p"), key, nullptr, key);
  auto child = create_certificate(t, testing::p384().public_key(), &parent, testing::p384());
  ASSERT_FALSE(child);
  EXPECT_EQ(child.error().code, ErrorCode::kInvalidArgument);
  // Strings that cannot be encoded.
  t.subject.common_name = "bad \xff utf8";
  EXPECT_EQ(create_certificate(t, key.public_key(), nullptr, key).error().code,
            ErrorCode::kInvalidArgument);
  t = base_template("x");
  t.dns_names = {
      {"b\xc3\xa4"
       "d.example"}};
  EXPECT_EQ(create_certificate(t, key.public_key(), nullptr, key).error().code,
            ErrorCode::kInvalidArgument);
  t = base_template("x");
  t.ext_key_usage = {{static_cast<ExtKeyUsage>(42)}};
  EXPECT_EQ(create_certificate(t, key.public_key(), nullptr, key).error().code,
            ErrorCode::kInvalidArgument);
}

TEST(Certificate, IpAddressesAreEncodedLikeGo) {
  CertTemplate t = base_template("ip");
  // An IPv4-mapped IPv6 address is encoded in 4 bytes (Go's To4()).
  const Bytes mapped = hex("00000000000000000000ffffc0a80001");
  t.ip_addresses = {{*IpAddress::from_bytes(mapped), *IpAddress::parse("fe80::1")}};
  const Certificate cert = make(t, testing::p256(), nullptr, testing::p256());
  EXPECT_EQ(find(openssl_extensions(cert), "2.5.29.17").value,
            "30188704c0a800018710fe800000000000000000000000000001");
  ASSERT_EQ(cert.ip_addresses().size(), 2u);
  EXPECT_EQ(cert.ip_addresses()[0].to_string(), "192.168.0.1");
  EXPECT_EQ(cert.ip_addresses()[1].to_string(), "fe80::1");
}

TEST(Certificate, PemParsing) {
  const Certificate cert = make(base_template("pem"), testing::p256(), nullptr, testing::p256());
  const std::string pem = cert.pem();
  EXPECT_TRUE(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
  auto back = Certificate::from_pem("preamble\n" + pem);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, cert);
  // The first block is used whatever its type (as MarbleRun does for user certificates).
  auto odd = Certificate::from_pem(pem_encode("TRUSTED CERTIFICATE", cert.der()));
  ASSERT_TRUE(odd);
  EXPECT_EQ(*odd, cert);
  EXPECT_EQ(Certificate::from_pem("no pem here").error().code, ErrorCode::kInvalidArgument);

  const Certificate other = make(base_template("other"), testing::p384(), nullptr, testing::p384());
  auto chain =
      Certificate::chain_from_pem(pem + std::string(testing::p256().to_pem().view()) + other.pem());
  ASSERT_TRUE(chain);
  ASSERT_EQ(chain->size(), 2u);
  EXPECT_EQ((*chain)[0], cert);
  EXPECT_EQ((*chain)[1], other);
  auto broken = Certificate::chain_from_pem(pem + pem_encode("CERTIFICATE", Bytes{0x30, 0x00}));
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code, ErrorCode::kInvalidArgument);
}

TEST(Certificate, MalformedInputIsRefusedWithoutEcho) {
  const Certificate cert = make(base_template("m"), testing::p256(), nullptr, testing::p256());
  Bytes trailing = cert.der();
  trailing.push_back(0);
  EXPECT_EQ(Certificate::from_der(trailing).error().code, ErrorCode::kInvalidArgument);
  Bytes truncated(cert.der().begin(), cert.der().end() - 5);
  EXPECT_EQ(Certificate::from_der(truncated).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(Certificate::from_der({}).error().code, ErrorCode::kInvalidArgument);

  const std::string marker = "SECRETMARKER";
  const Bytes garbage = concat(hex("308201"), as_bytes(marker));
  for (const Error& e : {Certificate::from_der(garbage).error(),
                         Certificate::from_pem(pem_encode("CERTIFICATE", garbage)).error(),
                         Certificate::from_pem(marker).error()}) {
    EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(e.message.find(marker), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find(hex_encode(as_bytes(marker))), std::string::npos) << e.message;
  }
}

TEST(Certificate, CopiesShareAndCompareByDer) {
  const Certificate a = make(base_template("c"), testing::p256(), nullptr, testing::p256());
  const Certificate b = a;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(a, b);
  EXPECT_EQ(&a.impl(), &b.impl());
  auto reparsed = Certificate::from_der(a.der());
  ASSERT_TRUE(reparsed);
  EXPECT_EQ(*reparsed, a);
}

// create_certificate decodes its fields from the certificate it built (no re-parse): they must
// be exactly what parsing its DER gives, and OpenSSL operations on it (which parse it on first
// use) must work.
TEST(Certificate, CreatedCertificateEqualsItsParsedDer) {
  CertTemplate t = everything_template();
  t.serial_number = {0x01, 0x02};
  for (const PrivateKey* key : {&testing::p384(), &testing::rsa2048(), &testing::ed25519()}) {
    const Certificate made = make(t, *key, nullptr, *key);
    auto parsed = Certificate::from_der(made.der());
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(made.to_template(), parsed->to_template());
    EXPECT_EQ(made.issuer(), parsed->issuer());
    EXPECT_EQ(made.serial_number(), parsed->serial_number());
    EXPECT_EQ(made.extensions(), parsed->extensions());
    EXPECT_EQ(made.public_key(), parsed->public_key());
    EXPECT_EQ(made.public_key().to_der(), key->public_key().to_der());
    EXPECT_TRUE(made.check_signature_from(key->public_key()));
    EXPECT_TRUE(
        verify_chain(made, {}, {made}, *t.not_before + std::chrono::seconds(1), ExtKeyUsage::kAny));
  }
}

}  // namespace
}  // namespace mr::crypto
