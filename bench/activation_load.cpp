// Marble activations end to end (issue 13): a real marblerun-coordinator-sim as a child process,
// N Marbles activated C at a time over rpc.Marble/Activate, each on a channel of its own (TCP, a
// TLS 1.3 handshake with its own P-384 client certificate, HTTP/2), as a Marble's premain does.
// The Marbles' identities (key, self-signed certificate, CSR; with --quotes a simulated-DCAP quote
// over SHA-256 of the certificate) are made before the clock starts. The Coordinator's CPU time
// (utime + stime of /proc/PID/stat) is read before and after the timed window. Every activation
// must succeed: failures are counted and make the exit status 1.
//
//   build/bin/activation_load --n 1500 --concurrency 32 --marble-type secrets [--quotes]
//
// Prints a table, then one key=value line per figure (activations_per_s,
// coord_cpu_ms_per_activation, p50_ms, p99_ms, failures, rss_mb, and counted_activations_per_s
// for --marble-type counted). --wrap "valgrind --tool=callgrind ..." runs the Coordinator under
// a tool (for profiles).

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "attestation/simulated/simulated_dcap.h"
#include "base/clock.h"
#include "base/encoding.h"
#include "base/testing/temp_dir.h"
#include "coordinator.grpc.pb.h"
#include "crypto/hash.h"
#include "gojson/go_json.h"
#include "marble/identity.h"
#include "support/process.h"

namespace mr::bench {
namespace {

using gojson::Json;
using SteadyClock = std::chrono::steady_clock;
namespace gx = ::grpc::experimental;
namespace sim = attestation::simulated;

constexpr char kMarbleType[] = "bench";
constexpr std::uint64_t kLargeMaxActivations = 1'000'000'000;

enum class MarbleKind { kPlain, kSecrets, kCounted };

struct Options {
  std::string coordinator = std::string(MR_BINARY_DIR) + "/bin/marblerun-coordinator-sim";
  std::vector<std::string> wrap;  // a tool the Coordinator runs under (e.g. valgrind), or none
  int n = 1500;
  int concurrency = 32;
  int warmup = 16;
  MarbleKind kind = MarbleKind::kPlain;
  bool quotes = false;
};

const char* kind_name(MarbleKind k) {
  switch (k) {
    case MarbleKind::kPlain:
      return "plain";
    case MarbleKind::kSecrets:
      return "secrets";
    case MarbleKind::kCounted:
      return "counted";
  }
  return "?";
}

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr,
               "activation_load: %s\n"
               "usage: activation_load [--coordinator PATH] [--n N] [--concurrency C] "
               "[--warmup W]\n"
               "                       [--marble-type plain|secrets|counted] [--quotes] "
               "[--wrap \"TOOL ARGS\"]\n",
               problem.c_str());
  std::exit(2);
}

int positive(const std::string& flag, const std::string& value) {
  try {
    std::size_t used = 0;
    const int v = std::stoi(value, &used);
    if (used == value.size() && v >= 0) return v;
  } catch (const std::exception&) {
  }
  usage(flag + " wants a non-negative number, not \"" + value + "\"");
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(flag + " wants a value");
      return argv[++i];
    };
    if (flag == "--coordinator") {
      o.coordinator = std::filesystem::absolute(value()).string();
    } else if (flag == "--n") {
      o.n = positive(flag, value());
    } else if (flag == "--concurrency") {
      o.concurrency = std::max(1, positive(flag, value()));
    } else if (flag == "--warmup") {
      o.warmup = positive(flag, value());
    } else if (flag == "--marble-type") {
      const std::string k = value();
      if (k == "plain") {
        o.kind = MarbleKind::kPlain;
      } else if (k == "secrets") {
        o.kind = MarbleKind::kSecrets;
      } else if (k == "counted") {
        o.kind = MarbleKind::kCounted;
      } else {
        usage("unknown Marble type \"" + k + "\"");
      }
    } else if (flag == "--quotes") {
      o.quotes = true;
    } else if (flag == "--wrap") {
      std::istringstream words(value());
      o.wrap.clear();
      for (std::string w; words >> w;)
        o.wrap.push_back(w);
    } else {
      usage("unknown flag " + flag);
    }
  }
  if (o.n == 0) usage("--n must be at least 1");
  return o;
}

// The enclave every benchmark Marble quotes for (with --quotes); the package pins its MRENCLAVE
// (the other measurements are zero).
sim::SimulatedEnclave bench_enclave() {
  sim::SimulatedEnclave e;
  e.mr_enclave.fill(0x5b);
  return e;
}

