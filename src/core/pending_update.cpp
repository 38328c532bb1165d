#include "core/pending_update.h"

#include "base/encoding.h"
#include "gojson/go_json.h"

namespace mr::core {

std::vector<std::string> PendingUpdate::missing_users() const {
  std::vector<std::string> out;
  for (const auto& [user, acked] : required_users) {
    if (!acked) out.push_back(user);
  }
  return out;
}

void PendingUpdate::acknowledge(const std::string& user) {
  auto it = required_users.find(user);
  if (it == required_users.end() || it->second) return;
  it->second = true;
  if (missing_acknowledgments > 0) --missing_acknowledgments;
}

std::string encode_pending_update(const PendingUpdate& p) {
  gojson::Json j = gojson::Json::object();
  j["manifestRaw"] = base64_encode(as_bytes(p.manifest_raw));
  j["requiredUsers"] = gojson::Json::object();
  for (const auto& [u, acked] : p.required_users)
    j["requiredUsers"][u] = acked;
  j["missingAcknowledgments"] = p.missing_acknowledgments;
  return j.dump();
}

Result<PendingUpdate> decode_pending_update(std::string_view json) {
  auto j = gojson::parse(json);
  if (!j) return fail(ErrorCode::kDataLoss, "corrupt pending update record");
  PendingUpdate p;
  Bytes raw;
  std::optional<std::uint64_t> missing;
  gojson::Decoder d;
  d.object(*j, "pendingUpdate",
           {{"manifestRaw", [&](const gojson::Json& v) { d.bytes(v, raw); }},
            {"requiredUsers",
             [&](const gojson::Json& v) {
               d.map(
                   v, "map[string]bool",
                   [&](const std::string& user, const gojson::Json& acked) {
                     bool b = false;
                     d.boolean(acked, b);
                     p.required_users[user] = b;
                   },
                   [&] { p.required_users.clear(); });
             }},
            {"missingAcknowledgments",
             [&](const gojson::Json& v) { d.optional_uint(v, "int", UINT64_MAX, missing); }}});
  if (d.failed()) return fail(ErrorCode::kDataLoss, "corrupt pending update record");
  p.manifest_raw = to_string(raw);
  p.missing_acknowledgments = missing ? *missing : p.missing_users().size();
  return p;
}

}  // namespace mr::core
