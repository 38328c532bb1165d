#include "gotemplate/builtins.h"

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <vector>

#include "gotemplate/go_strings.h"
#include "gotemplate/printer.h"

namespace mr::gotemplate::detail {

namespace {

using Kind = Value::Kind;

tl::unexpected<Error> fn_error(std::string msg) {
  return fail(ErrorCode::kInvalidArgument, std::move(msg));
}

bool is_nil(const Value& v) {
  return v.kind() == Kind::kInvalid || v.kind() == Kind::kNil;
}

// indirect_interface maps Go's nil interface (kNil) to the invalid value.
Value indirect_interface(const Value& v) {
  return v.kind() == Kind::kNil ? Value() : v;
}

Result<Value> check_size(std::string s) {
  if (s.size() > kMaxOutputBytes) {
    return fn_error(fmt::format("result exceeds maximum size ({} bytes)", kMaxOutputBytes));
  }
  return Value(std::move(s));
}

// zero_of_map_elem returns the zero value of the element type named in a map's Go type, or
// Go's nil interface when the element type is an interface or not modelled.
Value zero_of_map_elem(const std::string& map_type) {
  std::string_view t = map_type;
  const std::size_t close = t.find(']');
  std::string_view elem = close == std::string_view::npos ? "" : t.substr(close + 1);
  if (elem == "string") return Value(std::string());
  if (elem == "bool") return Value(false);
  if (elem == "int" || elem == "int8" || elem == "int16" || elem == "int32" || elem == "int64") {
    return Value(std::int64_t{0});
  }
  if (elem == "uint" || elem == "uint8" || elem == "uint16" || elem == "uint32" ||
      elem == "uint64" || elem == "uintptr") {
    return Value(std::uint64_t{0});
  }
  if (elem == "float32" || elem == "float64") return Value(0.0);
  return Value::nil();
}

// index_arg is Go's indexArg: checks that |index| can index something of length |cap|.
Result<std::int64_t> index_arg(const Value& index, std::size_t cap) {
  std::int64_t x;
  switch (index.kind()) {
    case Kind::kInt:
      x = index.as_int();
      break;
    case Kind::kUint:
      x = static_cast<std::int64_t>(index.as_uint());
      break;
    case Kind::kInvalid:
    case Kind::kNil:
      return fn_error("cannot index slice/array with nil");
    default:
      return fn_error("cannot index slice/array with type " + index.type_name());
  }
  if (x < 0 || static_cast<std::uint64_t>(x) > cap) {
    return fn_error(fmt::format("index out of range: {}", x));
  }
  return x;
}

std::size_t length_of(const Value& v) {
  switch (v.kind()) {
    case Kind::kString:
      return v.as_string().size();
    case Kind::kBytes:
      return v.as_bytes().size();
    case Kind::kList:
      return v.as_list().size();
    case Kind::kMap:
      return v.as_map().size();
    default:
      return 0;
  }
}

Result<Value> builtin_index(std::span<const Value> args) {
  Value item = indirect_interface(args[0]);
  if (!item.is_valid()) return fn_error("index of untyped nil");
  for (const Value& raw_index : args.subspan(1)) {
    const Value index = indirect_interface(raw_index);
    if (item.kind() == Kind::kNil) return fn_error("index of nil pointer");
    switch (item.kind()) {
      case Kind::kString:
      case Kind::kBytes:
      case Kind::kList: {
        MR_ASSIGN_OR_RETURN(std::int64_t x, index_arg(index, length_of(item)));
        const auto i = static_cast<std::size_t>(x);
        if (item.kind() == Kind::kString) {
          if (i >= item.as_string().size()) return fn_error("reflect: string index out of range");
          item = Value(static_cast<std::uint64_t>(static_cast<unsigned char>(item.as_string()[i])));
        } else if (item.kind() == Kind::kBytes) {
          if (i >= item.as_bytes().size()) return fn_error("reflect: slice index out of range");
          item = Value(static_cast<std::uint64_t>(item.as_bytes()[i]));
        } else {
          if (i >= item.as_list().size()) return fn_error("reflect: slice index out of range");
          Value next = item.as_list()[i];
          item = std::move(next);
        }
        break;
      }
      case Kind::kMap: {
        if (!index.is_valid()) return fn_error("value is nil; should be of type string");
        if (index.kind() != Kind::kString) {
          return fn_error(fmt::format("value has type {}; should be string", index.type_name()));
        }
        const auto& m = item.as_map();
        auto it = m.find(index.as_string());
        Value next = it != m.end() ? it->second : zero_of_map_elem(item.type_name());
        item = std::move(next);
        break;
      }
      default:
        return fn_error("can't index item of type " + item.type_name());
    }
  }
  return item;
}

Result<Value> builtin_slice(std::span<const Value> args) {
  const Value item = indirect_interface(args[0]);
  if (!item.is_valid()) return fn_error("slice of untyped nil");
  const auto indexes = args.subspan(1);
  if (indexes.size() > 3)
    return fn_error(fmt::format("too many slice indexes: {}", indexes.size()));
  switch (item.kind()) {
    case Kind::kString:
      if (indexes.size() == 3) return fn_error("cannot 3-index slice a string");
      break;
    case Kind::kBytes:
    case Kind::kList:
      break;
    default:
      return fn_error("can't slice item of type " + item.type_name());
  }
  const std::size_t cap = length_of(item);
  std::int64_t idx[3] = {0, static_cast<std::int64_t>(cap), 0};
  for (std::size_t i = 0; i < indexes.size(); ++i) {
    MR_ASSIGN_OR_RETURN(idx[i], index_arg(indirect_interface(indexes[i]), cap));
  }
  if (idx[0] > idx[1]) return fn_error(fmt::format("invalid slice index: {} > {}", idx[0], idx[1]));
  if (indexes.size() == 3 && idx[1] > idx[2]) {
    return fn_error(fmt::format("invalid slice index: {} > {}", idx[1], idx[2]));
  }
  const auto lo = static_cast<std::size_t>(idx[0]);
  const auto hi = static_cast<std::size_t>(idx[1]);
  switch (item.kind()) {
    case Kind::kString:
      return Value(item.as_string().substr(lo, hi - lo));
    case Kind::kBytes: {
      const Bytes& b = item.as_bytes();
      return Value::make_bytes(item.type_name(),
                               Bytes(b.begin() + static_cast<std::ptrdiff_t>(lo),
                                     b.begin() + static_cast<std::ptrdiff_t>(hi)));
    }
    default: {
      const auto& l = item.as_list();
      return Value::make_list(Value::List(l.begin() + static_cast<std::ptrdiff_t>(lo),
                                          l.begin() + static_cast<std::ptrdiff_t>(hi)),
                              item.type_name());
    }
  }
}

Result<Value> builtin_len(const Value& item) {
  if (item.kind() == Kind::kNil) return fn_error("len of nil pointer");
  switch (item.kind()) {
    case Kind::kString:
    case Kind::kBytes:
    case Kind::kList:
    case Kind::kMap:
      return Value(static_cast<std::int64_t>(length_of(item)));
    case Kind::kInvalid:
      return fn_error("reflect: call of reflect.Value.Type on zero Value");
    default:
      return fn_error("len of type " + item.type_name());
  }
}

enum class BasicKind { kInvalid, kBool, kInt, kFloat, kString, kUint };

BasicKind basic_kind(const Value& v) {
  switch (v.kind()) {
    case Kind::kBool:
      return BasicKind::kBool;
    case Kind::kInt:
      return BasicKind::kInt;
    case Kind::kUint:
      return BasicKind::kUint;
    case Kind::kFloat:
      return BasicKind::kFloat;
    case Kind::kString:
      return BasicKind::kString;
    default:
      return BasicKind::kInvalid;
  }
}

bool comparable(const Value& v) {
  switch (v.kind()) {
    case Kind::kBytes:
    case Kind::kList:
    case Kind::kMap:
      return false;
    case Kind::kStruct:
      for (const auto& [name, f] : v.as_fields()) {
        if (!comparable(f)) return false;
      }
      return true;
    default:
      return true;
  }
}

// deep_equal compares comparable values like Go's == on interface values.
bool deep_equal(const Value& a, const Value& b) {
  if (a.kind() != b.kind() || a.type_name() != b.type_name()) return false;
  switch (a.kind()) {
    case Kind::kInvalid:
    case Kind::kNil:
      return true;
    case Kind::kBool:
      return a.as_bool() == b.as_bool();
    case Kind::kInt:
      return a.as_int() == b.as_int();
    case Kind::kUint:
      return a.as_uint() == b.as_uint();
    case Kind::kFloat:
      return a.as_float() == b.as_float();
    case Kind::kString:
      return a.as_string() == b.as_string();
    case Kind::kStruct: {
      const auto& fa = a.as_fields();
      const auto& fb = b.as_fields();
      if (fa.size() != fb.size()) return false;
      for (std::size_t i = 0; i < fa.size(); ++i) {
        if (fa[i].first != fb[i].first || !deep_equal(fa[i].second, fb[i].second)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

Error incompatible(const Value& a, const Value& b) {
  return Error{
      ErrorCode::kInvalidArgument,
      fmt::format("incompatible types for comparison: {} and {}", a.type_name(), b.type_name())};
}

Result<bool> eq(std::span<const Value> args) {
  const Value arg1 = indirect_interface(args[0]);
  if (args.size() < 2) return fn_error("missing argument for comparison");
  const BasicKind k1 = basic_kind(arg1);
  for (const Value& raw : args.subspan(1)) {
    const Value arg = indirect_interface(raw);
    const BasicKind k2 = basic_kind(arg);
    bool truth = false;
    if (k1 != k2) {
      // Special case: Can compare integer values regardless of type's sign.
      if (k1 == BasicKind::kInt && k2 == BasicKind::kUint) {
        truth = arg1.as_int() >= 0 && static_cast<std::uint64_t>(arg1.as_int()) == arg.as_uint();
      } else if (k1 == BasicKind::kUint && k2 == BasicKind::kInt) {
        truth = arg.as_int() >= 0 && arg1.as_uint() == static_cast<std::uint64_t>(arg.as_int());
      } else if (arg1.is_valid() && arg.is_valid()) {
        return fail(incompatible(arg1, arg));
      }
    } else {
      switch (k1) {
        case BasicKind::kBool:
          truth = arg1.as_bool() == arg.as_bool();
          break;
        case BasicKind::kFloat:
          truth = arg1.as_float() == arg.as_float();
          break;
        case BasicKind::kInt:
          truth = arg1.as_int() == arg.as_int();
          break;
        case BasicKind::kString:
          truth = arg1.as_string() == arg.as_string();
          break;
        case BasicKind::kUint:
          truth = arg1.as_uint() == arg.as_uint();
          break;
        case BasicKind::kInvalid: {
          // Non-basic kinds: only the same kind or nil can be compared.
          const bool nil1 = !arg1.is_valid();
          const bool nil2 = !arg.is_valid();
          if (arg1.kind() != arg.kind() && !nil1 && !nil2) {
            return fn_error(fmt::format("non-comparable types {}: {}, {}: {}",
                                        sprint_verb(arg1, 's'), arg1.type_name(), arg.type_name(),
                                        sprint_verb(arg, 'v')));
          }
          if (nil1 || nil2) {
            truth = nil1 == nil2;
          } else {
            if (!comparable(arg)) {
              return fn_error(fmt::format("non-comparable type {}: {}", sprint_verb(arg, 's'),
                                          arg.type_name()));
            }
            truth = deep_equal(arg1, arg);
          }
          break;
        }
      }
    }
    if (truth) return true;
  }
  return false;
}

Result<bool> lt(const Value& a1, const Value& a2) {
  const Value arg1 = indirect_interface(a1);
  const BasicKind k1 = basic_kind(arg1);
  if (k1 == BasicKind::kInvalid) return fn_error("invalid type for comparison");
  const Value arg2 = indirect_interface(a2);
  const BasicKind k2 = basic_kind(arg2);
  if (k2 == BasicKind::kInvalid) return fn_error("invalid type for comparison");
  if (k1 != k2) {
    // Special case: Can compare integer values regardless of type's sign.
    if (k1 == BasicKind::kInt && k2 == BasicKind::kUint) {
      return arg1.as_int() < 0 || static_cast<std::uint64_t>(arg1.as_int()) < arg2.as_uint();
    }
    if (k1 == BasicKind::kUint && k2 == BasicKind::kInt) {
      return arg2.as_int() >= 0 && arg1.as_uint() < static_cast<std::uint64_t>(arg2.as_int());
    }
    return fail(incompatible(arg1, arg2));
  }
  switch (k1) {
    case BasicKind::kFloat:
      return arg1.as_float() < arg2.as_float();
    case BasicKind::kInt:
      return arg1.as_int() < arg2.as_int();
    case BasicKind::kString:
      return arg1.as_string() < arg2.as_string();
    case BasicKind::kUint:
      return arg1.as_uint() < arg2.as_uint();
    default:
      return fn_error("invalid type for comparison");
  }
}

Result<bool> le(const Value& a, const Value& b) {
  MR_ASSIGN_OR_RETURN(bool less, lt(a, b));
  if (less) return true;
  const Value args[] = {a, b};
  return eq(args);
}

// eval_args is Go's evalArgs: the single string argument as is, else fmt.Sprint of the
// arguments with nil replaced by "<no value>".
std::string eval_args(std::span<const Value> args) {
  if (args.size() == 1 && args[0].kind() == Kind::kString) return args[0].as_string();
  std::vector<Value> printable;
  printable.reserve(args.size());
  for (const Value& a : args)
    printable.push_back(is_nil(a) ? Value("<no value>") : a);
  return sprint(printable);
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '\0':
        out += "\xEF\xBF\xBD";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out.push_back(c);
        break;
    }
  }
  return out;
}

std::string js_escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '\\':
          out += "\\\\";
          continue;
        case '\'':
          out += "\\'";
          continue;
        case '"':
          out += "\\\"";
          continue;
        case '<':
          out += "\\u003C";
          continue;
        case '>':
          out += "\\u003E";
          continue;
        case '&':
          out += "\\u0026";
          continue;
        case '=':
          out += "\\u003D";
          continue;
        default:
          break;
      }
      if (c < ' ') {
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
      } else {
        out.push_back(static_cast<char>(c));
      }
      continue;
    }
    DecodedRune d = decode_rune(s, i);
    if (is_print(d.rune)) {
      out.append(s.substr(i, d.width));
    } else {
      out += fmt::format("\\u{:04X}", d.rune);
    }
    i += d.width - 1;
  }
  return out;
}

std::string query_escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

}  // namespace

