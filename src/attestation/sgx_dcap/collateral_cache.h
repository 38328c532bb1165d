#pragma once
// CachingCollateralProvider: collateral from memory, then an on-disk cache, then the network, with
// a background thread that refreshes entries before their nextUpdate. Activation never waits on
// the network while cached collateral is valid.
//
//   auto fetcher = std::make_shared<PcsFetcher>(PcsConfig{.base_url = pccs_url});
//   MR_ASSIGN_OR_RETURN(auto provider, CachingCollateralProvider::create(
//       {.dir = "/var/lib/marblerun/collateral", .fetcher = fetcher, .clock = &clock}));
//   provider->start_background_refresh();
//   auto verifier = DcapQuoteVerifier::create({std::move(provider), &clock});
//
// Cache files are the single-JSON layout (collateral.h), one per key:
// <dir>/<sgx|tdx>-<FMSPC>-<processor|platform>.json, written atomically (temp file, fsync, rename).
//
// Fetch policy (the verifier asks only for FMSPCs of PCK chains that verified against a trusted
// root):
//   - single flight: concurrent requests for one key share one fetch;
//   - no lock is held while fetching: requests for other keys, and for keys with valid cached
//     collateral, never wait on a slow fetch;
//   - at most max_concurrent_fetches distinct keys are fetched at once; a request that would
//     start one more fails at once (kUnavailable, "... collateral fetches are in progress (the
//     limit)"); at most max_waiting_requests requests wait for fetches in progress, one more fails
//     at once the same way, so a slow PCCS ties up a bounded number of threads;
//   - only a key with a well-formed FMSPC (12 upper-case hex digits) is ever fetched; a key without
//     FMSPC (a quote that does not embed its PCK chain) is served from memory or disk only;
//   - a failed fetch is remembered per key: requests within the back-off get the cached failure
//     at once (kUnavailable, naming the retry time); the back-off starts at failure_backoff and
//     doubles with each consecutive failure up to max_failure_backoff; a success forgets it.
//   An expired entry is still returned when no fresh one can be had (the verifier then reports
//   the collateral as expired).

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "attestation/sgx_dcap/collateral.h"
#include "attestation/sgx_dcap/pcs_fetcher.h"
#include "base/clock.h"
#include "base/result.h"

namespace mr::attestation::dcap {

// CollateralCacheConfig configures a CachingCollateralProvider.
struct CollateralCacheConfig {
  std::filesystem::path dir;                         // empty = memory only
  std::shared_ptr<const CollateralFetcher> fetcher;  // null = offline (disk cache only)
  const Clock* clock = nullptr;                      // required; must outlive the provider
  // refresh_margin: an entry is refreshed once its earliest nextUpdate is closer than this.
  std::chrono::seconds refresh_margin{std::chrono::hours(24)};
  // refresh_interval: how often the background thread looks for entries to refresh.
  std::chrono::milliseconds refresh_interval{std::chrono::minutes(10)};
  // max_concurrent_fetches bounds the distinct keys fetched at once (background refresh
  // included); beyond it a request fails fast. At least 1.
  std::size_t max_concurrent_fetches = 4;
  // max_waiting_requests bounds the requests waiting for fetches in progress (all keys together);
  // beyond it a request fails fast.
  std::size_t max_waiting_requests = 64;
  // failure_backoff: how long a failed fetch is remembered (and not retried) after the first
  // failure; each consecutive failure doubles it, up to max_failure_backoff.
  std::chrono::seconds failure_backoff{30};
  std::chrono::seconds max_failure_backoff{std::chrono::minutes(10)};
  // max_remembered_failures bounds the negative cache (the oldest entries are dropped first).
  std::size_t max_remembered_failures = 1024;
};

// FetchStats is a snapshot of the provider's fetch state (for tests and metrics).
struct FetchStats {
  std::size_t in_flight = 0;            // distinct keys being fetched now
  std::size_t waiting = 0;              // requests waiting for another request's fetch
  std::size_t remembered_failures = 0;  // keys in the negative cache
};

// collateral_expiry returns the earliest nextUpdate of the TCB info, the QE identity and both
// CRLs (without verifying anything). kInvalidArgument if one of them does not parse.
[[nodiscard]] Result<UnixTime> collateral_expiry(const Collateral& c);

class CachingCollateralProvider final : public CollateralProvider {
 public:
  // create checks |config| and creates the cache directory. kInvalidArgument without a clock;
  // kInternal if the directory cannot be created. The result is owned by the caller.
  [[nodiscard]] static Result<std::unique_ptr<CachingCollateralProvider>> create(
      CollateralCacheConfig config);
  ~CachingCollateralProvider() override;
  CachingCollateralProvider(const CachingCollateralProvider&) = delete;
  CachingCollateralProvider& operator=(const CachingCollateralProvider&) = delete;

