#pragma once
// X.509 certificates and CSRs, modelled on Go's crypto/x509 so that manifest `Cert` templates
// (Go field names) map 1:1.
//
//   CertTemplate t;
//   t.subject.common_name = "MarbleRun Coordinator";
//   t.not_before = clock.now(); t.not_after = *t.not_before + kGoMaxDuration;
//   t.key_usage = kKeyUsageDigitalSignature | kKeyUsageCertSign;
//   t.basic_constraints_valid = true; t.is_ca = true;
//   MR_ASSIGN_OR_RETURN(Certificate root, create_certificate(t, key.public_key(), nullptr, key));

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/ip_address.h"
#include "base/result.h"
#include "crypto/keys.h"

namespace mr::crypto {

// Key usage bits, Go's x509.KeyUsage values.
enum : unsigned {
  kKeyUsageDigitalSignature = 1,
  kKeyUsageContentCommitment = 2,
  kKeyUsageKeyEncipherment = 4,
  kKeyUsageDataEncipherment = 8,
  kKeyUsageKeyAgreement = 16,
  kKeyUsageCertSign = 32,
  kKeyUsageCrlSign = 64,
  kKeyUsageEncipherOnly = 128,
  kKeyUsageDecipherOnly = 256,
};

// ExtKeyUsage values, Go's x509.ExtKeyUsage numbering (the manifest's JSON integers).
enum class ExtKeyUsage : int {
  kAny = 0,
  kServerAuth = 1,
  kClientAuth = 2,
  kCodeSigning = 3,
  kEmailProtection = 4,
  kIpsecEndSystem = 5,
  kIpsecTunnel = 6,
  kIpsecUser = 7,
  kTimeStamping = 8,
  kOcspSigning = 9,
  kMicrosoftServerGatedCrypto = 10,
  kNetscapeServerGatedCrypto = 11,
  kMicrosoftCommercialCodeSigning = 12,
  kMicrosoftKernelCodeSigning = 13,
};

// Oid is a dotted-decimal object identifier, e.g. "1.3.9903.2.1".
using Oid = std::string;

struct AttributeTypeAndValue {
  Oid type;
  std::string value;
  friend bool operator==(const AttributeTypeAndValue&, const AttributeTypeAndValue&) = default;
};

// DistinguishedName mirrors Go's pkix.Name. Attributes are emitted in Go's ToRDNSequence order:
// C, ST, L, STREET, POSTALCODE, O, OU, CN, SERIALNUMBER (several values of one field share an
// RDN), then each extra_names entry in its own RDN; an extra name replaces the field of its OID.
// When parsing, attributes of other types land in extra_names.
struct DistinguishedName {
  std::vector<std::string> country, organization, organizational_unit, locality, province,
      street_address, postal_code;
  std::string serial_number, common_name;
  std::vector<AttributeTypeAndValue> extra_names;

  [[nodiscard]] bool empty() const;
  // to_string prints an RFC 2253 style string ("CN=x,O=y") for messages.
  [[nodiscard]] std::string to_string() const;
  friend bool operator==(const DistinguishedName&, const DistinguishedName&) = default;
};

struct Extension {
  Oid id;
  bool critical = false;
  Bytes value;  // the extnValue OCTET STRING's contents
  friend bool operator==(const Extension&, const Extension&) = default;
};

struct IpNet {
  IpAddress ip;
  Bytes mask;
  friend bool operator==(const IpNet&, const IpNet&) = default;
};

// CertTemplate is what create_certificate needs, with Go's nil-versus-empty distinctions kept
// where MarbleRun depends on them (optional vectors: nullopt = unset, {} = explicitly empty).
struct CertTemplate {
  DistinguishedName subject;
  Bytes serial_number;                 // big-endian, non-negative; empty = random in [0, 2^128)
  std::optional<UnixTime> not_before;  // nullopt = now is not assumed: create_certificate fails
  std::optional<UnixTime> not_after;
  unsigned key_usage = 0;  // 0 = extension omitted
  std::optional<std::vector<ExtKeyUsage>> ext_key_usage;
  std::vector<Oid> unknown_ext_key_usage;
  bool basic_constraints_valid = false;
  bool is_ca = false;
  int max_path_len = 0;  // Go semantics: with max_path_len_zero=false, 0 = unset
  bool max_path_len_zero = false;
  Bytes subject_key_id;    // empty + is_ca = derived from the public key (as Go)
  Bytes authority_key_id;  // used unless the parent (not self-issued) has an SKI
  std::vector<std::string> ocsp_server, issuing_certificate_url, crl_distribution_points;
  std::optional<std::vector<std::string>> dns_names;
  std::vector<std::string> email_addresses;
  std::optional<std::vector<IpAddress>> ip_addresses;
  std::vector<std::string> uris;
  bool permitted_dns_domains_critical = false;
  std::vector<std::string> permitted_dns_domains, excluded_dns_domains;
  std::vector<IpNet> permitted_ip_ranges, excluded_ip_ranges;
  std::vector<std::string> permitted_email_addresses, excluded_email_addresses,
      permitted_uri_domains, excluded_uri_domains;
  std::vector<Oid> policy_identifiers;
  std::vector<Extension> extra_extensions;  // added last; same OID as a built-in one replaces it
  int signature_algorithm = 0;              // Go x509.SignatureAlgorithm; 0 = the signer's default

