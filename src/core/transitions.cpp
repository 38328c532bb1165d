#include "core/transitions.h"

#include <fmt/format.h>

#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "crypto/keys.h"

namespace mr::core {
namespace {

Error invalid(std::string_view context, const Error& e) {
  return Error{ErrorCode::kInvalidArgument, fmt::format("{}: {}", context, e.message)};
}

Uuid random_uuid() {
  std::array<std::uint8_t, 16> b{};
  const Bytes r = crypto::random_bytes(16);
  std::copy(r.begin(), r.end(), b.begin());
  return Uuid::from_random_bytes(b);
}

bool definition_changed(const manifest::Secret& a, const manifest::Secret& b) {
  return a.type != b.type || a.size != b.size || a.shared != b.shared ||
         a.user_defined != b.user_defined || a.valid_for != b.valid_for;
}

Result<Bytes> sign_manifest(const CaSet& ca, const manifest::Manifest& m) {
  const auto digest = crypto::sha256(as_bytes(m.raw()));
  return crypto::sign_digest(ca.root_key, digest, crypto::HashAlg::kSha256);
}

// finish installs |m| with its signature and derived templates and users.
Status finish(Snapshot& next, manifest::Manifest m) {
  MR_ASSIGN_OR_RETURN(next.manifest_signature, sign_manifest(*next.ca, m));
  next.manifest = std::move(m);
  next.pending.reset();
  return derive(next);
}

auto generation_error() {
  return [](Error e) { return invalid("generating secrets from manifest", e); };
}

}  // namespace

Status check_templates(const manifest::Manifest& m, const SecretMap& values,
                       manifest::Placeholders which) {
  return manifest::dry_run_report(m, manifest::with_placeholders(values, which))
      .first_error()
      .map_error([](Error e) { return invalid("running manifest template dry run", e); });
}

Result<Snapshot> initial_state(const Snapshot& current, manifest::Manifest m, UnixTime now) {
  const CaSet& ca = *current.ca;
  const SecretContext ctx{ca, current.root_secret->span(), now};
  // Shared secrets, and private ones generated for a random UUID as placeholders.
  MR_ASSIGN_OR_RETURN(
      SecretMap secrets,
      generate_secrets(m.secrets, std::nullopt, "", ctx).map_error(generation_error()));
  MR_ASSIGN_OR_RETURN(
      SecretMap placeholders,
      generate_secrets(m.secrets, random_uuid(), "", ctx).map_error(generation_error()));
  secrets.merge(placeholders);
  for (const auto& [name, def] : m.secrets) {
    if (def.user_defined) secrets.emplace(name, def);  // the definition, no value yet
  }
  MR_RETURN_IF_ERROR(check_templates(m, secrets, manifest::Placeholders::kUnset));

  Snapshot next;
  next.state = State::kAcceptingMarbles;
  next.ca = current.ca;
  next.root_secret = current.root_secret;
  next.previous_root_secret = current.root_secret;
  next.packages = m.packages;
  next.previous_secrets = secrets;
  next.secrets = std::move(secrets);
  MR_RETURN_IF_ERROR(finish(next, std::move(m)));
  return next;
}

Result<Snapshot> with_security_versions(const Snapshot& current,
                                        const std::vector<manifest::PackageUpdate>& changes,
                                        UnixTime now) {
  Snapshot next = current;
  for (const auto& change : changes)
    next.packages.at(change.name).security_version = change.new_version;
  MR_ASSIGN_OR_RETURN(next.ca, rotate_intermediate(*current.ca, RotationSans::kDnsOnly, now));
  // Shared certificates are re-issued by the new intermediate from their stored certificate
  // (which keeps their expiry); shared symmetric keys and user-defined secrets stay.
  const SecretContext ctx{*next.ca, current.root_secret->span(), now};
  for (auto& [name, secret] : next.secrets) {
    if (!secret.shared || secret.user_defined || secret.type == manifest::kSecretSymmetricKey)
      continue;
    MR_ASSIGN_OR_RETURN(secret, generate_secret(name, secret, std::nullopt, "", ctx));
  }
  return next;
}

Result<Snapshot> updated_state(const Snapshot& current, manifest::Manifest m, UnixTime now) {
  const manifest::Manifest& prev = *current.manifest;
  Snapshot next = current;
  next.packages = m.packages;

  // Root secret rotation and a new intermediate (spec 5.11 updateSecrets).
  if (m.config.rotate_root_secret) {
    next.previous_root_secret = current.root_secret;
    next.root_secret = std::make_shared<const SecretBytes>(crypto::random_secret(kRootSecretSize));
  }
  MR_ASSIGN_OR_RETURN(next.ca,
                      rotate_intermediate(*current.ca, RotationSans::kDnsAndNonLoopbackIps, now));
  const SecretContext ctx{*next.ca, next.root_secret->span(), now};

  for (const auto& [name, def] : prev.secrets) {
    if (!m.secrets.contains(name)) {
      next.secrets.erase(name);
      next.previous_secrets.erase(name);
    }
  }
  for (const auto& [name, def] : m.secrets) {
    auto old_def = prev.secrets.find(name);
    const bool is_new = old_def == prev.secrets.end() || definition_changed(old_def->second, def);
    auto stored = current.secrets.find(name);
    const bool kept = stored != current.secrets.end();
    if (def.user_defined) {
      if (is_new || !kept) {
        next.secrets.insert_or_assign(name, def);
        next.previous_secrets.insert_or_assign(name, def);
      }
      continue;
    }
    if (!is_new && kept && def.type == manifest::kSecretSymmetricKey &&
        !m.config.rotate_root_secret) {
      continue;
    }
    MR_ASSIGN_OR_RETURN(
        manifest::Secret fresh,
        generate_secret(name, def, def.shared ? std::nullopt : std::optional<Uuid>(random_uuid()),
                        "", ctx)
            .map_error(generation_error()));
    next.previous_secrets.insert_or_assign(name, (!is_new && kept) ? stored->second : fresh);
    next.secrets.insert_or_assign(name, std::move(fresh));
  }
  MR_RETURN_IF_ERROR(
      check_templates(m, next.secrets, manifest::Placeholders::kUserDefinedAndSymmetricKeys));
  MR_RETURN_IF_ERROR(finish(next, std::move(m)));
  return next;
}

Result<Snapshot> with_user_secrets(const Snapshot& current, SecretMap values) {
  // The dry run: every stored user-defined secret gets placeholders, the uploads their values.
  SecretMap dry =
      manifest::with_placeholders(current.secrets, manifest::Placeholders::kUserDefined);
  for (const auto& [name, secret] : values)
    dry.insert_or_assign(name, secret);
  MR_RETURN_IF_ERROR(check_templates(*current.manifest, dry, manifest::Placeholders::kUnset));
  Snapshot next = current;
  for (auto& [name, secret] : values)
    next.secrets.insert_or_assign(name, std::move(secret));
  return next;
}

}  // namespace mr::core
