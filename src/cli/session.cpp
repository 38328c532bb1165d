#include "cli/session.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>

#include "attestation/sgx_dcap/collateral.h"
#include "attestation/sgx_dcap/collateral_cache.h"
#include "attestation/sgx_dcap/dcap_verifier.h"
#include "attestation/sgx_dcap/pcs_fetcher.h"
#include "client/address.h"
#include "client/cert_cache.h"

namespace mr::cli {
namespace {

namespace dcap = attestation::dcap;

// NoticingVerifier tells the user when a quote verification starts (it may fetch collateral
// over the network) and forwards to the real verifier.
class NoticingVerifier final : public attestation::QuoteVerifier {
 public:
  NoticingVerifier(std::unique_ptr<attestation::QuoteVerifier> inner, std::string message,
                   Session& session)
      : inner_(std::move(inner)), message_(std::move(message)), session_(session) {}
  Result<attestation::VerifiedQuote> verify(ByteSpan quote) const override {
    if (!message_.empty()) session_.notice(message_);
    return inner_->verify(quote);
  }

 private:
  std::unique_ptr<attestation::QuoteVerifier> inner_;
  std::string message_;
  Session& session_;
};

// parse_duration accepts Go-style "90s", "2m", "1h", "1m30s" or plain seconds.
Result<std::chrono::seconds> parse_duration(std::string_view text) {
  auto bad = [&] {
    return failf(ErrorCode::kInvalidArgument,
                 "invalid --timeout \"{}\": use seconds or a duration like 90s, 2m, 1m30s", text);
  };
  if (text.empty()) return bad();
  std::chrono::seconds total{0};
  std::string_view rest = text;
  while (!rest.empty()) {
    long long n = 0;
    auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
    if (ec != std::errc() || n < 0) return bad();
    rest.remove_prefix(static_cast<std::size_t>(ptr - rest.data()));
    long long unit = 1;
    if (!rest.empty()) {
      switch (rest.front()) {
        case 'h':
          unit = 3600;
          break;
        case 'm':
          unit = 60;
          break;
        case 's':
          unit = 1;
          break;
        default:
          return bad();
      }
      rest.remove_prefix(1);
    } else if (total.count() != 0) {
      return bad();  // "1m30" lacks a unit
    }
    total += std::chrono::seconds(n * unit);
  }
  return total;
}

}  // namespace

std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

Result<std::string> read_file(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return failf(ErrorCode::kNotFound, "cannot read {} {}: {}", what, path, std::strerror(errno));
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

SlowNotice::SlowNotice(Session& session, std::string message, std::chrono::milliseconds delay)
    : thread_([this, &session, message = std::move(message), delay] {
        std::unique_lock lock(mu_);
        if (!cv_.wait_for(lock, delay, [this] { return done_; })) session.notice(message);
      }) {}

SlowNotice::~SlowNotice() {
  {
    std::scoped_lock lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Session::run(const std::function<Status()>& body) {
  Status s = body();
  if (!s) {
    err_ << "Error: " << one_line(s.error().message) << "\n";
    err_.flush();
    exit_code_ = 1;
  }
}

void Session::notice(std::string_view line) {
  err_ << line << "\n";
  err_.flush();
}

Status Session::write_output(const std::string& path, ByteSpan data) {
  if (path == "-") {
    out_.write(reinterpret_cast<const char*>(data.data()),
               static_cast<std::streamsize>(data.size()));
    out_.flush();
    return ok();
  }
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return failf(ErrorCode::kInternal, "cannot write {}: {}", path, std::strerror(errno));
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  f.close();
  if (!f) return failf(ErrorCode::kInternal, "cannot write {}: {}", path, std::strerror(errno));
  return ok();
}

Result<std::chrono::seconds> Session::timeout() const {
  return parse_duration(options_.timeout);
}

Result<std::optional<attestation::EraConfig>> Session::load_era_config() const {
  std::string path = options_.era_config;
  if (path.empty()) {
    std::error_code ec;
    if (!std::filesystem::exists("era-config.json", ec)) {
      return std::optional<attestation::EraConfig>();
    }
    path = "era-config.json";
  }
  MR_ASSIGN_OR_RETURN(std::string text, read_file(path, "the era config"));
  MR_ASSIGN_OR_RETURN(attestation::EraConfig era,
                      attestation::parse_era_config(text).map_error(
                          [&](Error e) { return std::move(e).wrap(path); }));
  if (!options_.accepted_tcb_statuses.empty()) {
    era.accepted_tcb_statuses = options_.accepted_tcb_statuses;
  } else if (era.accepted_tcb_statuses.empty()) {
    era.accepted_tcb_statuses = kDefaultAcceptedTcbStatuses;
  }
  if (!options_.accepted_advisories.empty()) era.accepted_advisories = options_.accepted_advisories;
  if (!options_.nonce.empty()) era.nonce = to_bytes(options_.nonce);
  return std::optional<attestation::EraConfig>(std::move(era));
}

Result<std::unique_ptr<attestation::QuoteVerifier>> Session::make_verifier() {
  std::shared_ptr<const dcap::CollateralProvider> provider;
  std::string message;
  if (!options_.dcap_collateral.empty()) {
    MR_ASSIGN_OR_RETURN(dcap::Collateral collateral,
                        dcap::load_collateral(options_.dcap_collateral)
                            .map_error(Wrap("loading --dcap-collateral")));
    provider = std::make_shared<dcap::StaticCollateralProvider>(std::move(collateral));
  } else {
    dcap::PcsConfig pcs;
    if (!options_.dcap_pccs_url.empty()) pcs.base_url = options_.dcap_pccs_url;
    message = fmt::format(
        "verifying the Coordinator's quote (fetching DCAP collateral from {}; --dcap-collateral "
        "to use local files)",
        pcs.base_url);
    dcap::CollateralCacheConfig cache;
    cache.fetcher = std::make_shared<dcap::PcsFetcher>(std::move(pcs));
    cache.clock = &clock_;
    MR_ASSIGN_OR_RETURN(std::unique_ptr<dcap::CachingCollateralProvider> caching,
                        dcap::CachingCollateralProvider::create(std::move(cache)));
    provider = std::move(caching);
  }
  std::vector<Bytes> roots;
  if (!options_.dcap_root_ca.empty()) {
    MR_ASSIGN_OR_RETURN(std::string root, read_file(options_.dcap_root_ca, "--dcap-root-ca"));
    roots.push_back(to_bytes(root));
  }
  MR_ASSIGN_OR_RETURN(
      std::unique_ptr<dcap::DcapQuoteVerifier> verifier,
      dcap::DcapQuoteVerifier::create({std::move(provider), &clock_, std::move(roots)})
          .map_error(Wrap("setting up quote verification")));
  return std::unique_ptr<attestation::QuoteVerifier>(
      std::make_unique<NoticingVerifier>(std::move(verifier), std::move(message), *this));
}

Result<client::Connection> Session::connect(std::string_view host, client::TrustPurpose purpose,
                                            const UserCredentials* user) {
  client::ConnectorOptions o;
  MR_ASSIGN_OR_RETURN(o.address, client::parse_coordinator_address(host));
  // Without --timeout: wait kDefaultWait while the Coordinator refuses connections or answers
  // 503 (starting), report everything else at once. With it: also wait out timeouts.
  const bool explicit_timeout = !options_.timeout.empty();
  std::chrono::seconds wait = kDefaultWait;
  if (explicit_timeout) {
    MR_ASSIGN_OR_RETURN(wait, timeout());
  }
  o.read_timeout =
      explicit_timeout ? std::max(wait, std::chrono::seconds(10)) : std::chrono::seconds(60);
  o.connect_timeout = std::min(std::chrono::seconds(10), std::max(wait, std::chrono::seconds(1)));
  const std::string where = o.address.to_string();
  o.wait = client::WaitOptions{
      wait, std::chrono::milliseconds(500),
      [this, where, wait, explicit_timeout](const Error& e) {
        notice(fmt::format("waiting for the Coordinator at {} ({}); retrying for up to {}s{}",
                           where, e.message, wait.count(),
                           explicit_timeout ? " (--timeout)" : " (--timeout to wait longer)"));
      },
      [explicit_timeout](const Error& e) {
        return e.code == ErrorCode::kUnavailable ||
               (explicit_timeout && e.code == ErrorCode::kDeadlineExceeded);
      }};
  o.notice = [this](std::string_view line) { notice(line); };
  if (user != nullptr) {
    MR_ASSIGN_OR_RETURN(client::ClientIdentity id,
                        client::load_client_identity(user->cert_file, user->key_file));
    o.identity = std::make_shared<const client::ClientIdentity>(std::move(id));
  }

  std::optional<attestation::EraConfig> era;
  bool insecure = options_.insecure;
  if (!insecure) {
    MR_ASSIGN_OR_RETURN(era, load_era_config());
    if (era && era->insecure_skip_verify) {
      insecure = true;
      notice("the era config sets InsecureSkipVerify: treating it as --insecure");
    }
  }
  if (insecure) {
    notice(fmt::format(
        "WARNING: --insecure: the Coordinator at {} is not verified and its TLS certificate is "
        "not checked; anyone on the network path could impersonate it.",
        where));
    o.mode = client::TrustMode::kInsecure;
    if (!options_.nonce.empty()) o.verify.nonce = to_bytes(options_.nonce);
  } else {
    if (options_.coordinator_cert.empty()) {
      MR_ASSIGN_OR_RETURN(o.cache_path,
                          client::default_cert_cache_path(env_.xdg_config_home, env_.home));
    } else {
      o.cache_path = options_.coordinator_cert;
      o.cache_origin = client::CacheOrigin::kUserFile;
    }
    o.verify.simulation = options_.accept_simulation ? client::SimulationPolicy::kAccept
                                                     : client::SimulationPolicy::kRefuse;
    if (era) {
      o.verify.nonce = era->nonce;
      MR_ASSIGN_OR_RETURN(verifier_, make_verifier());
      o.verify.verifier = verifier_.get();
      o.verify.era = std::move(era);
    } else if (!options_.nonce.empty()) {
      o.verify.nonce = to_bytes(options_.nonce);
    }
  }

  auto c = client::connect_to_coordinator(o, purpose);
  if (!c) {
    Error e = std::move(c).error();
    if (e.message == "no attestation policy for the Coordinator") {
      e.message =
          "no attestation policy for the Coordinator: pass --era-config <file> with its expected "
          "identity (UniqueID, or SignerID + ProductID + SecurityVersion), or put it in "
          "./era-config.json; or skip verification with --insecure";
    } else if (e.message.starts_with("the Coordinator runs in simulation mode")) {
      e.message +=
          "; pass --accept-simulation to trust it anyway (development only), or --insecure";
    }
    return fail(std::move(e));
  }
  // Simulation trust is remembered through the pinned root, but never silently.
  if (c->simulated && c->event != client::TrustEvent::kFirstUse &&
      c->event != client::TrustEvent::kInsecure) {
    notice(fmt::format(
        "WARNING: the Coordinator at {} runs in simulation mode and is NOT attested: it is "
        "trusted only because {} (development only)",
        where,
        c->recovery_mode
            ? "of --accept-simulation, now or when a root was pinned in " + o.cache_path.string()
            : "--accept-simulation was given when its root was pinned in " +
                  o.cache_path.string()));
  }
  if (!options_.save_sgx_quote.empty()) {
    if (c->quote.empty())
      notice(
          "the Coordinator sent no quote (simulation mode): writing an empty --save-sgx-quote "
          "file");
    MR_RETURN_IF_ERROR(write_output(options_.save_sgx_quote, c->quote));
  }
  return c;
}

}  // namespace mr::cli
