#include "core/secret_api.h"

#include <fmt/format.h>

#include "base/encoding.h"
#include "base/log.h"
#include "base/strings.h"
#include "core/transitions.h"
#include "core/update_log.h"
#include "crypto/x509.h"

namespace mr::core {
namespace {

const log::Logger kLog("secrets");

Error invalid(std::string msg) {
  return Error{ErrorCode::kInvalidArgument, std::move(msg)};
}

// Turns an uploaded value into the stored secret (spec 7.5 step 2).
Result<manifest::Secret> apply_upload(const std::string& name, const manifest::Secret& def,
                                      const UserSecret& u) {
  manifest::Secret s = def;
  const bool cert_like = u.has_cert || u.has_private;
  if (def.type == manifest::kSecretSymmetricKey) {
    if (def.size == 0 || def.size % 8 != 0)
      return tl::unexpected(invalid(fmt::format("invalid secret size: {}", name)));
    if (cert_like) {
      return tl::unexpected(invalid(fmt::format(
          "secret {} is set to be of type symmetric-key but specified values for a certificate",
          name)));
    }
    if (u.key.size() != def.size / 8) {
      return tl::unexpected(
          invalid(fmt::format("declared size and actual size don't match: {}", name)));
    }
    s.private_key = s.public_key = u.key;
    s.cert_der.clear();
    return s;
  }
  if (def.type == manifest::kSecretPlain) {
    if (cert_like) {
      // Upstream says "symmetric-key" here too; the secret's own type tells the user more.
      return tl::unexpected(invalid(fmt::format(
          "secret {} is set to be of type plain but specified values for a certificate", name)));
    }
    s.private_key = s.public_key = u.key;
    s.cert_der.clear();
    return s;
  }
  // cert-rsa, cert-ecdsa, cert-ed25519
  if (u.has_key) {
    return tl::unexpected(invalid(
        fmt::format("secret {} is set to be of type {} but specified values for a symmetric-key",
                    name, def.type)));
  }
  if (u.cert_der.empty())
    return tl::unexpected(invalid("x509: unsupported public key type: <nil>"));
  auto cert = crypto::Certificate::from_der(u.cert_der);
  if (!cert)
    return tl::unexpected(invalid(fmt::format("secret {}: {}", name, cert.error().message)));
  if (!u.private_key.empty()) {
    // Stricter than upstream: a private key that does not belong to the certificate is refused.
    auto key = crypto::PrivateKey::from_pkcs8_der(u.private_key);
    if (!key || !(key->public_key() == cert->public_key())) {
      return tl::unexpected(
          invalid(fmt::format("secret {}: private key does not match the certificate", name)));
    }
  }
  s.cert_der = u.cert_der;
  s.cert = cert->to_template();
  s.private_key = u.private_key;
  s.public_key = cert->public_key().to_der();
  return s;
}

}  // namespace

Result<manifest::NameMap<UserSecret>> parse_user_secrets(const gojson::Json& j) {
  manifest::NameMap<UserSecret> out;
  gojson::Decoder d;
  d.map(
      j, "map[string]manifest.UserSecret",
      [&](const std::string& name, const gojson::Json& v) {
        UserSecret u;
        d.object(v, "UserSecret",
                 {{"Cert",
                   [&](const gojson::Json& x) {
                     if (x.is_null()) return;
                     u.has_cert = true;
                     if (x.is_string()) {
                       if (auto der = base64_decode(x.get<std::string>()))
                         u.cert_der = std::move(*der);
                     } else if (!x.is_object()) {
                       d.type_error(x, "manifest.Certificate");
                     }
                   }},
                  {"Private",
                   [&](const gojson::Json& x) {
                     u.has_private = !x.is_null();
                     d.bytes(x, u.private_key);
                   }},
                  {"Key", [&](const gojson::Json& x) {
                     u.has_key = !x.is_null();
                     d.bytes(x, u.key);
                   }}});
        out.insert_or_assign(name, std::move(u));
      },
      [&] { out.clear(); });
  if (d.failed()) return fail(d.take_error());
  return out;
}

Result<SecretMap> SecretApi::get(const std::string& user, const std::vector<std::string>& names) {
  const SnapshotPtr s = core_.snapshot();
  if (s->state != State::kAcceptingMarbles)
    return fail(ErrorCode::kFailedPrecondition, std::string(kWrongStateMessage));
  auto u = s->users.find(user);
  if (u == s->users.end() || !is_granted(u->second, manifest::kActionReadSecret, names)) {
    return failf(ErrorCode::kPermissionDenied,
                 "user {} is not allowed to read one or more secrets of: [{}]", user,
                 join(names, " "));
  }
  SecretMap out;
  for (const auto& name : names) {
    auto it = s->secrets.find(name);
    if (it == s->secrets.end()) {
      return failf(ErrorCode::kNotFound, "loading secret {} from store: requested value not set",
                   name);
    }
    out.insert_or_assign(name, it->second);
  }
  return out;
}

Status SecretApi::set(const std::string& user, const manifest::NameMap<UserSecret>& uploads) {
  MR_ASSIGN_OR_RETURN(auto guard, core_.lock({State::kAcceptingMarbles}));
  const Snapshot& s = guard.snapshot();
  if (uploads.empty()) return fail(invalid("parsing new secrets: no new secrets defined"));

  SecretMap updated;
  for (const auto& [name, upload] : uploads) {
    auto def = s.secrets.find(name);
    if (def == s.secrets.end()) {
      return fail(invalid(
          "secret manifest specifies a secret which the original manifest does not contain"));
    }
    if (!def->second.user_defined)
      return fail(invalid(fmt::format("secret {} is not writeable", name)));
    MR_ASSIGN_OR_RETURN(auto value, apply_upload(name, def->second, upload));
    updated.emplace(name, std::move(value));
  }

  MR_ASSIGN_OR_RETURN(Snapshot next, with_user_secrets(s, updated));
  const auto caller = s.users.find(user);
  std::vector<std::string> lines;
  for (const auto& [name, secret] : updated) {
    if (caller == s.users.end() ||
        !is_granted(caller->second, manifest::kActionWriteSecret, {name})) {
      return failf(ErrorCode::kPermissionDenied, "user {} is not allowed to update secret: {}",
                   user, name);
    }
    lines.push_back(
        format_update_log_line(core_.clock().now(), "Secret set",
                               {{"user", user}, {"secret", name}, {"type", secret.type}}));
  }
  MR_RETURN_IF_ERROR(guard.commit(std::move(next), lines));
  std::vector<std::string> names;  // names only: never a value
  for (const auto& [name, secret] : updated)
    names.push_back(name);
  kLog.info("secrets set", {{"user", user}, {"secrets", join(names, ",")}});
  return ok();
}

}  // namespace mr::core
