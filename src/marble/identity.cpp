#include "marble/identity.h"

#include <optional>

namespace mr::marble {
namespace {

IpAddress must_parse(std::string_view ip) {
  return *IpAddress::parse(ip);  // constant input
}

}  // namespace

SanNames split_san_names(const std::vector<std::string>& names) {
  SanNames out;
  for (const auto& name : names) {
    if (auto ip = IpAddress::parse(name)) {
      out.ips.push_back(*ip);
    } else {
      out.dns.push_back(name);
    }
  }
  return out;
}

Result<MarbleIdentity> create_identity(const std::vector<std::string>& names, UnixTime now) {
  for (const auto& name : names) {
    if (name.empty()) {
      return fail(ErrorCode::kInvalidArgument, "the list of DNS names has an empty entry");
    }
  }
  const SanNames san = split_san_names(names);
  const IpAddress v4_loopback = must_parse("127.0.0.1");
  const IpAddress v6_loopback = must_parse("::1");

  MR_ASSIGN_OR_RETURN(crypto::PrivateKey key,
                      crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP384))
                          .map_error(Wrap("generating the Marble key")));

  // Step 1: the self-signed certificate. IPs: the configured ones first, then the loopbacks.
  crypto::CertTemplate t;
  t.subject.common_name = kMarbleCommonName;
  // t.serial_number stays empty: create_certificate draws it uniformly from [0, 2^128).
  t.not_before = now;
  t.not_after = now + kGoMaxDuration;
  t.key_usage = crypto::kKeyUsageDigitalSignature | crypto::kKeyUsageKeyAgreement;
  t.ext_key_usage = std::vector<crypto::ExtKeyUsage>{crypto::ExtKeyUsage::kServerAuth,
                                                     crypto::ExtKeyUsage::kClientAuth};
  t.basic_constraints_valid = true;
  t.is_ca = false;
  t.dns_names = san.dns;
  std::vector<IpAddress> cert_ips = san.ips;
  cert_ips.push_back(v4_loopback);
  cert_ips.push_back(v6_loopback);
  t.ip_addresses = cert_ips;
  MR_ASSIGN_OR_RETURN(crypto::Certificate cert,
                      crypto::create_certificate(t, key.public_key(), nullptr, key)
                          .map_error(Wrap("creating the self-signed certificate")));

  // Step 3: the CSR. IPs: the loopbacks first, then the configured ones (upstream's order).
  std::vector<IpAddress> csr_ips = {v4_loopback, v6_loopback};
  csr_ips.insert(csr_ips.end(), san.ips.begin(), san.ips.end());
  MR_ASSIGN_OR_RETURN(Bytes csr,
                      crypto::create_csr(key, crypto::DistinguishedName{}, san.dns, csr_ips)
                          .map_error(Wrap("creating the CSR")));

  return MarbleIdentity{std::move(key), std::move(cert), std::move(csr)};
}

}  // namespace mr::marble
