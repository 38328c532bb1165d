#include "manifest/check.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "base/strings.h"
#include "crypto/keys.h"
#include "crypto/pem.h"
#include "crypto/x509.h"
#include "manifest/dry_run.h"

namespace mr::manifest {
namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// add_unique appends |msg| unless it is already listed (a package used by several marbles is
// reported once).
void add_unique(std::vector<std::string>& out, std::string msg) {
  if (!contains(out, msg)) out.push_back(std::move(msg));
}

void check_marbles(const Manifest& m, CheckReport& r) {
  for (const auto& [name, marble] : m.marbles) {
    auto pkg_it = m.packages.find(marble.package);
    if (pkg_it == m.packages.end()) {
      add_unique(r.errors,
                 fmt::format("manifest does not contain marble package {}", marble.package));
    } else {
      const PackageProperties& pkg = pkg_it->second;
      auto& sink = pkg.debug ? r.warnings : r.errors;
      if (!pkg.unique_id.empty()) {
        if (!pkg.signer_id.empty() || pkg.product_id || pkg.security_version) {
          add_unique(sink, fmt::format("manifest specifies both UniqueID *and* "
                                       "SignerID/ProductID/SecurityVersion in package {}",
                                       marble.package));
        }
      } else {
        if (pkg.signer_id.empty()) {
          add_unique(sink, fmt::format("manifest misses value for SignerID in package {}",
                                       marble.package));
        }
        if (!pkg.product_id) {
          add_unique(sink, fmt::format("manifest misses value for ProductID in package {}",
                                       marble.package));
        }
        if (!pkg.security_version) {
          add_unique(sink, fmt::format("manifest misses value for SecurityVersion in package {}",
                                       marble.package));
        }
      }
    }
    for (const auto& tag : marble.tls) {
      if (!m.tls.contains(tag))
        add_unique(r.errors, fmt::format("manifest misses TLS entry for {}", tag));
    }
  }
}

// check_tcb_statuses refuses AcceptedTCBStatuses values that are not Intel's status names: a
// typo never matches any quote, so it would silently refuse every Marble of the package.
void check_tcb_statuses(const Manifest& m, CheckReport& r) {
  for (const auto& [name, pkg] : m.packages) {
    for (const auto& status : pkg.accepted_tcb_statuses) {
      if (std::find(kTcbStatusNames.begin(), kTcbStatusNames.end(), status) !=
          kTcbStatusNames.end()) {
        continue;
      }
      std::string hint;
      for (std::string_view known : kTcbStatusNames) {
        if (equal_fold(known, status)) hint = fmt::format("did you mean \"{}\"? ", known);
      }
      r.errors.push_back(
          fmt::format("package {}: AcceptedTCBStatuses value {:?} is not a TCB status ({}names are "
                      "case-sensitive: {})",
                      name, status, hint, fmt::join(kTcbStatusNames, ", ")));
    }
  }
}

void check_tls(const Manifest& m, CheckReport& r) {
  for (const auto& [tag, entry] : m.tls) {
    for (const auto& in : entry.incoming) {
      if (in.port.empty()) {
        add_unique(r.errors, fmt::format("manifest misses Port in TLS.Incoming.{}", tag));
      }
      if (!in.cert.empty()) {
        if (!m.secrets.contains(in.cert)) {
          add_unique(r.errors,
                     fmt::format("TLS.Incoming.{} references undefined secret {}", tag, in.cert));
        }
        if (!in.disable_client_auth) {
          add_unique(r.errors,
                     fmt::format("TLS.Incoming.{} defines Cert but does not disable client "
                                 "authentication",
                                 tag));
        }
      } else if (in.disable_client_auth) {
        add_unique(r.errors, fmt::format("TLS.Incoming.{} disables client authentication", tag));
      }
    }
    for (const auto& out : entry.outgoing) {
      if (out.addr.empty())
        add_unique(r.errors, fmt::format("manifest misses Addr in TLS.Outgoing.{}", tag));
      if (out.port.empty())
        add_unique(r.errors, fmt::format("manifest misses Port in TLS.Outgoing.{}", tag));
    }
  }
}

void check_users(const Manifest& m, CheckReport& r) {
  std::map<std::string, std::string> cert_owner;  // certificate text → first user
  for (const auto& [name, user] : m.users) {
    if (user.certificate.empty()) {
      r.errors.push_back(fmt::format("manifest does not contain a certificate for user {}", name));
    } else if (auto [it, inserted] = cert_owner.emplace(user.certificate, name); !inserted) {
      r.errors.push_back(fmt::format("manifest contains the same certificate for users {} and {}",
                                     it->second, name));
    }
    for (const auto& role : user.roles) {
      if (!m.roles.contains(role)) {
        r.errors.push_back(fmt::format(
            "manifest specifies role {} for user {}, but role does not exist", role, name));
      }
    }
  }
}

std::string role_struct(const Role& role) {
  return fmt::format("{{{} [{}] [{}]}}", role.resource_type, join(role.resource_names, " "),
                     join(role.actions, " "));
}

void check_roles(const Manifest& m, CheckReport& r) {
  for (const auto& [name, role] : m.roles) {
    if (role.resource_type == kResourcePackages) {
      for (const auto& res : role.resource_names) {
        if (!m.packages.contains(res)) {
          r.errors.push_back(fmt::format(
              "role {}: resource {} of type Packages is not defined in manifest", name, res));
        }
      }
      for (const auto& action : role.actions) {
        if (ascii_lower(action) != kActionUpdateSecurityVersion) {
          r.errors.push_back(
              fmt::format("unknown action: {} for type Packages in role: {}", action, name));
        }
      }
    } else if (role.resource_type == kResourceSecrets) {
      bool reads = false, writes = false;
      for (const auto& action : role.actions) {
        const std::string a = ascii_lower(action);
        if (a == kActionReadSecret) {
          reads = true;
        } else if (a == kActionWriteSecret) {
          writes = true;
        } else {
          r.errors.push_back(
              fmt::format("unknown action: {} for type Secrets in role: {}", action, name));
        }
      }
      for (const auto& res : role.resource_names) {
        auto it = m.secrets.find(res);
        if (it == m.secrets.end()) {
          r.errors.push_back(fmt::format(
              "role {}: resource {} of type Secrets is not defined in manifest", name, res));
          continue;
        }
        if (writes && !it->second.user_defined) {
          r.errors.push_back(
              fmt::format("manifest specifies write permission for role {} and secret {}, "
                          "but secret is not user-defined",
                          name, res));
        }
        if (reads && !it->second.shared && !it->second.user_defined) {
          r.errors.push_back(
              fmt::format("manifest specifies read permission for role {} and "
                          "per-marble-unique secret {}",
                          name, res));
        }
      }
    } else if (role.resource_type == kResourceManifest) {
      if (!role.resource_names.empty()) {
        r.errors.push_back(
            fmt::format("role {}: resource names are not allowed for type Manifest", name));
      }
      for (const auto& action : role.actions) {
        if (ascii_lower(action) != kActionUpdateManifest) {
          r.errors.push_back(
              fmt::format("unknown action: {} for type Manifest in role: {}", action, name));
        }
      }
    } else {
      r.errors.push_back(
          fmt::format("unrecognized resource type: {} for role: {}", role_struct(role), name));
    }
  }
}

void check_secrets(const Manifest& m, CheckReport& r) {
  for (const auto& [name, s] : m.secrets) {
    if (s.type != kSecretPlain && s.type != kSecretSymmetricKey && !is_cert_type(s.type)) {
      r.errors.push_back(fmt::format("unknown type: {} for secret: {}", s.type, name));
      continue;
    }
    if (is_cert_type(s.type) && s.cert.not_after && s.valid_for != 0) {
      r.errors.push_back(
          fmt::format("ambiguous certificate validity duration for secret: {}, both "
                      "NotAfter and ValidFor are specified",
                      name));
    }
  }
}

void check_update_threshold(const Manifest& m, CheckReport& r) {
  std::uint64_t updaters = 0;
  for (const auto& [name, user] : m.users) {
    for (const auto& role_name : user.roles) {
      auto it = m.roles.find(role_name);
      if (it != m.roles.end() && it->second.resource_type == kResourceManifest &&
          !it->second.actions.empty() &&
          ascii_lower(it->second.actions.front()) == kActionUpdateManifest) {
        ++updaters;
        break;
      }
    }
  }
  if (updaters < m.config.update_threshold) {
    r.errors.push_back(
        fmt::format("not enough users with manifest update permissions ({}) to meet "
                    "the threshold of {}",
                    updaters, m.config.update_threshold));
  }
}

void check_config(const Manifest& m, const CheckOptions& options, CheckReport& r) {
  if (auto mode = parse_seal_mode(m.config.seal_mode); !mode)
    r.errors.push_back(mode.error().message);
  for (const auto& gate : m.config.feature_gates) {
    if (equal_fold(gate, kFeatureSignQuoteEndpoint) || equal_fold(gate, kFeatureMonotonicCounter))
      continue;
    if (equal_fold(gate, kFeatureAzureHsmSealing)) {
      auto is_set = [&](std::string_view n) { return options.env_is_set && options.env_is_set(n); };
      std::vector<std::string> missing;
      for (const char* var : {"EDG_MAA_URL", "EDG_AZURE_HSM_VAULT_URL", "EDG_AZURE_HSM_KEY_NAME",
                              "EDG_AZURE_CLIENT_ID", "EDG_AZURE_TENANT_ID"}) {
        if (!is_set(var)) missing.emplace_back(var);
      }
      if (!is_set("EDG_AZURE_CLIENT_SECRET") &&
          !(is_set("EDG_AZURE_AUTHORITY_HOST") && is_set("EDG_AZURE_FEDERATED_TOKEN_FILE"))) {
        missing.emplace_back(
            "EDG_AZURE_CLIENT_SECRET or EDG_AZURE_AUTHORITY_HOST+EDG_AZURE_FEDERATED_TOKEN_FILE");
      }
      if (!missing.empty()) {
        r.errors.push_back(
            fmt::format("manifest enables sealing with Azure HSM key, but required "
                        "environment variables are not set: [{}]",
                        join(missing, " ")));
      } else {
        // Secure Key Release from Azure Managed HSM is outside this distribution: refuse rather
        // than silently sealing without the HSM (docs/compatibility.md).
        r.errors.push_back("feature gate AzureHSMSealing is not supported by this Coordinator");
      }
      continue;
    }
    r.errors.push_back(fmt::format("unknown feature gate: {}", gate));
  }
  if (m.recovery_keys.size() < m.config.recovery_threshold) {
    r.errors.push_back(
        fmt::format("not enough recovery keys ({}) defined to meet the recovery "
                    "threshold of {}",
                    m.recovery_keys.size(), m.config.recovery_threshold));
  }
  if (m.config.recovery_threshold == 1) {
    r.errors.push_back("invalid recovery threshold: if set, threshold must be at least 2");
  }
}

}  // namespace

