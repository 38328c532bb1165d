// Fuzz target: a manifest as posted to /api/v2/manifest. Manifest::parse, every check of
// check.h, the template dry run over placeholder secrets (validate_all runs both), and the
// package-update check against samples/full.json.

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "manifest/check.h"
#include "manifest/dry_run.h"
#include "manifest/manifest.h"
#include "manifest/update.h"

namespace {

const mr::manifest::Manifest& current_manifest() {
  static const mr::manifest::Manifest m = [] {
    auto parsed = mr::manifest::Manifest::parse(mr::fuzz::source_file("samples/full.json"));
    MR_FUZZ_CHECK(parsed.has_value(), "samples/full.json does not parse");
    return *parsed;
  }();
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string raw(reinterpret_cast<const char*>(data), size);
  auto m = mr::manifest::Manifest::parse(raw);
  if (!m) {
    MR_FUZZ_CHECK(!m.error().message.empty(), "parse error without a message");
    return 0;
  }
  MR_FUZZ_CHECK(m->raw() == raw, "raw() differs from the parsed bytes");

  mr::manifest::CheckOptions options;
  options.env_is_set = [](std::string_view name) { return name.size() % 2 == 0; };
  mr::manifest::CheckReport report = mr::manifest::validate_all(*m, options);
  for (const auto& e : report.errors)
    MR_FUZZ_CHECK(!e.empty(), "empty check error");
  MR_FUZZ_CHECK(report.ok() == report.first_error().has_value(), "first_error disagrees with ok()");

  // The dry run with every secret's placeholder (what a full manifest update renders with).
  auto secrets = mr::manifest::with_placeholders(mr::manifest::placeholder_secrets(*m),
                                                 mr::manifest::Placeholders::kUnset);
  (void)mr::manifest::dry_run_report(*m, secrets);

  // The same text as a package update of samples/full.json.
  (void)mr::manifest::check_package_update(current_manifest().packages, *m);
  return 0;
}
