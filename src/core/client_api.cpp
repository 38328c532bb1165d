#include "core/client_api.h"

#include <fmt/format.h>

#include "base/encoding.h"
#include "base/log.h"
#include "core/records.h"
#include "core/update_log.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "crypto/pem.h"
#include "manifest/check.h"
#include "store/keys.h"
#include "store/records.h"

namespace mr::core {
namespace keys = store::keys;
namespace {

const log::Logger kLog("client-api");

Error invalid(std::string_view context, const Error& e) {
  return Error{ErrorCode::kInvalidArgument, fmt::format("{}: {}", context, e.message)};
}

}  // namespace

bool is_plain_recovery_secret_size(std::size_t n) {
  return n == 16 || n == 32 || n == kShamirShareSize;
}

Result<StatusInfo> ClientApi::status() {
  const SnapshotPtr s = core_.snapshot();
  if (s->state == State::kUninitialized) {
    return fail(ErrorCode::kInternal, "cannot determine coordinator status");
  }
  if (s->simulation) {
    kLog.warn("SIMULATION MODE: this Coordinator runs without a TEE; nothing it says is attested");
  }
  return StatusInfo{static_cast<int>(s->state), std::string(state_message(s->state))};
}

Result<std::string> ClientApi::authenticate_user(const std::optional<Bytes>& leaf_der) const {
  return authenticate(core_.snapshot()->users, leaf_der);
}

Result<CertQuote> ClientApi::cert_quote(const std::optional<Bytes>& nonce) {
  const SnapshotPtr s = core_.snapshot();
  if (s->state == State::kUninitialized)
    return fail(ErrorCode::kFailedPrecondition, std::string(kWrongStateMessage));
  CertQuote out{s->ca->intermediate.pem() + s->ca->root.pem(), s->quote};
  if (nonce && !nonce->empty() && !s->simulation) {
    const auto digest = crypto::sha256(concat(s->ca->root.der(), *nonce));
    MR_ASSIGN_OR_RETURN(out.quote, core_.quote(digest).map_error(Wrap("getting quote")));
  }
  return out;
}

Result<ManifestInfo> ClientApi::manifest() {
  const SnapshotPtr s = core_.snapshot();
  if (!s->manifest) return fail(ErrorCode::kNotFound, "requested value not set");
  const std::string& raw = s->manifest->raw();
  return ManifestInfo{raw, hex_encode(crypto::sha256(as_bytes(raw))), s->manifest_signature};
}

Result<std::map<std::string, Bytes>> ClientApi::set_manifest(std::string raw) {
  MR_ASSIGN_OR_RETURN(auto guard, core_.lock({State::kRecovery, State::kAcceptingManifest}));
  const Snapshot& current = guard.snapshot();

  MR_ASSIGN_OR_RETURN(manifest::Manifest m,
                      manifest::Manifest::parse(std::move(raw)).map_error([](Error e) {
                        return invalid("unmarshaling manifest", e);
                      }));
  MR_RETURN_IF_ERROR(
      manifest::check(m, manifest::CheckOptions{}).first_error().map_error([](Error e) {
        return invalid("checking manifest", e);
      }));
  MR_ASSIGN_OR_RETURN(auto seal_mode, manifest::parse_seal_mode(m.config.seal_mode));
  MR_RETURN_IF_ERROR(manifest::check_keys_and_certificates(m).first_error());

  // Shared secrets and private placeholders (generated for a random UUID, marble name "").
  const CaSet& ca = *current.ca;
  const SecretContext ctx{ca, current.root_secret->span(), core_.clock().now()};
  auto gen_error = [](Error e) { return invalid("generating secrets from manifest", e); };
  MR_ASSIGN_OR_RETURN(SecretMap secrets,
                      generate_secrets(m.secrets, std::nullopt, "", ctx).map_error(gen_error));
  const Uuid placeholder_uuid = Uuid::from_random_bytes([] {
    std::array<std::uint8_t, 16> b{};
    const Bytes r = crypto::random_bytes(16);
    std::copy(r.begin(), r.end(), b.begin());
    return b;
  }());
  MR_ASSIGN_OR_RETURN(SecretMap placeholders,
                      generate_secrets(m.secrets, placeholder_uuid, "", ctx).map_error(gen_error));
  secrets.merge(placeholders);
  for (const auto& [name, def] : m.secrets) {
    if (def.user_defined) secrets.emplace(name, def);  // the definition, no value yet
  }

  // Template dry run with the real values; user-defined secrets get placeholders.
  SecretMap dry = secrets;
  for (auto& [name, s] : dry) {
    if (s.user_defined) s.cert_der = s.private_key = s.public_key = Bytes{0x41};
  }
  MR_RETURN_IF_ERROR(manifest::dry_run_report(m, dry).first_error().map_error(
      [](Error e) { return invalid("running manifest template dry run", e); }));

  MR_ASSIGN_OR_RETURN(DataKey dk, generate_data_key(m.recovery_keys, m.config.recovery_threshold));
  const auto digest = crypto::sha256(as_bytes(m.raw()));
  MR_ASSIGN_OR_RETURN(Bytes signature,
                      crypto::sign_digest(ca.root_key, digest, crypto::HashAlg::kSha256));

  std::map<std::string, Bytes> recovery_secrets = dk.encrypted_secrets;
  Core::NewState next{std::move(dk.key), std::move(dk.recovery_data), seal_mode, nullptr};
  next.write_records = [&](store::Transaction& txn) -> Status {
    MR_RETURN_IF_ERROR(store::put_string(txn, keys::kState, "3"));
    MR_RETURN_IF_ERROR(write_ca(txn, ca));
    MR_RETURN_IF_ERROR(txn.put(keys::kRootSecret, current.root_secret->span()));
    MR_RETURN_IF_ERROR(store::put_string(txn, keys::kManifest, m.raw()));
    MR_RETURN_IF_ERROR(txn.put(keys::kManifestSignature, signature));
    for (const auto& [name, pkg] : m.packages) {
      MR_RETURN_IF_ERROR(store::put_string(txn, keys::package(name), encode_package(pkg)));
    }
    MR_RETURN_IF_ERROR(write_secrets(txn, keys::kSecretPrefix, secrets));
    MR_RETURN_IF_ERROR(write_secrets(txn, keys::kPreviousSecretPrefix, secrets));
    return append_update_log(txn, core_.clock().now(), "Initial manifest set", {});
  };
  MR_RETURN_IF_ERROR(core_.replace_state(guard, std::move(next)));
  session_.reset();
  ephemeral_key_.reset();
  kLog.info("manifest set", {{"fingerprint", hex_encode(digest)},
                             {"seal_mode", manifest::seal_mode_name(seal_mode)}});
  return recovery_secrets;
}

Result<crypto::PublicKey> ClientApi::recovery_public_key() {
  MR_ASSIGN_OR_RETURN(auto guard, core_.lock({State::kRecovery}));
  if (!ephemeral_key_) {
    MR_ASSIGN_OR_RETURN(auto key, crypto::PrivateKey::generate(crypto::KeySpec::rsa(4096)));
    ephemeral_key_ = std::move(key);
  }
  return ephemeral_key_->public_key();
}

Result<SecretBytes> ClientApi::decrypt_recovery_secret(ByteSpan ciphertext) {
  MR_ASSIGN_OR_RETURN(auto guard, core_.lock({State::kRecovery}));
  if (!ephemeral_key_) return fail(ErrorCode::kFailedPrecondition, "ephemeral secret key not set");
  return crypto::rsa_oaep_decrypt(*ephemeral_key_, ciphertext).map_error([](Error e) {
    return std::move(e).with_code(ErrorCode::kInvalidArgument);
  });
}

Result<RecoverResult> ClientApi::recover(SecretBytes secret, Bytes signature) {
  MR_ASSIGN_OR_RETURN(auto guard, core_.lock({State::kRecovery}));
  if (!session_) session_.emplace(core_.stored_recovery_data());
  auto opens = [&](ByteSpan candidate) { return core_.opens_sealed_state(candidate); };
  MR_ASSIGN_OR_RETURN(auto outcome, session_->add(std::move(secret), std::move(signature), opens)
                                        .map_error(Wrap("setting recovery key")));
  if (!outcome.key) return RecoverResult{outcome.remaining};

  // All secrets are in: check the signatures against the recovered manifest, then adopt.
  auto recovered = core_.sealed_state(outcome.key->span());
  if (!recovered) {
    session_.reset();
    return fail(recovered.error().wrap("loading sealed state"));
  }
  if (recovered->manifest) {
    auto valid = session_->validate_signatures(*recovered->manifest);
    if (!valid) {
      session_.reset();
      return fail(valid.error());
    }
  }
  MR_RETURN_IF_ERROR(
      core_.adopt_recovered(guard, std::move(*outcome.key), std::move(outcome.new_recovery_data)));
  session_.reset();
  ephemeral_key_.reset();
  return RecoverResult{0};
}

}  // namespace mr::core