Status CheckReport::first_error() const {
  if (errors.empty()) return mr::ok();
  return fail(ErrorCode::kInvalidArgument, errors.front());
}

void CheckReport::append(CheckReport other) {
  for (auto& e : other.errors)
    errors.push_back(std::move(e));
  for (auto& w : other.warnings)
    warnings.push_back(std::move(w));
}

CheckReport check(const Manifest& m, const CheckOptions& options) {
  CheckReport r;
  if (m.packages.empty()) r.errors.emplace_back("no allowed packages defined");
  if (m.marbles.empty()) r.errors.emplace_back("no allowed marbles defined");
  check_marbles(m, r);
  check_tcb_statuses(m, r);
  check_tls(m, r);
  check_users(m, r);
  check_roles(m, r);
  check_secrets(m, r);
  check_update_threshold(m, r);
  check_config(m, options, r);
  return r;
}

Status check_secret_parameter(std::string_view name, const Secret& s) {
  if (s.type == kSecretSymmetricKey) {
    if (s.size == 0 || s.size % 8 != 0)
      return failf(ErrorCode::kInvalidArgument, "invalid secret size: {}", name);
  } else if (s.type == kSecretCertEd25519) {
    if (s.size != 0) {
      return failf(ErrorCode::kInvalidArgument,
                   "invalid secret size for cert-ed25519 secret {}: none is expected, got: {}",
                   name, s.size);
    }
  } else if (s.type == kSecretCertEcdsa) {
    if (s.size > UINT32_MAX ||
        crypto::curve_for_bits(static_cast<unsigned>(s.size)) == crypto::Curve::kNone) {
      return failf(
          ErrorCode::kInvalidArgument,
          "invalid secret size for cert-ecdsa secret {}: unsupported size {}: does not map "
          "to a supported curve",
          name, s.size);
    }
  } else if (s.type == kSecretCertRsa) {
    if (s.size < kMinRsaBits || s.size > kMaxRsaBits) {
      return failf(ErrorCode::kInvalidArgument,
                   "invalid secret size for cert-rsa secret {}: {} bits is outside the supported "
                   "range {}-{}",
                   name, s.size, kMinRsaBits, kMaxRsaBits);
    }
  } else {
    return failf(ErrorCode::kInvalidArgument, "secret {} is invalid: unsupported secret of type {}",
                 name, s.type);
  }
  return ok();
}