BuiltinSignature builtin_signature(Builtin b) {
  switch (b) {
    case Builtin::kAnd:
    case Builtin::kOr:
    case Builtin::kCall:
    case Builtin::kIndex:
    case Builtin::kSlice:
    case Builtin::kEq:
      return {1, true, false};
    case Builtin::kHtml:
    case Builtin::kJs:
    case Builtin::kUrlquery:
    case Builtin::kPrint:
    case Builtin::kPrintln:
      return {0, true, false};
    case Builtin::kPrintf:
      return {1, true, true};
    case Builtin::kLen:
    case Builtin::kNot:
      return {1, false, false};
    case Builtin::kNe:
    case Builtin::kLt:
    case Builtin::kLe:
    case Builtin::kGt:
    case Builtin::kGe:
      return {2, false, false};
    case Builtin::kNone:
      break;
  }
  return {0, true, false};
}

bool is_true(const Value& v) {
  switch (v.kind()) {
    case Kind::kInvalid:
    case Kind::kNil:
      return false;
    case Kind::kBool:
      return v.as_bool();
    case Kind::kInt:
      return v.as_int() != 0;
    case Kind::kUint:
      return v.as_uint() != 0;
    case Kind::kFloat:
      return v.as_float() != 0;
    case Kind::kString:
      return !v.as_string().empty();
    case Kind::kBytes:
      return !v.as_bytes().empty();
    case Kind::kList:
      return !v.as_list().empty();
    case Kind::kMap:
      return !v.as_map().empty();
    case Kind::kStruct:
      return true;
  }
  return false;
}

