#include "core/update_log.h"

#include <charconv>

#include "store/keys.h"
#include "store/records.h"

namespace mr::core {
namespace keys = store::keys;

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

Status append_update_log(store::Transaction& txn, UnixTime time, std::string_view event,
                         const std::vector<LogField>& fields) {
  MR_ASSIGN_OR_RETURN(auto names, store::list_names(txn, keys::kUpdateLogPrefix));
  std::uint64_t next = 0;
  if (!names.empty()) {
    const std::string& last = names.back();
    std::from_chars(last.data(), last.data() + last.size(), next);
    ++next;
  }
  return store::put_string(txn, keys::update_log(next),
                           format_update_log_line(time, event, fields));
}

Status reset_update_log(store::Transaction& txn) {
  return txn.erase_prefix(keys::kUpdateLogPrefix);
}

Result<std::vector<std::string>> read_update_log(store::ReadTransaction& txn) {
  std::vector<std::string> lines;
  MR_ASSIGN_OR_RETURN(auto names, store::list_names(txn, keys::kUpdateLogPrefix));
  for (const auto& name : names) {
    MR_ASSIGN_OR_RETURN(auto line,
                        store::get_string(txn, std::string(keys::kUpdateLogPrefix) + name));
    if (line) lines.push_back(std::move(*line));
  }
  return lines;
}

}  // namespace mr::core
