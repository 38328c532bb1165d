#include "cli/manifest_yaml.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>

#include "gojson/encode.h"
#include "gojson/go_json.h"

namespace mr::cli {
namespace {

using gojson::Json;

constexpr int kMaxDepth = 200;
constexpr std::size_t kMaxValues = 1'000'000;  // after alias expansion ("billion laughs")
constexpr std::streamoff kMaxManifestBytes = 16 << 20;

constexpr std::string_view kTagPrefix = "tag:yaml.org,2002:";

Error invalid(std::string_view reason) {
  return Error{ErrorCode::kInvalidArgument, fmt::format("invalid YAML: {}", reason)};
}

std::string where(const YAML::Mark& m) {
  return fmt::format("line {}, column {}", m.line + 1, m.column + 1);
}

// go_parse_uint is Go's strconv.ParseUint(s, 0, 64): 0x/0o/0b prefixes, a leading 0 for octal.
std::optional<std::uint64_t> go_parse_uint(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int base = 10;
  if (s[0] == '0') {
    const char p = s.size() >= 3 ? static_cast<char>(s[1] | 0x20) : '\0';
    if (p == 'b' || p == 'o' || p == 'x') {
      base = p == 'b' ? 2 : p == 'o' ? 8 : 16;
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
      if (s.empty()) return 0;
    }
  }
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// go_parse_int is Go's strconv.ParseInt(s, 0, 64).
std::optional<std::int64_t> go_parse_int(std::string_view s) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  const auto u = go_parse_uint(s);
  if (!u) return std::nullopt;
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (!neg && *u > kMax) return std::nullopt;
  if (neg && *u > kMax + 1) return std::nullopt;
  return neg ? static_cast<std::int64_t>(0 - *u) : static_cast<std::int64_t>(*u);
}

// is_yaml_style_float matches yaml.v2's ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$.
bool is_yaml_style_float(std::string_view s) {
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9')
      ++i;
    return i > start;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  } else {
    if (!digits()) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

// go_parse_float is strconv.ParseFloat(s, 64) on a yaml-style float: nullopt when out of range.
std::optional<double> go_parse_float(const std::string& s) {
  errno = 0;
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || std::isinf(d)) return std::nullopt;
  return d;
}

// The scalar kinds of yaml.v2's resolve table.
bool is_null_word(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}
std::optional<bool> bool_word(std::string_view s) {
  for (std::string_view t :
       {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})
    if (s == t) return true;
  for (std::string_view f :
       {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})
    if (s == f) return false;
  return std::nullopt;
}
bool is_special_float(std::string_view s) {
  for (std::string_view w : {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf",
                             "-.INF", ".nan", ".NaN", ".NAN"})
    if (s == w) return true;
  return false;
}

// resolve_plain gives a plain (unquoted, untagged) scalar its YAML 1.1 type as yaml.v2 does.
Result<Json> resolve_plain(const std::string& s) {
  if (is_null_word(s)) return Json(nullptr);
  if (auto b = bool_word(s)) return Json(*b);
  if (is_special_float(s)) {
    return fail(invalid(fmt::format("the number {} (infinite or NaN) has no JSON form", s)));
  }
  const char hint = s.empty() ? '\0' : s[0];
  if (hint == '.') {
    if (is_yaml_style_float(s)) {
      if (auto f = go_parse_float(s)) return Json(*f);
    }
    return Json(s);
  }
  if ((hint >= '0' && hint <= '9') || hint == '+' || hint == '-') {
    std::string plain;
    for (const char c : s)
      if (c != '_') plain += c;
    if (auto i = go_parse_int(plain)) return Json(*i);
    if (plain[0] != '+' && plain[0] != '-') {
      if (auto u = go_parse_uint(plain)) return Json(*u);
    }
    if (is_yaml_style_float(plain)) {
      if (auto f = go_parse_float(plain)) return Json(*f);
    }
  }
  return Json(s);
}

// go_float32_key is strconv.FormatFloat(k, 'g', -1, 32) as sigs.k8s.io/yaml names float keys.
std::string go_float32_key(double value) {
  const auto f = static_cast<float>(value);
  if (std::isinf(f)) return f > 0 ? ".inf" : "-.inf";
  if (std::isnan(f)) return ".nan";
  std::array<char, 64> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), std::fabs(f),
                                 std::chars_format::scientific);
  const std::string sci(buf.data(), end);  // d[.ddd]e±XX, shortest
  const std::size_t e = sci.find('e');
  std::string digits = sci.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  const int exp = std::stoi(sci.substr(e + 1));
  const int nd = static_cast<int>(digits.size());
  std::string out = std::signbit(f) ? "-" : "";
  if (exp < -4 || exp >= 6) {  // %e with nd-1 decimals and a two-digit exponent at least
    out += digits.substr(0, 1);
    if (nd > 1) out += "." + digits.substr(1);
    out += exp < 0 ? "e-" : "e+";
    const int a = std::abs(exp);
    out += (a < 10 ? "0" : "") + std::to_string(a);
    return out;
  }
  if (exp < 0) return out + "0." + std::string(static_cast<std::size_t>(-exp - 1), '0') + digits;
  if (nd <= exp + 1) return out + digits + std::string(static_cast<std::size_t>(exp + 1 - nd), '0');
  return out + digits.substr(0, static_cast<std::size_t>(exp + 1)) + "." +
         digits.substr(static_cast<std::size_t>(exp + 1));
}