Result<Value> call_builtin(Builtin b, std::span<const Value> args) {
  switch (b) {
    case Builtin::kIndex:
      return builtin_index(args);
    case Builtin::kSlice:
      return builtin_slice(args);
    case Builtin::kLen:
      return builtin_len(args[0]);
    case Builtin::kNot:
      return Value(!is_true(args[0]));
    case Builtin::kEq: {
      MR_ASSIGN_OR_RETURN(bool r, eq(args));
      return Value(r);
    }
    case Builtin::kNe: {
      MR_ASSIGN_OR_RETURN(bool r, eq(args));
      return Value(!r);
    }
    case Builtin::kLt: {
      MR_ASSIGN_OR_RETURN(bool r, lt(args[0], args[1]));
      return Value(r);
    }
    case Builtin::kLe: {
      MR_ASSIGN_OR_RETURN(bool r, le(args[0], args[1]));
      return Value(r);
    }
    case Builtin::kGt: {
      MR_ASSIGN_OR_RETURN(bool r, le(args[0], args[1]));
      return Value(!r);
    }
    case Builtin::kGe: {
      MR_ASSIGN_OR_RETURN(bool r, lt(args[0], args[1]));
      return Value(!r);
    }
    case Builtin::kHtml:
      return check_size(html_escape(eval_args(args)));
    case Builtin::kJs:
      return check_size(js_escape(eval_args(args)));
    case Builtin::kUrlquery:
      return check_size(query_escape(eval_args(args)));
    case Builtin::kPrint:
      return check_size(sprint(args));
    case Builtin::kPrintln:
      return check_size(sprintln(args));
    case Builtin::kPrintf:
      return check_size(sprintf(args[0].as_string(), args.subspan(1)));
    case Builtin::kAnd:
    case Builtin::kOr:
    case Builtin::kCall:
    case Builtin::kNone:
      break;
  }
  return fn_error("internal error: not a plain builtin");
}

}  // namespace mr::gotemplate::detail
