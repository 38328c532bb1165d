#include "cli/manifest_check.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>

#include "cli/manifest_yaml.h"
#include "gojson/go_json.h"
#include "manifest/check.h"
#include "manifest/manifest.h"

namespace mr::cli {
namespace {

// Manifests are small; refuse anything absurd before reading it whole.
constexpr std::streamoff kMaxManifestBytes = 16 << 20;

bool read_file(const std::string& path, std::string& out, std::string& error) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    error = std::strerror(errno);
    return false;
  }
  const std::streamoff size = in.tellg();
  if (size > kMaxManifestBytes) {
    error = "file is larger than 16 MiB";
    return false;
  }
  in.seekg(0);
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

}  // namespace

int run_manifest_check(const std::vector<std::string>& files, std::ostream& out) {
  manifest::CheckOptions options;
  options.env_is_set = [](std::string_view name) {
    const char* v = std::getenv(std::string(name).c_str());
    return v != nullptr && *v != '\0';
  };
  int rc = 0;
  for (const std::string& file : files) {
    std::string raw, error;
    if (!read_file(file, raw, error)) {
      out << file << ": cannot read: " << error << "\n";
      rc = 1;
      continue;
    }
    // YAML is converted to JSON first, as `manifest set` does (upstream's loadManifestFile).
    if (auto json = gojson::parse(raw); !json) {
      auto yaml = yaml_to_json(raw);
      if (!yaml || !yaml->starts_with("{")) {
        out << file << ": not a valid manifest: neither JSON (" << json.error().message
            << ") nor a YAML mapping ("
            << (yaml ? std::string("the top level is not a mapping") : yaml.error().message)
            << ")\n";
        rc = 1;
        continue;
      }
      raw = std::move(*yaml);
    }
    auto m = manifest::Manifest::parse(std::move(raw));
    if (!m) {
      out << file << ": not a valid manifest: " << m.error().message << "\n";
      rc = 1;
      continue;
    }
    const manifest::CheckReport report = manifest::validate_all(*m, options);
    for (const auto& w : report.warnings)
      out << file << ": warning: " << w << "\n";
    if (report.ok()) {
      out << "OK: " << file << "\n";
    } else {
      for (const auto& e : report.errors)
        out << file << ": " << e << "\n";
      rc = 1;
    }
  }
  return rc;
}

}  // namespace mr::cli
