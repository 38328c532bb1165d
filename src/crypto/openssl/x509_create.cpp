// create_certificate: Go's x509.CreateCertificate on OpenSSL. Extension values are encoded
// byte-for-byte like Go's buildCertExtensions; OpenSSL assembles and signs the TBSCertificate.

#include <algorithm>
#include <set>

#include "crypto/openssl/der.h"
#include "crypto/openssl/impl.h"

namespace mr::crypto {
namespace {

using detail::encode_name;
using detail::encode_sans;
using detail::ext_key_usage_oid;
using detail::kOidAiaIssuers;
using detail::kOidAiaOcsp;
using detail::kOidAuthorityInfoAccess;
using detail::kOidAuthorityKeyId;
using detail::kOidBasicConstraints;
using detail::kOidCertificatePolicies;
using detail::kOidCrlDistributionPoints;
using detail::kOidExtKeyUsage;
using detail::kOidKeyUsage;
using detail::kOidNameConstraints;
using detail::kOidSubjectAltName;
using detail::kOidSubjectKeyId;

using detail::invalid;

bool is_ia5(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::uint8_t reverse_bits(std::uint8_t b) {
  b = static_cast<std::uint8_t>((b >> 4) | (b << 4));
  b = static_cast<std::uint8_t>(((b >> 2) & 0x33) | ((b << 2) & 0xcc));
  return static_cast<std::uint8_t>(((b >> 1) & 0x55) | ((b << 1) & 0xaa));
}

// Go's marshalKeyUsage: a minimal BIT STRING, bit 0 = digitalSignature.
Bytes key_usage_value(unsigned usage) {
  std::uint8_t a[2] = {reverse_bits(static_cast<std::uint8_t>(usage)),
                       reverse_bits(static_cast<std::uint8_t>(usage >> 8))};
  const std::size_t len = a[1] != 0 ? 2 : 1;
  // asn1BitLength: position of the last set bit, counting from the MSB of the first byte.
  std::size_t bit_length = len * 8;
  for (std::size_t i = len; i-- > 0;) {
    bool found = false;
    for (unsigned bit = 0; bit < 8; ++bit) {
      if (((a[i] >> bit) & 1) != 0) {
        found = true;
        break;
      }
      --bit_length;
    }
    if (found) break;
  }
  Bytes contents{static_cast<std::uint8_t>((8 - bit_length % 8) % 8)};
  contents.insert(contents.end(), a, a + len);
  return der::tlv(der::kBitString, contents);
}

Result<Bytes> oid_tlv(std::string_view dotted) {
  auto contents = der::encode_oid(dotted);
  if (!contents) return invalid("x509: invalid object identifier in template");
  return der::tlv(der::kOid, *contents);
}

Result<Bytes> ext_key_usage_value(const std::vector<ExtKeyUsage>& known,
                                  const std::vector<Oid>& unknown) {
  Bytes oids;
  for (ExtKeyUsage u : known) {
    auto oid = ext_key_usage_oid(u);
    if (!oid) return invalid("x509: unknown extended key usage");
    const Bytes o = der::oid(*oid);
    oids.insert(oids.end(), o.begin(), o.end());
  }
  for (const Oid& u : unknown) {
    MR_ASSIGN_OR_RETURN(Bytes o, oid_tlv(u));
    oids.insert(oids.end(), o.begin(), o.end());
  }
  return der::tlv(der::kSequence, oids);
}

Bytes basic_constraints_value(bool is_ca, int max_path_len, bool max_path_len_zero) {
  if (max_path_len == 0 && !max_path_len_zero) max_path_len = -1;
  Bytes body;
  if (is_ca) der::append_tlv(body, der::kBoolean, Bytes{0xff});
  if (max_path_len >= 0) {
    der::append_tlv(body, der::kInteger, der::small_integer_contents(max_path_len));
  }
  return der::tlv(der::kSequence, body);
}

Bytes aia_value(const std::vector<std::string>& ocsp, const std::vector<std::string>& issuers) {
  Bytes body;
  auto add = [&](std::string_view method, const std::string& uri) {
    der::append_tlv(
        body, der::kSequence,
        der::concat({der::oid(method), der::tlv(der::context(6, false), as_bytes(uri))}));
  };
  for (const auto& u : ocsp)
    add(kOidAiaOcsp, u);
  for (const auto& u : issuers)
    add(kOidAiaIssuers, u);
  return der::tlv(der::kSequence, body);
}

Result<Bytes> policies_value(const std::vector<Oid>& policies) {
  Bytes body;
  for (const Oid& p : policies) {
    MR_ASSIGN_OR_RETURN(Bytes o, oid_tlv(p));
    der::append_tlv(body, der::kSequence, o);
  }
  return der::tlv(der::kSequence, body);
}

// Go's ipAndMask: IP.Mask(mask) followed by the mask as given.
Bytes ip_and_mask(const IpNet& net) {
  Bytes ip(net.ip.bytes().begin(), net.ip.bytes().end());
  Bytes mask = net.mask;
  static constexpr std::uint8_t kV4Prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (mask.size() == 16 && ip.size() == 4 &&
      std::all_of(mask.begin(), mask.begin() + 12, [](std::uint8_t b) { return b == 0xff; })) {
    mask.erase(mask.begin(), mask.begin() + 12);
  }
  if (mask.size() == 4 && ip.size() == 16 && std::equal(ip.begin(), ip.begin() + 12, kV4Prefix)) {
    ip.erase(ip.begin(), ip.begin() + 12);
  }
  Bytes out;
  if (ip.size() == mask.size()) {
    for (std::size_t i = 0; i < ip.size(); ++i)
      out.push_back(ip[i] & mask[i]);
  }
  out.insert(out.end(), net.mask.begin(), net.mask.end());
  return out;
}

Result<Bytes> subtrees(const std::vector<std::string>& dns, const std::vector<IpNet>& ips,
                       const std::vector<std::string>& emails,
                       const std::vector<std::string>& uris) {
  Bytes out;
  auto add = [&](std::uint8_t tag, ByteSpan value) {
    der::append_tlv(out, der::kSequence, der::tlv(tag, value));
  };
  for (const auto& d : dns) {
    if (!is_ia5(d)) return invalid("x509: name constraint cannot be encoded as an IA5String");
    add(der::context(2, false), as_bytes(d));
  }
  for (const auto& n : ips)
    add(der::context(7, false), ip_and_mask(n));
  for (const auto& e : emails) {
    if (!is_ia5(e)) return invalid("x509: name constraint cannot be encoded as an IA5String");
    add(der::context(1, false), as_bytes(e));
  }
  for (const auto& u : uris) {
    if (!is_ia5(u)) return invalid("x509: name constraint cannot be encoded as an IA5String");
    add(der::context(6, false), as_bytes(u));
  }
  return out;
}

Result<Bytes> name_constraints_value(const CertTemplate& t) {
  MR_ASSIGN_OR_RETURN(Bytes permitted,
                      subtrees(t.permitted_dns_domains, t.permitted_ip_ranges,
                               t.permitted_email_addresses, t.permitted_uri_domains));
  MR_ASSIGN_OR_RETURN(Bytes excluded, subtrees(t.excluded_dns_domains, t.excluded_ip_ranges,
                                               t.excluded_email_addresses, t.excluded_uri_domains));
  Bytes body;
  if (!permitted.empty()) der::append_tlv(body, der::context(0, true), permitted);
  if (!excluded.empty()) der::append_tlv(body, der::context(1, true), excluded);
  return der::tlv(der::kSequence, body);
}

Bytes crl_distribution_points_value(const std::vector<std::string>& points) {
  Bytes body;
  for (const auto& uri : points) {
    const Bytes full_name =
        der::tlv(der::context(0, true), der::tlv(der::context(6, false), as_bytes(uri)));
    der::append_tlv(body, der::kSequence, der::tlv(der::context(0, true), full_name));
  }
  return der::tlv(der::kSequence, body);
}

// Go's buildCertExtensions: built-in extensions in Go's order (each skipped when an extra
// extension has its OID), then the extra extensions.
Result<std::vector<Extension>> build_extensions(const CertTemplate& t, bool subject_is_empty,
                                                const Bytes& authority_key_id,
                                                const Bytes& subject_key_id) {
  std::vector<Extension> out;
  auto wanted = [&](std::string_view oid) {
    return std::none_of(t.extra_extensions.begin(), t.extra_extensions.end(),
                        [&](const Extension& e) { return e.id == oid; });
  };
  auto add = [&](std::string_view oid, bool critical, Bytes value) {
    out.push_back(Extension{Oid(oid), critical, std::move(value)});
  };
  const auto& eku = t.ext_key_usage;
  if (t.key_usage != 0 && wanted(kOidKeyUsage)) {
    add(kOidKeyUsage, true, key_usage_value(t.key_usage));
  }
  if (((eku && !eku->empty()) || !t.unknown_ext_key_usage.empty()) && wanted(kOidExtKeyUsage)) {
    MR_ASSIGN_OR_RETURN(Bytes v, ext_key_usage_value(eku.value_or(std::vector<ExtKeyUsage>{}),
                                                     t.unknown_ext_key_usage));
    add(kOidExtKeyUsage, false, std::move(v));
  }
  if (t.basic_constraints_valid && wanted(kOidBasicConstraints)) {
    add(kOidBasicConstraints, true,
        basic_constraints_value(t.is_ca, t.max_path_len, t.max_path_len_zero));
  }
  if (!subject_key_id.empty() && wanted(kOidSubjectKeyId)) {
    add(kOidSubjectKeyId, false, der::tlv(der::kOctetString, subject_key_id));
  }
  if (!authority_key_id.empty() && wanted(kOidAuthorityKeyId)) {
    add(kOidAuthorityKeyId, false,
        der::tlv(der::kSequence, der::tlv(der::context(0, false), authority_key_id)));
  }
  if ((!t.ocsp_server.empty() || !t.issuing_certificate_url.empty()) &&
      wanted(kOidAuthorityInfoAccess)) {
    add(kOidAuthorityInfoAccess, false, aia_value(t.ocsp_server, t.issuing_certificate_url));
  }
  const std::vector<std::string> no_strings;
  const std::vector<IpAddress> no_ips;
  const auto& dns = t.dns_names ? *t.dns_names : no_strings;
  const auto& ips = t.ip_addresses ? *t.ip_addresses : no_ips;
  if ((!dns.empty() || !t.email_addresses.empty() || !ips.empty() || !t.uris.empty()) &&
      wanted(kOidSubjectAltName)) {
    // RFC 5280 4.2.1.6: SAN is critical when the subject is an empty sequence.
    MR_ASSIGN_OR_RETURN(Bytes v, encode_sans(dns, t.email_addresses, ips, t.uris));
    add(kOidSubjectAltName, subject_is_empty, std::move(v));
  }
  if (!t.policy_identifiers.empty() && wanted(kOidCertificatePolicies)) {
    MR_ASSIGN_OR_RETURN(Bytes v, policies_value(t.policy_identifiers));
    add(kOidCertificatePolicies, false, std::move(v));
  }
  if ((!t.permitted_dns_domains.empty() || !t.excluded_dns_domains.empty() ||
       !t.permitted_ip_ranges.empty() || !t.excluded_ip_ranges.empty() ||
       !t.permitted_email_addresses.empty() || !t.excluded_email_addresses.empty() ||
       !t.permitted_uri_domains.empty() || !t.excluded_uri_domains.empty()) &&
      wanted(kOidNameConstraints)) {
    MR_ASSIGN_OR_RETURN(Bytes v, name_constraints_value(t));
    add(kOidNameConstraints, t.permitted_dns_domains_critical, std::move(v));
  }
  if (!t.crl_distribution_points.empty() && wanted(kOidCrlDistributionPoints)) {
    add(kOidCrlDistributionPoints, false, crl_distribution_points_value(t.crl_distribution_points));
  }
  out.insert(out.end(), t.extra_extensions.begin(), t.extra_extensions.end());
  return out;
}

Result<ossl::Ptr<X509_NAME>> name_from_der(const Bytes& der) {
  const unsigned char* p = der.data();
  ossl::Ptr<X509_NAME> name(d2i_X509_NAME(nullptr, &p, static_cast<long>(der.size())));
  if (!name) return ossl::fail("x509: re-reading encoded name");
  return name;
}

}  // namespace

Result<Certificate> create_certificate(const CertTemplate& tmpl, const PublicKey& subject_key,
                                       const Certificate* parent, const PrivateKey& signer) {
  if (!tmpl.not_before || !tmpl.not_after) {
    return invalid("x509: certificate template must set NotBefore and NotAfter");
  }
  const PublicKey expected = parent != nullptr ? parent->public_key() : subject_key;
  if (signer.public_key() != expected) {
    return invalid(parent != nullptr
                       ? "x509: provided PrivateKey doesn't match parent's PublicKey"
                       : "x509: provided PrivateKey doesn't match the self-signed PublicKey");
  }
  if (tmpl.max_path_len < -1) return invalid("x509: MaxPathLen must be -1 or greater");
  if (tmpl.basic_constraints_valid && !tmpl.is_ca && tmpl.max_path_len != -1 &&
      (tmpl.max_path_len != 0 || tmpl.max_path_len_zero)) {
    return invalid("x509: only CAs are allowed to specify MaxPathLen");
  }
  MR_ASSIGN_OR_RETURN(detail::SigAlg alg,
                      detail::resolve_sig_alg(signer.public_key(), tmpl.signature_algorithm));

  MR_ASSIGN_OR_RETURN(Bytes subject_der, detail::encode_name(tmpl.subject));
  const Bytes issuer_der = parent != nullptr ? parent->impl().raw_subject : subject_der;

  // AuthorityKeyId: the parent's SKI unless self-issued; otherwise the template's value.
  Bytes authority_key_id = tmpl.authority_key_id;
  if (parent != nullptr && issuer_der != subject_der && !parent->subject_key_id().empty()) {
    authority_key_id = parent->subject_key_id();
  }
  // SubjectKeyId: RFC 5280 4.2.1.2 method 1 (SHA-1 of the subjectPublicKey bits) for CAs.
  Bytes subject_key_id = tmpl.subject_key_id;
  if (subject_key_id.empty() && tmpl.is_ca)
    subject_key_id = detail::sha1(detail::spki_key_bytes(subject_key));

  static const Bytes kEmptySubject = {0x30, 0x00};
  MR_ASSIGN_OR_RETURN(
      std::vector<Extension> extensions,
      build_extensions(tmpl, subject_der == kEmptySubject, authority_key_id, subject_key_id));
  std::set<std::string_view> seen;
  for (const Extension& e : extensions) {
    if (!seen.insert(e.id).second) return invalid("x509: duplicate extension in template");
  }

  ossl::Ptr<X509> x(X509_new());
  if (!x || X509_set_version(x.get(), 2) != 1) return ossl::fail("x509: allocating certificate");

  const Bytes serial = tmpl.serial_number.empty() ? random_bytes(16) : tmpl.serial_number;
  ossl::Ptr<BIGNUM> bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  ossl::Ptr<ASN1_INTEGER> serial_int(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  if (!serial_int || X509_set_serialNumber(x.get(), serial_int.get()) != 1) {
    return ossl::fail("x509: setting serial number");
  }

  MR_ASSIGN_OR_RETURN(auto issuer_name, name_from_der(issuer_der));
  MR_ASSIGN_OR_RETURN(auto subject_name, name_from_der(subject_der));
  if (X509_set_issuer_name(x.get(), issuer_name.get()) != 1 ||
      X509_set_subject_name(x.get(), subject_name.get()) != 1) {
    return ossl::fail("x509: setting names");
  }

  MR_ASSIGN_OR_RETURN(auto not_before, detail::make_time(*tmpl.not_before));
  MR_ASSIGN_OR_RETURN(auto not_after, detail::make_time(*tmpl.not_after));
  if (X509_set1_notBefore(x.get(), not_before.get()) != 1 ||
      X509_set1_notAfter(x.get(), not_after.get()) != 1) {
    return ossl::fail("x509: setting validity");
  }
  // As ASN.1 only: |x| is signed, encoded and dropped; the Certificate is parsed from the DER.
  MR_RETURN_IF_ERROR(detail::set_spki(X509_get_X509_PUBKEY(x.get()), subject_key));
  for (const Extension& e : extensions) {
    MR_ASSIGN_OR_RETURN(auto ext, detail::make_extension(e));
    if (X509_add_ext(x.get(), ext.get(), -1) != 1) return ossl::fail("x509: adding extension");
  }

  MR_ASSIGN_OR_RETURN(auto ctx, detail::sign_ctx(signer, alg));
  if (X509_sign_ctx(x.get(), ctx.get()) <= 0) return ossl::fail("x509: signing certificate");
  Bytes der = ossl::to_der<X509>(i2d_X509, x.get());
  if (der.empty()) return ossl::fail("x509: encoding certificate");
  // The fields are read from |x|; its key is only ASN.1 (set_spki), so the Certificate parses
  // |der| itself if an OpenSSL operation ever needs it.
  return detail::certificate_from_x509(std::move(x), std::move(der), subject_key, /*keep=*/false);
}

}  // namespace mr::crypto