  // get returns collateral still valid at the clock's time from memory or disk without touching
  // the network; otherwise it fetches (synchronously, or by joining a fetch for the same key in
  // progress) and stores the result. If no fresh collateral can be had but an expired entry
  // exists, that entry is returned (the verifier then reports it as expired); otherwise the fetch
  // error, the remembered failure or a fetch limit (kUnavailable; see the fetch policy above),
  // kNotFound when there is no fetcher or the key has no FMSPC, or kInvalidArgument for a
  // malformed FMSPC (never fetched, never looked up on disk).
  [[nodiscard]] Result<std::shared_ptr<const Collateral>> get(
      const CollateralKey& key) const override;

  // put stores |c| for |key| in memory and on disk (e.g. collateral shipped with a deployment).
  [[nodiscard]] Status put(const CollateralKey& key, Collateral c);

  // refresh_due fetches every known entry whose expiry is within refresh_margin of now and
  // replaces it on success, under the same fetch policy as get (a key being fetched is skipped,
  // one in back-off or beyond the fetch limit gives its error). Returns the first error (other
  // entries are still tried). This is what the background thread runs; tests call it directly.
  [[nodiscard]] Status refresh_due();

  // stats reports the current fetch state.
  [[nodiscard]] FetchStats stats() const;

  // start_background_refresh starts the refresh thread (idempotent). It stops in the destructor.
  void start_background_refresh();

 private:
  struct Entry {
    std::shared_ptr<const Collateral> collateral;
    UnixTime expiry{};
  };
  // Flight is one fetch in progress; requests for the same key wait for its result.
  struct Flight {
    bool done = false;
    std::optional<Result<Entry>> result;
  };
  // Failure is a remembered failed fetch.
  struct Failure {
    Error error;
    unsigned count = 0;  // consecutive failures
    UnixTime retry_at{};
  };
  explicit CachingCollateralProvider(CollateralCacheConfig config);
  [[nodiscard]] std::filesystem::path file_for(const CollateralKey& key) const;
  // fetch_entry fetches |key| and computes its expiry (no lock held).
  [[nodiscard]] Result<Entry> fetch_entry(const CollateralKey& key) const;
  // admit checks the negative cache and the fetch limit for |key| (mu_ held).
  [[nodiscard]] Status admit(const CollateralKey& key, UnixTime now) const;
  // run_flight fetches |key| as a new flight: |lock| (on mu_) is released during the fetch and
  // held again on return; the result is recorded and waiters are woken.
  [[nodiscard]] Result<Entry> run_flight(std::unique_lock<std::mutex>& lock,
                                         const CollateralKey& key) const;
  void remember_failure(const CollateralKey& key, const Error& error, UnixTime now) const;
  void store(const CollateralKey& key, Entry entry) const;
  void refresh_loop();

  CollateralCacheConfig config_;
  mutable std::mutex mu_;
  mutable std::map<CollateralKey, Entry> entries_;                    // guarded by mu_
  mutable std::map<CollateralKey, std::shared_ptr<Flight>> flights_;  // guarded by mu_
  mutable std::map<CollateralKey, Failure> failures_;                 // guarded by mu_
  mutable std::size_t waiting_ = 0;                                   // guarded by mu_
  mutable std::condition_variable flight_done_;                       // with mu_
  bool stopping_ = false;                                             // guarded by mu_
  std::condition_variable cv_;                                        // signalled on stop
  std::thread thread_;
};

}  // namespace mr::attestation::dcap
