#pragma once
// The update log (spec 14.1): one JSON line per event, as upstream's zap encoder writes them
// ({"time":"2006-01-02T15:04:05.000Z","update":"<event>", <fields in order>}), stored one record
// per line under "updateLog:<sequence>" so appending costs O(line).
//
//   MR_RETURN_IF_ERROR(append_update_log(txn, clock.now(), "Secret set",
//                                        {{"user", "alice"}, {"secret", "token"}, {"type",
//                                        "plain"}}));

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "gojson/go_json.h"
#include "store/store.h"

namespace mr::core {

using LogField = std::pair<std::string, gojson::Json>;

// format_update_log_line renders one line (without the trailing newline).
[[nodiscard]] std::string format_update_log_line(UnixTime time, std::string_view event,
                                                 const std::vector<LogField>& fields);

// append_update_log adds one line after the last one in |txn|.
[[nodiscard]] Status append_update_log(store::Transaction& txn, UnixTime time,
                                       std::string_view event, const std::vector<LogField>& fields);

// reset_update_log removes every line (SetManifest starts a new log).
[[nodiscard]] Status reset_update_log(store::Transaction& txn);

// read_update_log returns the lines in order.
[[nodiscard]] Result<std::vector<std::string>> read_update_log(store::ReadTransaction& txn);

}  // namespace mr::core
