#include "seal/sealed_transaction.h"

#include "crypto/cipher.h"
#include "store/keys.h"

namespace mr::seal {
namespace {

constexpr std::string_view kKeyCheckPlaintext = "marblerun-cpp data key check v1";
constexpr std::size_t kMinSealedSize = 1 + crypto::kGcmNonceSize + crypto::kGcmTagSize;

bool valid_dek_size(std::size_t n) {
  return n == 16 || n == 24 || n == 32;
}

Error dek_size_error(std::size_t n) {
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("data key has {} bytes, want 16, 24 or 32", n)};
}

Result<std::optional<Bytes>> open_optional(ByteSpan dek, std::string_view key,
                                           Result<std::optional<Bytes>> raw) {
  if (!raw || !*raw || store::keys::is_meta(key)) return raw;
  MR_ASSIGN_OR_RETURN(Bytes value, open_record(dek, key, **raw));
  return std::optional<Bytes>(std::move(value));
}

}  // namespace

Result<Bytes> seal_record(ByteSpan dek, std::string_view key, ByteSpan value) {
  if (!valid_dek_size(dek.size())) return fail(dek_size_error(dek.size()));
  MR_ASSIGN_OR_RETURN(Bytes body, crypto::aes_gcm_seal_random_nonce(dek, as_bytes(key), value));
  Bytes out;
  out.reserve(1 + body.size());
  out.push_back(kSealedRecordVersion);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Result<Bytes> open_record(ByteSpan dek, std::string_view key, ByteSpan sealed) {
  if (!valid_dek_size(dek.size())) return fail(dek_size_error(dek.size()));
  if (sealed.size() < kMinSealedSize || sealed[0] != kSealedRecordVersion) {
    return failf(ErrorCode::kDataLoss, "record \"{}\" is not a sealed record (version {})", key,
                 sealed.empty() ? 0 : sealed[0]);
  }
  auto plain = crypto::aes_gcm_open_with_nonce(dek, as_bytes(key), sealed.subspan(1));
  if (!plain) {
    return failf(ErrorCode::kDataLoss, "record \"{}\" does not open with the data key", key);
  }
  return Bytes(plain->span().begin(), plain->span().end());
}

// --- SealedReadTransaction ---

SealedReadTransaction::SealedReadTransaction(std::unique_ptr<store::ReadTransaction> inner,
                                             SecretBytes dek)
    : inner_(std::move(inner)), dek_(std::move(dek)) {}

Result<std::optional<Bytes>> SealedReadTransaction::get(std::string_view key) {
  return open_optional(dek_.span(), key, inner_->get(key));
}

Result<std::vector<std::string>> SealedReadTransaction::list(std::string_view prefix) {
  return inner_->list(prefix);
}

// --- SealedTransaction ---

SealedTransaction::SealedTransaction(std::unique_ptr<store::Transaction> inner, SecretBytes dek)
    : inner_(std::move(inner)), dek_(std::move(dek)) {}

Result<std::optional<Bytes>> SealedTransaction::get(std::string_view key) {
  return open_optional(dek_.span(), key, inner_->get(key));
}

Result<std::vector<std::string>> SealedTransaction::list(std::string_view prefix) {
  return inner_->list(prefix);
}

Status SealedTransaction::put(std::string_view key, ByteSpan value) {
  if (store::keys::is_meta(key)) return inner_->put(key, value);
  MR_ASSIGN_OR_RETURN(Bytes sealed, seal_record(dek_.span(), key, value));
  return inner_->put(key, sealed);
}

Status SealedTransaction::erase(std::string_view key) {
  return inner_->erase(key);
}

Status SealedTransaction::erase_prefix(std::string_view prefix) {
  return inner_->erase_prefix(prefix);
}

Status SealedTransaction::commit() {
  return inner_->commit();
}

// --- SealedStore ---

SealedStore::SealedStore(store::Store& inner, SecretBytes dek)
    : inner_(inner), dek_(std::move(dek)) {}

Result<std::unique_ptr<store::Transaction>> SealedStore::begin() {
  MR_ASSIGN_OR_RETURN(auto inner, inner_.begin());
  return std::unique_ptr<store::Transaction>(
      std::make_unique<SealedTransaction>(std::move(inner), dek_.clone()));
}

Result<std::unique_ptr<store::ReadTransaction>> SealedStore::begin_read() {
  MR_ASSIGN_OR_RETURN(auto inner, inner_.begin_read());
  return std::unique_ptr<store::ReadTransaction>(
      std::make_unique<SealedReadTransaction>(std::move(inner), dek_.clone()));
}

// --- key check ---

Status write_key_check(store::Transaction& txn, ByteSpan dek) {
  MR_ASSIGN_OR_RETURN(Bytes sealed,
                      seal_record(dek, store::keys::kMetaKeyCheck, as_bytes(kKeyCheckPlaintext)));
  return txn.put(store::keys::kMetaKeyCheck, sealed);  // a meta key: passes through as is
}

Status write_key_check(SealedTransaction& txn) {
  return write_key_check(txn, txn.dek_.span());
}

Status check_data_key(store::ReadTransaction& txn, ByteSpan dek) {
  if (!valid_dek_size(dek.size())) return fail(dek_size_error(dek.size()));
  std::string_view key = store::keys::kMetaKeyCheck;
  MR_ASSIGN_OR_RETURN(std::optional<Bytes> sealed, txn.get(key));
  if (!sealed) {
    key = store::keys::kState;
    MR_ASSIGN_OR_RETURN(sealed, txn.get(key));
  }
  if (!sealed) {
    return fail(ErrorCode::kNotFound,
                "the store holds no sealed record to check the data key against");
  }
  auto plain = open_record(dek, key, *sealed);
  if (!plain && plain.error().code != ErrorCode::kDataLoss) return fail(std::move(plain).error());
  if (!plain || (key == store::keys::kMetaKeyCheck &&
                 !constant_time_equal(*plain, as_bytes(kKeyCheckPlaintext)))) {
    return fail(ErrorCode::kDataLoss, "the data key does not open the store");
  }
  return ok();
}

}  // namespace mr::seal
