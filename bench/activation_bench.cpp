// Marble activations per second through core::MarbleApi (in-memory stores, simulation mode):
// key generation, CSR check, leaf certificate, per-Marble secrets and template rendering, with
// and without a MaxActivations counter (the one serialised step), single- and multi-threaded.

#include <benchmark/benchmark.h>

#include <filesystem>

#include "attestation/simulated/no_tee_issuer.h"
#include "base/log.h"
#include "base/testing/temp_dir.h"
#include "core/client_api.h"
#include "core/marble_api.h"
#include "seal/file_seal_key_provider.h"
#include "store/memory/memory_store.h"

namespace {

using namespace mr;  // NOLINT(google-build-using-namespace): benchmark file

constexpr char kManifest[] = R"({
  "Packages": {"pkg": {"Debug": true}},
  "Marbles": {
    "free": {"Package": "pkg", "Parameters": {
      "Files": {"/etc/app/key": "{{ hex .Secrets.mine }}", "/etc/app/tls.pem": "{{ pem .Secrets.shared.Cert }}"},
      "Env": {"ROOT": "{{ pem .MarbleRun.RootCA.Cert }}"}}},
    "counted": {"Package": "pkg", "MaxActivations": 1000000000, "Parameters": {
      "Files": {"/etc/app/key": "{{ hex .Secrets.mine }}"}}}},
  "Secrets": {"mine": {"Type": "symmetric-key", "Size": 256},
              "shared": {"Type": "cert-ecdsa", "Size": 256, "Shared": true}}
})";

struct Fixture {
  Fixture() {
    keys = std::make_unique<seal::FileSealKeyProvider>(dir.path());
    core = *core::Core::start({&clock, &persistent, &volatile_store, keys.get(), &issuer},
                              core::CoreConfig{.simulation = true});
    client = std::make_unique<core::ClientApi>(*core);
    if (!client->set_manifest(kManifest)) std::abort();
    marbles = std::make_unique<core::MarbleApi>(*core, nullptr);
    auto key = *crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP384));
    crypto::CertTemplate t;
    t.subject.common_name = "MarbleRun Marble";
    t.not_before = clock.now();
    t.not_after = clock.now() + kGoMaxDuration;
    cert = crypto::create_certificate(t, key.public_key(), nullptr, key)->der();
    csr = *crypto::create_csr(key, {}, {"app"}, {});
  }
  testing::TempDir dir;
  SystemClock clock;
  store::MemoryStore persistent, volatile_store;
  attestation::simulated::NoTeeIssuer issuer;
  std::unique_ptr<seal::FileSealKeyProvider> keys;
  std::unique_ptr<core::Core> core;
  std::unique_ptr<core::ClientApi> client;
  std::unique_ptr<core::MarbleApi> marbles;
  Bytes cert, csr;
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void run(benchmark::State& state, const char* type) {
  Fixture& f = fixture();
  const core::ActivationRequest req{
      {}, f.csr, type, "6ba7b810-9dad-11d1-80b4-00c04fd430c8", f.cert};
  for (auto _ : state) {
    auto r = f.marbles->activate(req);
    if (!r) state.SkipWithError(r.error().message.c_str());
    benchmark::DoNotOptimize(r);
  }
  state.counters["activations/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Activate(benchmark::State& state) {
  run(state, "free");
}
void BM_ActivateWithMaxActivations(benchmark::State& state) {
  run(state, "counted");
}

}  // namespace

BENCHMARK(BM_Activate)->UseRealTime()->Threads(1)->Threads(2);
BENCHMARK(BM_ActivateWithMaxActivations)->UseRealTime()->Threads(1)->Threads(2);

int main(int argc, char** argv) {
  log::configure(log::Format::kJson, log::Level::kError);  // no per-activation log lines
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