class Converter {
 public:
  Result<Json> value(const YAML::Node& n, int depth) {
    if (depth > kMaxDepth) return fail(invalid(fmt::format("nested deeper than {}", kMaxDepth)));
    if (++values_ > kMaxValues) {
      return fail(invalid("aliases expand to more than a million values"));
    }
    switch (n.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return Json(nullptr);
      case YAML::NodeType::Scalar:
        return scalar(n);
      case YAML::NodeType::Sequence: {
        MR_RETURN_IF_ERROR(collection_tag(n, "seq"));
        Json a = Json::array();
        for (const YAML::Node& e : n) {
          MR_ASSIGN_OR_RETURN(Json v, value(e, depth + 1));
          a.push_back(std::move(v));
        }
        return a;
      }
      case YAML::NodeType::Map: {
        MR_RETURN_IF_ERROR(collection_tag(n, "map"));
        std::map<std::string, Json> members;
        MR_RETURN_IF_ERROR(mapping(n, depth, members));
        Json o = Json::object();
        for (auto& [k, v] : members)
          o[k] = std::move(v);  // sorted, as Go's json.Marshal writes maps
        return o;
      }
    }
    return fail(invalid("unknown node type"));
  }

 private:
  static Status collection_tag(const YAML::Node& n, std::string_view kind) {
    const std::string& tag = n.Tag();
    if (tag.empty() || tag == "?" || tag == "!" ||
        tag == std::string(kTagPrefix) + std::string(kind))
      return ok();
    return fail(invalid(fmt::format("unsupported tag {} at {}", tag, where(n.Mark()))));
  }

  static Result<Json> scalar(const YAML::Node& n) {
    const std::string& tag = n.Tag();
    const std::string& s = n.Scalar();
    if (tag == "?") return resolve_plain(s);
    if (tag == "!" || tag == std::string(kTagPrefix) + "str") return Json(s);
    if (tag.starts_with(kTagPrefix)) {
      const std::string_view kind = std::string_view(tag).substr(kTagPrefix.size());
      MR_ASSIGN_OR_RETURN(Json v, resolve_plain(s));
      const bool matches = (kind == "null" && v.is_null()) || (kind == "bool" && v.is_boolean()) ||
                           (kind == "int" && v.is_number_integer()) ||
                           (kind == "float" && v.is_number());
      if (matches) return kind == "float" ? Json(v.get<double>()) : v;
    }
    return fail(invalid(fmt::format("unsupported tag {} at {}", tag, where(n.Mark()))));
  }

