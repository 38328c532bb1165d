#include "gojson/go_json.h"

#include <fmt/format.h>

#include "base/encoding.h"
#include "base/json_depth.h"
#include "base/strings.h"

namespace mr::gojson {
namespace {

// Scans |text| once for Go-style syntax acceptance and translates nlohmann's exception.
Result<Json> parse_impl(std::string_view text) {
  try {
    return Json::parse(text.begin(), text.end(), /*cb=*/nullptr, /*allow_exceptions=*/true,
                       /*ignore_comments=*/false);
  } catch (const Json::parse_error& e) {
    // nlohmann's what() quotes the offending token, which may be secret input: keep only the
    // byte offset and the category.
    std::string_view what = e.what();
    std::string reason = "syntax error";
    if (what.find("invalid UTF-8") != std::string_view::npos ||
        what.find("ill-formed UTF-8") != std::string_view::npos) {
      reason = "invalid UTF-8";
    } else if (what.find("unexpected end of input") != std::string_view::npos) {
      reason = "unexpected end of JSON input";
    } else if (what.find("expected end of input") != std::string_view::npos) {
      reason = "invalid character after top-level value";
    }
    return failf(ErrorCode::kInvalidArgument, "invalid JSON at byte {}: {}", e.byte, reason);
  } catch (const std::exception&) {
    return fail(ErrorCode::kInvalidArgument, "invalid JSON");
  }
}

}  // namespace

Result<Json> parse(std::string_view text) {
  if (trim_space(text).empty()) {
    return fail(ErrorCode::kInvalidArgument, "unexpected end of JSON input");
  }
  MR_RETURN_IF_ERROR(check_json_depth(text));
  return parse_impl(text);
}

std::string_view kind_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "bool";
    case Json::value_t::string:
      return "string";
    case Json::value_t::array:
      return "array";
    case Json::value_t::object:
      return "object";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return "number";
    default:
      return "value";
  }
}

const Json* find_field(const Json& obj, std::string_view name) {
  if (!obj.is_object()) return nullptr;
  const Json* found = nullptr;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (it.key() == name || equal_fold(it.key(), name)) found = &it.value();
  }
  return found;
}

std::string Decoder::where() const {
  std::string s = structs_.empty() ? std::string() : structs_.back();
  for (const auto& p : path_) {
    if (!s.empty()) s += '.';
    s += p;
  }
  return s;
}

void Decoder::type_error(const Json& v, std::string_view go_type) {
  if (error_) return;
  std::string kind(kind_name(v));
  if (v.is_number()) kind += " " + v.dump();
  if (path_.empty()) {
    error_ = fmt::format("json: cannot unmarshal {} into Go value of type {}", kind, go_type);
  } else {
    error_ = fmt::format("json: cannot unmarshal {} into Go struct field {} of type {}", kind,
                         where(), go_type);
  }
}

void Decoder::error(std::string message) {
  if (!error_) error_ = std::move(message);
}

Error Decoder::take_error() const {
  return Error{ErrorCode::kInvalidArgument, error_.value_or("invalid JSON")};
}

void Decoder::object(const Json& v, std::string_view go_type, std::initializer_list<Field> fields) {
  if (v.is_null()) return;
  if (!v.is_object()) {
    type_error(v, go_type);
    return;
  }
  structs_.emplace_back(go_type);
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string& key = it.key();
    const Field* match = nullptr;
    for (const Field& f : fields) {
      if (f.name == key) {
        match = &f;
        break;
      }
    }
    if (!match) {
      for (const Field& f : fields) {
        if (equal_fold(f.name, key)) {
          match = &f;
          break;
        }
      }
    }
    if (!match) continue;  // unknown keys are ignored
    push(match->name);
    match->decode(it.value());
    pop();
  }
  structs_.pop_back();
}

