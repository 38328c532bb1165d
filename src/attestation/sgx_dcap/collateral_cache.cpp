#include "attestation/sgx_dcap/collateral_cache.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <system_error>

#include "attestation/sgx_dcap/openssl_util.h"
#include "attestation/sgx_dcap/tcb_info.h"
#include "base/log.h"

namespace mr::attestation::dcap {
namespace {

namespace fs = std::filesystem;

const log::Logger kLog("dcap-collateral");

Result<UnixTime> crl_next_update(const Bytes& der) {
  MR_ASSIGN_OR_RETURN(ossl::Ptr<X509_CRL> crl, parse_der_crl(der));
  const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get());
  if (next == nullptr) return UnixTime::max();
  return asn1_time_to_unix(next);
}

// write_atomically writes |data| to |path| via a temporary file that is fsynced and renamed.
Status write_atomically(const fs::path& path, std::string_view data) {
  const fs::path tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return failf(ErrorCode::kInternal, "cannot write {}", tmp.string());
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) {
      ::close(fd);
      return failf(ErrorCode::kInternal, "cannot write {}", tmp.string());
    }
    done += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return failf(ErrorCode::kInternal, "cannot sync {}", tmp.string());
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return failf(ErrorCode::kInternal, "cannot rename {}", tmp.string());
  return ok();
}

// describe names a collateral key in messages: "SGX FMSPC 00A067110000 (processor CA)".
std::string describe(const CollateralKey& key) {
  return fmt::format("{} FMSPC {} ({} CA)", tee_type_name(key.tee),
                     key.fmspc.empty() ? "(none)" : key.fmspc, pck_ca_name(key.ca));
}

// well_formed_fmspc: 12 upper-case hex digits, as the verifier renders a PCK certificate's FMSPC.
bool well_formed_fmspc(std::string_view fmspc) {
  return fmspc.size() == 12 && std::all_of(fmspc.begin(), fmspc.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
         });
}

