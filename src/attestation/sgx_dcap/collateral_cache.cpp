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

Result<CachingCollateralProvider::Entry> CachingCollateralProvider::fetch_and_store(
    const CollateralKey& key) const {
  if (!config_.fetcher) {
    return failf(ErrorCode::kNotFound,
                 "no collateral cached for FMSPC {} and no fetcher configured", key.fmspc);
  }
  MR_ASSIGN_OR_RETURN(Collateral c, config_.fetcher->fetch(key));
  MR_ASSIGN_OR_RETURN(UnixTime expiry, collateral_expiry(c));
  Entry e{std::make_shared<const Collateral>(std::move(c)), expiry};
  store(key, e);
  kLog.info("fetched collateral", {{"fmspc", key.fmspc}, {"nextUpdate", format_rfc3339(expiry)}});
  return e;
}

Result<std::shared_ptr<const Collateral>> CachingCollateralProvider::get(
    const CollateralKey& key) const {
  const UnixTime now = config_.clock->now();
  std::optional<Entry> stale;
  {
    std::scoped_lock lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      if (now <= it->second.expiry) return it->second.collateral;
      stale = it->second;
    }
  }
  if (!stale && !config_.dir.empty()) {
    auto text = read_text(file_for(key));
    if (text) {
      auto c = parse_collateral_json(*text);
      auto expiry = c ? collateral_expiry(*c) : Result<UnixTime>(fail(c.error()));
      if (c && expiry) {
        Entry e{std::make_shared<const Collateral>(std::move(*c)), *expiry};
        {
          std::scoped_lock lock(mu_);
          entries_[key] = e;
        }
        if (now <= e.expiry) return e.collateral;
        stale = e;
      } else {
        kLog.warn("ignoring unreadable collateral cache file", {{"file", file_for(key).string()}});
      }
    }
  }
  std::scoped_lock fetch_lock(fetch_mu_);
  {
    // Another caller may have fetched while we waited.
    std::scoped_lock lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end() && now <= it->second.expiry) return it->second.collateral;
  }
  auto fetched = fetch_and_store(key);
  if (fetched) return fetched->collateral;
  if (stale) {
    kLog.warn("using expired collateral: refresh failed", {{"error", fetched.error().message}});
    return stale->collateral;
  }
  return fail(std::move(fetched).error());
}

Status CachingCollateralProvider::put(const CollateralKey& key, Collateral c) {
  MR_ASSIGN_OR_RETURN(UnixTime expiry, collateral_expiry(c));
  store(key, Entry{std::make_shared<const Collateral>(std::move(c)), expiry});
  return ok();
}

Status CachingCollateralProvider::refresh_due() {
  const UnixTime now = config_.clock->now();
  std::vector<CollateralKey> due;
  {
    std::scoped_lock lock(mu_);
    for (const auto& [key, entry] : entries_) {
      if (entry.expiry - now < config_.refresh_margin) due.push_back(key);
    }
  }
  Status first = ok();
  for (const CollateralKey& key : due) {
    std::scoped_lock fetch_lock(fetch_mu_);
    auto r = fetch_and_store(key);
    if (!r) {
      kLog.warn("collateral refresh failed", {{"fmspc", key.fmspc}, {"error", r.error().message}});
      if (first) first = fail(std::move(r).error());
    }
  }
  return first;
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
