#include "core/marble_api.h"

#include <fmt/format.h>

#include <chrono>

#include "attestation/policy.h"
#include "base/log.h"
#include "base/uuid.h"
#include "crypto/pem.h"
#include "gojson/encode.h"
#include "gojson/go_json.h"
#include "manifest/dry_run.h"

namespace mr::core {
namespace {

const log::Logger kLog("marble-api");

Error permission(std::string_view reason) {
  return Error{ErrorCode::kPermissionDenied, fmt::format("marble verification failed: {}", reason)};
}

attestation::PackagePolicy policy_of(const manifest::PackageProperties& p) {
  return attestation::PackagePolicy{p.debug,
                                    p.unique_id,
                                    p.signer_id,
                                    p.product_id,
                                    p.security_version,
                                    p.accepted_tcb_statuses,
                                    p.accepted_advisories};
}

manifest::Secret cert_only(const crypto::Certificate& c) {
  manifest::Secret s;
  s.cert_der = c.der();
  return s;
}

// Overlays |generated| on |stored| (shared values, user-defined values, placeholders).
SecretMap overlay(SecretMap stored, SecretMap generated) {
  for (auto& [name, s] : generated)
    stored.insert_or_assign(name, std::move(s));
  return stored;
}

}  // namespace

Result<std::string> ttls_config(const manifest::Manifest& m, const manifest::Marble& marble,
                                const SecretMap& secrets, const std::string& marble_root_pem,
                                const std::string& leaf_pem, const std::string& leaf_key_pem) {
  gojson::Json incoming = gojson::Json::object(), outgoing = gojson::Json::object();
  for (const auto& tag_name : marble.tls) {
    auto tag = m.tls.find(tag_name);
    if (tag == m.tls.end())
      return failf(ErrorCode::kInternal, "TLS tag {} is not defined", tag_name);
    for (const auto& e : tag->second.outgoing) {
      outgoing[e.addr + ":" + e.port] = {
          {"cacrt", marble_root_pem}, {"clicrt", leaf_pem}, {"clikey", leaf_key_pem}};
    }
    for (const auto& e : tag->second.incoming) {
      gojson::Json entry = {{"cacrt", marble_root_pem}};
      if (e.cert.empty()) {
        entry["clicrt"] = leaf_pem;
        entry["clikey"] = leaf_key_pem;
        entry["clientAuth"] = true;
      } else {
        auto s = secrets.find(e.cert);
        if (s == secrets.end() || s->second.cert_der.empty()) {
          return failf(ErrorCode::kInternal, "secret {} of TLS tag {} has no certificate", e.cert,
                       tag_name);
        }
        entry["clicrt"] = crypto::pem_encode("CERTIFICATE", s->second.cert_der);
        entry["clikey"] = crypto::pem_encode("PRIVATE KEY", s->second.private_key);
        entry["clientAuth"] = !e.disable_client_auth;
      }
      incoming["*:" + e.port] = std::move(entry);
    }
  }
  // Go marshals nested maps with sorted keys and no whitespace; nlohmann::json (not ordered_json)
  // sorts too.
  const nlohmann::json doc = {{"tls", {{"Incoming", incoming}, {"Outgoing", outgoing}}}};
  return gojson::dump(gojson::Json::parse(doc.dump()));
}

Result<Activation> MarbleApi::activate(const ActivationRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  Result<Activation> result = activate_impl(request);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const Status outcome = result ? ok() : Status(tl::unexpected(result.error()));
  if (observer_) {
    const SnapshotPtr snap = core_.snapshot();
    const bool known = snap->manifest && snap->manifest->marbles.contains(request.marble_type);
    observer_->on_activation(request, known ? std::string_view(request.marble_type) : "unknown",
                             outcome, seconds);
  }
  if (result) {
    kLog.info("marble activated",
              {{"type", request.marble_type}, {"uuid", request.uuid}, {"seconds", seconds}});
  } else {
    kLog.warn("marble activation refused", {{"type", request.marble_type},
                                            {"uuid", request.uuid},
                                            {"code", error_code_name(result.error().code)},
                                            {"error", result.error().message}});
  }
  return result;
}

Result<Activation> MarbleApi::activate_impl(const ActivationRequest& req) {
  const SnapshotPtr snap = core_.snapshot();
  if (snap->state != State::kAcceptingMarbles) {
    return fail(ErrorCode::kFailedPrecondition, "cannot accept marbles in current state");
  }
  if (req.peer_cert_der.empty())
    return fail(ErrorCode::kUnauthenticated, "couldn't get marble TLS certificate");
  const manifest::Manifest& m = *snap->manifest;

  // verifyManifestRequirement.
  auto marble_it = m.marbles.find(req.marble_type);
  if (marble_it == m.marbles.end()) return fail(permission("unknown marble type requested"));
  const manifest::Marble& marble = marble_it->second;
  auto pkg_it = snap->packages.find(marble.package);
  if (pkg_it == snap->packages.end())
    return fail(permission(fmt::format("undefined package \"{}\"", marble.package)));
  if (!snap->simulation) {
    if (!verifier_) return fail(ErrorCode::kInternal, "no quote verifier configured");
    auto verified = attestation::verify_marble_quote(*verifier_, req.quote, req.peer_cert_der,
                                                     policy_of(pkg_it->second));
    if (!verified) {
      // Infrastructure properties are not enforced by quote validation (as upstream), so trying
      // each infrastructure would repeat the same check: report the one result.
      return fail(permission(m.infrastructures.empty()
                                 ? "invalid quote: " + verified.error().message
                                 : std::string("invalid infrastructure")));
    }
  }
  if (marble.max_activations > 0) {
    MR_ASSIGN_OR_RETURN(std::uint64_t count, core_.activations(req.marble_type));
    if (count >= marble.max_activations) {
      return fail(
          permission(fmt::format("reached max activations count ({}) for marble type \"{}\"",
                                 marble.max_activations, req.marble_type)));
    }
  }
  const std::string marble_name = marble.disable_secret_binding ? "" : req.marble_type;

  auto uuid = Uuid::parse(req.uuid);
  if (!uuid) return failf(ErrorCode::kInvalidArgument, "invalid UUID: {}", uuid.error().message);

  // Marble authentication secrets: a Coordinator-generated key, certified with the CSR's names.
  auto auth_error = [](Error e) {
    return Error{ErrorCode::kInternal, "generating marble authentication secrets: " + e.message};
  };
  const UnixTime now = core_.clock().now();
  MR_ASSIGN_OR_RETURN(auto key,
                      crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP384))
                          .map_error(auth_error));
  MR_ASSIGN_OR_RETURN(crypto::CsrInfo csr, crypto::parse_csr(req.csr_der).map_error(auth_error));
  const CaSet& ca = *snap->ca;
  MR_ASSIGN_OR_RETURN(
      crypto::Certificate leaf,
      issue_marble_certificate(ca, csr, *uuid, req.marble_type, key.public_key(), now)
          .map_error(auth_error));
  manifest::ReservedSecrets reserved;
  reserved.root_ca = cert_only(ca.marble_root);
  reserved.marble_cert = cert_only(leaf);
  reserved.marble_cert.public_key = key.public_key().to_der();
  const SecretBytes pkcs8 = key.to_pkcs8_der();
  reserved.marble_cert.private_key.assign(pkcs8.span().begin(), pkcs8.span().end());
  reserved.coordinator_root = cert_only(ca.root);
  reserved.coordinator_intermediate = cert_only(ca.intermediate);

  // Per-Marble secrets for the current and the previous root secret.
  auto secret_error = [](Error e) {
    return Error{ErrorCode::kInternal, "generating marble secrets: " + e.message};
  };
  MR_ASSIGN_OR_RETURN(SecretMap mine,
                      generate_secrets(m.secrets, *uuid, marble_name,
                                       SecretContext{ca, snap->root_secret->span(), now})
                          .map_error(secret_error));
  // Without a root-secret rotation the previous generation derives from the same root secret:
  // reuse this Marble's secrets instead of generating every key a second time.
  SecretMap mine_previous;
  if (snap->previous_root_secret->equals(snap->root_secret->span())) {
    mine_previous = mine;
  } else {
    MR_ASSIGN_OR_RETURN(mine_previous,
                        generate_secrets(m.secrets, *uuid, marble_name,
                                         SecretContext{ca, snap->previous_root_secret->span(), now})
                            .map_error(secret_error));
  }
  const SecretMap current = overlay(snap->secrets, std::move(mine));
  const SecretMap previous = overlay(snap->previous_secrets, std::move(mine_previous));

  // Parameters.
  auto custom_error = [](Error e) {
    return Error{ErrorCode::kInternal, "customizing marble parameters: " + e.message};
  };
  auto templates = snap->templates.find(req.marble_type);
  if (templates == snap->templates.end())
    return fail(ErrorCode::kInternal, "retrieving marble config: no templates");
  MR_ASSIGN_OR_RETURN(manifest::RenderedParameters params,
                      templates->second.render(manifest::template_data(reserved, current, previous))
                          .map_error(custom_error));
  const std::string root_pem = ca.marble_root.pem();
  const std::string key_pem = crypto::pem_encode("PRIVATE KEY", pkcs8.span());  // one encoding
  if (!marble.tls.empty()) {
    MR_ASSIGN_OR_RETURN(
        params.env["MARBLE_TTLS_CONFIG"],
        ttls_config(m, marble, current, root_pem, leaf.pem(), key_pem).map_error([](Error e) {
          return Error{ErrorCode::kInternal, "creating TTLS config: " + e.message};
        }));
  }
  params.env["MARBLE_PREDEFINED_ROOT_CA"] = root_pem;
  params.env["MARBLE_PREDEFINED_MARBLE_CERTIFICATE_CHAIN"] = leaf.pem() + ca.intermediate.pem();
  params.env["MARBLE_PREDEFINED_PRIVATE_KEY"] = key_pem;
  params.env["MARBLE_PREDEFINED_COORDINATOR_ROOT_CA"] = ca.root.pem();

  if (marble.max_activations > 0) {
    MR_RETURN_IF_ERROR(core_.claim_activation(snap, req.marble_type, marble.max_activations)
                           .map_error([](Error e) {
                             return e.code == ErrorCode::kPermissionDenied ? permission(e.message)
                                                                           : std::move(e);
                           }));
  }
  return Activation{std::move(params.files), std::move(params.env), std::move(params.argv)};
}

}  // namespace mr::core
