#include "core/update_log.h"

namespace mr::core {

std::string format_update_log_line(UnixTime time, std::string_view event,
                                   const std::vector<LogField>& fields) {
  gojson::Json line = gojson::Json::object();
  std::string ts = format_rfc3339(time);  // zap's ISO8601 encoder: milliseconds, "Z" in UTC
  ts.insert(ts.size() - 1, ".000");
  line["time"] = ts;
  line["update"] = std::string(event);
  for (const auto& [k, v] : fields)
    line[k] = v;
  return line.dump();  // zap does not escape <, > or & (nlohmann neither)
}

}  // namespace mr::core
