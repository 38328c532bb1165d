#include "core/ca.h"

namespace mr::core {
namespace {

using crypto::CertTemplate;
using crypto::ExtKeyUsage;

CertTemplate ca_template(std::string_view cn, const SanSet& sans, UnixTime now) {
  CertTemplate t;
  t.subject.common_name = std::string(cn);
  t.not_before = now;
  t.not_after = now + kGoMaxDuration;
  t.key_usage = crypto::kKeyUsageDigitalSignature | crypto::kKeyUsageCertSign;
  t.ext_key_usage = std::vector<ExtKeyUsage>{ExtKeyUsage::kServerAuth, ExtKeyUsage::kClientAuth};
  t.basic_constraints_valid = true;
  t.is_ca = true;
  t.dns_names = sans.dns_names;
  t.ip_addresses = sans.ips;
  return t;
}

// Intermediate + Marble root for |key|, signed by the root.
Status issue_intermediates(CaSet& ca, const crypto::PrivateKey& key, const SanSet& sans,
                           UnixTime now) {
  const CertTemplate t = ca_template(kIntermediateCommonName, sans, now);
  MR_ASSIGN_OR_RETURN(ca.intermediate,
                      crypto::create_certificate(t, key.public_key(), &ca.root, ca.root_key)
                          .map_error(Wrap("creating intermediate certificate")));
  MR_ASSIGN_OR_RETURN(ca.marble_root, crypto::create_certificate(t, key.public_key(), nullptr, key)
                                          .map_error(Wrap("creating marble root certificate")));
  ca.intermediate_key = key;
  return ok();
}

}  // namespace

SanSet split_sans(const std::vector<std::string>& names) {
  SanSet s;
  for (const auto& n : names) {
    if (auto ip = IpAddress::parse(n)) {
      s.ips.push_back(*ip);
    } else {
      s.dns_names.push_back(n);
    }
  }
  return s;
}

Result<CaSet> generate_ca(const std::vector<std::string>& names, UnixTime now) {
  const SanSet given = split_sans(names);
  SanSet sans{given.dns_names, {*IpAddress::parse("127.0.0.1"), *IpAddress::parse("::1")}};
  sans.ips.insert(sans.ips.end(), given.ips.begin(), given.ips.end());

  MR_ASSIGN_OR_RETURN(auto root_key,
                      crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP384)));
  MR_ASSIGN_OR_RETURN(auto inter_key,
                      crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP384)));
  MR_ASSIGN_OR_RETURN(auto root,
                      crypto::create_certificate(ca_template(kRootCommonName, sans, now),
                                                 root_key.public_key(), nullptr, root_key)
                          .map_error(Wrap("creating root certificate")));
  // intermediate and marble_root are placeholders until issue_intermediates fills them in.
  CaSet ca{root, root_key, root, inter_key, root};
  MR_RETURN_IF_ERROR(issue_intermediates(ca, inter_key, sans, now));
  return ca;
}

Result<CaSet> rotate_intermediate(const CaSet& ca, RotationSans which, UnixTime now) {
  SanSet sans{ca.root.dns_names(), {}};
  if (which == RotationSans::kDnsAndNonLoopbackIps) {
    for (const auto& ip : ca.root.ip_addresses()) {
      if (!ip.is_loopback()) sans.ips.push_back(ip);
    }
  }
  MR_ASSIGN_OR_RETURN(auto key,
                      crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP384)));
  CaSet out = ca;
  MR_RETURN_IF_ERROR(issue_intermediates(out, key, sans, now));
  return out;
}

Result<crypto::Certificate> issue_marble_certificate(const CaSet& ca, const crypto::CsrInfo& csr,
                                                     const Uuid& uuid, std::string_view marble_type,
                                                     const crypto::PublicKey& public_key,
                                                     UnixTime now) {
  CertTemplate t;
  t.subject = csr.subject;
  t.subject.common_name = uuid.to_string();
  t.subject.organization
      .clear();  // forced to the Marble root's issuer Organization, which is empty
  t.not_before = now;
  t.not_after = now + kGoMaxDuration;
  t.key_usage = crypto::kKeyUsageDigitalSignature | crypto::kKeyUsageKeyAgreement;
  t.ext_key_usage = std::vector<ExtKeyUsage>{ExtKeyUsage::kServerAuth, ExtKeyUsage::kClientAuth};
  t.basic_constraints_valid = true;
  t.is_ca = false;
  t.dns_names = csr.dns_names;
  t.ip_addresses = csr.ip_addresses;
  t.extra_extensions.push_back(crypto::Extension{std::string(kMarbleTypeOid), false,
                                                 Bytes(marble_type.begin(), marble_type.end())});
  return crypto::create_certificate(t, public_key, &ca.marble_root, ca.intermediate_key)
      .map_error(Wrap("issuing marble certificate"));
}

}  // namespace mr::core