void Decoder::map(const Json& v, std::string_view go_type,
                  const std::function<void(const std::string&, const Json&)>& decode_element,
                  const std::function<void()>& clear) {
  if (v.is_null()) {
    clear();
    return;
  }
  if (!v.is_object()) {
    type_error(v, go_type);
    return;
  }
  for (auto it = v.begin(); it != v.end(); ++it) {
    push(it.key());
    decode_element(it.key(), it.value());
    pop();
  }
}

void Decoder::array(const Json& v, std::string_view go_type,
                    const std::function<void(std::size_t, const Json&)>& decode_element,
                    const std::function<void()>& clear) {
  clear();
  if (v.is_null()) return;
  if (!v.is_array()) {
    type_error(v, go_type);
    return;
  }
  for (std::size_t i = 0; i < v.size(); ++i)
    decode_element(i, v[i]);
}

void Decoder::boolean(const Json& v, bool& out) {
  if (v.is_null()) return;
  if (!v.is_boolean()) return type_error(v, "bool");
  out = v.get<bool>();
}

void Decoder::string(const Json& v, std::string& out) {
  if (v.is_null()) return;
  if (!v.is_string()) return type_error(v, "string");
  out = v.get<std::string>();
}

void Decoder::unsigned_int(const Json& v, std::string_view go_type, std::uint64_t max,
                           std::uint64_t& out) {
  if (v.is_null()) return;
  if (v.is_number_unsigned()) {
    const auto n = v.get<std::uint64_t>();
    if (n > max) return type_error(v, go_type);
    out = n;
    return;
  }
  // Negative integers, fractions and exponents are all refused by Go for unsigned fields.
  type_error(v, go_type);
}

void Decoder::optional_uint(const Json& v, std::string_view go_type, std::uint64_t max,
                            std::optional<std::uint64_t>& out) {
  if (v.is_null()) {
    out.reset();
    return;
  }
  if (v.is_number_unsigned() && v.get<std::uint64_t>() <= max) {
    out = v.get<std::uint64_t>();
    return;
  }
  type_error(v, go_type);
}

void Decoder::signed_int(const Json& v, std::string_view go_type, std::int64_t& out) {
  if (v.is_null()) return;
  if (v.is_number_integer() && !v.is_number_unsigned()) {
    out = v.get<std::int64_t>();
    return;
  }
  if (v.is_number_unsigned() && v.get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX)) {
    out = static_cast<std::int64_t>(v.get<std::uint64_t>());
    return;
  }
  type_error(v, go_type);
}

void Decoder::string_list(const Json& v, std::vector<std::string>& out) {
  array(
      v, "[]string",
      [&](std::size_t i, const Json& e) {
        push(fmt::format("{}", i));
        std::string s;
        string(e, s);
        pop();
        out.push_back(std::move(s));
      },
      [&] { out.clear(); });
}

void Decoder::optional_string_list(const Json& v, std::optional<std::vector<std::string>>& out) {
  if (v.is_null()) {
    out.reset();
    return;
  }
  std::vector<std::string> list;
  string_list(v, list);
  if (v.is_array()) out = std::move(list);
}

void Decoder::bytes(const Json& v, Bytes& out) {
  if (v.is_null()) {
    out.clear();
    return;
  }
  if (v.is_string()) {
    auto decoded = base64_decode(v.get_ref<const std::string&>());
    if (!decoded) {
      error(decoded.error().message);
      return;
    }
    out = std::move(*decoded);
    return;
  }
  if (v.is_array()) {
    out.clear();
    for (const Json& e : v) {
      std::uint64_t n = 0;
      unsigned_int(e, "uint8", 255, n);
      out.push_back(static_cast<std::uint8_t>(n));
    }
    return;
  }
  type_error(v, "[]uint8");
}

void Decoder::int_list(const Json& v, std::string_view go_type, std::vector<std::int64_t>& out) {
  array(
      v, fmt::format("[]{}", go_type),
      [&](std::size_t, const Json& e) {
        std::int64_t n = 0;
        signed_int(e, go_type, n);
        out.push_back(n);
      },
      [&] { out.clear(); });
}

}  // namespace mr::gojson