// manifest returns the manifest of one Marble type "bench" of |kind|:
//   plain    an Env entry and Argv, no secrets;
//   secrets  plus a per-Marble cert-ecdsa (P-256, signed by the Marble root) and a per-Marble
//            256-bit symmetric key, both written to Files;
//   counted  plain with MaxActivations (large enough never to be reached).
std::string manifest(MarbleKind kind) {
  Json marble = {{"Package", "pkg"},
                 {"Parameters", {{"Env", {{"ROLE", "bench"}}}, {"Argv", {"bench", "--serve"}}}}};
  Json m = {{"Packages",
             {{"pkg", {{"UniqueID", hex_encode(bench_enclave().mr_enclave)}, {"Debug", false}}}}}};
  if (kind == MarbleKind::kSecrets) {
    marble["Parameters"]["Files"] = {{"/bench/tls.pem", "{{ pem .Secrets.tls.Cert }}"},
                                     {"/bench/tls.key", "{{ pem .Secrets.tls.Private }}"},
                                     {"/bench/sym.hex", "{{ hex .Secrets.sym }}"}};
    m["Secrets"] = {{"tls", {{"Type", "cert-ecdsa"}, {"Size", 256}}},
                    {"sym", {{"Type", "symmetric-key"}, {"Size", 256}}}};
  }
  if (kind == MarbleKind::kCounted) marble["MaxActivations"] = kLargeMaxActivations;
  m["Marbles"] = {{kMarbleType, marble}};
  return m.dump();
}

// A Marble as its premain makes itself: identity, client credentials and (with quotes) a quote.
struct Marble {
  std::string cert_pem;
  Bytes csr;
  Bytes quote;  // empty without --quotes
  std::shared_ptr<::grpc::ChannelCredentials> creds;
};

// client_credentials presents |cert_pem| with |key_pem| and, as upstream premain
// (InsecureSkipVerify), does not verify the Coordinator.
std::shared_ptr<::grpc::ChannelCredentials> client_credentials(const std::string& cert_pem,
                                                               const std::string& key_pem) {
  gx::TlsChannelCredentialsOptions o;
  o.set_certificate_provider(std::make_shared<gx::StaticDataCertificateProvider>(
      cert_pem, std::vector<gx::IdentityKeyCertPair>{{key_pem, cert_pem}}));
  o.watch_root_certs();
  o.watch_identity_key_cert_pairs();
  o.set_verify_server_certs(false);
  o.set_check_call_host(false);
  o.set_certificate_verifier(std::make_shared<gx::NoOpCertificateVerifier>());
  return gx::TlsCredentials(o);
}

// parallel_for runs |fn|(i) for i in [0, n) on all cores.
template <class Fn>
void parallel_for(int n, Fn fn) {
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned t = 0; t < cores; ++t) {
    threads.emplace_back([&] {
      for (int i; (i = next++) < n;)
        fn(i);
    });
  }
  for (auto& t : threads)
    t.join();
}

std::vector<Marble> make_marbles(int count, const std::shared_ptr<sim::SimulatedDcapPki>& pki) {
  std::vector<Marble> marbles(static_cast<std::size_t>(count));
  std::atomic<bool> failed{false};
  parallel_for(count, [&](int i) {
    auto id = marble::create_identity({"bench", "bench.ns.svc.cluster.local"}, SystemClock().now());
    if (!id) {
      failed = true;
      return;
    }
    Marble& m = marbles[static_cast<std::size_t>(i)];
    m.cert_pem = id->cert.pem();
    m.csr = std::move(id->csr_der);
    m.creds = client_credentials(m.cert_pem, std::string(id->key.to_pem().view()));
    if (pki) {
      sim::SimulatedDcapIssuer issuer(pki, bench_enclave());
      auto q = issuer.issue(crypto::sha256(id->cert.der()));
      if (!q) {
        failed = true;
        return;
      }
      m.quote = std::move(*q);
    }
  });
  if (failed) throw std::runtime_error("generating the Marble identities failed");
  return marbles;
}

struct Outcome {
  double ms = 0;
  std::optional<std::string> error;  // why the activation failed; nullopt on success
};

