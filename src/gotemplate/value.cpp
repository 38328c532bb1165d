#include "gotemplate/value.h"

#include "base/assert.h"

namespace mr::gotemplate {

struct Value::Payload {
  std::string type_name;
  std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double, std::string, Bytes, List,
               Map, Fields>
      data;
};

namespace {

const std::string& static_type_name(Value::Kind k) {
  static const std::string kInvalid = "<nil>";
  static const std::string kNil = "<nil>";
  static const std::string kBool = "bool";
  static const std::string kInt = "int";
  static const std::string kUint = "uint";
  static const std::string kFloat = "float64";
  static const std::string kString = "string";
  switch (k) {
    case Value::Kind::kNil:
      return kNil;
    case Value::Kind::kBool:
      return kBool;
    case Value::Kind::kInt:
      return kInt;
    case Value::Kind::kUint:
      return kUint;
    case Value::Kind::kFloat:
      return kFloat;
    case Value::Kind::kString:
      return kString;
    default:
      return kInvalid;
  }
}

}  // namespace

Value::Value(bool b) : kind_(Kind::kBool), payload_(std::make_shared<Payload>(Payload{{}, b})) {}
Value::Value(std::int64_t i)
    : kind_(Kind::kInt), payload_(std::make_shared<Payload>(Payload{{}, i})) {}
Value::Value(std::uint64_t u)
    : kind_(Kind::kUint), payload_(std::make_shared<Payload>(Payload{{}, u})) {}
Value::Value(double d) : kind_(Kind::kFloat), payload_(std::make_shared<Payload>(Payload{{}, d})) {}
Value::Value(std::string s)
    : kind_(Kind::kString), payload_(std::make_shared<Payload>(Payload{{}, std::move(s)})) {}

Value Value::nil() {
  Value v;
  v.kind_ = Kind::kNil;
  return v;
}

Value Value::make_bytes(std::string type_name, Bytes data) {
  Value v;
  v.kind_ = Kind::kBytes;
  v.payload_ = std::make_shared<Payload>(Payload{std::move(type_name), std::move(data)});
  return v;
}

Value Value::make_list(List items, std::string type_name) {
  Value v;
  v.kind_ = Kind::kList;
  v.payload_ = std::make_shared<Payload>(Payload{std::move(type_name), std::move(items)});
  return v;
}

Value Value::make_map(Map entries, std::string type_name) {
  Value v;
  v.kind_ = Kind::kMap;
  v.payload_ = std::make_shared<Payload>(Payload{std::move(type_name), std::move(entries)});
  return v;
}

Value Value::make_struct(std::string type_name, Fields fields) {
  Value v;
  v.kind_ = Kind::kStruct;
  v.payload_ = std::make_shared<Payload>(Payload{std::move(type_name), std::move(fields)});
  return v;
}

const std::string& Value::type_name() const {
  switch (kind_) {
    case Kind::kBytes:
    case Kind::kList:
    case Kind::kMap:
    case Kind::kStruct:
      return payload_->type_name;
    default:
      return static_type_name(kind_);
  }
}

bool Value::as_bool() const {
  MR_ASSERT(kind_ == Kind::kBool);
  return std::get<bool>(payload_->data);
}

std::int64_t Value::as_int() const {
  MR_ASSERT(kind_ == Kind::kInt);
  return std::get<std::int64_t>(payload_->data);
}

std::uint64_t Value::as_uint() const {
  MR_ASSERT(kind_ == Kind::kUint);
  return std::get<std::uint64_t>(payload_->data);
}

double Value::as_float() const {
  MR_ASSERT(kind_ == Kind::kFloat);
  return std::get<double>(payload_->data);
}

const std::string& Value::as_string() const {
  MR_ASSERT(kind_ == Kind::kString);
  return std::get<std::string>(payload_->data);
}

const Bytes& Value::as_bytes() const {
  MR_ASSERT(kind_ == Kind::kBytes);
  return std::get<Bytes>(payload_->data);
}

const Value::List& Value::as_list() const {
  MR_ASSERT(kind_ == Kind::kList);
  return std::get<List>(payload_->data);
}

const Value::Map& Value::as_map() const {
  MR_ASSERT(kind_ == Kind::kMap);
  return std::get<Map>(payload_->data);
}

const Value::Fields& Value::as_fields() const {
  MR_ASSERT(kind_ == Kind::kStruct);
  return std::get<Fields>(payload_->data);
}

const Value* Value::field(std::string_view name) const {
  if (kind_ != Kind::kStruct) return nullptr;
  for (const auto& [n, v] : as_fields()) {
    if (n == name) return &v;
  }
  return nullptr;
}

}  // namespace mr::gotemplate
