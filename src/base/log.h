#pragma once
// Structured JSON logging: one named Logger per component, key/value fields.
//
//   static const mr::log::Logger kLog("core");
//   kLog.info("state changed", {{"from", 2}, {"to", 3}});
//   // {"ts":"2026-11-23T17:00:00.123Z","level":"info","component":"core","msg":"state
//   changed","from":2,"to":3}
//
// Format::kZap writes upstream MarbleRun's (zap production) key names instead, for log pipelines
// that expect them: {"level":"info","ts":1795453200.123456,"caller":"core","msg":"state
// changed","from":2,"to":3} (ts in seconds since the epoch; caller is the component).
//
// Never pass keys, secrets, recovery data or raw request bodies as fields.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace mr::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class Format {
  kJson,  // {"ts":"<RFC 3339>","level":..,"component":..,"msg":..,<fields>}
  kText,  // <RFC 3339> <level> [<component>] <msg> key=value...
  kZap,   // {"level":..,"ts":<epoch seconds>,"caller":<component>,"msg":..,<fields>} (upstream)
};

// parse_format maps "json", "text" or "zap" to its Format; nullopt for anything else.
[[nodiscard]] std::optional<Format> parse_format(std::string_view name);

// Field is one key/value pair; the value is rendered to JSON when the field is built.
class Field {
 public:
  Field(std::string_view key, std::string_view value);
  Field(std::string_view key, const char* value) : Field(key, std::string_view(value)) {}
  Field(std::string_view key, const std::string& value) : Field(key, std::string_view(value)) {}
  Field(std::string_view key, bool value);
  Field(std::string_view key, std::int64_t value);
  Field(std::string_view key, int value) : Field(key, static_cast<std::int64_t>(value)) {}
  Field(std::string_view key, std::uint64_t value);
  Field(std::string_view key, unsigned value) : Field(key, static_cast<std::uint64_t>(value)) {}
  Field(std::string_view key, double value);

  [[nodiscard]] std::string_view key() const { return key_; }
  [[nodiscard]] const std::string& json_value() const { return value_; }

 private:
  std::string_view key_;
  std::string value_;
};
using Fields = std::initializer_list<Field>;

// configure sets the process-wide format and minimum level (call once, from main).
void configure(Format format, Level min_level);
// enabled reports whether messages at |level| are written.
[[nodiscard]] bool enabled(Level level);
// set_capture_for_test routes every formatted line to |sink| instead of stderr (nullptr resets).
void set_capture_for_test(std::function<void(std::string_view line)> sink);
// json_escape renders |s| as a JSON string literal including the quotes.
[[nodiscard]] std::string json_escape(std::string_view s);

// Logger writes lines tagged with its component name.
class Logger {
 public:
  explicit Logger(std::string_view component) : component_(component) {}
  void debug(std::string_view msg, Fields fields = {}) const { write(Level::kDebug, msg, fields); }
  void info(std::string_view msg, Fields fields = {}) const { write(Level::kInfo, msg, fields); }
  void warn(std::string_view msg, Fields fields = {}) const { write(Level::kWarn, msg, fields); }
  void error(std::string_view msg, Fields fields = {}) const { write(Level::kError, msg, fields); }
  void write(Level level, std::string_view msg, Fields fields) const;

 private:
  std::string_view component_;
};

}  // namespace mr::log