  friend bool operator==(const CertTemplate&, const CertTemplate&) = default;
};

// Certificate is a parsed, immutable X.509 certificate (cheap to copy).
class Certificate {
 public:
  struct Impl;
  // from_der parses DER. kInvalidArgument "x509: malformed certificate" style errors.
  [[nodiscard]] static Result<Certificate> from_der(ByteSpan der);
  // from_pem parses the first PEM block of |pem| as a certificate, whatever the block's type
  // (as MarbleRun does for user certificates). kInvalidArgument if there is no block.
  [[nodiscard]] static Result<Certificate> from_pem(std::string_view pem);
  // chain_from_pem parses every "CERTIFICATE" block in order.
  [[nodiscard]] static Result<std::vector<Certificate>> chain_from_pem(std::string_view pem);

  [[nodiscard]] const Bytes& der() const;
  [[nodiscard]] std::string pem() const;
  [[nodiscard]] DistinguishedName subject() const;
  [[nodiscard]] DistinguishedName issuer() const;
  [[nodiscard]] Bytes serial_number() const;  // big-endian magnitude
  [[nodiscard]] UnixTime not_before() const;
  [[nodiscard]] UnixTime not_after() const;
  [[nodiscard]] PublicKey public_key() const;
  [[nodiscard]] std::vector<std::string> dns_names() const;
  [[nodiscard]] std::vector<IpAddress> ip_addresses() const;
  [[nodiscard]] std::vector<std::string> email_addresses() const;
  [[nodiscard]] std::vector<std::string> uris() const;
  [[nodiscard]] unsigned key_usage() const;  // Go bitmask, 0 if absent
  [[nodiscard]] std::vector<ExtKeyUsage> ext_key_usage() const;
  [[nodiscard]] bool basic_constraints_valid() const;
  [[nodiscard]] bool is_ca() const;
  [[nodiscard]] Bytes subject_key_id() const;
  [[nodiscard]] Bytes authority_key_id() const;
  // extensions lists every extension in certificate order.
  [[nodiscard]] std::vector<Extension> extensions() const;
  // extension finds one by OID.
  [[nodiscard]] std::optional<Extension> extension(std::string_view oid) const;
  // check_signature_from verifies that |issuer_key| signed this certificate.
  // kPermissionDenied if not.
  [[nodiscard]] Status check_signature_from(const PublicKey& issuer_key) const;
  // to_template returns the fields create_certificate would need to re-issue this certificate
  // (MarbleRun regenerates stored secrets "from the stored certificate as template").
  [[nodiscard]] CertTemplate to_template() const;

  friend bool operator==(const Certificate& a, const Certificate& b) { return a.der() == b.der(); }

  explicit Certificate(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  [[nodiscard]] const Impl& impl() const { return *impl_; }

 private:
  std::shared_ptr<const Impl> impl_;
};

// create_certificate builds and signs a certificate like Go's x509.CreateCertificate:
// issuer = |parent|'s subject (or the template's subject when |parent| is null: self-signed),
// AuthorityKeyId = parent's SubjectKeyId, SubjectKeyId derived for CA certs when empty,
// SAN critical iff the subject is empty, KeyUsage and BasicConstraints critical.
// |signer| must match |parent|'s public key (or |subject_key| when self-signed): kInvalidArgument
// otherwise, and for templates without not_before/not_after.
[[nodiscard]] Result<Certificate> create_certificate(const CertTemplate& tmpl,
                                                     const PublicKey& subject_key,
                                                     const Certificate* parent,
                                                     const PrivateKey& signer);

// CsrInfo is what a verified CSR contributes.
struct CsrInfo {
  DistinguishedName subject;
  std::vector<std::string> dns_names;
  std::vector<IpAddress> ip_addresses;
  std::vector<std::string> email_addresses;
  std::vector<std::string> uris;
  PublicKey public_key;
};

// create_csr builds a PKCS#10 request signed by |key|, with a SAN extension request when any
// names are given. Returns DER.
[[nodiscard]] Result<Bytes> create_csr(const PrivateKey& key, const DistinguishedName& subject,
                                       const std::vector<std::string>& dns_names,
                                       const std::vector<IpAddress>& ip_addresses);
// parse_csr parses DER and checks its self-signature. kInvalidArgument "parsing CSR: ..." if
// malformed; kPermissionDenied "signature over CSR is invalid" if the signature is bad.
[[nodiscard]] Result<CsrInfo> parse_csr(ByteSpan der);

// verify_chain checks that |leaf| chains to one of |roots| through |intermediates| at time |at|,
// and that the leaf allows |usage| (Go's x509.Verify with KeyUsages = {usage}).
// kPermissionDenied with the reason when it does not.
[[nodiscard]] Status verify_chain(const Certificate& leaf,
                                  const std::vector<Certificate>& intermediates,
                                  const std::vector<Certificate>& roots, UnixTime at,
                                  ExtKeyUsage usage = ExtKeyUsage::kServerAuth);

}  // namespace mr::crypto
