#pragma once
// Record-level sealing of the store: a decorator that encrypts every value under the data key
// (DEK) on its way into a store::Transaction and decrypts it on the way out. It holds no state
// besides the inner transaction and the key it was given: there is no "current key" to set or
// reset.
//
//   MR_ASSIGN_OR_RETURN(auto raw, store.begin());
//   seal::SealedTransaction txn(std::move(raw), dek.clone());
//   MR_RETURN_IF_ERROR(txn.put(store::keys::kRootSecret, root_secret.span()));  // sealed
//   MR_RETURN_IF_ERROR(txn.put(store::keys::kMetaSealedDataKey, sealed_dek));    // clear
//   MR_RETURN_IF_ERROR(seal::write_key_check(txn));                              // "meta:keyCheck"
//   MR_RETURN_IF_ERROR(txn.commit());
//
// Record format (version 1): u8 version=1 ‖ 12-byte random nonce ‖ AES-GCM ciphertext ‖ 16-byte
// tag, with the record's key as associated data, so a sealed value moved to another key does not
// open. Keys (record names) are not encrypted: list() passes through. Keys under "meta:" pass
// through unencrypted in both directions: they hold what is needed to obtain the DEK (the sealed
// DEK, recovery data) and must be readable without it.
//
// Errors from the inner transaction pass through unchanged. A record that does not open is
// kDataLoss "record \"<key>\" does not open with the data key"; its content is never part of a
// message.

#include <memory>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "store/store.h"

namespace mr::seal {

inline constexpr std::uint8_t kSealedRecordVersion = 1;

// seal_record seals |value| for storage under |key| with |dek| (16, 24 or 32 bytes).
// kInvalidArgument for a bad key size.
[[nodiscard]] Result<Bytes> seal_record(ByteSpan dek, std::string_view key, ByteSpan value);
// open_record reverses seal_record. kDataLoss if |sealed| was not sealed with |dek| for |key|,
// is truncated or was modified; kInvalidArgument for a bad key size.
[[nodiscard]] Result<Bytes> open_record(ByteSpan dek, std::string_view key, ByteSpan sealed);

// SealedReadTransaction decrypts the records of |inner| with the DEK.
class SealedReadTransaction final : public store::ReadTransaction {
 public:
  // Takes ownership of |inner| and of |dek| (16, 24 or 32 bytes).
  SealedReadTransaction(std::unique_ptr<store::ReadTransaction> inner, SecretBytes dek);
  // get returns the opened value; see the header comment for errors.
  [[nodiscard]] Result<std::optional<Bytes>> get(std::string_view key) override;
  // list passes through (keys are not sealed).
  [[nodiscard]] Result<std::vector<std::string>> list(std::string_view prefix) override;

 private:
  std::unique_ptr<store::ReadTransaction> inner_;
  SecretBytes dek_;
};

// SealedTransaction seals writes to and opens reads from |inner| with the DEK.
class SealedTransaction final : public store::Transaction {
 public:
  // Takes ownership of |inner| (destroying it uncommitted rolls it back) and of |dek|.
  SealedTransaction(std::unique_ptr<store::Transaction> inner, SecretBytes dek);
  [[nodiscard]] Result<std::optional<Bytes>> get(std::string_view key) override;
  [[nodiscard]] Result<std::vector<std::string>> list(std::string_view prefix) override;
  // put seals |value| (unless |key| is a meta key) and stores it.
  [[nodiscard]] Status put(std::string_view key, ByteSpan value) override;
  // erase, erase_prefix and commit pass through; erase_prefix("") also removes meta records.
  [[nodiscard]] Status erase(std::string_view key) override;
  [[nodiscard]] Status erase_prefix(std::string_view prefix) override;
  [[nodiscard]] Status commit() override;

 private:
  friend Status write_key_check(SealedTransaction& txn);
  std::unique_ptr<store::Transaction> inner_;
  SecretBytes dek_;
};

// SealedStore hands out Sealed(Read)Transactions over |inner| with a fixed DEK. It borrows
// |inner|, which must outlive it. To use another DEK (after recovery, or a new manifest), make a
// new SealedStore.
class SealedStore final : public store::Store {
 public:
  SealedStore(store::Store& inner, SecretBytes dek);
  // begin / begin_read wrap the inner store's transactions; their errors pass through.
  [[nodiscard]] Result<std::unique_ptr<store::Transaction>> begin() override;
  [[nodiscard]] Result<std::unique_ptr<store::ReadTransaction>> begin_read() override;

 private:
  store::Store& inner_;
  SecretBytes dek_;
};

// write_key_check stores "meta:keyCheck": a fixed plaintext sealed under |txn|'s DEK, so that
// check_data_key can later tell whether a candidate key is the right one. Call it whenever a new
// DEK is adopted. Errors are those of Transaction::put.
[[nodiscard]] Status write_key_check(SealedTransaction& txn);
// write_key_check is the same for a raw (unsealed) transaction and an explicit |dek|;
// kInvalidArgument if |dek| is not 16, 24 or 32 bytes.
[[nodiscard]] Status write_key_check(store::Transaction& txn, ByteSpan dek);

// check_data_key tells whether |dek| opens the store read through |txn| (the raw, unsealed
// store). It opens "meta:keyCheck", or if that is absent the "state" record. Errors:
// kDataLoss "the data key does not open the store" for a wrong key (or a damaged record),
// kNotFound if the store holds neither record (nothing to test against), kInvalidArgument if
// |dek| is not 16, 24 or 32 bytes, and the inner store's I/O errors.
[[nodiscard]] Status check_data_key(store::ReadTransaction& txn, ByteSpan dek);

}  // namespace mr::seal
