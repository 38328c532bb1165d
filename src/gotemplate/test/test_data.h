#pragma once
// Shared fixtures for the template tests: Go exec_test.go's tVal reduced to Values, a small
// function map, and a MarbleRun-like "pem" that dispatches on typed byte values.

#include <stdexcept>
#include <string>

#include "base/encoding.h"
#include "gotemplate/template.h"

namespace mr::gotemplate::testing {

inline Value u_struct(const char* v) {
  return Value::make_struct("template.U", {{"V", Value(v)}});
}

inline Value int_list(std::initializer_list<int> xs) {
  Value::List l;
  for (int x : xs)
    l.emplace_back(x);
  return Value::make_list(std::move(l), "[]int");
}

inline Value msi(std::initializer_list<std::pair<const char*, int>> kv) {
  Value::Map m;
  for (const auto& [k, v] : kv)
    m.emplace(k, Value(v));
  return Value::make_map(std::move(m), "map[string]int");
}

// tval mirrors the fields of Go's exec_test.go tVal that templates here can reach.
inline Value tval() {
  return Value::make_struct(
      "template.T", {
                        {"True", Value(true)},
                        {"I", Value(17)},
                        {"U16", Value(std::uint64_t{16})},
                        {"X", Value("x")},
                        {"S", Value("xyz")},
                        {"FloatZero", Value(0.0)},
                        {"U", u_struct("v")},
                        {"MSI", msi({{"one", 1}, {"two", 2}, {"three", 3}})},
                        {"MSIone", msi({{"one", 1}})},
                        {"MSIEmpty", msi({})},
                        {"MXI", Value::make_map({{"one", Value(1)}, {"nil", Value::nil()}})},
                        {"SMSI", Value::make_list({msi({{"one", 1}, {"two", 2}}),
                                                   msi({{"eleven", 11}, {"twelve", 12}})},
                                                  "[]map[string]int")},
                        {"SI", int_list({3, 4, 5})},
                        {"SIEmpty", int_list({})},
                        {"SB", Value::make_list({Value(true), Value(false)}, "[]bool")},
                        {"Empty0", Value::nil()},
                        {"Empty1", Value(3)},
                        {"Empty2", Value("empty2")},
                        {"Empty3", int_list({7, 8})},
                        {"Empty4", u_struct("UinEmpty")},
                        {"Bytes", Value::make_bytes("[]uint8", {1, 2, 3})},
                        {"Cert", Value::make_bytes("manifest.Certificate", {0x30, 0x00, 0x01})},
                        {"unexported", Value(1)},
                    });
}

inline Error fn_error(std::string msg) {
  return Error{ErrorCode::kInvalidArgument, std::move(msg)};
}

inline FunctionSpec unary(Function fn) {
  return FunctionSpec{std::move(fn), 1, false};
}

// test_funcs is the injected function map used throughout the tests.
inline FuncMap test_funcs() {
  FuncMap f;
  f["echo"] = unary([](std::span<const Value> a) -> Result<Value> { return a[0]; });
  f["typeOf"] = unary([](std::span<const Value> a) -> Result<Value> {
    return Value(a[0].is_valid() ? a[0].type_name() : std::string("<nil>"));
  });
  f["isValid"] =
      unary([](std::span<const Value> a) -> Result<Value> { return Value(a[0].is_valid()); });
  f["join"] = FunctionSpec{[](std::span<const Value> a) -> Result<Value> {
                             std::string out;
                             for (const Value& v : a)
                               out += format_value(v);
                             return Value(std::move(out));
                           },
                           0, true};
  f["join2"] = FunctionSpec{[](std::span<const Value> a) -> Result<Value> {
                              std::string out;
                              for (const Value& v : a)
                                out += format_value(v) + ";";
                              return Value(std::move(out));
                            },
                            2, true};
  f["die"] = FunctionSpec{[](std::span<const Value>) -> Result<Value> {
                            return tl::unexpected(fn_error("die called"));
                          },
                          0, false};
  f["zeroArgs"] = FunctionSpec{
      [](std::span<const Value>) -> Result<Value> { return Value("zeroArgs"); }, 0, false};
  f["nul"] = FunctionSpec{
      [](std::span<const Value>) -> Result<Value> { return Value(std::string("a\0b", 3)); }, 0,
      false};
  f["throws"] = FunctionSpec{
      [](std::span<const Value>) -> Result<Value> { throw std::runtime_error("boom"); }, 0, false};
  f["nothing"] =
      FunctionSpec{[](std::span<const Value>) -> Result<Value> { return Value(); }, 0, false};
  f["count"] = unary([](std::span<const Value> a) -> Result<Value> {
    Value::List l;
    for (std::int64_t i = 0; i < a[0].as_int(); ++i)
      l.emplace_back(std::string(1, static_cast<char>('a' + i)));
    return Value::make_list(std::move(l), "[]string");
  });
  // raw and pem behave like MarbleRun's file functions.
  f["raw"] = unary([](std::span<const Value> a) -> Result<Value> {
    if (!a[0].is_valid()) return tl::unexpected(fn_error("secret does not exist"));
    if (a[0].kind() != Value::Kind::kBytes) return tl::unexpected(fn_error("invalid secret type"));
    return Value(to_string(a[0].as_bytes()));
  });
  f["pem"] = unary([](std::span<const Value> a) -> Result<Value> {
    const Value& v = a[0];
    if (!v.is_valid()) return tl::unexpected(fn_error("secret does not exist"));
    std::string type;
    if (v.type_name() == "manifest.Certificate") type = "CERTIFICATE";
    if (v.type_name() == "manifest.PublicKey") type = "PUBLIC KEY";
    if (v.type_name() == "manifest.PrivateKey") type = "PRIVATE KEY";
    if (v.kind() != Value::Kind::kBytes || type.empty()) {
      return tl::unexpected(fn_error("invalid secret type for pem encoding"));
    }
    if (v.as_bytes().empty())
      return tl::unexpected(fn_error("tried to parse secret with empty value"));
    return Value("-----BEGIN " + type + "-----\n" + base64_encode(v.as_bytes()) + "\n-----END " +
                 type + "-----\n");
  });
  return f;
}

// run parses and executes |text|; errors come back as "ERROR: <message>".
inline std::string run(std::string_view text, const Value& data = tval(),
                       FuncMap funcs = test_funcs()) {
  auto t = Template::parse("t", text, std::move(funcs));
  if (!t) return "ERROR: " + t.error().message;
  auto out = t->execute(data);
  if (!out) return "ERROR: " + out.error().message;
  return *out;
}

}  // namespace mr::gotemplate::testing