CheckReport check_secret_parameters(const Manifest& m) {
  CheckReport r;
  for (const auto& [name, s] : m.secrets) {
    const bool known_type =
        s.type == kSecretPlain || s.type == kSecretSymmetricKey || is_cert_type(s.type);
    if (s.user_defined || !known_type) continue;  // unknown types are reported by check()
    if (auto st = check_secret_parameter(name, s); !st) r.errors.push_back(st.error().message);
  }
  return r;
}

CheckReport check_keys_and_certificates(const Manifest& m) {
  CheckReport r;
  for (const auto& [name, pem] : m.recovery_keys) {
    auto block = crypto::pem_decode_first(pem);
    if (!block || block->type != "PUBLIC KEY") {
      r.errors.push_back(fmt::format("recovery key {}: given PEM data is not a public key", name));
      continue;
    }
    auto key = crypto::PublicKey::from_der(block->der);
    if (!key || key->type() != crypto::KeyType::kRsa) {
      r.errors.push_back(fmt::format("recovery key {}: unsupported type of public key", name));
    }
  }
  for (const auto& [name, user] : m.users) {
    if (user.certificate.empty()) continue;  // reported by check()
    if (!crypto::Certificate::from_pem(user.certificate)) {
      r.errors.push_back(fmt::format("received invalid certificate for user {}", name));
    }
  }
  return r;
}

CheckReport validate_all(const Manifest& m, const CheckOptions& options) {
  CheckReport r = check(m, options);
  r.append(check_secret_parameters(m));
  r.append(check_keys_and_certificates(m));
  r.append(dry_run_report(m, placeholder_secrets(m)));
  return r;
}

}  // namespace mr::manifest
