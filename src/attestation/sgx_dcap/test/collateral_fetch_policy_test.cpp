// The collateral fetch policy of CachingCollateralProvider (single flight, no lock across a fetch,
// a bound on concurrent fetches, negative caching with back-off) and the verifier's rule that
// only a PCK chain anchored in a trusted root leads to a fetch.

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "attestation/sgx_dcap/collateral_cache.h"
#include "attestation/sgx_dcap/dcap_verifier.h"
#include "attestation/sgx_dcap/quote.h"
#include "attestation/sgx_dcap/test/testdata.h"
#include "base/testing/fake_clock.h"

namespace mr::attestation::dcap {
namespace {

using mr::testing::FakeClock;
using namespace std::chrono_literals;

// GatedFetcher counts fetches per FMSPC; fetches of a held FMSPC block until it is released (or
// 10 s have passed).
class GatedFetcher final : public CollateralFetcher {
 public:
  explicit GatedFetcher(Collateral c) : collateral_(std::move(c)) {}

  Result<Collateral> fetch(const CollateralKey& key) const override {
    std::unique_lock lock(mu_);
    ++calls_[key.fmspc];
    cv_.notify_all();
    // At most 10 s: a regression that holds a lock across a fetch then fails instead of hanging.
    cv_.wait_for(lock, 10s, [&] { return !held_.contains(key.fmspc); });
    if (failing_.contains(key.fmspc)) {
      return failf(ErrorCode::kUnavailable, "PCCS answered 503 for {}", key.fmspc);
    }
    return collateral_;
  }

  void hold(const std::string& fmspc) {
    std::scoped_lock lock(mu_);
    held_.insert(fmspc);
  }
  void release(const std::string& fmspc) {
    {
      std::scoped_lock lock(mu_);
      held_.erase(fmspc);
    }
    cv_.notify_all();
  }
  void set_failing(const std::string& fmspc, bool failing) {
    std::scoped_lock lock(mu_);
    if (failing) {
      failing_.insert(fmspc);
    } else {
      failing_.erase(fmspc);
    }
  }
  int calls(const std::string& fmspc) const {
    std::scoped_lock lock(mu_);
    auto it = calls_.find(fmspc);
    return it == calls_.end() ? 0 : it->second;
  }
  int total_calls() const {
    std::scoped_lock lock(mu_);
    int n = 0;
    for (const auto& [fmspc, c] : calls_)
      n += c;
    return n;
  }
  // wait_for_calls waits (at most 10 s) until |fmspc| was fetched |n| times.
  bool wait_for_calls(const std::string& fmspc, int n) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 10s, [&] {
      auto it = calls_.find(fmspc);
      return it != calls_.end() && it->second >= n;
    });
  }

 private:
  Collateral collateral_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  mutable std::map<std::string, int> calls_;
  std::set<std::string> held_;
  std::set<std::string> failing_;
};

