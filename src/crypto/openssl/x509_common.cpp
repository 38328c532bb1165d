// X.509 building blocks shared by certificate creation, parsing and CSRs: names, times, signature
// algorithms, subject alternative names and raw extensions, all with Go's crypto/x509 semantics.

#include <openssl/rsa.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "crypto/openssl/der.h"
#include "crypto/openssl/impl.h"

namespace mr::crypto::detail {
namespace {

using detail::invalid;

// Go's utf8.ValidString: no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n;
    char32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// Go's encoding/asn1 isPrintable; '*' and '&' only when parsing (Go tolerates them there).
bool is_printable_char(unsigned char b, bool lenient) {
  return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
         (b >= '\'' && b <= ')') || (b >= '+' && b <= '/') || b == ' ' || b == ':' || b == '=' ||
         b == '?' || (lenient && (b == '*' || b == '&'));
}

bool is_ia5(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// Go's parseASN1String: the string types X.509 names use, each validated.
Result<std::string> parse_asn1_string(std::uint8_t tag, ByteSpan value) {
  std::string s = to_string(value);
  switch (tag) {
    case der::kT61String:
      return s;
    case der::kPrintableString:
      for (unsigned char b : s) {
        if (!is_printable_char(b, true)) return invalid("invalid PrintableString");
      }
      return s;
    case der::kUtf8String:
      if (!valid_utf8(s)) return invalid("invalid UTF-8 string");
      return s;
    case der::kBmpString: {
      if (value.size() % 2 != 0) return invalid("invalid BMPString");
      std::size_t n = value.size();
      if (n >= 2 && value[n - 1] == 0 && value[n - 2] == 0) n -= 2;  // strip terminator
      std::string out;
      for (std::size_t i = 0; i < n; i += 2) {
        char32_t u = static_cast<char32_t>((value[i] << 8) | value[i + 1]);
        if (u >= 0xd800 && u < 0xdc00 && i + 3 < n) {
          const char32_t lo = static_cast<char32_t>((value[i + 2] << 8) | value[i + 3]);
          if (lo >= 0xdc00 && lo < 0xe000) {
            u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
            i += 2;
          } else {
            u = 0xfffd;
          }
        } else if (u >= 0xd800 && u < 0xe000) {
          u = 0xfffd;
        }
        append_utf8(out, u);
      }
      return out;
    }
    case der::kIa5String:
      if (!is_ia5(s)) return invalid("invalid IA5String");
      return s;
    case der::kNumericString:
      for (unsigned char b : s) {
        if (!((b >= '0' && b <= '9') || b == ' ')) return invalid("invalid NumericString");
      }
      return s;
    default:
      return invalid("unsupported string type");
  }
}

struct NameAttr {
  const char* oid;
  std::vector<std::string> DistinguishedName::*many;
  std::string DistinguishedName::*one;
};

// Go's pkix.Name.ToRDNSequence order.
constexpr NameAttr kNameAttrs[] = {
    {"2.5.4.6", &DistinguishedName::country, nullptr},
    {"2.5.4.8", &DistinguishedName::province, nullptr},
    {"2.5.4.7", &DistinguishedName::locality, nullptr},
    {"2.5.4.9", &DistinguishedName::street_address, nullptr},
    {"2.5.4.17", &DistinguishedName::postal_code, nullptr},
    {"2.5.4.10", &DistinguishedName::organization, nullptr},
    {"2.5.4.11", &DistinguishedName::organizational_unit, nullptr},
    {"2.5.4.3", nullptr, &DistinguishedName::common_name},
    {"2.5.4.5", nullptr, &DistinguishedName::serial_number},
};

Result<Bytes> encode_atv(std::string_view oid, std::string_view value) {
  MR_ASSIGN_OR_RETURN(Bytes oid_contents, der::encode_oid(oid));
  if (!valid_utf8(value)) return invalid("asn1: string not valid UTF-8");
  const bool printable = std::all_of(value.begin(), value.end(), [](char c) {
    return is_printable_char(static_cast<unsigned char>(c), false);
  });
  return der::tlv(der::kSequence,
                  der::concat({der::tlv(der::kOid, oid_contents),
                               der::tlv(printable ? der::kPrintableString : der::kUtf8String,
                                        as_bytes(value))}));
}

struct SigAlgInfo {
  int go_value;
  const char* oid;
};
constexpr SigAlgInfo kSigAlgOids[] = {
    {1, "1.2.840.113549.1.1.2"},  {2, "1.2.840.113549.1.1.4"},  {3, "1.2.840.113549.1.1.5"},
    {3, "1.3.14.3.2.29"},         {4, "1.2.840.113549.1.1.11"}, {5, "1.2.840.113549.1.1.12"},
    {6, "1.2.840.113549.1.1.13"}, {7, "1.2.840.10040.4.3"},     {8, "2.16.840.1.101.3.4.3.2"},
    {9, "1.2.840.10045.4.1"},     {10, "1.2.840.10045.4.3.2"},  {11, "1.2.840.10045.4.3.3"},
    {12, "1.2.840.10045.4.3.4"},  {16, "1.3.101.112"},
};
constexpr std::string_view kOidRsaPss = "1.2.840.113549.1.1.10";
constexpr std::string_view kOidMgf1 = "1.2.840.113549.1.1.8";

// Reads an AlgorithmIdentifier whose parameters must be absent or NULL; returns its OID.
std::optional<std::string> read_hash_alg(ByteSpan alg_id) {
  der::Reader r(alg_id);
  ByteSpan body, oid, params;
  if (!r.read(der::kSequence, &body) || !r.empty()) return std::nullopt;
  der::Reader b(body);
  if (!b.read(der::kOid, &oid)) return std::nullopt;
  if (!b.empty() && (!b.read(der::kNull, &params) || !params.empty() || !b.empty())) {
    return std::nullopt;
  }
  return der::decode_oid(oid);
}

// Go's getSignatureAlgorithmFromAI for RSASSA-PSS parameters.
int pss_from_params(ByteSpan params) {
  der::Reader r(params);
  ByteSpan seq, hash_wrap, mgf_wrap, salt_wrap, trailer_wrap;
  if (!r.read(der::kSequence, &seq) || !r.empty()) return 0;
  der::Reader s(seq);
  if (!s.read(der::context(0, true), &hash_wrap) || !s.read(der::context(1, true), &mgf_wrap) ||
      !s.read(der::context(2, true), &salt_wrap)) {
    return 0;
  }
  long long trailer = 1;
  if (s.peek(der::context(3, true))) {
    ByteSpan t;
    if (!s.read(der::context(3, true), &trailer_wrap)) return 0;
    der::Reader tr(trailer_wrap);
    if (!tr.read(der::kInteger, &t) || !der::parse_small_integer(t, &trailer)) return 0;
  }
  if (!s.empty() || trailer != 1) return 0;
  const auto hash = read_hash_alg(hash_wrap);
  // MaskGenAlgorithm: SEQUENCE { mgf1 OID, hash AlgorithmIdentifier }.
  der::Reader m(mgf_wrap);
  ByteSpan mgf_body, mgf_oid, mgf_hash;
  if (!m.read(der::kSequence, &mgf_body) || !m.empty()) return 0;
  der::Reader mb(mgf_body);
  if (!mb.read(der::kOid, &mgf_oid) || !mb.read_element(&mgf_hash) || !mb.empty()) return 0;
  if (der::decode_oid(mgf_oid) != std::string(kOidMgf1)) return 0;
  const auto mgf_hash_oid = read_hash_alg(mgf_hash);
  if (!hash || mgf_hash_oid != hash) return 0;
  der::Reader sr(salt_wrap);
  ByteSpan salt_bytes;
  long long salt = 0;
  if (!sr.read(der::kInteger, &salt_bytes) || !der::parse_small_integer(salt_bytes, &salt)) {
    return 0;
  }
  if (*hash == "2.16.840.1.101.3.4.2.1" && salt == 32) return 13;
  if (*hash == "2.16.840.1.101.3.4.2.2" && salt == 48) return 14;
  if (*hash == "2.16.840.1.101.3.4.2.3" && salt == 64) return 15;
  return 0;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Names

Result<Bytes> encode_name(const DistinguishedName& name) {
  Bytes rdns;
  auto overridden = [&](std::string_view oid) {
    return std::any_of(name.extra_names.begin(), name.extra_names.end(),
                       [&](const AttributeTypeAndValue& a) { return a.type == oid; });
  };
  for (const NameAttr& attr : kNameAttrs) {
    std::vector<std::string> values;
    if (attr.many != nullptr) {
      values = name.*attr.many;
    } else if (!(name.*attr.one).empty()) {
      values.push_back(name.*attr.one);
    }
    if (values.empty() || overridden(attr.oid)) continue;
    // Several values of one attribute share a multi-valued RDN; DER sorts the SET OF.
    std::vector<Bytes> atvs;
    for (const std::string& v : values) {
      MR_ASSIGN_OR_RETURN(Bytes atv, encode_atv(attr.oid, v));
      atvs.push_back(std::move(atv));
    }
    std::sort(atvs.begin(), atvs.end());
    Bytes set;
    for (const Bytes& a : atvs)
      set.insert(set.end(), a.begin(), a.end());
    der::append_tlv(rdns, der::kSet, set);
  }
  for (const AttributeTypeAndValue& extra : name.extra_names) {
    auto atv = encode_atv(extra.type, extra.value);
    if (!atv) return fail(std::move(atv.error()).wrap("x509: invalid ExtraNames attribute"));
    der::append_tlv(rdns, der::kSet, *atv);
  }
  return der::tlv(der::kSequence, rdns);
}

Result<DistinguishedName> parse_name(ByteSpan der_name) {
  auto bad = [] { return invalid("x509: invalid RDNSequence"); };
  der::Reader outer(der_name);
  ByteSpan seq;
  if (!outer.read(der::kSequence, &seq) || !outer.empty()) return bad();
  DistinguishedName out;
  der::Reader rdns(seq);
  while (!rdns.empty()) {
    ByteSpan set;
    if (!rdns.read(der::kSet, &set)) return bad();
    der::Reader atvs(set);
    while (!atvs.empty()) {
      ByteSpan atv, oid_contents, value;
      std::uint8_t tag = 0;
      if (!atvs.read(der::kSequence, &atv)) return bad();
      der::Reader a(atv);
      if (!a.read(der::kOid, &oid_contents) || !a.read_any(&tag, &value) || !a.empty()) {
        return bad();
      }
      auto oid = der::decode_oid(oid_contents);
      if (!oid) return bad();
      auto text = parse_asn1_string(tag, value);
      if (!text) {
        return fail(
            std::move(text.error()).wrap("x509: invalid RDNSequence: invalid attribute value"));
      }
      const auto known = std::find_if(std::begin(kNameAttrs), std::end(kNameAttrs),
                                      [&](const NameAttr& n) { return *oid == n.oid; });
      if (known == std::end(kNameAttrs)) {
        out.extra_names.push_back({*oid, std::move(*text)});
      } else if (known->many != nullptr) {
        (out.*(known->many)).push_back(std::move(*text));
      } else {
        out.*(known->one) = std::move(*text);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Times

Result<ossl::Ptr<ASN1_TIME>> make_time(UnixTime t) {
  const CivilTime c = to_civil(t);
  if (c.year < 0 || c.year > 9999) return invalid("x509: certificate time out of range");
  char text[32];
  std::snprintf(text, sizeof text, "%04lld%02u%02u%02u%02u%02uZ", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  ossl::Ptr<ASN1_TIME> out(ASN1_TIME_new());
  // The _X509 variant stores UTCTime for 1950–2049 and GeneralizedTime otherwise (RFC 5280).
  if (!out || ASN1_TIME_set_string_X509(out.get(), text) != 1) {
    return ossl::fail("encoding certificate time");
  }
  return out;
}

Result<UnixTime> parse_time(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return invalid("x509: malformed validity");
  return from_civil(CivilTime{tm.tm_year + 1900LL, static_cast<unsigned>(tm.tm_mon + 1),
                              static_cast<unsigned>(tm.tm_mday), static_cast<unsigned>(tm.tm_hour),
                              static_cast<unsigned>(tm.tm_min), static_cast<unsigned>(tm.tm_sec)});
}

// ---------------------------------------------------------------------------------------------
// Signature algorithms

Result<SigAlg> resolve_sig_alg(const PublicKey& signer, int requested) {
  SigAlg def;
  switch (signer.type()) {
    case KeyType::kRsa:
      def = {4, md_for(HashAlg::kSha256), false};
      break;
    case KeyType::kEd25519:
      def = {16, nullptr, false};
      break;
    case KeyType::kEc:
      switch (signer.curve()) {
        case Curve::kP384:
          def = {11, md_for(HashAlg::kSha384), false};
          break;
        case Curve::kP521:
          def = {12, md_for(HashAlg::kSha512), false};
          break;
        default:
          def = {10, md_for(HashAlg::kSha256), false};
          break;
      }
      break;
  }
  if (requested == 0) return def;
  if (detail::is_insecure_signature_algorithm(requested)) {
    return invalid("x509: requested SignatureAlgorithm is insecure or unsupported");
  }
  KeyType needed;
  SigAlg alg;
  switch (requested) {
    case 4:
      alg = {4, md_for(HashAlg::kSha256), false}, needed = KeyType::kRsa;
      break;
    case 5:
      alg = {5, md_for(HashAlg::kSha384), false}, needed = KeyType::kRsa;
      break;
    case 6:
      alg = {6, md_for(HashAlg::kSha512), false}, needed = KeyType::kRsa;
      break;
    case 10:
      alg = {10, md_for(HashAlg::kSha256), false}, needed = KeyType::kEc;
      break;
    case 11:
      alg = {11, md_for(HashAlg::kSha384), false}, needed = KeyType::kEc;
      break;
    case 12:
      alg = {12, md_for(HashAlg::kSha512), false}, needed = KeyType::kEc;
      break;
    case 13:
      alg = {13, md_for(HashAlg::kSha256), true}, needed = KeyType::kRsa;
      break;
    case 14:
      alg = {14, md_for(HashAlg::kSha384), true}, needed = KeyType::kRsa;
      break;
    case 15:
      alg = {15, md_for(HashAlg::kSha512), true}, needed = KeyType::kRsa;
      break;
    case 16:
      alg = {16, nullptr, false}, needed = KeyType::kEd25519;
      break;
    default:
      return invalid("x509: unknown SignatureAlgorithm");
  }
  if (needed != signer.type()) {
    return invalid("x509: requested SignatureAlgorithm does not match private key type");
  }
  return alg;
}

int sig_alg_from_der(ByteSpan algorithm_identifier) {
  der::Reader r(algorithm_identifier);
  ByteSpan body, oid_contents;
  if (!r.read(der::kSequence, &body)) return 0;
  der::Reader b(body);
  if (!b.read(der::kOid, &oid_contents)) return 0;
  const auto oid = der::decode_oid(oid_contents);
  if (!oid) return 0;
  if (*oid == kOidRsaPss) {
    ByteSpan params;
    return b.read_element(&params) && b.empty() ? pss_from_params(params) : 0;
  }
  for (const SigAlgInfo& info : kSigAlgOids) {
    if (*oid != info.oid) continue;
    if (info.go_value == 16 && !b.empty()) return 0;  // RFC 8410: parameters MUST be absent
    return info.go_value;
  }
  return 0;
}

Result<ossl::Ptr<EVP_MD_CTX>> sign_ctx(const PrivateKey& key, const SigAlg& alg) {
  ossl::Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, alg.md, nullptr, key.impl().pkey.get()) != 1) {
    return ossl::fail("initializing signature");
  }
  if (alg.pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
                  EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, alg.md) != 1)) {
    return ossl::fail("configuring RSA-PSS");
  }
  return ctx;
}

// ---------------------------------------------------------------------------------------------
// Subject alternative names

Bytes ip_san_bytes(const IpAddress& ip) {
  const ByteSpan raw = ip.bytes();
  static constexpr std::uint8_t kV4Prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (raw.size() == 16 && std::equal(raw.begin(), raw.begin() + 12, kV4Prefix)) {
    return Bytes(raw.begin() + 12, raw.end());  // Go's net.IP.To4()
  }
  return Bytes(raw.begin(), raw.end());
}

Result<Bytes> encode_sans(const std::vector<std::string>& dns,
                          const std::vector<std::string>& emails, const std::vector<IpAddress>& ips,
                          const std::vector<std::string>& uris) {
  Bytes names;
  for (const auto& n : dns) {
    if (!is_ia5(n)) return invalid("x509: SAN dNSName cannot be encoded as an IA5String");
    der::append_tlv(names, der::context(2, false), as_bytes(n));
  }
  for (const auto& e : emails) {
    if (!is_ia5(e)) return invalid("x509: SAN rfc822Name cannot be encoded as an IA5String");
    der::append_tlv(names, der::context(1, false), as_bytes(e));
  }
  for (const auto& ip : ips)
    der::append_tlv(names, der::context(7, false), ip_san_bytes(ip));
  for (const auto& u : uris) {
    if (!is_ia5(u)) return invalid("x509: SAN URI cannot be encoded as an IA5String");
    der::append_tlv(names, der::context(6, false), as_bytes(u));
  }
  return der::tlv(der::kSequence, names);
}

Result<Sans> parse_sans(ByteSpan value) {
  der::Reader outer(value);
  ByteSpan seq;
  if (!outer.read(der::kSequence, &seq) || !outer.empty()) {
    return invalid("x509: invalid subject alternative names");
  }
  Sans out;
  der::Reader r(seq);
  while (!r.empty()) {
    std::uint8_t tag = 0;
    ByteSpan data;
    if (!r.read_any(&tag, &data)) return invalid("x509: invalid subject alternative name");
    const std::string s = to_string(data);
    switch (tag) {
      case der::context(1, false):
        if (!is_ia5(s)) return invalid("x509: SAN rfc822Name is malformed");
        out.emails.push_back(s);
        break;
      case der::context(2, false):
        if (!is_ia5(s)) return invalid("x509: SAN dNSName is malformed");
        out.dns.push_back(s);
        break;
      case der::context(6, false):
        if (!is_ia5(s)) return invalid("x509: SAN uniformResourceIdentifier is malformed");
        out.uris.push_back(s);
        break;
      case der::context(7, false): {
        auto ip = IpAddress::from_bytes(data);
        if (!ip)
          return invalid("x509: cannot parse IP address of length " + std::to_string(data.size()));
        out.ips.push_back(*ip);
        break;
      }
      default:
        break;  // other GeneralName kinds are ignored, as in Go
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Raw extensions and OIDs

std::string oid_text(const ASN1_OBJECT* obj) {
  char buf[128];
  const int n = OBJ_obj2txt(buf, sizeof buf, obj, 1);
  if (n < 0) return {};
  if (static_cast<std::size_t>(n) < sizeof buf)
    return std::string(buf, static_cast<std::size_t>(n));
  std::string big(static_cast<std::size_t>(n) + 1, '\0');
  OBJ_obj2txt(big.data(), static_cast<int>(big.size()), obj, 1);
  big.resize(static_cast<std::size_t>(n));
  return big;
}

Result<ossl::Ptr<X509_EXTENSION>> make_extension(const Extension& ext) {
  if (!der::encode_oid(ext.id)) return invalid("x509: invalid extension OID");
  ossl::Ptr<ASN1_OBJECT> obj(OBJ_txt2obj(ext.id.c_str(), 1));
  ossl::Ptr<ASN1_OCTET_STRING> data(ASN1_OCTET_STRING_new());
  if (!obj || !data ||
      ASN1_OCTET_STRING_set(data.get(), ext.value.data(), static_cast<int>(ext.value.size())) !=
          1) {
    return ossl::fail("building extension");
  }
  ossl::Ptr<X509_EXTENSION> out(
      X509_EXTENSION_create_by_OBJ(nullptr, obj.get(), ext.critical ? 1 : 0, data.get()));
  if (!out) return ossl::fail("building extension");
  return out;
}

Extension read_extension(const X509_EXTENSION* ext) {
  Extension out;
  out.id = oid_text(X509_EXTENSION_get_object(const_cast<X509_EXTENSION*>(ext)));
  out.critical = X509_EXTENSION_get_critical(ext) > 0;
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(const_cast<X509_EXTENSION*>(ext));
  const unsigned char* p = ASN1_STRING_get0_data(data);
  out.value.assign(p, p + ASN1_STRING_length(data));
  return out;
}

namespace {
struct EkuOid {
  ExtKeyUsage usage;
  const char* oid;
};
constexpr EkuOid kEkuOids[] = {
    {ExtKeyUsage::kAny, "2.5.29.37.0"},
    {ExtKeyUsage::kServerAuth, "1.3.6.1.5.5.7.3.1"},
    {ExtKeyUsage::kClientAuth, "1.3.6.1.5.5.7.3.2"},
    {ExtKeyUsage::kCodeSigning, "1.3.6.1.5.5.7.3.3"},
    {ExtKeyUsage::kEmailProtection, "1.3.6.1.5.5.7.3.4"},
    {ExtKeyUsage::kIpsecEndSystem, "1.3.6.1.5.5.7.3.5"},
    {ExtKeyUsage::kIpsecTunnel, "1.3.6.1.5.5.7.3.6"},
    {ExtKeyUsage::kIpsecUser, "1.3.6.1.5.5.7.3.7"},
    {ExtKeyUsage::kTimeStamping, "1.3.6.1.5.5.7.3.8"},
    {ExtKeyUsage::kOcspSigning, "1.3.6.1.5.5.7.3.9"},
    {ExtKeyUsage::kMicrosoftServerGatedCrypto, "1.3.6.1.4.1.311.10.3.3"},
    {ExtKeyUsage::kNetscapeServerGatedCrypto, "2.16.840.1.113730.4.1"},
    {ExtKeyUsage::kMicrosoftCommercialCodeSigning, "1.3.6.1.4.1.311.2.1.22"},
    {ExtKeyUsage::kMicrosoftKernelCodeSigning, "1.3.6.1.4.1.311.61.1.1"},
};
}  // namespace

std::optional<Oid> ext_key_usage_oid(ExtKeyUsage usage) {
  for (const EkuOid& e : kEkuOids) {
    if (e.usage == usage) return Oid(e.oid);
  }
  return std::nullopt;
}

std::optional<ExtKeyUsage> ext_key_usage_from_oid(std::string_view oid) {
  for (const EkuOid& e : kEkuOids) {
    if (oid == e.oid) return e.usage;
  }
  return std::nullopt;
}

}  // namespace mr::crypto::detail