  // key names a mapping key as sigs.k8s.io/yaml does: strings as they are, numbers and
  // booleans formatted; null and collections are refused.
  static Result<std::string> key(const YAML::Node& k) {
    if (k.Type() != YAML::NodeType::Scalar) {
      return fail(invalid(fmt::format("unsupported map key at {}: want a string, number or bool",
                                      where(k.Mark()))));
    }
    MR_ASSIGN_OR_RETURN(Json v, scalar(k));
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return std::string(v.get<bool>() ? "true" : "false");
    if (v.is_number_integer()) return gojson::dump(v);
    if (v.is_number_float()) return go_float32_key(v.get<double>());
    return fail(invalid(fmt::format("unsupported map key (null) at {}", where(k.Mark()))));
  }

  static bool is_merge_key(const YAML::Node& k) {
    return k.Type() == YAML::NodeType::Scalar && k.Tag() == "?" && k.Scalar() == "<<";
  }

  // mapping fills |out| with |n|'s entries; explicit keys override merged ones (<<), and among
  // merged mappings the first to name a key wins (YAML's merge key type).
  Status mapping(const YAML::Node& n, int depth, std::map<std::string, Json>& out) {
    std::vector<YAML::Node> merges;
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (is_merge_key(it->first)) {
        merges.push_back(it->second);
        continue;
      }
      MR_ASSIGN_OR_RETURN(std::string k, key(it->first));
      if (out.contains(k)) {
        return fail(invalid(fmt::format("{}: key {} already set in map", where(it->first.Mark()),
                                        gojson::quote(k))));
      }
      MR_ASSIGN_OR_RETURN(Json v, value(it->second, depth + 1));
      out.emplace(std::move(k), std::move(v));
    }
    for (const YAML::Node& m : merges) {
      std::vector<YAML::Node> sources;
      if (m.IsMap()) {
        sources.push_back(m);
      } else if (m.IsSequence()) {
        for (const YAML::Node& e : m)
          sources.push_back(e);
      }
      for (const YAML::Node& src : sources) {
        if (!src.IsMap() || depth + 1 > kMaxDepth) {
          return fail(invalid(fmt::format(
              "{}: map merge requires a map or a sequence of maps as the value", where(m.Mark()))));
        }
        std::map<std::string, Json> merged;
        MR_RETURN_IF_ERROR(mapping(src, depth + 1, merged));
        for (auto& [k, v] : merged)
          out.emplace(k, std::move(v));  // keeps what is already there
      }
    }
    return ok();
  }

  std::size_t values_ = 0;
};

}  // namespace

Result<std::string> yaml_to_json(std::string_view yaml) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return fail(invalid(fmt::format("{}: {}", where(e.mark), e.msg)));
  } catch (const std::exception& e) {
    return fail(invalid(e.what()));
  }
  if (docs.size() > 1) {
    return fail(invalid(
        fmt::format("the file holds {} documents (separated by ---): a manifest is one document",
                    docs.size())));
  }
  if (docs.empty()) return std::string("null");
  try {
    Converter c;
    MR_ASSIGN_OR_RETURN(Json j, c.value(docs[0], 0));
    return gojson::dump(j);
  } catch (const YAML::Exception& e) {
    return fail(invalid(fmt::format("{}: {}", where(e.mark), e.msg)));
  }
}

Result<std::string> load_manifest_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    return failf(ErrorCode::kNotFound, "cannot read the manifest {}: {}", path,
                 std::strerror(errno));
  }
  if (in.tellg() > kMaxManifestBytes) {
    return failf(ErrorCode::kInvalidArgument, "the manifest {} is larger than 16 MiB", path);
  }
  in.seekg(0);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string raw = ss.str();
  if (gojson::parse(raw)) return raw;  // JSON: the bytes as they are (upstream: json.Valid)
  MR_ASSIGN_OR_RETURN(std::string json, yaml_to_json(raw).map_error([&](Error e) {
    return std::move(e).wrap(fmt::format("the manifest {} is neither valid JSON nor YAML", path));
  }));
  if (json.empty() || json[0] != '{') {
    return failf(ErrorCode::kInvalidArgument,
                 "the manifest {} is not a JSON object or YAML mapping at the top level", path);
  }
  return json;
}

}  // namespace mr::cli
