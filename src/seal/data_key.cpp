#include "seal/data_key.h"

#include <algorithm>
#include <array>

#include "crypto/cipher.h"
#include "crypto/hash.h"

namespace mr::seal {
namespace {

constexpr std::array<std::uint8_t, 4> kMagic = {'M', 'R', 'D', 'K'};
constexpr std::size_t kHeaderSize = kMagic.size() + 2;  // magic, version, kind
constexpr std::string_view kWrapInfo = "marblerun-cpp seal data key v1";

bool valid_seal_key_size(std::size_t n) {
  return n == 16 || n == 32;
}
bool valid_dek_size(std::size_t n) {
  return n == 16 || n == 24 || n == 32;
}

std::uint8_t kind_byte(KeyKind kind) {
  return kind == KeyKind::kProductKey ? 1 : 2;
}

Result<SecretBytes> wrapping_key(ByteSpan seal_key) {
  if (!valid_seal_key_size(seal_key.size())) {
    return failf(ErrorCode::kInvalidArgument, "seal key has {} bytes, want 16 or 32",
                 seal_key.size());
  }
  return crypto::hkdf_sha256(seal_key, {}, as_bytes(kWrapInfo), 32);
}

// parse_header checks magic and version and returns the kind.
Result<KeyKind> parse_header(ByteSpan sealed) {
  if (sealed.size() < kHeaderSize || !std::equal(kMagic.begin(), kMagic.end(), sealed.begin())) {
    return fail(ErrorCode::kDataLoss, "not a sealed data key");
  }
  if (sealed[4] != kSealedDataKeyVersion) {
    return failf(ErrorCode::kFailedPrecondition,
                 "sealed data key has format version {}; this build reads version {}", sealed[4],
                 kSealedDataKeyVersion);
  }
  switch (sealed[5]) {
    case 1:
      return KeyKind::kProductKey;
    case 2:
      return KeyKind::kUniqueKey;
    default:
      return fail(ErrorCode::kDataLoss, "sealed data key names an unknown key kind");
  }
}

}  // namespace

std::string_view key_kind_name(KeyKind kind) {
  return kind == KeyKind::kProductKey ? "ProductKey" : "UniqueKey";
}

Result<Bytes> seal_data_key(ByteSpan seal_key, ByteSpan dek, KeyKind kind) {
  if (!valid_dek_size(dek.size())) {
    return failf(ErrorCode::kInvalidArgument, "data key has {} bytes, want 16, 24 or 32",
                 dek.size());
  }
  MR_ASSIGN_OR_RETURN(SecretBytes wrap, wrapping_key(seal_key));
  Bytes out(kMagic.begin(), kMagic.end());
  out.push_back(kSealedDataKeyVersion);
  out.push_back(kind_byte(kind));
  const Bytes header = out;
  MR_ASSIGN_OR_RETURN(Bytes body, crypto::aes_gcm_seal_random_nonce(wrap.span(), header, dek));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Result<KeyKind> sealed_data_key_kind(ByteSpan sealed) {
  return parse_header(sealed);
}

Result<SecretBytes> unseal_data_key(ByteSpan seal_key, ByteSpan sealed) {
  MR_ASSIGN_OR_RETURN(SecretBytes wrap, wrapping_key(seal_key));
  MR_RETURN_IF_ERROR(parse_header(sealed));
  auto dek = crypto::aes_gcm_open_with_nonce(wrap.span(), sealed.first(kHeaderSize),
                                             sealed.subspan(kHeaderSize));
  if (!dek) {
    return fail(ErrorCode::kDataLoss,
                "the sealed data key does not open with this seal key (the seal key changed or "
                "the sealed key was modified)");
  }
  if (!valid_dek_size(dek->size())) {
    return fail(ErrorCode::kDataLoss, "the sealed data key has a bad length");
  }
  return std::move(*dek);
}

}  // namespace mr::seal
