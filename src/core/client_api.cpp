#include "core/client_api.h"

#include <fmt/format.h>

#include "base/encoding.h"
#include "base/log.h"
#include "core/transitions.h"
#include "core/update_log.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "crypto/pem.h"
#include "manifest/check.h"

namespace mr::core {
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
  MR_ASSIGN_OR_RETURN(DataKey dk, generate_data_key(m.recovery_keys, m.config.recovery_threshold));
  const UnixTime now = core_.clock().now();
  MR_ASSIGN_OR_RETURN(Snapshot next, initial_state(guard.snapshot(), std::move(m), now));

  const std::string fingerprint = hex_encode(crypto::sha256(as_bytes(next.manifest->raw())));
  MR_RETURN_IF_ERROR(core_.replace_state(
      guard, std::move(next), {std::move(dk.key), std::move(dk.recovery_data), seal_mode},
      {format_update_log_line(now, "Initial manifest set", {})}, Core::History::kDiscard));
  session_.reset();
  ephemeral_key_.reset();
  kLog.info("manifest set",
            {{"fingerprint", fingerprint}, {"seal_mode", manifest::seal_mode_name(seal_mode)}});
  return std::move(dk.encrypted_secrets);
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
    kLog.warn("recovery secret refused: it does not decrypt with the ephemeral key");
    return std::move(e).with_code(ErrorCode::kInvalidArgument);
  });
}

Result<RecoverResult> ClientApi::recover(SecretBytes secret, Bytes signature) {
  auto guard = core_.lock({State::kRecovery});
  if (!guard) {
    // Say why there is nothing to recover, in the words of the state the Coordinator is in.
    const State state = core_.snapshot()->state;
    if (state == State::kAcceptingManifest) {
      return failf(ErrorCode::kFailedPrecondition,
                   "{}: the Coordinator is not in recovery mode: it holds no sealed state (state "
                   "2, ready to accept a manifest); set a manifest instead",
                   kWrongStateMessage);
    }
    if (state == State::kAcceptingMarbles) {
      return failf(ErrorCode::kFailedPrecondition,
                   "{}: the Coordinator is not in recovery mode: its sealed state is loaded and "
                   "running (state 3); there is nothing to recover",
                   kWrongStateMessage);
    }
    return fail(guard.error());
  }
  if (!session_) session_.emplace(core_.stored_recovery_data());
  auto opens = [&](ByteSpan candidate) { return core_.opens_sealed_state(candidate); };
  auto added = session_->add(std::move(secret), std::move(signature), opens);
  if (!added) kLog.warn("recovery secret refused", {{"reason", added.error().message}});
  MR_ASSIGN_OR_RETURN(auto outcome, std::move(added).map_error(Wrap("setting recovery key")));
  if (!outcome.key) {
    kLog.info("recovery secret received", {{"remaining", outcome.remaining}});
    return RecoverResult{outcome.remaining};
  }

  // All secrets are in. Adopt the state only if every record verifies, it holds a manifest and
  // runs (state 3), and the recovery keys of that manifest signed the uploads. A failure ends
  // this session: the next upload starts afresh.
  auto adopted = [&]() -> Status {
    MR_ASSIGN_OR_RETURN(
        Core::Recovered recovered,
        core_.open_recovered(std::move(*outcome.key)).map_error(Wrap("loading sealed state")));
    const Snapshot& s = recovered.snapshot;
    if (!s.manifest || s.state != State::kAcceptingMarbles) {
      return failf(ErrorCode::kPermissionDenied,
                   "loading sealed state: the recovered state {}; refusing to adopt it",
                   s.manifest ? fmt::format("is in state {}, not 3", static_cast<int>(s.state))
                              : std::string("holds no manifest"));
    }
    MR_RETURN_IF_ERROR(session_->validate_signatures(*s.manifest));
    return core_.adopt_recovered(*guard, std::move(recovered),
                                 std::move(outcome.new_recovery_data));
  }();
  session_.reset();
  if (!adopted) {
    kLog.warn(
        "recovery refused; the Coordinator stays in recovery mode: upload the recovery "
        "secrets again (`marblerun recover`) or set a new manifest",
        {{"error", adopted.error().message}});
    return fail(adopted.error());
  }
  ephemeral_key_.reset();
  return RecoverResult{0};
}

}  // namespace mr::core
