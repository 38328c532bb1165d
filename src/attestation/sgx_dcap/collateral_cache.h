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

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
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
  // the network; otherwise it fetches (synchronously) and stores the result. If fetching fails
  // but an expired entry exists, that entry is returned (the verifier then reports it as
  // expired); otherwise the fetch error (kUnavailable) or kNotFound when there is no fetcher.
  [[nodiscard]] Result<std::shared_ptr<const Collateral>> get(
      const CollateralKey& key) const override;

  // put stores |c| for |key| in memory and on disk (e.g. collateral shipped with a deployment).
  [[nodiscard]] Status put(const CollateralKey& key, Collateral c);

  // refresh_due fetches every known entry whose expiry is within refresh_margin of now and
  // replaces it on success. Returns the first fetch error (other entries are still tried). This
  // is what the background thread runs; tests call it directly.
  [[nodiscard]] Status refresh_due();

  // start_background_refresh starts the refresh thread (idempotent). It stops in the destructor.
  void start_background_refresh();

 private:
  struct Entry {
    std::shared_ptr<const Collateral> collateral;
    UnixTime expiry{};
  };
  explicit CachingCollateralProvider(CollateralCacheConfig config);
  [[nodiscard]] std::filesystem::path file_for(const CollateralKey& key) const;
  [[nodiscard]] Result<Entry> fetch_and_store(const CollateralKey& key) const;
  void store(const CollateralKey& key, Entry entry) const;
  void refresh_loop();

  CollateralCacheConfig config_;
  mutable std::mutex mu_;
  mutable std::map<CollateralKey, Entry> entries_;  // guarded by mu_
  mutable std::mutex fetch_mu_;                     // serialises network fetches
  bool stopping_ = false;                           // guarded by mu_
  std::condition_variable cv_;                      // signalled on stop
  std::thread thread_;
};

}  // namespace mr::attestation::dcap
