#include "base/log.h"

#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <mutex>

#include "base/clock.h"

namespace mr::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};
std::atomic<Format> g_format{Format::kJson};
std::mutex g_capture_mu;
std::function<void(std::string_view)> g_capture;  // guarded by g_capture_mu

spdlog::logger& sink() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l =
        std::make_shared<spdlog::logger>("mr", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_pattern("%v");
    l->set_level(spdlog::level::trace);
    l->flush_on(spdlog::level::trace);
    return l;
  }();
  return *logger;
}

std::string_view level_name(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto secs = std::chrono::time_point_cast<std::chrono::seconds>(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - secs).count();
  std::string s = format_rfc3339(UnixTime(secs.time_since_epoch()));
  s.insert(s.size() - 1, fmt::format(".{:03}", ms));
  return s;
}

// epoch_seconds renders |now| as zap's EpochTimeEncoder does: seconds since the epoch as a
// decimal number (here with microseconds).
std::string epoch_seconds(std::chrono::system_clock::time_point now) {
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  return fmt::format("{}.{:06}", us / 1000000, us % 1000000);
}

}  // namespace

std::optional<Format> parse_format(std::string_view name) {
  if (name == "json") return Format::kJson;
  if (name == "text") return Format::kText;
  if (name == "zap") return Format::kZap;
  return std::nullopt;
}

std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

Field::Field(std::string_view key, std::string_view value)
    : key_(key), value_(json_escape(value)) {}
Field::Field(std::string_view key, bool value) : key_(key), value_(value ? "true" : "false") {}
Field::Field(std::string_view key, std::int64_t value) : key_(key), value_(std::to_string(value)) {}
Field::Field(std::string_view key, std::uint64_t value)
    : key_(key), value_(std::to_string(value)) {}
Field::Field(std::string_view key, double value) : key_(key), value_(fmt::format("{}", value)) {}

void configure(Format format, Level min_level) {
  g_format = format;
  g_level = min_level;
}

bool enabled(Level level) {
  return level >= g_level.load();
}

void set_capture_for_test(std::function<void(std::string_view)> capture) {
  std::scoped_lock lock(g_capture_mu);
  g_capture = std::move(capture);
}

void Logger::write(Level level, std::string_view msg, Fields fields) const {
  if (!enabled(level)) return;
  std::string line;
  const Format format = g_format.load();
  if (format == Format::kJson || format == Format::kZap) {
    line = format == Format::kJson
               ? fmt::format(R"({{"ts":"{}","level":"{}","component":{},"msg":{})", timestamp(),
                             level_name(level), json_escape(component_), json_escape(msg))
               : fmt::format(R"({{"level":"{}","ts":{},"caller":{},"msg":{})", level_name(level),
                             epoch_seconds(std::chrono::system_clock::now()),
                             json_escape(component_), json_escape(msg));
    for (const Field& f : fields) {
      line += fmt::format(",{}:{}", json_escape(f.key()), f.json_value());
    }
    line += '}';
  } else {
    line = fmt::format("{} {:<5} [{}] {}", timestamp(), level_name(level), component_, msg);
    for (const Field& f : fields)
      line += fmt::format(" {}={}", f.key(), f.json_value());
  }
  {
    std::scoped_lock lock(g_capture_mu);
    if (g_capture) {
      g_capture(line);
      return;
    }
  }
  sink().info(line);
}

}  // namespace mr::log
