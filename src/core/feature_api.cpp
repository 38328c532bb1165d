#include "core/feature_api.h"

#include <fmt/format.h>

#include "attestation/oe_report.h"
#include "base/encoding.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "crypto/x509.h"

namespace mr::core {
namespace {

tl::unexpected<Error> unverified(std::string_view reason) {
  return fail(ErrorCode::kInvalidArgument, fmt::format("{}: {}", kQuoteVerificationFailed, reason));
}

tl::unexpected<Error> unauthorized(std::string_view reason) {
  return fail(ErrorCode::kUnauthenticated, fmt::format("{}: {}", kUnauthorizedMarble, reason));
}

}  // namespace

bool FeatureApi::enabled(std::string_view feature) const {
  const SnapshotPtr s = core_.snapshot();
  return s->manifest && s->manifest->has_feature(feature);
}

Result<SignedQuote> FeatureApi::sign_quote(ByteSpan quote) const {
  if (verifier_ == nullptr) {
    return unverified("this Coordinator runs in simulation mode and cannot verify quotes");
  }
  // Gramine and Occlum send raw SGX quotes: frame them as EGo's verifier expects (spec 3.6).
  Bytes framed;
  ByteSpan to_verify = quote;
  if (attestation::is_raw_sgx_quote(quote)) {
    framed = attestation::oe_wrap_sgx_quote(quote);
    to_verify = framed;
  }
  auto verified = verifier_->verify(to_verify);
  if (!verified) return unverified(verified.error().message);

  const SnapshotPtr s = core_.snapshot();
  if (!s->ca) return fail(ErrorCode::kFailedPrecondition, std::string(kWrongStateMessage));
  SignedQuote out;
  out.tcb_status = std::string(attestation::tcb_status_name(verified->tcb_status));
  // What upstream signs: the base64 of the bytes as submitted (not the framed ones) and the
  // status, so a client can check the pair with the root certificate alone.
  const std::string signed_text = base64_encode(quote) + out.tcb_status;
  const auto digest = crypto::sha256(as_bytes(signed_text));
  MR_ASSIGN_OR_RETURN(out.signature,
                      crypto::sign_digest(s->ca->root_key, digest, crypto::HashAlg::kSha256)
                          .map_error(Wrap("signing quote")));
  return out;
}

Result<MarbleCaller> FeatureApi::authenticate_marble(const std::optional<Bytes>& leaf_der) const {
  const SnapshotPtr s = core_.snapshot();
  if (s->state != State::kAcceptingMarbles || !s->ca) return unauthorized(kWrongStateMessage);
  if (!leaf_der || leaf_der->empty()) {
    return unauthorized("client certificate did not match any Marble");
  }
  auto cert = crypto::Certificate::from_der(*leaf_der);
  if (!cert) return unauthorized(cert.error().message);
  if (auto chained = crypto::verify_chain(*cert, {}, {s->ca->marble_root}, core_.clock().now());
      !chained) {
    return unauthorized(chained.error().message);
  }
  auto uuid = Uuid::parse(cert->subject().common_name);
  if (!uuid) return unauthorized(uuid.error().message);
  auto type = cert->extension(kMarbleTypeOid);
  if (!type) return unauthorized("MarbleType extension not found in certificate");
  return MarbleCaller{to_string(type->value), *uuid};
}

Result<std::uint64_t> FeatureApi::set_monotonic_counter(const MarbleCaller& marble,
                                                        std::string_view name,
                                                        std::uint64_t value) {
  return core_.raise_monotonic_counter(monotonic_counter_id(marble.type, marble.uuid, name), value);
}

std::string monotonic_counter_id(std::string_view marble_type, const Uuid& uuid,
                                 std::string_view name) {
  return fmt::format("{}:{}:{}", base64_encode(as_bytes(marble_type)), base64_encode(uuid.bytes()),
                     base64_encode(as_bytes(name)));
}

}  // namespace mr::core