// eventually polls |pred| for up to 10 s.
bool eventually(const std::function<bool()>& pred) {
  for (int i = 0; i < 2000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

CollateralKey sgx_key(const std::string& fmspc) {
  return CollateralKey{TeeType::kSgx, fmspc, PckCa::kProcessor};
}

const std::string kA = "00A067110000";  // the real SGX sample's FMSPC
const std::string kB = "B0C06F000000";
const std::string kC = "00906ED50000";

class FetchPolicyTest : public ::testing::Test {
 protected:
  FetchPolicyTest()
      : sample_(*load_collateral(testdata::dir() / "sgx_quote_collateral.json")),
        fetcher_(std::make_shared<GatedFetcher>(sample_)) {}
  ~FetchPolicyTest() override {
    for (const std::string& f : {kA, kB, kC})
      fetcher_->release(f);  // never leave a thread blocked behind a failed assertion
  }

  std::shared_ptr<CachingCollateralProvider> make(
      const std::function<void(CollateralCacheConfig&)>& adjust = {}) {
    CollateralCacheConfig cfg;
    cfg.fetcher = fetcher_;
    cfg.clock = &clock_;
    if (adjust) adjust(cfg);
    auto p = CachingCollateralProvider::create(cfg);
    EXPECT_TRUE(p) << p.error().message;
    return std::shared_ptr<CachingCollateralProvider>(std::move(*p));
  }

  Collateral sample_;
  std::shared_ptr<GatedFetcher> fetcher_;
  FakeClock clock_{testdata::sample_time()};
};

// (a) Concurrent requests for one FMSPC share one fetch.
TEST_F(FetchPolicyTest, ConcurrentRequestsForOneFmspcShareOneFetch) {
  auto p = make();
  fetcher_->hold(kA);
  auto first = std::async(std::launch::async, [&] { return p->get(sgx_key(kA)); });
  ASSERT_TRUE(fetcher_->wait_for_calls(kA, 1));
  auto second = std::async(std::launch::async, [&] { return p->get(sgx_key(kA)); });
  ASSERT_TRUE(eventually([&] { return p->stats().waiting == 1; }));
  EXPECT_EQ(p->stats().in_flight, 1u);
  fetcher_->release(kA);
  auto r1 = first.get();
  auto r2 = second.get();
  ASSERT_TRUE(r1) << r1.error().message;
  ASSERT_TRUE(r2) << r2.error().message;
  EXPECT_EQ(r1->get(), r2->get());
  EXPECT_EQ(fetcher_->calls(kA), 1);
  EXPECT_EQ(p->stats().in_flight, 0u);
}

// (a) through the verifier: two concurrent verifications of the real SGX quote, one fetch.
TEST_F(FetchPolicyTest, ConcurrentVerificationsShareOneFetch) {
  auto p = make();
  auto v = DcapQuoteVerifier::create({p, &clock_, {}});
  ASSERT_TRUE(v) << v.error().message;
  const Bytes quote = testdata::read("sgx_quote");
  fetcher_->hold(kA);
  auto first = std::async(std::launch::async, [&] { return (*v)->verify(quote); });
  ASSERT_TRUE(fetcher_->wait_for_calls(kA, 1));
  auto second = std::async(std::launch::async, [&] { return (*v)->verify(quote); });
  ASSERT_TRUE(eventually([&] { return p->stats().waiting == 1; }));
  fetcher_->release(kA);
  for (auto* f : {&first, &second}) {
    auto q = f->get();
    ASSERT_TRUE(q) << q.error().message;
    EXPECT_EQ(q->tcb_status, TcbStatus::kConfigurationAndSWHardeningNeeded);
  }
  EXPECT_EQ(fetcher_->total_calls(), 1);
}

// (b) While A's fetch hangs, cached B is served and uncached C is fetched: no lock spans a fetch.
TEST_F(FetchPolicyTest, OtherFmspcsNeverWaitOnASlowFetch) {
  auto p = make();
  ASSERT_TRUE(p->put(sgx_key(kB), sample_));
  fetcher_->hold(kA);
  auto slow = std::async(std::launch::async, [&] { return p->get(sgx_key(kA)); });
  ASSERT_TRUE(fetcher_->wait_for_calls(kA, 1));

  auto cached = std::async(std::launch::async, [&] { return p->get(sgx_key(kB)); });
  ASSERT_EQ(cached.wait_for(5s), std::future_status::ready) << "cached B waited on A's fetch";
  EXPECT_TRUE(cached.get());
  auto fetched = std::async(std::launch::async, [&] { return p->get(sgx_key(kC)); });
  ASSERT_EQ(fetched.wait_for(5s), std::future_status::ready) << "C's fetch waited on A's fetch";
  EXPECT_TRUE(fetched.get());
  EXPECT_EQ(fetcher_->calls(kB), 0);
  EXPECT_EQ(fetcher_->calls(kC), 1);

  EXPECT_EQ(slow.wait_for(0s), std::future_status::timeout);  // A is still being fetched
  fetcher_->release(kA);
  EXPECT_TRUE(slow.get());
}

// (c) A failed fetch is remembered: not repeated within the back-off, retried after it; the
// back-off doubles per consecutive failure up to its cap and a success forgets it.
TEST_F(FetchPolicyTest, FailedFetchIsNotRepeatedWithinTheBackoff) {
  auto p = make([](CollateralCacheConfig& c) {
    c.failure_backoff = 30s;
    c.max_failure_backoff = 100s;
  });
  fetcher_->set_failing(kA, true);
  auto r = p->get(sgx_key(kA));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(r.error().message, "PCCS answered 503 for 00A067110000");
  EXPECT_EQ(fetcher_->calls(kA), 1);

  // Within the back-off: the cached failure, at once, saying why and until when.
  r = p->get(sgx_key(kA));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(r.error().message,
            "collateral for SGX FMSPC 00A067110000 (processor CA) unavailable: fetching it failed "
            "(1 in a row; last error: PCCS answered 503 for 00A067110000); not retried before "
            "2025-07-01T00:00:30Z");
  clock_.advance(29s);
  EXPECT_FALSE(p->get(sgx_key(kA)));
  EXPECT_EQ(fetcher_->calls(kA), 1);
  EXPECT_EQ(p->stats().remembered_failures, 1u);
  // Other FMSPCs are not affected.
  EXPECT_TRUE(p->get(sgx_key(kB)));

  // After it: fetched again; the second failure doubles the back-off to 60 s.
  clock_.advance(1s);
  EXPECT_FALSE(p->get(sgx_key(kA)));
  EXPECT_EQ(fetcher_->calls(kA), 2);
  clock_.advance(59s);
  EXPECT_FALSE(p->get(sgx_key(kA)));
  EXPECT_EQ(fetcher_->calls(kA), 2);
  clock_.advance(1s);
  EXPECT_FALSE(p->get(sgx_key(kA)));
  EXPECT_EQ(fetcher_->calls(kA), 3);
  // Third failure: 120 s capped at 100 s.
  r = p->get(sgx_key(kA));
  EXPECT_NE(r.error().message.find("(3 in a row;"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("not retried before 2025-07-01T00:03:10Z"), std::string::npos)
      << r.error().message;
  clock_.advance(99s);
  EXPECT_FALSE(p->get(sgx_key(kA)));
  EXPECT_EQ(fetcher_->calls(kA), 3);

  // The service recovers: the next fetch after the back-off succeeds and the failure is forgotten.
  fetcher_->set_failing(kA, false);
  clock_.advance(1s);
  EXPECT_TRUE(p->get(sgx_key(kA)));
  EXPECT_EQ(fetcher_->calls(kA), 4);
  EXPECT_EQ(p->stats().remembered_failures, 0u);
  EXPECT_TRUE(p->get(sgx_key(kA)));
  EXPECT_EQ(fetcher_->calls(kA), 4);
}

// (c) Requests that joined a failing fetch get its failure, not a fetch of their own.
TEST_F(FetchPolicyTest, WaitersShareAFailure) {
  auto p = make();
  fetcher_->set_failing(kA, true);
  fetcher_->hold(kA);
  auto first = std::async(std::launch::async, [&] { return p->get(sgx_key(kA)); });
  ASSERT_TRUE(fetcher_->wait_for_calls(kA, 1));
  auto second = std::async(std::launch::async, [&] { return p->get(sgx_key(kA)); });
  ASSERT_TRUE(eventually([&] { return p->stats().waiting == 1; }));
  fetcher_->release(kA);
  EXPECT_FALSE(first.get());
  auto r = second.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "PCCS answered 503 for 00A067110000");
  EXPECT_EQ(fetcher_->calls(kA), 1);
}

// (e) At most max_concurrent_fetches distinct FMSPCs are fetched at once; one more fails fast,
// while a request for an FMSPC already being fetched still joins that fetch.
TEST_F(FetchPolicyTest, ConcurrentDistinctFetchesAreBounded) {
  auto p = make([](CollateralCacheConfig& c) { c.max_concurrent_fetches = 2; });
  fetcher_->hold(kA);
  fetcher_->hold(kB);
  auto a = std::async(std::launch::async, [&] { return p->get(sgx_key(kA)); });
  auto b = std::async(std::launch::async, [&] { return p->get(sgx_key(kB)); });
  ASSERT_TRUE(fetcher_->wait_for_calls(kA, 1));
  ASSERT_TRUE(fetcher_->wait_for_calls(kB, 1));
  EXPECT_EQ(p->stats().in_flight, 2u);

  auto c = std::async(std::launch::async, [&] { return p->get(sgx_key(kC)); });
  ASSERT_EQ(c.wait_for(5s), std::future_status::ready) << "the request over the limit waited";
  auto rc = c.get();
  ASSERT_FALSE(rc);
  EXPECT_EQ(rc.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(rc.error().message,
            "collateral for SGX FMSPC 00906ED50000 (processor CA) not fetched: 2 collateral "
            "fetches are in progress (the limit); retry later");
  EXPECT_EQ(fetcher_->calls(kC), 0);

  auto a2 = std::async(std::launch::async, [&] { return p->get(sgx_key(kA)); });
  ASSERT_TRUE(eventually([&] { return p->stats().waiting == 1; }));

  fetcher_->release(kA);
  fetcher_->release(kB);
  EXPECT_TRUE(a.get());
  EXPECT_TRUE(b.get());
  EXPECT_TRUE(a2.get());
  EXPECT_EQ(fetcher_->calls(kA), 1);
  // A refusal for the limit is not a remembered failure: C is fetched as soon as there is room.
  EXPECT_TRUE(p->get(sgx_key(kC)));
  EXPECT_EQ(fetcher_->calls(kC), 1);
}

// (e) At most max_waiting_requests requests wait for fetches in progress; one more fails fast.
TEST_F(FetchPolicyTest, WaitingRequestsAreBounded) {
  auto p = make([](CollateralCacheConfig& c) { c.max_waiting_requests = 1; });
  fetcher_->hold(kA);
  auto first = std::async(std::launch::async, [&] { return p->get(sgx_key(kA)); });
  ASSERT_TRUE(fetcher_->wait_for_calls(kA, 1));
  auto second = std::async(std::launch::async, [&] { return p->get(sgx_key(kA)); });
  ASSERT_TRUE(eventually([&] { return p->stats().waiting == 1; }));

  auto third = std::async(std::launch::async, [&] { return p->get(sgx_key(kA)); });
  ASSERT_EQ(third.wait_for(5s), std::future_status::ready) << "the request over the limit waited";
  auto r = third.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(r.error().message,
            "collateral for SGX FMSPC 00A067110000 (processor CA) not fetched: 1 requests already "
            "wait for collateral fetches in progress (the limit); retry later");

  fetcher_->release(kA);
  EXPECT_TRUE(first.get());
  EXPECT_TRUE(second.get());
  EXPECT_EQ(fetcher_->calls(kA), 1);
  EXPECT_TRUE(p->get(sgx_key(kA)));  // cached now: served whatever the limits
}

// (c) The negative cache is bounded: beyond max_remembered_failures the entry due soonest is
// dropped (that FMSPC may then be fetched again at once); the others stay remembered.
TEST_F(FetchPolicyTest, NegativeCacheIsBounded) {
  auto p = make([](CollateralCacheConfig& c) { c.max_remembered_failures = 2; });
  for (const std::string& f : {kA, kB, kC}) {
    fetcher_->set_failing(f, true);
    EXPECT_FALSE(p->get(sgx_key(f)));
    EXPECT_LE(p->stats().remembered_failures, 2u);
    clock_.advance(1s);
  }
  EXPECT_EQ(p->stats().remembered_failures, 2u);
  EXPECT_FALSE(p->get(sgx_key(kA)));  // A (due first) was dropped: fetched again
  EXPECT_EQ(fetcher_->calls(kA), 2);
  EXPECT_FALSE(p->get(sgx_key(kC)));  // C is still remembered
  EXPECT_EQ(fetcher_->calls(kC), 1);
  EXPECT_EQ(p->stats().remembered_failures, 2u);
}

// Only a well-formed FMSPC is fetched; a key without one is served from the cache only, and a
// malformed one is refused outright (it would otherwise name a PCCS URL and a cache file).
TEST_F(FetchPolicyTest, KeysWithoutAWellFormedFmspcAreNeverFetched) {
  auto p = make();
  auto none = p->get(CollateralKey{TeeType::kSgx, "", PckCa::kProcessor});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(none.error().message,
            "no collateral cached for SGX FMSPC (none) (processor CA); collateral is fetched only "
            "for the FMSPC of a PCK certificate");
  for (const std::string bad : {"00a067110000", "../../etc/pa", "00A0671100001", "00A06711000"}) {
    auto r = p->get(sgx_key(bad));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().message,
              fmt::format("no collateral for FMSPC \"{}\": not 12 upper-case hex digits", bad));
  }
  EXPECT_EQ(fetcher_->total_calls(), 0);
  // Collateral put for the key without FMSPC is served.
  ASSERT_TRUE(p->put(CollateralKey{TeeType::kSgx, "", PckCa::kProcessor}, sample_));
  EXPECT_TRUE(p->get(CollateralKey{TeeType::kSgx, "", PckCa::kProcessor}));
  EXPECT_EQ(fetcher_->total_calls(), 0);
}

// The background refresh obeys the same policy: it skips nothing valid, and its failure is
// remembered so that requests do not retry at once.
TEST_F(FetchPolicyTest, RefreshFailureIsRemembered) {
  auto p = make();
  ASSERT_TRUE(p->get(sgx_key(kA)));
  clock_.set(*parse_rfc3339("2025-07-19T00:00:00Z"));  // within the refresh margin
  fetcher_->set_failing(kA, true);
  EXPECT_FALSE(p->refresh_due());
  EXPECT_EQ(fetcher_->calls(kA), 2);
  auto again = p->refresh_due();
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("not retried before"), std::string::npos);
  EXPECT_EQ(fetcher_->calls(kA), 2);
  EXPECT_TRUE(p->get(sgx_key(kA)));  // the cached entry is still valid
}

// (d) A quote whose PCK chain does not chain to a trusted root never causes a fetch: neither the
// real SGX nor the real TDX quote when Intel's root is not the trusted one.
TEST_F(FetchPolicyTest, UntrustedPckChainTriggersNoFetch) {
  auto p = make();
  // Trust only a certificate that is not Intel's root (the SGX sample's PCK Processor CA).
  const std::string not_root = sample_.pck_crl_issuer_chain.substr(
      0, sample_.pck_crl_issuer_chain.find("-----END CERTIFICATE-----") + 25);
  auto v = DcapQuoteVerifier::create({p, &clock_, {to_bytes(not_root)}});
  ASSERT_TRUE(v) << v.error().message;
  for (const char* name : {"sgx_quote", "tdx_quote"}) {
    auto q = (*v)->verify(testdata::read(name));
    ASSERT_FALSE(q) << name;
    EXPECT_EQ(q.error().code, ErrorCode::kPermissionDenied);
    EXPECT_EQ(q.error().message.rfind("PCK certificate chain: ", 0), 0u) << q.error().message;
    // Repeated attempts are refused from the chain cache, still without a fetch.
    EXPECT_FALSE((*v)->verify(testdata::read(name)));
  }
  EXPECT_EQ(fetcher_->total_calls(), 0);

  // With Intel's root trusted: the real SGX quote whose PCK certificate's signature is altered
  // (a chain that parses but does not verify), the real quote carrying garbage instead of its
  // chain, and the real quote claiming not to embed its chain (certification data type 3): no
  // fetch either.
  auto intel = DcapQuoteVerifier::create({p, &clock_, {}});
  ASSERT_TRUE(intel);
  const Bytes quote = testdata::read("sgx_quote");
  const std::string text(quote.begin(), quote.end());
  const std::size_t begin = text.find("-----BEGIN CERTIFICATE-----");
  const std::size_t leaf_end = text.find("-----END CERTIFICATE-----");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(leaf_end, std::string::npos);
  ASSERT_GT(begin, 6u);

  Bytes bad_signature = quote;
  std::size_t at = leaf_end - 12;  // inside the base64 of the signature's last bytes
  while (bad_signature[at] == '\n' || bad_signature[at] == '=')
    --at;
  bad_signature[at] = bad_signature[at] == 'A' ? 'B' : 'A';
  auto q = (*intel)->verify(bad_signature);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().message, "PCK certificate chain: certificate signature failure");

  Bytes garbage = quote;
  std::size_t chain_size = 0;
  for (std::size_t i = 0; i < 4; ++i)
    chain_size |= static_cast<std::size_t>(garbage[begin - 4 + i]) << (8 * i);
  ASSERT_EQ(begin + chain_size, garbage.size());
  std::fill(garbage.begin() + static_cast<std::ptrdiff_t>(begin), garbage.end(), '#');
  q = (*intel)->verify(garbage);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, ErrorCode::kInvalidArgument) << q.error().message;

  Bytes no_chain = quote;
  ASSERT_EQ(no_chain[begin - 6], kCertDataPckChain);  // type (2 bytes LE) and size (4) precede it
  no_chain[begin - 6] = 3;
  q = (*intel)->verify(no_chain);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().message,
            "getting collateral: no collateral cached for SGX FMSPC (none) (processor CA); "
            "collateral is fetched only for the FMSPC of a PCK certificate");
  EXPECT_EQ(fetcher_->total_calls(), 0);

  // Control: the unmodified quote makes the same provider fetch for the chain's FMSPC.
  EXPECT_TRUE((*intel)->verify(testdata::read("sgx_quote")));
  EXPECT_EQ(fetcher_->calls(kA), 1);
  EXPECT_EQ(fetcher_->total_calls(), 1);
}

}  // namespace
}  // namespace mr::attestation::dcap
