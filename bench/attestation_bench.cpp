// DCAP quote verification throughput.
//
//   build/bin/attestation_bench --benchmark_counters_tabular=true
//
// BM_VerifySgxSampleCached is the figure of merit: one DcapQuoteVerifier verifying the real
// SGX v3 sample (tests/testdata/dcap) at 2025-07-01 with its collateral, parsed-collateral and
// PCK-chain caches warm. Target: <= 0.5 ms per quote.

#include <benchmark/benchmark.h>

#include <fstream>
#include <iterator>

#include "attestation/oe_report.h"
#include "attestation/sgx_dcap/collateral.h"
#include "attestation/sgx_dcap/dcap_verifier.h"
#include "attestation/sgx_dcap/quote.h"
#include "attestation/simulated/simulated_dcap.h"
#include "base/clock.h"

namespace {

using namespace mr;
using namespace mr::attestation;

class FixedClock final : public Clock {
 public:
  explicit FixedClock(UnixTime t) : t_(t) {}
  UnixTime now() const override { return t_; }

 private:
  UnixTime t_;
};

Bytes read(const std::string& name) {
  std::ifstream in(std::string(MR_SOURCE_DIR) + "/tests/testdata/dcap/" + name, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

const FixedClock kSampleClock(*parse_rfc3339("2025-07-01T00:00:00Z"));

std::shared_ptr<dcap::StaticCollateralProvider> provider(const std::string& file) {
  auto c = dcap::load_collateral(std::string(MR_SOURCE_DIR) + "/tests/testdata/dcap/" + file);
  if (!c) std::abort();
  return std::make_shared<dcap::StaticCollateralProvider>(std::move(*c));
}

void run_cached(benchmark::State& state, const std::string& quote_file,
                const std::string& collateral_file) {
  const Bytes quote = read(quote_file);
  auto v = dcap::DcapQuoteVerifier::create({provider(collateral_file), &kSampleClock, {}});
  if (!v || !(*v)->verify(quote)) {
    state.SkipWithError("sample does not verify");
    return;
  }
  for (auto _ : state) {
    auto q = (*v)->verify(quote);
    benchmark::DoNotOptimize(q);
  }
  state.counters["verifications/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_VerifySgxSampleCached(benchmark::State& state) {
  run_cached(state, "sgx_quote", "sgx_quote_collateral.json");
}
BENCHMARK(BM_VerifySgxSampleCached)->Unit(benchmark::kMicrosecond);

void BM_VerifySgxSampleCachedOeFramed(benchmark::State& state) {
  const Bytes quote = oe_wrap_sgx_quote(read("sgx_quote"));
  auto v =
      dcap::DcapQuoteVerifier::create({provider("sgx_quote_collateral.json"), &kSampleClock, {}});
  for (auto _ : state)
    benchmark::DoNotOptimize((*v)->verify(quote));
  state.counters["verifications/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_VerifySgxSampleCachedOeFramed)->Unit(benchmark::kMicrosecond);

void BM_VerifyTdxSampleCached(benchmark::State& state) {
  run_cached(state, "tdx_quote", "tdx_quote_collateral.json");
}
BENCHMARK(BM_VerifyTdxSampleCached)->Unit(benchmark::kMicrosecond);

// Cold: a fresh verifier per quote (collateral signatures, CRLs and chains verified every time).
void BM_VerifySgxSampleCold(benchmark::State& state) {
  const Bytes quote = read("sgx_quote");
  auto p = provider("sgx_quote_collateral.json");
  for (auto _ : state) {
    auto v = dcap::DcapQuoteVerifier::create({p, &kSampleClock, {}});
    benchmark::DoNotOptimize((*v)->verify(quote));
  }
}
BENCHMARK(BM_VerifySgxSampleCold)->Unit(benchmark::kMicrosecond);

void BM_ParseSgxSample(benchmark::State& state) {
  const Bytes quote = read("sgx_quote");
  for (auto _ : state)
    benchmark::DoNotOptimize(dcap::parse_quote(quote));
}
BENCHMARK(BM_ParseSgxSample)->Unit(benchmark::kMicrosecond);

void BM_SimulatedIssueAndVerify(benchmark::State& state) {
  const UnixTime now = *parse_rfc3339("2026-11-23T12:00:00Z");
  const FixedClock clock(now);
  auto pki = simulated::SimulatedDcapPki::create({now, {}, {}});
  auto v = (*pki)->verifier(&clock);
  simulated::SimulatedDcapIssuer issuer(*pki, {});
  const Bytes report_data(64, 1);
  for (auto _ : state) {
    auto q = issuer.issue(report_data);
    benchmark::DoNotOptimize((*v)->verify(*q));
  }
}
BENCHMARK(BM_SimulatedIssueAndVerify)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
