#include "store/records.h"

#include <array>

namespace mr::store {

Result<std::optional<std::string>> get_string(ReadTransaction& txn, std::string_view key) {
  MR_ASSIGN_OR_RETURN(std::optional<Bytes> value, txn.get(key));
  if (!value) return std::optional<std::string>();
  return std::optional<std::string>(to_string(*value));
}

Status put_string(Transaction& txn, std::string_view key, std::string_view value) {
  return txn.put(key, as_bytes(value));
}

Result<std::optional<std::uint64_t>> get_u64_le(ReadTransaction& txn, std::string_view key) {
  MR_ASSIGN_OR_RETURN(std::optional<Bytes> value, txn.get(key));
  if (!value) return std::optional<std::uint64_t>();
  if (value->size() != 8) {
    return failf(ErrorCode::kDataLoss, "record \"{}\" has {} bytes, want an 8-byte counter", key,
                 value->size());
  }
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i)
    n = (n << 8) | (*value)[static_cast<std::size_t>(i)];
  return std::optional<std::uint64_t>(n);
}

Status put_u64_le(Transaction& txn, std::string_view key, std::uint64_t value) {
  std::array<std::uint8_t, 8> buf{};
  for (auto& b : buf) {
    b = static_cast<std::uint8_t>(value & 0xff);
    value >>= 8;
  }
  return txn.put(key, buf);
}

Result<std::vector<std::string>> list_names(ReadTransaction& txn, std::string_view prefix) {
  MR_ASSIGN_OR_RETURN(std::vector<std::string> keys, txn.list(prefix));
  for (auto& k : keys)
    k.erase(0, prefix.size());
  return keys;
}

}  // namespace mr::store