// activate runs one activation of |m| as Marble |uuid| on a new channel and checks the answer.
Outcome activate(const std::string& target, const Marble& m, MarbleKind kind,
                 const std::string& uuid) {
  const auto start = SteadyClock::now();
  ::grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
  auto stub = rpc::Marble::NewStub(::grpc::CreateCustomChannel(target, m.creds, args));
  rpc::ActivationReq req;
  req.set_quote(m.quote.data(), m.quote.size());
  req.set_csr(m.csr.data(), m.csr.size());
  req.set_marbletype(kMarbleType);
  req.set_uuid(uuid);
  rpc::ActivationResp resp;
  ::grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  const ::grpc::Status status = stub->Activate(&ctx, req, &resp);
  Outcome out;
  out.ms = std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
  if (!status.ok()) {
    out.error =
        fmt::format("code {}: {}", static_cast<int>(status.error_code()), status.error_message());
    return out;
  }
  const auto& env = resp.parameters().env();
  const auto& files = resp.parameters().files();
  // value returns the entry |key| of |map| ("" if there is none).
  const auto value = [](const auto& map, const std::string& key) -> std::string_view {
    auto it = map.find(key);
    return it == map.end() ? std::string_view() : std::string_view(it->second);
  };
  if (!value(env, "MARBLE_PREDEFINED_PRIVATE_KEY").starts_with("-----BEGIN PRIVATE KEY-----") ||
      !value(env, "MARBLE_PREDEFINED_MARBLE_CERTIFICATE_CHAIN")
           .starts_with("-----BEGIN CERTIFICATE-----") ||
      value(env, "ROLE") != "bench" || resp.parameters().argv_size() != 2) {
    out.error = "the answer lacks the Marble's key, certificate chain, Env or Argv";
  } else if (kind == MarbleKind::kSecrets &&
             (!value(files, "/bench/tls.pem").starts_with("-----BEGIN CERTIFICATE-----") ||
              !value(files, "/bench/tls.key").starts_with("-----BEGIN PRIVATE KEY-----") ||
              value(files, "/bench/sym.hex").size() != 64)) {
    out.error = "the answer lacks the Marble's secrets";
  }
  return out;
}

// percentile returns the |p|-th percentile (nearest rank) of sorted |v|.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank =
      static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

double own_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto s = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return s(u.ru_utime) + s(u.ru_stime);
}

void raise_own_nofile() {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);
}

