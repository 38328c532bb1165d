#include "marble/parameters.h"

#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "base/json_depth.h"
#include "base/strings.h"

namespace mr::marble {
namespace {

void wipe(std::string& s) {
  if (!s.empty()) secure_wipe(s.data(), s.size());
}

Status ttls_error(std::string_view reason) {
  return failf(ErrorCode::kInvalidArgument, "invalid {}: {}", kTtlsConfigEnv, reason);
}

// count_entries checks tls.<direction> and adds its number of entries to |count|.
Status count_entries(const nlohmann::json& tls, const char* direction, std::size_t& count) {
  const auto it = tls.find(direction);
  if (it == tls.end() || it->is_null()) return ok();
  if (!it->is_object()) return ttls_error(fmt::format("tls.{} is not an object", direction));
  for (const auto& entry : *it) {
    if (!entry.is_object()) {
      return ttls_error(fmt::format("an entry of tls.{} is not an object", direction));
    }
  }
  count += it->size();
  return ok();
}

}  // namespace

Parameters::~Parameters() {
  for (auto& [k, v] : files)
    wipe(v);
  for (auto& [k, v] : env)
    wipe(v);
}

Status validate_ttls_config(std::string_view json) {
  if (auto depth = check_json_depth(json); !depth) return ttls_error(depth.error().message);
  const auto doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return ttls_error("not valid JSON");
  if (!doc.is_object()) return ttls_error("not a JSON object");
  const auto tls = doc.find("tls");
  if (tls == doc.end() || !tls->is_object()) return ttls_error("no \"tls\" object");
  std::size_t entries = 0;
  MR_RETURN_IF_ERROR(count_entries(*tls, "Incoming", entries));
  MR_RETURN_IF_ERROR(count_entries(*tls, "Outgoing", entries));
  if (entries == 0) return ttls_error("it has neither Incoming nor Outgoing entries");
  return ok();
}

Status check_parameters(const Parameters& params, TtlsPolicy ttls) {
  for (const auto& [path, content] : params.files) {
    if (path.empty()) return fail(ErrorCode::kInvalidArgument, "invalid file path: empty");
    if (contains_nul(path)) {
      return fail(ErrorCode::kInvalidArgument, "invalid file path: contains a NUL byte");
    }
  }
  for (const auto& [name, value] : params.env) {
    if (name.empty() || name.find('=') != std::string::npos || contains_nul(name)) {
      return fail(ErrorCode::kInvalidArgument,
                  "invalid environment variable name (empty, or contains '=' or NUL)");
    }
    if (contains_nul(value)) {
      return failf(ErrorCode::kInvalidArgument,
                   "invalid environment variable {}: its value contains a NUL byte", name);
    }
  }
  const auto ttls_config = params.env.find(std::string(kTtlsConfigEnv));
  if (ttls_config == params.env.end()) return ok();
  if (ttls == TtlsPolicy::kRefuse) {
    return failf(ErrorCode::kFailedPrecondition,
                 "the Coordinator sent {} (this Marble's manifest entry has TLS tags), but "
                 "transparent TLS is not available here: marblerun-premain starts an unmodified "
                 "program and cannot wrap its connections; remove \"TLS\" from the Marble in the "
                 "manifest and use MARBLE_PREDEFINED_* certificates in the app",
                 kTtlsConfigEnv);
  }
  return validate_ttls_config(ttls_config->second);
}

}  // namespace mr::marble
