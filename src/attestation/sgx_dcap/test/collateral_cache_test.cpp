#include "attestation/sgx_dcap/collateral_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "attestation/sgx_dcap/dcap_verifier.h"
#include "attestation/sgx_dcap/test/testdata.h"
#include "base/testing/fake_clock.h"
#include "base/testing/temp_dir.h"

namespace mr::attestation::dcap {
namespace {

using mr::testing::FakeClock;
using mr::testing::TempDir;

class FakeFetcher final : public CollateralFetcher {
 public:
  explicit FakeFetcher(Collateral c) : collateral_(std::move(c)) {}
  Result<Collateral> fetch(const CollateralKey& key) const override {
    ++calls;
    last_key = key;
    if (failing) return fail(ErrorCode::kUnavailable, "network down");
    return collateral_;
  }
  mutable std::atomic<int> calls{0};
  mutable CollateralKey last_key;
  std::atomic<bool> failing{false};

 private:
  Collateral collateral_;
};

const CollateralKey kSgxKey{TeeType::kSgx, "00A067110000", PckCa::kProcessor};

class CollateralCacheTest : public ::testing::Test {
 protected:
  CollateralCacheTest()
      : sample_(*load_collateral(testdata::dir() / "sgx_quote_collateral.json")),
        fetcher_(std::make_shared<FakeFetcher>(sample_)) {}

  std::unique_ptr<CachingCollateralProvider> provider(
      bool with_fetcher = true, std::chrono::milliseconds interval = std::chrono::minutes(10)) {
    CollateralCacheConfig cfg;
    cfg.dir = dir_.path() / "cache";
    if (with_fetcher) cfg.fetcher = fetcher_;
    cfg.clock = &clock_;
    cfg.refresh_interval = interval;
    auto p = CachingCollateralProvider::create(cfg);
    EXPECT_TRUE(p) << p.error().message;
    return std::move(*p);
  }

  Collateral sample_;
  std::shared_ptr<FakeFetcher> fetcher_;
  FakeClock clock_{testdata::sample_time()};
  TempDir dir_;
};

TEST(CollateralExpiry, EarliestNextUpdate) {
  auto c = load_collateral(testdata::dir() / "sgx_quote_collateral.json");
  ASSERT_TRUE(c);
  auto e = collateral_expiry(*c);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(format_rfc3339(*e), "2025-07-19T10:01:18Z");
}

TEST_F(CollateralCacheTest, FetchesOnceThenServesFromMemoryAndDisk) {
  auto p = provider();
  auto c = p->get(kSgxKey);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(**c, sample_);
  EXPECT_EQ(fetcher_->calls, 1);
  EXPECT_EQ(fetcher_->last_key, kSgxKey);
  auto again = p->get(kSgxKey);
  EXPECT_EQ(again->get(), c->get());  // same object: verifiers keep their cached work
  EXPECT_EQ(fetcher_->calls, 1);
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "cache" / "sgx-00A067110000-processor.json"));

  // A new process with the same cache directory does not touch the network.
  fetcher_->failing = true;
  auto restarted = provider();
  auto from_disk = restarted->get(kSgxKey);
  ASSERT_TRUE(from_disk) << from_disk.error().message;
  EXPECT_EQ(**from_disk, sample_);
  EXPECT_EQ(fetcher_->calls, 1);
}

TEST_F(CollateralCacheTest, ExpiredEntriesAreRefetchedAndStaleOnesServedWhenOffline) {
  auto p = provider();
  ASSERT_TRUE(p->get(kSgxKey));
  clock_.set(testdata::today());
  ASSERT_TRUE(p->get(kSgxKey));  // expired in cache: fetched again
  EXPECT_EQ(fetcher_->calls, 2);
  // The service had nothing newer: that counts as a failure, so it is not asked again at once.
  ASSERT_TRUE(p->get(kSgxKey));
  EXPECT_EQ(fetcher_->calls, 2);
  clock_.advance(std::chrono::seconds(30));
  fetcher_->failing = true;
  auto stale = p->get(kSgxKey);  // fetch fails: the expired entry is returned
  ASSERT_TRUE(stale);
  EXPECT_EQ(fetcher_->calls, 3);
}

TEST_F(CollateralCacheTest, ErrorsWithoutAnyCollateral) {
  fetcher_->failing = true;
  auto r = provider()->get(kSgxKey);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  auto offline = provider(/*with_fetcher=*/false)->get(kSgxKey);
  ASSERT_FALSE(offline);
  EXPECT_EQ(offline.error().code, ErrorCode::kNotFound);
}

TEST_F(CollateralCacheTest, PutSeedsTheCache) {
  auto p = provider(/*with_fetcher=*/false);
  ASSERT_TRUE(p->put(kSgxKey, sample_));
  EXPECT_TRUE(p->get(kSgxKey));
  EXPECT_EQ(fetcher_->calls, 0);
}

TEST_F(CollateralCacheTest, RefreshesOnlyWhenCloseToNextUpdate) {
  auto p = provider();
  ASSERT_TRUE(p->get(kSgxKey));
  ASSERT_TRUE(p->refresh_due());
  EXPECT_EQ(fetcher_->calls, 1);  // 18 days before nextUpdate: nothing to do
  clock_.set(*parse_rfc3339("2025-07-19T00:00:00Z"));
  ASSERT_TRUE(p->refresh_due());
  EXPECT_EQ(fetcher_->calls, 2);
  fetcher_->failing = true;
  EXPECT_FALSE(p->refresh_due());
}

TEST_F(CollateralCacheTest, BackgroundThreadRefreshes) {
  auto p = provider(true, std::chrono::milliseconds(10));
  ASSERT_TRUE(p->get(kSgxKey));
  clock_.set(*parse_rfc3339("2025-07-19T00:00:00Z"));
  p->start_background_refresh();
  for (int i = 0; i < 500 && fetcher_->calls < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GE(fetcher_->calls, 2);
  p.reset();  // stops and joins the thread
}

TEST_F(CollateralCacheTest, FeedsTheVerifier) {
  std::shared_ptr<CachingCollateralProvider> p = provider();
  auto v = DcapQuoteVerifier::create({p, &clock_, {}});
  ASSERT_TRUE(v);
  for (int i = 0; i < 3; ++i) {
    auto q = (*v)->verify(testdata::read("sgx_quote"));
    ASSERT_TRUE(q) << q.error().message;
    EXPECT_EQ(q->tcb_status, TcbStatus::kConfigurationAndSWHardeningNeeded);
  }
  EXPECT_EQ(fetcher_->calls, 1);
  EXPECT_EQ(fetcher_->last_key, kSgxKey);
}

}  // namespace
}  // namespace mr::attestation::dcap
