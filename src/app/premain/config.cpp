#include "app/premain/config.h"

#include <charconv>
#include <cstdint>
#include <set>
#include <string_view>

#include "base/encoding.h"
#include "base/strings.h"

namespace mr::app::premain {
namespace {

struct Variable {
  const char* name;
  const char* help;
};

// Every variable the premain reads; the first five are upstream's (spec 1.3).
constexpr Variable kVariables[] = {
    {"EDG_MARBLE_COORDINATOR_ADDR", "Coordinator Marble API address (default localhost:2001)"},
    {"EDG_MARBLE_TYPE", "the Marble's name in the manifest's Marbles (required)"},
    {"EDG_MARBLE_DNS_NAMES",
     "comma-separated SANs for the Marble's certificate; IPs become IP SANs (default localhost)"},
    {"EDG_MARBLE_UUID_FILE", "file holding the instance UUID, created 0600 (default <cwd>/uuid)"},
    {"EDG_LOG_FORMAT",
     "json for JSON log lines, zap for upstream's keys (level, ts, caller, msg), text (default) "
     "for plain ones"},
    {"EDG_DEBUG_LOGGING", "1: debug logging, including the gRPC library's own lines"},
    {"EDG_MARBLE_COORDINATOR_ROOT_CA",
     "PEM file of the Coordinator root (marblerun certificate root) to pin; default: unverified"},
    {"EDG_MARBLE_ACTIVATION_TIMEOUT",
     "deadline of the Activate call: 30s, 500ms, 2m or plain seconds (default 30s)"},
    {"EDG_MARBLE_ATTESTATION_DIR",
     "Gramine's attestation directory (default /dev/attestation); used when it exists"},
    {"EDG_MARBLE_SIMULATED_DCAP_PKI",
     "DEVELOPMENT ONLY: JSON file of a simulated DCAP PKI; quotes are signed by it"},
    {"EDG_MARBLE_SIMULATED_MRENCLAVE", "simulated quotes: MRENCLAVE, 64 hex digits (default 0)"},
    {"EDG_MARBLE_SIMULATED_MRSIGNER", "simulated quotes: MRSIGNER, 64 hex digits (default 0)"},
    {"EDG_MARBLE_SIMULATED_PRODUCT_ID", "simulated quotes: ISV product ID, 0-65535 (default 0)"},
    {"EDG_MARBLE_SIMULATED_SVN", "simulated quotes: ISV SVN, 0-65535 (default 0)"},
    {"EDG_MARBLE_SIMULATED_DEBUG", "simulated quotes: 1 for a debug enclave (default 0)"},
};

class Parser {
 public:
  explicit Parser(const std::map<std::string, std::string>& env) : env_(env) {}

  // get returns the variable's value, or nullopt when unset or empty (upstream's Getenv).
  std::optional<std::string> get(const char* name) const {
    const auto it = env_.find(name);
    if (it == env_.end() || it->second.empty()) return std::nullopt;
    return it->second;
  }
  void problem(std::string p) { problems_.push_back(std::move(p)); }
  [[nodiscard]] bool ok() const { return problems_.empty(); }
  [[nodiscard]] std::string joined() const { return join(problems_, "; "); }

  void hash32(const char* name, attestation::Hash32& out) {
    const auto v = get(name);
    if (!v) return;
    auto raw = hex_decode(*v);
    if (!raw || raw->size() != out.size()) {
      problem(fmt::format("{} must be 64 hex digits", name));
      return;
    }
    std::copy(raw->begin(), raw->end(), out.begin());
  }
  void u16(const char* name, std::uint16_t& out) {
    const auto v = get(name);
    if (!v) return;
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), value);
    if (ec != std::errc() || end != v->data() + v->size() || value > 0xffff) {
      problem(fmt::format("{} must be an integer from 0 to 65535", name));
      return;
    }
    out = static_cast<std::uint16_t>(value);
  }
  void boolean(const char* name, bool& out) {
    const auto v = get(name);
    if (!v) return;
    if (*v == "1" || *v == "true") {
      out = true;
    } else if (*v == "0" || *v == "false") {
      out = false;
    } else {
      problem(fmt::format("{} must be 0 or 1", name));
    }
  }
  void duration(const char* name, std::chrono::milliseconds& out) {
    const auto v = get(name);
    if (!v) return;
    std::string_view s = *v;
    std::int64_t scale = 1000;
    if (s.ends_with("ms")) {
      scale = 1;
      s.remove_suffix(2);
    } else if (s.ends_with("s")) {
      s.remove_suffix(1);
    } else if (s.ends_with("m")) {
      scale = 60'000;
      s.remove_suffix(1);
    }
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || n <= 0 ||
        n > 24 * 3600 * 1000 / scale) {
      problem(fmt::format("{} must be a positive duration such as 30s, 500ms or 2m", name));
      return;
    }
    out = std::chrono::milliseconds(n * scale);
  }

 private:
  const std::map<std::string, std::string>& env_;
  std::vector<std::string> problems_;
};

}  // namespace

