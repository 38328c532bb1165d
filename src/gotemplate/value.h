#pragma once
// Value: the dynamically typed data a Go template sees (Go's reflect.Value, reduced to what
// manifests need). Values are immutable and cheap to copy.
//
//   Value secret = Value::make_struct("manifest.Secret", {
//       {"Type", Value("cert-ecdsa")},
//       {"Cert", Value::make_bytes("manifest.Certificate", der)},
//       {"Public", Value::make_bytes("manifest.PublicKey", pkix)}});
//   Value data = Value::make_map({{"Secrets", Value::make_map({{"web", secret}})}});
//
// Typed byte strings carry a Go type name so functions can dispatch on it ("pem" emits a
// CERTIFICATE block for manifest.Certificate, PUBLIC KEY for manifest.PublicKey, ...).

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "base/bytes.h"

namespace mr::gotemplate {

class Value {
 public:
  enum class Kind {
    kInvalid,  // Go's invalid reflect.Value: a missing map key; prints "<no value>"
    kNil,      // an untyped nil (e.g. a nil interface, the "nil" keyword)
    kBool,
    kInt,
    kUint,
    kFloat,
    kString,
    kBytes,   // a named or unnamed []byte type
    kList,    // a slice
    kMap,     // map[string]T, iterated in sorted key order as Go does
    kStruct,  // named fields, case-sensitive, in declaration order
  };
  using List = std::vector<Value>;
  using Map = std::map<std::string, Value, std::less<>>;
  using Fields = std::vector<std::pair<std::string, Value>>;

  Value() = default;  // kInvalid
  explicit Value(bool b);
  explicit Value(std::int64_t i);
  explicit Value(int i) : Value(static_cast<std::int64_t>(i)) {}
  explicit Value(std::uint64_t u);
  explicit Value(unsigned u) : Value(static_cast<std::uint64_t>(u)) {}
  explicit Value(double d);
  explicit Value(std::string s);
  explicit Value(const char* s) : Value(std::string(s)) {}

  [[nodiscard]] static Value nil();
  // make_bytes builds a byte string of Go type |type_name| ("[]uint8" for a plain slice).
  [[nodiscard]] static Value make_bytes(std::string type_name, Bytes data);
  [[nodiscard]] static Value make_list(List items, std::string type_name = "[]interface {}");
  [[nodiscard]] static Value make_map(Map entries,
                                      std::string type_name = "map[string]interface {}");
  [[nodiscard]] static Value make_struct(std::string type_name, Fields fields);

  [[nodiscard]] Kind kind() const { return kind_; }
  [[nodiscard]] bool is_valid() const { return kind_ != Kind::kInvalid; }
  // type_name is Go's name for the dynamic type ("string", "int", "manifest.Secret", ...).
  [[nodiscard]] const std::string& type_name() const;

  [[nodiscard]] bool as_bool() const;                  // kBool only
  [[nodiscard]] std::int64_t as_int() const;           // kInt only
  [[nodiscard]] std::uint64_t as_uint() const;         // kUint only
  [[nodiscard]] double as_float() const;               // kFloat only
  [[nodiscard]] const std::string& as_string() const;  // kString only
  [[nodiscard]] const Bytes& as_bytes() const;         // kBytes only
  [[nodiscard]] const List& as_list() const;           // kList only
  [[nodiscard]] const Map& as_map() const;             // kMap only
  [[nodiscard]] const Fields& as_fields() const;       // kStruct only
  // field returns a struct field by exact name, or nullptr.
  [[nodiscard]] const Value* field(std::string_view name) const;

 private:
  struct Payload;
  Kind kind_ = Kind::kInvalid;
  std::shared_ptr<const Payload> payload_;
};

}  // namespace mr::gotemplate
