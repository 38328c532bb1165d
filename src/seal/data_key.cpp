#include "seal/data_key.h"

#include <algorithm>
#include <array>

#include "crypto/cipher.h"
#include "crypto/hash.h"

namespace mr::seal {
namespace {

constexpr std::array<std::uint8_t, 4> kMagic = {'M', 'R', 'D', 'K'};
constexpr std::size_t kKeyIdSize = 16;
constexpr std::size_t kHeaderSize = kMagic.size() + 3 + kKeyIdSize;  // magic, ver, kind, src, id
constexpr std::string_view kWrapInfo = "marblerun-cpp seal data key v1";
constexpr std::string_view kKeyIdInfo = "marblerun-cpp seal key id v1";

bool valid_seal_key_size(std::size_t n) {
  return n == 16 || n == 32;
}
bool valid_dek_size(std::size_t n) {
  return n == 16 || n == 24 || n == 32;
}

Status check_seal_key(ByteSpan seal_key) {
  if (valid_seal_key_size(seal_key.size())) return ok();
  return failf(ErrorCode::kInvalidArgument, "seal key has {} bytes, want 16 or 32",
               seal_key.size());
}

Result<SecretBytes> derive(ByteSpan seal_key, std::string_view info, std::size_t n) {
  MR_RETURN_IF_ERROR(check_seal_key(seal_key));
  return crypto::hkdf_sha256(seal_key, {}, as_bytes(info), n);
}

// parse_header checks magic and version and returns kind and source.
Result<SealedKeyInfo> parse_header(ByteSpan sealed) {
  if (sealed.size() < kMagic.size() + 1 ||
      !std::equal(kMagic.begin(), kMagic.end(), sealed.begin())) {
    return fail(ErrorCode::kDataLoss, "not a sealed data key");
  }
  if (sealed[4] != kSealedDataKeyVersion) {
    return failf(ErrorCode::kFailedPrecondition,
                 "sealed data key has format version {}; this build reads version {} (states "
                 "written before version {} have no integrity root and cannot be verified)",
                 sealed[4], kSealedDataKeyVersion, kSealedDataKeyVersion);
  }
  if (sealed.size() < kHeaderSize) return fail(ErrorCode::kDataLoss, "not a sealed data key");
  SealedKeyInfo info;
  switch (sealed[5]) {
    case 1:
      info.kind = KeyKind::kProductKey;
      break;
    case 2:
      info.kind = KeyKind::kUniqueKey;
      break;
    default:
      return fail(ErrorCode::kDataLoss, "sealed data key names an unknown key kind");
  }
  switch (sealed[6]) {
    case 1:
      info.source = KeySource::kTee;
      break;
    case 2:
      info.source = KeySource::kSimulation;
      break;
    default:
      return fail(ErrorCode::kDataLoss, "sealed data key names an unknown key source");
  }
  info.key_id.assign(sealed.begin() + (kHeaderSize - kKeyIdSize), sealed.begin() + kHeaderSize);
  return info;
}

}  // namespace

std::string_view key_kind_name(KeyKind kind) {
  return kind == KeyKind::kProductKey ? "ProductKey" : "UniqueKey";
}

std::string_view key_source_name(KeySource source) {
  return source == KeySource::kTee ? "TEE" : "simulation";
}

Result<Bytes> seal_data_key(ByteSpan seal_key, ByteSpan dek, KeyKind kind, KeySource source) {
  if (!valid_dek_size(dek.size())) {
    return failf(ErrorCode::kInvalidArgument, "data key has {} bytes, want 16, 24 or 32",
                 dek.size());
  }
  MR_ASSIGN_OR_RETURN(SecretBytes wrap, derive(seal_key, kWrapInfo, 32));
  MR_ASSIGN_OR_RETURN(SecretBytes id, derive(seal_key, kKeyIdInfo, kKeyIdSize));
  Bytes out(kMagic.begin(), kMagic.end());
  out.push_back(kSealedDataKeyVersion);
  out.push_back(kind == KeyKind::kProductKey ? 1 : 2);
  out.push_back(source == KeySource::kTee ? 1 : 2);
  out.insert(out.end(), id.span().begin(), id.span().end());
  const Bytes header = out;
  MR_ASSIGN_OR_RETURN(Bytes body, crypto::aes_gcm_seal_random_nonce(wrap.span(), header, dek));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Result<SealedKeyInfo> inspect_sealed_data_key(ByteSpan sealed) {
  return parse_header(sealed);
}

Result<SecretBytes> unseal_data_key(ByteSpan seal_key, ByteSpan sealed) {
  MR_ASSIGN_OR_RETURN(SecretBytes wrap, derive(seal_key, kWrapInfo, 32));
  MR_ASSIGN_OR_RETURN(SecretBytes id, derive(seal_key, kKeyIdInfo, kKeyIdSize));
  MR_RETURN_IF_ERROR(parse_header(sealed));
  if (!constant_time_equal(id.span(), sealed.subspan(kHeaderSize - kKeyIdSize, kKeyIdSize))) {
    return fail(ErrorCode::kPermissionDenied,
                "the data key was sealed with another seal key (another machine or enclave "
                "identity, or the seal key was replaced)");
  }
  auto dek = crypto::aes_gcm_open_with_nonce(wrap.span(), sealed.first(kHeaderSize),
                                             sealed.subspan(kHeaderSize));
  if (!dek || !valid_dek_size(dek->size())) {
    return fail(ErrorCode::kDataLoss,
                "the sealed data key names this seal key but does not open with it: it was "
                "modified on disk");
  }
  return std::move(*dek);
}

}  // namespace mr::seal