Result<PremainConfig> parse_config(const std::map<std::string, std::string>& env,
                                   const std::vector<std::string>& args,
                                   const std::filesystem::path& cwd) {
  PremainConfig c;
  Parser p(env);

  // Command line: [--help | --version] [-- program args...].
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") {
      c.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      if (c.command.empty() || c.command.front().empty()) p.problem("no program given after --");
      break;
    }
    if (args[i] == "--help" || args[i] == "-h") {
      c.help = true;
      return c;
    }
    if (args[i] == "--version") {
      c.version = true;
      return c;
    }
    p.problem(fmt::format("unexpected argument \"{}\" (put the program to run after --)", args[i]));
  }

  // Unknown EDG_MARBLE_* variables.
  std::set<std::string_view> known;
  for (const auto& v : kVariables)
    known.insert(v.name);
  for (const auto& [name, value] : env) {
    if (name.starts_with("EDG_MARBLE_") && !known.contains(name)) {
      p.problem(fmt::format("unknown variable {}", name));
    }
  }

  if (auto v = p.get("EDG_MARBLE_COORDINATOR_ADDR")) c.coordinator_addr = *v;
  // Unlike the other variables, set-but-empty is not "unset": it would silently unpin.
  if (const auto it = env.find("EDG_MARBLE_COORDINATOR_ROOT_CA"); it != env.end()) {
    if (it->second.empty()) {
      p.problem(
          "EDG_MARBLE_COORDINATOR_ROOT_CA is set but empty (the path of the Coordinator "
          "root certificate to pin; unset it to run unpinned)");
    } else {
      c.coordinator_root_ca = it->second;
    }
  }
  if (auto v = p.get("EDG_MARBLE_TYPE")) {
    c.marble_type = *v;
  } else {
    p.problem("EDG_MARBLE_TYPE is not set (the Marble's name in the manifest)");
  }
  if (auto v = p.get("EDG_MARBLE_DNS_NAMES")) {
    c.dns_names = split(*v, ",");
    for (const auto& n : c.dns_names) {
      if (n.empty()) {
        p.problem("EDG_MARBLE_DNS_NAMES has an empty entry");
        break;
      }
    }
  }
  c.uuid_file = cwd / "uuid";
  if (auto v = p.get("EDG_MARBLE_UUID_FILE")) c.uuid_file = *v;
  if (auto v = p.get("EDG_MARBLE_ATTESTATION_DIR")) c.attestation_dir = *v;
  p.duration("EDG_MARBLE_ACTIVATION_TIMEOUT", c.activation_timeout);

  if (auto v = p.get("EDG_MARBLE_SIMULATED_DCAP_PKI")) c.simulated_dcap_pki = *v;
  p.hash32("EDG_MARBLE_SIMULATED_MRENCLAVE", c.simulated_enclave.mr_enclave);
  p.hash32("EDG_MARBLE_SIMULATED_MRSIGNER", c.simulated_enclave.mr_signer);
  p.u16("EDG_MARBLE_SIMULATED_PRODUCT_ID", c.simulated_enclave.isv_prod_id);
  p.u16("EDG_MARBLE_SIMULATED_SVN", c.simulated_enclave.isv_svn);
  p.boolean("EDG_MARBLE_SIMULATED_DEBUG", c.simulated_enclave.debug);
  if (!c.simulated_dcap_pki) {
    for (const char* name : {"EDG_MARBLE_SIMULATED_MRENCLAVE", "EDG_MARBLE_SIMULATED_MRSIGNER",
                             "EDG_MARBLE_SIMULATED_PRODUCT_ID", "EDG_MARBLE_SIMULATED_SVN",
                             "EDG_MARBLE_SIMULATED_DEBUG"}) {
      if (p.get(name)) {
        p.problem(fmt::format("{} needs EDG_MARBLE_SIMULATED_DCAP_PKI", name));
      }
    }
  }

  if (auto v = p.get("EDG_LOG_FORMAT")) {
    if (auto format = log::parse_format(*v)) {
      c.log_format = *format;
    } else {
      p.problem("EDG_LOG_FORMAT must be json, text or zap");
    }
  }
  bool debug = false;
  p.boolean("EDG_DEBUG_LOGGING", debug);
  if (debug) c.log_level = log::Level::kDebug;

  if (!p.ok()) return fail(ErrorCode::kInvalidArgument, p.joined());
  return c;
}

std::string usage() {
  std::string out =
      "Usage: marblerun-premain [--help | --version] [-- program [args...]]\n\n"
      "Activates this process as a MarbleRun Marble with the Coordinator, writes the Files and\n"
      "sets the Env the Coordinator sends, then executes the program given after -- (or, without\n"
      "one, the Argv of the Marble in the manifest). Any failure exits non-zero with one line on\n"
      "stderr before the program starts.\n\n"
      "Quote provider: Gramine-SGX when the attestation directory exists; a simulated DCAP PKI\n"
      "when EDG_MARBLE_SIMULATED_DCAP_PKI is set (development only); else none (empty quote,\n"
      "accepted only by a Coordinator in simulation mode).\n\n"
      "Environment:\n";
  for (const auto& v : kVariables)
    out += fmt::format("  {:<32} {}\n", v.name, v.help);
  out +=
      "\nExit status: 2 for configuration errors, 1 when activation or applying its parameters\n"
      "fails, 126 when the program cannot be executed, 127 when it does not exist.\n";
  return out;
}

}  // namespace mr::app::premain
