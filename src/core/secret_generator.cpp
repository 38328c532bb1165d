#include "core/secret_generator.h"

#include "crypto/hash.h"
#include "manifest/check.h"

namespace mr::core {
namespace {

using crypto::ExtKeyUsage;
using manifest::Secret;

constexpr std::chrono::seconds kDay{86400};
constexpr std::uint64_t kDefaultValidForDays = 365;

Result<crypto::KeySpec> key_spec(std::string_view name, const Secret& s) {
  MR_RETURN_IF_ERROR(manifest::check_secret_parameter(name, s));
  if (s.type == manifest::kSecretCertRsa)
    return crypto::KeySpec::rsa(static_cast<unsigned>(s.size));
  if (s.type == manifest::kSecretCertEd25519) return crypto::KeySpec::ed25519();
  return crypto::KeySpec::ec(crypto::curve_for_bits(static_cast<unsigned>(s.size)));
}

// Builds the certificate template of spec 7.3 and writes a defaulted ValidFor back into |s|.
crypto::CertTemplate cert_template(Secret& s, UnixTime now) {
  crypto::CertTemplate t = s.cert;
  if (!t.dns_names) t.dns_names = std::vector<std::string>{"localhost"};
  if (!t.ip_addresses)
    t.ip_addresses =
        std::vector<IpAddress>{*IpAddress::parse("127.0.0.1"), *IpAddress::parse("::1")};
  if (t.key_usage == 0) t.key_usage = crypto::kKeyUsageDigitalSignature | crypto::kKeyUsageCertSign;
  if (!t.ext_key_usage)
    t.ext_key_usage = std::vector<ExtKeyUsage>{ExtKeyUsage::kServerAuth, ExtKeyUsage::kClientAuth};
  if (t.subject.common_name.empty()) {
    t.subject.common_name =
        t.dns_names->size() == 1 ? t.dns_names->front() : "MarbleRun Generated Certificate";
  }
  t.serial_number.clear();  // random
  t.basic_constraints_valid = true;
  t.not_before = now;
  if (!t.not_after) {
    if (s.valid_for == 0) s.valid_for = kDefaultValidForDays;
    t.not_after = now + kDay * static_cast<long long>(s.valid_for);
  } else if (s.valid_for != 0 && !s.shared) {
    t.not_after = now + kDay * static_cast<long long>(s.valid_for);
  }
  t.authority_key_id.clear();
  return t;
}

}  // namespace

Result<SecretBytes> derive_marble_key(ByteSpan root_secret, const Uuid& uuid,
                                      std::string_view secret_name, std::string_view marble_name,
                                      std::size_t bytes) {
  const std::string salt = uuid.to_string() + std::string(secret_name);
  return crypto::hkdf_sha256(root_secret, as_bytes(salt), as_bytes(marble_name), bytes);
}

Result<Secret> generate_secret(std::string_view name, const Secret& definition,
                               const std::optional<Uuid>& uuid, std::string_view marble_name,
                               const SecretContext& ctx) {
  Secret s = definition;
  if (s.type == manifest::kSecretSymmetricKey) {
    MR_RETURN_IF_ERROR(manifest::check_secret_parameter(name, s));
    const std::size_t bytes = s.size / 8;
    if (uuid) {
      MR_ASSIGN_OR_RETURN(SecretBytes key,
                          derive_marble_key(ctx.root_secret, *uuid, name, marble_name, bytes));
      s.private_key.assign(key.span().begin(), key.span().end());
    } else {
      s.private_key = crypto::random_bytes(bytes);
    }
    s.public_key = s.private_key;
    s.cert_der.clear();
    return s;
  }
  MR_ASSIGN_OR_RETURN(crypto::KeySpec spec, key_spec(name, s));
  MR_ASSIGN_OR_RETURN(auto key, crypto::PrivateKey::generate(spec));
  const crypto::CertTemplate t = cert_template(s, ctx.now);
  MR_ASSIGN_OR_RETURN(auto cert,
                      crypto::create_certificate(t, key.public_key(), &ctx.ca.marble_root,
                                                 ctx.ca.intermediate_key));
  s.cert = cert.to_template();
  s.cert_der = cert.der();
  const SecretBytes pkcs8 = key.to_pkcs8_der();
  s.private_key.assign(pkcs8.span().begin(), pkcs8.span().end());
  s.public_key = key.public_key().to_der();
  return s;
}

Result<SecretMap> generate_secrets(const SecretMap& definitions, const std::optional<Uuid>& uuid,
                                   std::string_view marble_name, const SecretContext& ctx) {
  SecretMap out;
  for (const auto& [name, def] : definitions) {
    if (def.user_defined || def.shared == uuid.has_value()) continue;
    MR_ASSIGN_OR_RETURN(Secret s, generate_secret(name, def, uuid, marble_name, ctx));
    out.emplace(name, std::move(s));
  }
  return out;
}

}  // namespace mr::core
