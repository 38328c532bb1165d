#pragma once
// Small typed accessors over a ReadTransaction / Transaction, for values that are plain strings
// or little-endian counters, and for iterating a "table" (a key prefix).
//
//   MR_ASSIGN_OR_RETURN(auto state, store::get_string(txn, store::keys::kState));
//   MR_ASSIGN_OR_RETURN(auto names, store::list_names(txn, store::keys::kSecretPrefix));

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/store.h"

namespace mr::store {

// get_string returns the value of |key| as a string (it may contain NULs), or nullopt if unset.
// Errors are those of ReadTransaction::get.
[[nodiscard]] Result<std::optional<std::string>> get_string(ReadTransaction& txn,
                                                            std::string_view key);
// put_string sets |key| to the bytes of |value|. Errors are those of Transaction::put.
[[nodiscard]] Status put_string(Transaction& txn, std::string_view key, std::string_view value);

// get_u64_le returns the value of |key| read as an 8-byte little-endian integer, or nullopt if
// unset. kDataLoss if the stored value is not exactly 8 bytes.
[[nodiscard]] Result<std::optional<std::uint64_t>> get_u64_le(ReadTransaction& txn,
                                                              std::string_view key);
// put_u64_le sets |key| to |value| as 8 little-endian bytes.
[[nodiscard]] Status put_u64_le(Transaction& txn, std::string_view key, std::uint64_t value);

// list_names returns the keys under |prefix| with the prefix stripped, in ascending order.
// Errors are those of ReadTransaction::list.
[[nodiscard]] Result<std::vector<std::string>> list_names(ReadTransaction& txn,
                                                          std::string_view prefix);

}  // namespace mr::store
