#pragma once
// The update log's lines (spec 14.1): one JSON line per event, as upstream's zap encoder writes
// them ({"time":"2006-01-02T15:04:05.000Z","update":"<event>", <fields in order>}). They are
// stored one record per line (snapshot.h append_update_log) so appending costs O(line).
//
//   std::string line = format_update_log_line(clock.now(), "Secret set",
//                                             {{"user", "alice"}, {"secret", "token"}});

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "gojson/go_json.h"

namespace mr::core {

using LogField = std::pair<std::string, gojson::Json>;

// format_update_log_line renders one line (without the trailing newline).
[[nodiscard]] std::string format_update_log_line(UnixTime time, std::string_view event,
                                                 const std::vector<LogField>& fields);

}  // namespace mr::core