int run(const Options& o) {
  raise_own_nofile();
  testing::TempDir dir;
  std::shared_ptr<sim::SimulatedDcapPki> pki;
  test::CoordinatorOptions co{dir.path() / "data", {}, {}, o.coordinator};
  if (o.quotes) {
    auto p = sim::SimulatedDcapPki::create({SystemClock().now(), {}, {}});
    if (!p) throw std::runtime_error("simulated DCAP PKI: " + p.error().message);
    pki = *p;
    const auto path = dir.path() / "pki.json";
    std::ofstream(path) << pki->to_json();
    co.env = {{"OE_SIMULATION", "0"}, {"EDG_COORDINATOR_SIMULATED_DCAP_PKI", path.string()}};
  }
  if (!o.wrap.empty()) {
    co.program = o.wrap.front();
    co.args.assign(o.wrap.begin() + 1, o.wrap.end());
    co.args.push_back(o.coordinator);
  }

  std::fprintf(stderr, "generating %d Marble identities%s...\n", o.warmup + o.n,
               o.quotes ? " and quotes" : "");
  const auto gen_start = SteadyClock::now();
  const std::vector<Marble> marbles = make_marbles(o.warmup + o.n, pki);
  const double gen_s = std::chrono::duration<double>(SteadyClock::now() - gen_start).count();

  auto coord = test::CoordinatorProcess::start(co);
  if (coord->mesh_port() == 0) throw std::runtime_error("no Marble API port:\n" + coord->log());
  const std::string body = Json{{"manifest", base64_encode(as_bytes(manifest(o.kind)))}}.dump();
  const test::HttpResult set = test::curl_https(coord->client_url() + "/api/v2/manifest", &body);
  if (set.status != 200) throw std::runtime_error("setting the manifest: " + set.body);
  const std::string target = "127.0.0.1:" + std::to_string(coord->mesh_port());
  const auto uuid = [](int i) { return fmt::format("6ba7b810-9dad-41d1-80b4-{:012x}", i); };

  int failures = 0;
  std::string first_error;
  if (o.quotes && o.warmup + o.n >= 2) {
    // The Coordinator does check the quotes: another Marble's quote (bound to another
    // certificate) is refused.
    Marble swapped = marbles[0];
    swapped.quote = marbles[1].quote;
    const Outcome r = activate(target, swapped, o.kind, uuid(0));
    if (!r.error || r.error->find("hash(cert) != report.Data") == std::string::npos) {
      ++failures;
      first_error = "a quote for another certificate was not refused: " + r.error.value_or("OK");
    }
  }
  for (int i = 0; i < o.warmup; ++i) {  // sequential, not timed
    const Outcome r = activate(target, marbles[static_cast<std::size_t>(i)], o.kind, uuid(i));
    if (r.error) {
      ++failures;
      if (first_error.empty()) first_error = "warm-up: " + *r.error;
    }
  }

  std::vector<Outcome> outcomes(static_cast<std::size_t>(o.n));
  std::atomic<int> next{0};
  const double coord_cpu_before = test::cpu_seconds(coord->pid());
  const double own_cpu_before = own_cpu_seconds();
  const auto start = SteadyClock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < o.concurrency; ++w) {
    workers.emplace_back([&] {
      for (int i; (i = next++) < o.n;) {
        const int index = o.warmup + i;
        outcomes[static_cast<std::size_t>(i)] =
            activate(target, marbles[static_cast<std::size_t>(index)], o.kind, uuid(index));
      }
    });
  }
  for (auto& w : workers)
    w.join();
  const double wall_s = std::chrono::duration<double>(SteadyClock::now() - start).count();
  const double coord_cpu_s = test::cpu_seconds(coord->pid()) - coord_cpu_before;
  const double own_cpu_s = own_cpu_seconds() - own_cpu_before;
  const long rss_kib = test::peak_rss_kib(coord->pid());

  std::vector<double> latencies;
  for (const Outcome& r : outcomes) {
    latencies.push_back(r.ms);
    if (r.error) {
      ++failures;
      if (first_error.empty()) first_error = *r.error;
    }
  }
  std::sort(latencies.begin(), latencies.end());
  const int rc_stop = coord->stop();

  const double per_s = o.n / wall_s;
  const double cpu_ms = coord_cpu_s * 1000 / o.n;
  const double p50 = percentile(latencies, 50), p90 = percentile(latencies, 90),
               p99 = percentile(latencies, 99);
  const double rss_mb = static_cast<double>(rss_kib) / 1024;
  std::printf(
      "Marble activation end to end: %s, Marble type %s, quotes %s\n"
      "  identities made before the clock  %d in %.1f s\n"
      "  activations                       %d, %d at a time (after %d warm-up), %d failed\n"
      "  wall time                         %.2f s -> %.1f activations/s\n"
      "  Coordinator CPU                   %.2f s -> %.2f ms per activation (%.2f cores busy)\n"
      "  latency                           p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n"
      "  load generator CPU                %.2f ms per activation\n"
      "  Coordinator peak RSS (VmHWM)      %.1f MiB\n",
      std::filesystem::path(o.coordinator).filename().c_str(), kind_name(o.kind),
      o.quotes ? "on (simulated DCAP)" : "off", o.warmup + o.n, gen_s, o.n, o.concurrency, o.warmup,
      failures, wall_s, per_s, coord_cpu_s, cpu_ms, coord_cpu_s / wall_s, p50, p90, p99,
      latencies.back(), own_cpu_s * 1000 / o.n, rss_mb);
  if (!first_error.empty()) std::printf("  first failure: %s\n", first_error.c_str());
  if (rc_stop != 0) std::printf("  the Coordinator exited with status %d\n", rc_stop);
  std::printf("marble_type=%s\nquotes=%d\nn=%d\nconcurrency=%d\n", kind_name(o.kind),
              o.quotes ? 1 : 0, o.n, o.concurrency);
  std::printf("activations_per_s=%.1f\ncoord_cpu_ms_per_activation=%.2f\n", per_s, cpu_ms);
  if (o.kind == MarbleKind::kCounted) std::printf("counted_activations_per_s=%.1f\n", per_s);
  std::printf("p50_ms=%.1f\np99_ms=%.1f\nfailures=%d\nrss_mb=%.1f\n", p50, p99, failures, rss_mb);
  std::printf("client_cpu_ms_per_activation=%.2f\n", own_cpu_s * 1000 / o.n);
  return failures == 0 && rc_stop == 0 ? 0 : 1;
}

}  // namespace
}  // namespace mr::bench

int main(int argc, char** argv) {
  const mr::bench::Options options = mr::bench::parse_options(argc, argv);
  try {
    return mr::bench::run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "activation_load: %s\n", e.what());
    return 1;
  }
}