Result<std::string> read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return failf(ErrorCode::kNotFound, "{} not found", p.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

Result<UnixTime> collateral_expiry(const Collateral& c) {
  MR_ASSIGN_OR_RETURN(TcbInfo tcb, parse_tcb_info(c.tcb_info));
  MR_ASSIGN_OR_RETURN(QeIdentity qe, parse_qe_identity(c.qe_identity));
  MR_ASSIGN_OR_RETURN(UnixTime pck_crl, crl_next_update(c.pck_crl));
  MR_ASSIGN_OR_RETURN(UnixTime root_crl, crl_next_update(c.root_ca_crl));
  return std::min({tcb.next_update, qe.next_update, pck_crl, root_crl});
}

CachingCollateralProvider::CachingCollateralProvider(CollateralCacheConfig config)
    : config_(std::move(config)) {}

Result<std::unique_ptr<CachingCollateralProvider>> CachingCollateralProvider::create(
    CollateralCacheConfig config) {
  if (config.clock == nullptr) {
    return fail(ErrorCode::kInvalidArgument, "collateral cache needs a clock");
  }
  if (!config.dir.empty()) {
    std::error_code ec;
    fs::create_directories(config.dir, ec);
    if (ec) return failf(ErrorCode::kInternal, "cannot create {}", config.dir.string());
  }
  return std::unique_ptr<CachingCollateralProvider>(
      new CachingCollateralProvider(std::move(config)));
}

CachingCollateralProvider::~CachingCollateralProvider() {
  {
    std::scoped_lock lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

fs::path CachingCollateralProvider::file_for(const CollateralKey& key) const {
  return config_.dir / fmt::format("{}-{}-{}.json", key.tee == TeeType::kTdx ? "tdx" : "sgx",
                                   key.fmspc.empty() ? "any" : key.fmspc, pck_ca_name(key.ca));
}

void CachingCollateralProvider::store(const CollateralKey& key, Entry entry) const {
  if (!config_.dir.empty()) {
    auto written = write_atomically(file_for(key), to_collateral_json(*entry.collateral));
    if (!written) kLog.warn("cannot write collateral cache", {{"error", written.error().message}});
  }
  std::scoped_lock lock(mu_);
  entries_[key] = std::move(entry);
}

Result<CachingCollateralProvider::Entry> CachingCollateralProvider::fetch_entry(
    const CollateralKey& key) const {
  try {
    MR_ASSIGN_OR_RETURN(Collateral c, config_.fetcher->fetch(key));
    MR_ASSIGN_OR_RETURN(UnixTime expiry, collateral_expiry(c));
    return Entry{std::make_shared<const Collateral>(std::move(c)), expiry};
  } catch (const std::exception&) {
    // A fetcher must not throw; if one does, the flight still ends (its waiters wake up).
    return failf(ErrorCode::kInternal, "fetching collateral for {} threw an exception",
                 describe(key));
  }
}

Status CachingCollateralProvider::admit(const CollateralKey& key, UnixTime now) const {
  if (auto f = failures_.find(key); f != failures_.end() && now < f->second.retry_at) {
    return failf(ErrorCode::kUnavailable,
                 "collateral for {} unavailable: fetching it failed ({} in a row; last error: {}); "
                 "not retried before {}",
                 describe(key), f->second.count, f->second.error.message,
                 format_rfc3339(f->second.retry_at));
  }
  const std::size_t limit = std::max<std::size_t>(config_.max_concurrent_fetches, 1);
  if (flights_.size() >= limit) {
    return failf(ErrorCode::kUnavailable,
                 "collateral for {} not fetched: {} collateral fetches are in progress (the "
                 "limit); retry later",
                 describe(key), flights_.size());
  }
  return ok();
}

void CachingCollateralProvider::remember_failure(const CollateralKey& key, const Error& error,
                                                 UnixTime now) const {
  if (config_.max_remembered_failures == 0) return;
  if (!failures_.contains(key) && failures_.size() >= config_.max_remembered_failures) {
    std::erase_if(failures_, [&](const auto& kv) { return kv.second.retry_at <= now; });
    if (failures_.size() >= config_.max_remembered_failures) {
      failures_.erase(std::min_element(
          failures_.begin(), failures_.end(),
          [](const auto& a, const auto& b) { return a.second.retry_at < b.second.retry_at; }));
    }
  }
  Failure& f = failures_[key];
  f.error = error;
  if (f.count < 64) ++f.count;
  std::chrono::seconds backoff = config_.failure_backoff;
  for (unsigned i = 1; i < f.count && backoff < config_.max_failure_backoff; ++i)
    backoff *= 2;
  backoff = std::min(backoff, config_.max_failure_backoff);
  f.retry_at = now + backoff;
  kLog.warn("collateral fetch failed; not retried during the back-off",
            {{"key", describe(key)},
             {"error", error.message},
             {"failures", std::to_string(f.count)},
             {"retryAt", format_rfc3339(f.retry_at)}});
}

Result<CachingCollateralProvider::Entry> CachingCollateralProvider::run_flight(
    std::unique_lock<std::mutex>& lock, const CollateralKey& key) const {
  auto flight = std::make_shared<Flight>();
  flights_.emplace(key, flight);
  lock.unlock();
  Result<Entry> r = fetch_entry(key);
  if (r && !config_.dir.empty()) {
    auto written = write_atomically(file_for(key), to_collateral_json(*r->collateral));
    if (!written) kLog.warn("cannot write collateral cache", {{"error", written.error().message}});
  }
  lock.lock();
  const UnixTime now = config_.clock->now();
  if (r) {
    entries_[key] = *r;
    if (now > r->expiry) {
      // The service has nothing newer: asking it again at once would not help either.
      remember_failure(
          key,
          Error{ErrorCode::kUnavailable,
                fmt::format("the fetched collateral expired at {}", format_rfc3339(r->expiry))},
          now);
    } else {
      failures_.erase(key);
      kLog.info("fetched collateral",
                {{"key", describe(key)}, {"nextUpdate", format_rfc3339(r->expiry)}});
    }
  } else {
    remember_failure(key, r.error(), now);
  }
  flight->result = r;
  flight->done = true;
  flights_.erase(key);
  flight_done_.notify_all();
  return r;
}

Result<std::shared_ptr<const Collateral>> CachingCollateralProvider::get(
    const CollateralKey& key) const {
  const bool fetchable = well_formed_fmspc(key.fmspc);
  if (!fetchable && !key.fmspc.empty()) {
    return failf(ErrorCode::kInvalidArgument,
                 "no collateral for FMSPC {:?}: not 12 upper-case hex digits", key.fmspc);
  }
  std::unique_lock lock(mu_);
  UnixTime now = config_.clock->now();
  auto it = entries_.find(key);
  if (it != entries_.end() && now <= it->second.expiry) return it->second.collateral;
  if (it == entries_.end() && !config_.dir.empty()) {
    lock.unlock();
    std::optional<Entry> from_disk;
    if (auto text = read_text(file_for(key))) {
      auto c = parse_collateral_json(*text);
      auto expiry = c ? collateral_expiry(*c) : Result<UnixTime>(fail(c.error()));
      if (c && expiry) {
        from_disk = Entry{std::make_shared<const Collateral>(std::move(*c)), *expiry};
      } else {
        kLog.warn("ignoring unreadable collateral cache file", {{"file", file_for(key).string()}});
      }
    }
    lock.lock();
    if (from_disk) entries_.try_emplace(key, std::move(*from_disk));  // keep a newer one
    now = config_.clock->now();
    it = entries_.find(key);
    if (it != entries_.end() && now <= it->second.expiry) return it->second.collateral;
  }

  std::optional<Entry> stale;
  if (it != entries_.end()) stale = it->second;
  auto stale_or = [&](Error e) -> Result<std::shared_ptr<const Collateral>> {
    if (!stale) return fail(std::move(e));
    kLog.warn("using expired collateral: no fresh collateral", {{"error", e.message}});
    return stale->collateral;
  };

  if (auto f = flights_.find(key); f != flights_.end()) {
    if (waiting_ >= config_.max_waiting_requests) {
      return stale_or(Error{ErrorCode::kUnavailable,
                            fmt::format("collateral for {} not fetched: {} requests already wait "
                                        "for collateral fetches in progress (the limit); retry "
                                        "later",
                                        describe(key), waiting_)});
    }
    const std::shared_ptr<Flight> flight = f->second;
    ++waiting_;
    flight_done_.wait(lock, [&] { return flight->done; });
    --waiting_;
    const Result<Entry>& r = *flight->result;
    if (r) return r->collateral;
    return stale_or(r.error());
  }
  if (!config_.fetcher) {
    return stale_or(
        Error{ErrorCode::kNotFound,
              fmt::format("no collateral cached for {} and no fetcher configured", describe(key))});
  }
  if (!fetchable) {
    return stale_or(Error{ErrorCode::kNotFound,
                          fmt::format("no collateral cached for {}; collateral is fetched only "
                                      "for the FMSPC of a PCK certificate",
                                      describe(key))});
  }
  if (auto admitted = admit(key, now); !admitted) return stale_or(admitted.error());
  auto fetched = run_flight(lock, key);
  if (fetched) return fetched->collateral;
  return stale_or(fetched.error());
}

Status CachingCollateralProvider::put(const CollateralKey& key, Collateral c) {
  MR_ASSIGN_OR_RETURN(UnixTime expiry, collateral_expiry(c));
  store(key, Entry{std::make_shared<const Collateral>(std::move(c)), expiry});
  std::scoped_lock lock(mu_);
  failures_.erase(key);
  return ok();
}

Status CachingCollateralProvider::refresh_due() {
  std::unique_lock lock(mu_);
  const UnixTime now = config_.clock->now();
  std::vector<CollateralKey> due;
  for (const auto& [key, entry] : entries_) {
    if (entry.expiry - now < config_.refresh_margin) due.push_back(key);
  }
  Status first = ok();
  auto note = [&](const CollateralKey& key, const Error& e, bool logged) {
    if (!logged) {
      kLog.warn("collateral refresh skipped", {{"key", describe(key)}, {"error", e.message}});
    }
    if (first) first = fail(e);
  };
  for (const CollateralKey& key : due) {
    if (flights_.contains(key)) continue;  // a request is fetching it right now
    if (!config_.fetcher) {
      note(key, Error{ErrorCode::kNotFound, "no fetcher configured"}, false);
      continue;
    }
    if (!well_formed_fmspc(key.fmspc)) {
      note(key, Error{ErrorCode::kNotFound, "no FMSPC to fetch collateral for"}, false);
      continue;
    }
    if (auto admitted = admit(key, config_.clock->now()); !admitted) {
      note(key, admitted.error(), false);
      continue;
    }
    auto r = run_flight(lock, key);
    if (!r) note(key, r.error(), /*logged=*/true);  // run_flight logged the failure
  }
  return first;
}

FetchStats CachingCollateralProvider::stats() const {
  std::scoped_lock lock(mu_);
  return FetchStats{flights_.size(), waiting_, failures_.size()};
}

void CachingCollateralProvider::start_background_refresh() {
  std::scoped_lock lock(mu_);
  if (thread_.joinable() || !config_.fetcher) return;
  thread_ = std::thread([this] { refresh_loop(); });
}

void CachingCollateralProvider::refresh_loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, config_.refresh_interval, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    (void)refresh_due();
    lock.lock();
  }
}

}  // namespace mr::attestation::dcap
