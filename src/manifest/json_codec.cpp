#include "manifest/json_codec.h"

#include <fmt/format.h>

#include "base/clock.h"
#include "base/strings.h"

namespace mr::manifest {

using gojson::Decoder;
using gojson::Json;

std::string oid_from_ints(const std::vector<std::int64_t>& arcs) {
  // X.660: at least two arcs, first 0..2, second < 40 under 0 and 1.
  if (arcs.size() < 2 || arcs[0] < 0 || arcs[0] > 2 || arcs[1] < 0 ||
      (arcs[0] < 2 && arcs[1] >= 40)) {
    return {};
  }
  std::vector<std::string> parts;
  for (std::int64_t a : arcs) {
    if (a < 0) return {};
    parts.push_back(std::to_string(a));
  }
  return join(parts, ".");
}

namespace {

void decode_oid(Decoder& d, const Json& v, crypto::Oid& out) {
  std::vector<std::int64_t> arcs;
  d.int_list(v, "int", arcs);
  if (v.is_null()) return;
  out = oid_from_ints(arcs);
  if (out.empty() && !d.failed()) d.error("invalid object identifier in certificate template");
}

void decode_oid_list(Decoder& d, const Json& v, std::vector<crypto::Oid>& out) {
  d.array(
      v, "[]asn1.ObjectIdentifier",
      [&](std::size_t, const Json& e) {
        crypto::Oid oid;
        decode_oid(d, e, oid);
        out.push_back(std::move(oid));
      },
      [&] { out.clear(); });
}

void decode_name(Decoder& d, const Json& v, crypto::DistinguishedName& n) {
  d.object(v, "pkix.Name",
           {{"Country", [&](const Json& x) { d.string_list(x, n.country); }},
            {"Organization", [&](const Json& x) { d.string_list(x, n.organization); }},
            {"OrganizationalUnit", [&](const Json& x) { d.string_list(x, n.organizational_unit); }},
            {"Locality", [&](const Json& x) { d.string_list(x, n.locality); }},
            {"Province", [&](const Json& x) { d.string_list(x, n.province); }},
            {"StreetAddress", [&](const Json& x) { d.string_list(x, n.street_address); }},
            {"PostalCode", [&](const Json& x) { d.string_list(x, n.postal_code); }},
            {"SerialNumber", [&](const Json& x) { d.string(x, n.serial_number); }},
            {"CommonName", [&](const Json& x) { d.string(x, n.common_name); }},
            {"ExtraNames", [&](const Json& x) {
               d.array(
                   x, "[]pkix.AttributeTypeAndValue",
                   [&](std::size_t, const Json& e) {
                     crypto::AttributeTypeAndValue atv;
                     d.object(e, "pkix.AttributeTypeAndValue",
                              {{"Type", [&](const Json& t) { decode_oid(d, t, atv.type); }},
                               {"Value", [&](const Json& t) {
                                  // Go's Value is interface{}; only strings make sense here.
                                  if (t.is_string()) {
                                    atv.value = t.get<std::string>();
                                  } else if (!t.is_null()) {
                                    d.type_error(t, "string");
                                  }
                                }}});
                     n.extra_names.push_back(std::move(atv));
                   },
                   [&] { n.extra_names.clear(); });
             }}});
}

void decode_time(Decoder& d, const Json& v, std::optional<UnixTime>& out) {
  if (v.is_null()) return;
  if (!v.is_string()) return d.type_error(v, "time.Time");
  auto t = parse_rfc3339(v.get<std::string>());
  if (!t) return d.error("parsing time: certificate template time is not in RFC 3339 format");
  // Go's zero time.Time ("0001-01-01T00:00:00Z") means "unset".
  if (v.get<std::string>().starts_with("0001-01-01T00:00:00")) {
    out.reset();
    return;
  }
  out = *t;
}

void decode_ip(Decoder& d, const Json& v, IpAddress& out, bool& ok) {
  ok = false;
  if (!v.is_string()) return d.type_error(v, "net.IP");
  auto ip = IpAddress::parse(v.get<std::string>());
  if (!ip) return d.error("invalid IP address in certificate template");
  out = *ip;
  ok = true;
}

void decode_ip_list(Decoder& d, const Json& v, std::optional<std::vector<IpAddress>>& out) {
  if (v.is_null()) {
    out.reset();
    return;
  }
  std::vector<IpAddress> ips;
  d.array(
      v, "[]net.IP",
      [&](std::size_t, const Json& e) {
        IpAddress ip;
        bool ok = false;
        decode_ip(d, e, ip, ok);
        if (ok) ips.push_back(ip);
      },
      [] {});
  if (v.is_array()) out = std::move(ips);
}

void decode_ip_nets(Decoder& d, const Json& v, std::vector<crypto::IpNet>& out) {
  d.array(
      v, "[]*net.IPNet",
      [&](std::size_t, const Json& e) {
        crypto::IpNet net;
        bool ok = false;
        d.object(e, "net.IPNet",
                 {{"IP", [&](const Json& x) { decode_ip(d, x, net.ip, ok); }},
                  {"Mask", [&](const Json& x) { d.bytes(x, net.mask); }}});
        if (ok) out.push_back(std::move(net));
      },
      [&] { out.clear(); });
}

// Go's url.URL JSON:
// {"Scheme","Opaque","User","Host","Path","RawPath","ForceQuery","RawQuery","Fragment",...}
void decode_urls(Decoder& d, const Json& v, std::vector<std::string>& out) {
  d.array(
      v, "[]*url.URL",
      [&](std::size_t, const Json& e) {
        std::string scheme, opaque, host, path, query, fragment;
        d.object(e, "url.URL",
                 {{"Scheme", [&](const Json& x) { d.string(x, scheme); }},
                  {"Opaque", [&](const Json& x) { d.string(x, opaque); }},
                  {"Host", [&](const Json& x) { d.string(x, host); }},
                  {"Path", [&](const Json& x) { d.string(x, path); }},
                  {"RawQuery", [&](const Json& x) { d.string(x, query); }},
                  {"Fragment", [&](const Json& x) { d.string(x, fragment); }}});
        std::string s;
        if (!scheme.empty()) s += scheme + ":";
        if (!opaque.empty()) {
          s += opaque;
        } else {
          if (!host.empty() || !scheme.empty()) s += "//" + host;
          s += path;
        }
        if (!query.empty()) s += "?" + query;
        if (!fragment.empty()) s += "#" + fragment;
        if (!e.is_null()) out.push_back(std::move(s));
      },
      [&] { out.clear(); });
}

}  // namespace

void decode_cert_template(Decoder& d, const Json& v, crypto::CertTemplate& t) {
  auto int_field = [&](const Json& x, std::string_view type, auto& out) {
    std::int64_t n = 0;
    d.signed_int(x, type, n);
    out = static_cast<std::remove_reference_t<decltype(out)>>(n);
  };
  d.object(
      v, "x509.Certificate",
      {{"Subject", [&](const Json& x) { decode_name(d, x, t.subject); }},
       {"NotAfter", [&](const Json& x) { decode_time(d, x, t.not_after); }},
       {"KeyUsage", [&](const Json& x) { int_field(x, "x509.KeyUsage", t.key_usage); }},
       {"ExtKeyUsage",
        [&](const Json& x) {
          if (x.is_null()) {
            t.ext_key_usage.reset();
            return;
          }
          std::vector<std::int64_t> values;
          d.int_list(x, "x509.ExtKeyUsage", values);
          if (!x.is_array()) return;
          std::vector<crypto::ExtKeyUsage> ekus;
          for (auto e : values) {
            if (e < 0 || e > 13) {
              d.error(fmt::format("unknown ExtKeyUsage value {} in certificate template", e));
              return;
            }
            ekus.push_back(static_cast<crypto::ExtKeyUsage>(e));
          }
          t.ext_key_usage = std::move(ekus);
        }},
       {"UnknownExtKeyUsage",
        [&](const Json& x) { decode_oid_list(d, x, t.unknown_ext_key_usage); }},
       {"IsCA", [&](const Json& x) { d.boolean(x, t.is_ca); }},
       {"MaxPathLen", [&](const Json& x) { int_field(x, "int", t.max_path_len); }},
       {"MaxPathLenZero", [&](const Json& x) { d.boolean(x, t.max_path_len_zero); }},
       {"SubjectKeyId", [&](const Json& x) { d.bytes(x, t.subject_key_id); }},
       {"OCSPServer", [&](const Json& x) { d.string_list(x, t.ocsp_server); }},
       {"IssuingCertificateURL",
        [&](const Json& x) { d.string_list(x, t.issuing_certificate_url); }},
       {"DNSNames", [&](const Json& x) { d.optional_string_list(x, t.dns_names); }},
       {"EmailAddresses", [&](const Json& x) { d.string_list(x, t.email_addresses); }},
       {"IPAddresses", [&](const Json& x) { decode_ip_list(d, x, t.ip_addresses); }},
       {"URIs", [&](const Json& x) { decode_urls(d, x, t.uris); }},
       {"PermittedDNSDomainsCritical",
        [&](const Json& x) { d.boolean(x, t.permitted_dns_domains_critical); }},
       {"PermittedDNSDomains", [&](const Json& x) { d.string_list(x, t.permitted_dns_domains); }},
       {"ExcludedDNSDomains", [&](const Json& x) { d.string_list(x, t.excluded_dns_domains); }},
       {"PermittedIPRanges", [&](const Json& x) { decode_ip_nets(d, x, t.permitted_ip_ranges); }},
       {"ExcludedIPRanges", [&](const Json& x) { decode_ip_nets(d, x, t.excluded_ip_ranges); }},
       {"PermittedEmailAddresses",
        [&](const Json& x) { d.string_list(x, t.permitted_email_addresses); }},
       {"ExcludedEmailAddresses",
        [&](const Json& x) { d.string_list(x, t.excluded_email_addresses); }},
       {"PermittedURIDomains", [&](const Json& x) { d.string_list(x, t.permitted_uri_domains); }},
       {"ExcludedURIDomains", [&](const Json& x) { d.string_list(x, t.excluded_uri_domains); }},
       {"CRLDistributionPoints",
        [&](const Json& x) { d.string_list(x, t.crl_distribution_points); }},
       {"PolicyIdentifiers", [&](const Json& x) { decode_oid_list(d, x, t.policy_identifiers); }},
       {"ExtraExtensions",
        [&](const Json& x) {
          d.array(
              x, "[]pkix.Extension",
              [&](std::size_t, const Json& e) {
                crypto::Extension ext;
                d.object(e, "pkix.Extension",
                         {{"Id", [&](const Json& y) { decode_oid(d, y, ext.id); }},
                          {"Critical", [&](const Json& y) { d.boolean(y, ext.critical); }},
                          {"Value", [&](const Json& y) { d.bytes(y, ext.value); }}});
                t.extra_extensions.push_back(std::move(ext));
              },
              [&] { t.extra_extensions.clear(); });
        }},
       {"SignatureAlgorithm",
        [&](const Json& x) { int_field(x, "x509.SignatureAlgorithm", t.signature_algorithm); }}});
}

}  // namespace mr::manifest
