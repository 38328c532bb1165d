// Certificate parsing and accessors with Go's crypto/x509 semantics (ParseCertificate).

#include <algorithm>
#include <cstdint>
#include <set>

#include "base/assert.h"
#include "crypto/openssl/der.h"
#include "crypto/openssl/impl.h"
#include "crypto/pem.h"

namespace mr::crypto {
namespace {

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

// Reads a whole extnValue that must be exactly one element with |tag|.
bool read_single(ByteSpan value, std::uint8_t tag, ByteSpan* contents) {
  der::Reader r(value);
  return r.read(tag, contents) && r.empty();
}

// Go's asn1 parseBitString: returns the bytes and bit length; padding bits must be zero.
bool parse_bit_string(ByteSpan contents, Bytes* bytes, std::size_t* bit_length) {
  if (contents.empty()) return false;
  const unsigned padding = contents[0];
  if (padding > 7 || (contents.size() == 1 && padding != 0) ||
      (contents.size() > 1 && (contents.back() & ((1u << padding) - 1)) != 0)) {
    return false;
  }
  bytes->assign(contents.begin() + 1, contents.end());
  *bit_length = bytes->size() * 8 - padding;
  return true;
}

Status parse_key_usage(ByteSpan value, CertTemplate& t) {
  ByteSpan contents;
  Bytes bits;
  std::size_t bit_length = 0;
  if (!read_single(value, der::kBitString, &contents) ||
      !parse_bit_string(contents, &bits, &bit_length)) {
    return invalid("x509: invalid key usage");
  }
  unsigned usage = 0;
  for (std::size_t i = 0; i < 9 && i < bit_length; ++i) {
    if ((bits[i / 8] & (0x80 >> (i % 8))) != 0) usage |= 1u << i;
  }
  t.key_usage = usage;
  return ok();
}

Status parse_basic_constraints(ByteSpan value, CertTemplate& t) {
  auto bad = [] { return invalid("x509: invalid basic constraints"); };
  ByteSpan seq;
  if (!read_single(value, der::kSequence, &seq)) return bad();
  der::Reader r(seq);
  bool is_ca = false;
  long long max_path_len = -1;
  if (r.peek(der::kBoolean)) {
    ByteSpan b;
    if (!r.read(der::kBoolean, &b) || b.size() != 1 || (b[0] != 0 && b[0] != 0xff)) return bad();
    is_ca = b[0] == 0xff;
  }
  if (r.peek(der::kInteger)) {
    ByteSpan n;
    if (!r.read(der::kInteger, &n) || !der::parse_small_integer(n, &max_path_len) ||
        max_path_len < INT32_MIN || max_path_len > INT32_MAX) {
      return bad();
    }
  }
  t.basic_constraints_valid = true;
  t.is_ca = is_ca;
  t.max_path_len = static_cast<int>(max_path_len);
  t.max_path_len_zero = max_path_len == 0;
  return ok();
}

Status parse_ext_key_usage(ByteSpan value, CertTemplate& t) {
  auto bad = [] { return invalid("x509: invalid extended key usages"); };
  ByteSpan seq;
  if (!read_single(value, der::kSequence, &seq)) return bad();
  der::Reader r(seq);
  std::vector<ExtKeyUsage> known;
  while (!r.empty()) {
    ByteSpan oid_contents;
    if (!r.read(der::kOid, &oid_contents)) return bad();
    auto oid = der::decode_oid(oid_contents);
    if (!oid) return bad();
    if (auto usage = detail::ext_key_usage_from_oid(*oid)) {
      known.push_back(*usage);
    } else {
      t.unknown_ext_key_usage.push_back(*oid);
    }
  }
  if (!known.empty()) t.ext_key_usage = std::move(known);
  return ok();
}

Status parse_subject_key_id(ByteSpan value, CertTemplate& t) {
  ByteSpan id;
  if (!read_single(value, der::kOctetString, &id)) {
    return invalid("x509: invalid subject key identifier");
  }
  t.subject_key_id.assign(id.begin(), id.end());
  return ok();
}

Status parse_authority_key_id(ByteSpan value, CertTemplate& t) {
  ByteSpan seq;
  if (!read_single(value, der::kSequence, &seq)) {
    return invalid("x509: invalid authority key identifier");
  }
  der::Reader r(seq);
  if (r.peek(der::context(0, false))) {
    ByteSpan id;
    if (!r.read(der::context(0, false), &id)) {
      return invalid("x509: invalid authority key identifier");
    }
    t.authority_key_id.assign(id.begin(), id.end());
  }
  return ok();
}

Status parse_sans(ByteSpan value, CertTemplate& t) {
  MR_ASSIGN_OR_RETURN(detail::Sans sans, detail::parse_sans(value));
  if (!sans.dns.empty()) t.dns_names = std::move(sans.dns);
  if (!sans.ips.empty()) t.ip_addresses = std::move(sans.ips);
  t.email_addresses = std::move(sans.emails);
  t.uris = std::move(sans.uris);
  return ok();
}

Status parse_authority_info_access(ByteSpan value, CertTemplate& t) {
  auto bad = [] { return invalid("x509: invalid authority info access"); };
  ByteSpan seq;
  if (!read_single(value, der::kSequence, &seq)) return bad();
  der::Reader r(seq);
  while (!r.empty()) {
    ByteSpan desc, method;
    if (!r.read(der::kSequence, &desc)) return bad();
    der::Reader d(desc);
    if (!d.read(der::kOid, &method)) return bad();
    if (!d.peek(der::context(6, false))) continue;
    ByteSpan location;
    if (!d.read(der::context(6, false), &location)) return bad();
    const auto oid = der::decode_oid(method);
    if (oid == std::string(detail::kOidAiaOcsp)) {
      t.ocsp_server.push_back(to_string(location));
    } else if (oid == std::string(detail::kOidAiaIssuers)) {
      t.issuing_certificate_url.push_back(to_string(location));
    }
  }
  return ok();
}

Status parse_crl_distribution_points(ByteSpan value, CertTemplate& t) {
  auto bad = [] { return invalid("x509: invalid CRL distribution points"); };
  ByteSpan seq;
  if (!read_single(value, der::kSequence, &seq)) return bad();
  der::Reader r(seq);
  while (!r.empty()) {
    ByteSpan dp;
    if (!r.read(der::kSequence, &dp)) return bad();
    der::Reader d(dp);
    if (!d.peek(der::context(0, true))) continue;
    ByteSpan dp_name, full_name;
    if (!d.read(der::context(0, true), &dp_name)) return bad();
    der::Reader n(dp_name);
    if (!n.read(der::context(0, true), &full_name)) return bad();
    der::Reader names(full_name);
    while (names.peek(der::context(6, false))) {
      ByteSpan uri;
      if (!names.read(der::context(6, false), &uri)) return bad();
      t.crl_distribution_points.push_back(to_string(uri));
    }
  }
  return ok();
}

Status parse_certificate_policies(ByteSpan value, CertTemplate& t) {
  auto bad = [] { return invalid("x509: invalid certificate policies"); };
  ByteSpan seq;
  if (!read_single(value, der::kSequence, &seq)) return bad();
  der::Reader r(seq);
  while (!r.empty()) {
    ByteSpan info, oid_contents;
    if (!r.read(der::kSequence, &info)) return bad();
    der::Reader i(info);
    if (!i.read(der::kOid, &oid_contents)) return bad();
    auto oid = der::decode_oid(oid_contents);
    if (!oid) return bad();
    t.policy_identifiers.push_back(std::move(*oid));
  }
  return ok();
}

// Go's isValidIPMask: ones followed by zeros.
bool valid_mask(ByteSpan mask) {
  bool seen_zero = false;
  for (std::uint8_t b : mask) {
    if (seen_zero) {
      if (b != 0) return false;
      continue;
    }
    switch (b) {
      case 0x00:
      case 0x80:
      case 0xc0:
      case 0xe0:
      case 0xf0:
      case 0xf8:
      case 0xfc:
      case 0xfe:
        seen_zero = true;
        break;
      case 0xff:
        break;
      default:
        return false;
    }
  }
  return true;
}

Status parse_subtrees(ByteSpan subtrees, std::vector<std::string>& dns, std::vector<IpNet>& ips,
                      std::vector<std::string>& emails, std::vector<std::string>& uris) {
  auto bad = [] { return invalid("x509: invalid NameConstraints extension"); };
  der::Reader r(subtrees);
  while (!r.empty()) {
    ByteSpan subtree, name;
    std::uint8_t tag = 0;
    if (!r.read(der::kSequence, &subtree)) return bad();
    der::Reader s(subtree);
    if (!s.read_any(&tag, &name)) return bad();
    const std::string text = to_string(name);
    const bool ia5 = std::all_of(text.begin(), text.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    switch (tag) {
      case der::context(2, false):
        if (!ia5) return bad();
        dns.push_back(text);
        break;
      case der::context(1, false):
        if (!ia5) return bad();
        emails.push_back(text);
        break;
      case der::context(6, false):
        if (!ia5) return bad();
        uris.push_back(text);
        break;
      case der::context(7, false): {
        if (name.size() != 8 && name.size() != 32) {
          return invalid("x509: IP constraint contained value of invalid length");
        }
        const std::size_t half = name.size() / 2;
        if (!valid_mask(name.subspan(half)))
          return invalid("x509: IP constraint contained invalid mask");
        auto ip = IpAddress::from_bytes(name.first(half));
        if (!ip) return bad();
        ips.push_back({*ip, Bytes(name.begin() + static_cast<std::ptrdiff_t>(half), name.end())});
        break;
      }
      default:
        break;  // unhandled constraint kinds are ignored, as in Go
    }
  }
  return ok();
}

Status parse_name_constraints(const Extension& e, CertTemplate& t) {
  ByteSpan seq, permitted, excluded;
  if (!read_single(e.value, der::kSequence, &seq)) {
    return invalid("x509: invalid NameConstraints extension");
  }
  der::Reader r(seq);
  const bool have_permitted = r.peek(der::context(0, true));
  if (have_permitted && !r.read(der::context(0, true), &permitted)) {
    return invalid("x509: invalid NameConstraints extension");
  }
  const bool have_excluded = r.peek(der::context(1, true));
  if (have_excluded && !r.read(der::context(1, true), &excluded)) {
    return invalid("x509: invalid NameConstraints extension");
  }
  if (!r.empty()) return invalid("x509: invalid NameConstraints extension");
  if ((!have_permitted && !have_excluded) || (permitted.empty() && excluded.empty())) {
    return invalid("x509: empty name constraints extension");
  }
  MR_RETURN_IF_ERROR(parse_subtrees(permitted, t.permitted_dns_domains, t.permitted_ip_ranges,
                                    t.permitted_email_addresses, t.permitted_uri_domains));
  MR_RETURN_IF_ERROR(parse_subtrees(excluded, t.excluded_dns_domains, t.excluded_ip_ranges,
                                    t.excluded_email_addresses, t.excluded_uri_domains));
  t.permitted_dns_domains_critical = e.critical;
  return ok();
}

// Decodes the extensions Go understands into |t|; others are only kept raw.
Status apply_extension(const Extension& e, CertTemplate& t) {
  if (e.id == kOidKeyUsage) return parse_key_usage(e.value, t);
  if (e.id == kOidBasicConstraints) return parse_basic_constraints(e.value, t);
  if (e.id == kOidSubjectAltName) return parse_sans(e.value, t);
  if (e.id == kOidNameConstraints) return parse_name_constraints(e, t);
  if (e.id == kOidCrlDistributionPoints) return parse_crl_distribution_points(e.value, t);
  if (e.id == kOidAuthorityKeyId) return parse_authority_key_id(e.value, t);
  if (e.id == kOidExtKeyUsage) return parse_ext_key_usage(e.value, t);
  if (e.id == kOidSubjectKeyId) return parse_subject_key_id(e.value, t);
  if (e.id == kOidCertificatePolicies) return parse_certificate_policies(e.value, t);
  if (e.id == kOidAuthorityInfoAccess) return parse_authority_info_access(e.value, t);
  return ok();
}

Bytes strip_leading_zeros(ByteSpan b) {
  std::size_t i = 0;
  while (i < b.size() && b[i] == 0)
    ++i;
  return Bytes(b.begin() + static_cast<std::ptrdiff_t>(i), b.end());
}

}  // namespace

X509* Certificate::Impl::x509() const {
  std::call_once(parse_once_, [this] {
    if (parsed_) return;
    const unsigned char* p = der.data();
    parsed_.reset(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  });
  MR_ASSERT(parsed_ != nullptr);  // |der| was parsed before, or encoded from a valid X509
  return parsed_.get();
}

Result<Certificate> Certificate::from_der(ByteSpan der) {
  const unsigned char* p = der.data();
  ossl::Ptr<X509> x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x || der.empty()) return invalid("x509: malformed certificate");
  if (p != der.data() + der.size()) return invalid("x509: trailing data after certificate");
  auto pub = detail::public_key_from_spki(X509_get_X509_PUBKEY(x.get()));
  if (!pub) return fail(std::move(pub.error()).wrap("x509: certificate public key"));
  return detail::certificate_from_x509(std::move(x), Bytes(der.begin(), der.end()), std::move(*pub),
                                       /*keep=*/true);
}

Result<Certificate> detail::certificate_from_x509(ossl::Ptr<X509> x, Bytes der,
                                                  PublicKey public_key, bool keep) {
  if (X509_get_version(x.get()) > 2) return invalid("x509: invalid version");
  X509* cert = x.get();  // owned by |x|, or by the Impl when kept
  ossl::Ptr<X509> kept;
  if (keep) kept = std::move(x);
  auto impl =
      std::make_shared<Certificate::Impl>(std::move(kept), std::move(der), std::move(public_key));
  CertTemplate& t = impl->fields;

  impl->raw_subject = ossl::to_der<X509_NAME>(i2d_X509_NAME, X509_get_subject_name(cert));
  impl->raw_issuer = ossl::to_der<X509_NAME>(i2d_X509_NAME, X509_get_issuer_name(cert));
  MR_ASSIGN_OR_RETURN(t.subject, detail::parse_name(impl->raw_subject));
  MR_ASSIGN_OR_RETURN(impl->issuer, detail::parse_name(impl->raw_issuer));

  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  // Go 1.23+ refuses negative serial numbers by default.
  if (ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER) {
    return invalid("x509: negative serial number");
  }
  impl->serial = strip_leading_zeros(ByteSpan(
      ASN1_STRING_get0_data(serial), static_cast<std::size_t>(ASN1_STRING_length(serial))));
  t.serial_number = impl->serial.empty() ? Bytes{0x00} : impl->serial;

  MR_ASSIGN_OR_RETURN(t.not_before, detail::parse_time(X509_get0_notBefore(cert)));
  MR_ASSIGN_OR_RETURN(t.not_after, detail::parse_time(X509_get0_notAfter(cert)));

  t.signature_algorithm = detail::sig_alg_from_der(
      ossl::to_der<X509_ALGOR>(i2d_X509_ALGOR, X509_get0_tbs_sigalg(cert)));

  std::set<std::string> seen;
  const int count = X509_get_ext_count(cert);
  for (int i = 0; i < count; ++i) {
    Extension e = detail::read_extension(X509_get_ext(cert, i));
    if (!seen.insert(e.id).second) {
      return invalid("x509: certificate contains duplicate extensions");
    }
    MR_RETURN_IF_ERROR(apply_extension(e, t));
    impl->extensions.push_back(std::move(e));
  }
  return Certificate(std::move(impl));
}

Result<Certificate> Certificate::from_pem(std::string_view pem) {
  auto block = pem_decode_first(pem);
  if (!block) return invalid("x509: no PEM block found");
  return from_der(block->der);
}

Result<std::vector<Certificate>> Certificate::chain_from_pem(std::string_view pem) {
  std::vector<Certificate> out;
  for (const PemBlock& block : pem_decode_all(pem)) {
    if (block.type != "CERTIFICATE") continue;
    auto cert = from_der(block.der);
    if (!cert) {
      return fail(std::move(cert.error()).wrap(fmt::format("certificate {}", out.size() + 1)));
    }
    out.push_back(std::move(*cert));
  }
  return out;
}

const Bytes& Certificate::der() const {
  return impl_->der;
}
std::string Certificate::pem() const {
  return pem_encode("CERTIFICATE", impl_->der);
}
DistinguishedName Certificate::subject() const {
  return impl_->fields.subject;
}
DistinguishedName Certificate::issuer() const {
  return impl_->issuer;
}
Bytes Certificate::serial_number() const {
  return impl_->serial;
}
UnixTime Certificate::not_before() const {
  return *impl_->fields.not_before;
}
UnixTime Certificate::not_after() const {
  return *impl_->fields.not_after;
}
PublicKey Certificate::public_key() const {
  return impl_->public_key;
}
std::vector<std::string> Certificate::dns_names() const {
  return impl_->fields.dns_names.value_or(std::vector<std::string>{});
}
std::vector<IpAddress> Certificate::ip_addresses() const {
  return impl_->fields.ip_addresses.value_or(std::vector<IpAddress>{});
}
std::vector<std::string> Certificate::email_addresses() const {
  return impl_->fields.email_addresses;
}
std::vector<std::string> Certificate::uris() const {
  return impl_->fields.uris;
}
unsigned Certificate::key_usage() const {
  return impl_->fields.key_usage;
}
std::vector<ExtKeyUsage> Certificate::ext_key_usage() const {
  return impl_->fields.ext_key_usage.value_or(std::vector<ExtKeyUsage>{});
}
bool Certificate::basic_constraints_valid() const {
  return impl_->fields.basic_constraints_valid;
}
bool Certificate::is_ca() const {
  return impl_->fields.is_ca;
}
Bytes Certificate::subject_key_id() const {
  return impl_->fields.subject_key_id;
}
Bytes Certificate::authority_key_id() const {
  return impl_->fields.authority_key_id;
}
std::vector<Extension> Certificate::extensions() const {
  return impl_->extensions;
}

std::optional<Extension> Certificate::extension(std::string_view oid) const {
  for (const Extension& e : impl_->extensions) {
    if (e.id == oid) return e;
  }
  return std::nullopt;
}

Status Certificate::check_signature_from(const PublicKey& issuer_key) const {
  const int alg = impl_->fields.signature_algorithm;
  if (alg == 0) return fail(ErrorCode::kPermissionDenied, "x509: unknown signature algorithm");
  if (detail::is_insecure_signature_algorithm(alg)) {
    return fail(ErrorCode::kPermissionDenied, "x509: cannot verify signature: insecure algorithm");
  }
  if (X509_verify(impl_->x509(), issuer_key.impl().pkey.get()) != 1) {
    ossl::clear_errors();
    return fail(ErrorCode::kPermissionDenied, "x509: certificate signature is invalid");
  }
  return ok();
}

CertTemplate Certificate::to_template() const {
  return impl_->fields;
}

}  // namespace mr::crypto
