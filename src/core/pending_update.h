#pragma once
// A multi-party manifest update waiting for acknowledgements (spec 5.11), stored under
// "pendingUpdate" as {"manifestRaw": <b64>, "requiredUsers": {"<u>": acked},
// "missingAcknowledgments": n}.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"

namespace mr::core {

struct PendingUpdate {
  std::string manifest_raw;
  std::map<std::string, bool> required_users;  // user → has acknowledged
  std::uint64_t missing_acknowledgments = 0;

  // missing_users lists the required users who have not acknowledged, in name order.
  [[nodiscard]] std::vector<std::string> missing_users() const;
  // acknowledge records |user|'s acknowledgement once (a repeat does not count again).
  void acknowledge(const std::string& user);
  friend bool operator==(const PendingUpdate&, const PendingUpdate&) = default;
};

[[nodiscard]] std::string encode_pending_update(const PendingUpdate& p);
// decode_pending_update parses the record; an absent count is recomputed from the users.
[[nodiscard]] Result<PendingUpdate> decode_pending_update(std::string_view json);

}  // namespace mr::core
