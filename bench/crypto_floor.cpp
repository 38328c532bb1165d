// The cryptography floor of one Marble activation (issue 13): in one loop, exactly the
// cryptographic operations the Coordinator performs for one activation, with OpenSSL directly and
// everything that is not cryptography (algorithm fetches, key and certificate decoding, PEM/DER
// round trips) done once before the loop. Each operation is timed on the thread's CPU clock; the
// floor of a Marble type is the sum of the mean costs of its operations:
//
//   TLS 1.3, server side (primitives): ECDHE on P-256 (the group gRPC configures: decode the
//     client's share, generate the server's key, derive), the server's CertificateVerify (ECDSA
//     P-384/SHA-384, the Marble root's key) and the verification of the client's CertificateVerify
//     (ECDSA P-384/SHA-384, the Marble's self-signed certificate). The TLS 1.3 key schedule (a
//     dozen HMACs) and record protection of a few KiB are left out (microseconds).
//   CSR: X509_REQ_verify of the Marble's CSR (ECDSA P-384).
//   Marble key: P-384 key generation.
//   Leaf certificate: SHA-384 of a to-be-signed certificate and an ECDSA P-384 signature (the
//     intermediate key).
//   secrets (a per-Marble cert-ecdsa of 256 bits and a 256-bit symmetric key): P-256 key
//     generation, its certificate's ECDSA P-384 signature, HKDF-SHA256 of 32 bytes.
//   quotes: attestation::verify_marble_quote of an OE-framed simulated-DCAP SGX quote with the
//     project's DcapQuoteVerifier and cached collateral (what the Coordinator runs), including the
//     SHA-256 of the client certificate it binds.
//   counted: the same cryptography as plain (its extra cost is an fsync, not crypto).
//
// Also measured, not part of the floor: the server side of a complete in-memory TLS 1.3 handshake
// (OpenSSL through a BIO pair, P-256, a P-384 server chain of two certificates, a P-384 client
// certificate requested and not verified as gRPC does, ALPN h2, no session tickets, as every
// Coordinator server context since configure_openssl): only the server's SSL_new,
// SSL_do_handshake and SSL_free calls are timed.
// floor_handshake_ms_per_activation_<type> uses it in place of the three TLS primitives.
// And the same handshake over a loopback TCP connection (the client in a thread of its own, on
// another CPU when there is one; the server's thread CPU from accept() to close() of each
// connection): what a TLS server on real sockets spends with OpenSSL and nothing else, no gRPC
// and no activation. floor_tcp_handshake_ms_per_activation_<type> uses it in place of the TLS
// primitives.
//
//   build/bin/crypto_floor [--iterations 200] [--tcp-handshakes N (default: iterations)]
//                          [--coord-cpu-ms plain=12.1 ...]
//   build/bin/crypto_floor --only plain --iterations 20   (the floor's operations alone, for
//                          instruction counts under callgrind: bench/activation_instructions.sh)
//
// Prints a table, then key=value lines: floor_ms_per_activation_<type> for plain, secrets,
// counted, plain_quotes, secrets_quotes, counted_quotes; and ratio_to_floor_<type> = floor / the
// Coordinator's CPU per activation for every --coord-cpu-ms <type>=<ms> given.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "attestation/policy.h"
#include "attestation/sgx_dcap/collateral.h"
#include "attestation/sgx_dcap/dcap_verifier.h"
#include "attestation/simulated/simulated_dcap.h"
#include "base/clock.h"
#include "base/encoding.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/openssl/ossl.h"
#include "crypto/x509.h"
#include "marble/identity.h"

namespace mr::bench {
namespace {

namespace sim = attestation::simulated;
namespace dcap = attestation::dcap;

// --- setup helpers (not timed) ------------------------------------------------------------------

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string(what) + ": " + ossl::drain_errors());
}

template <class T>
T must(Result<T> r, const char* what) {
  if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().message);
  return std::move(*r);
}

ossl::Ptr<EVP_PKEY> to_evp(const crypto::PrivateKey& key) {
  const SecretBytes der = key.to_pkcs8_der();
  const unsigned char* p = der.span().data();
  ossl::Ptr<EVP_PKEY> k(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.span().size())));
  check(k != nullptr, "decoding a private key");
  return k;
}

ossl::Ptr<X509> to_x509(const crypto::Certificate& cert) {
  const unsigned char* p = cert.der().data();
  ossl::Ptr<X509> x(d2i_X509(nullptr, &p, static_cast<long>(cert.der().size())));
  check(x != nullptr, "decoding a certificate");
  return x;
}

// keygen_ctx returns a context ready to generate EC keys on |group| ("P-256", "P-384").
ossl::Ptr<EVP_PKEY_CTX> keygen_ctx(const char* group) {
  ossl::Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  check(ctx && EVP_PKEY_keygen_init(ctx.get()) > 0 &&
            EVP_PKEY_CTX_set_group_name(ctx.get(), group) > 0,
        "EC key generation context");
  return ctx;
}

ossl::Ptr<EVP_PKEY_CTX> sign_ctx(EVP_PKEY* key) {
  ossl::Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  check(ctx && EVP_PKEY_sign_init(ctx.get()) > 0, "signing context");
  return ctx;
}

ossl::Ptr<EVP_PKEY_CTX> verify_ctx(EVP_PKEY* key) {
  ossl::Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  check(ctx && EVP_PKEY_verify_init(ctx.get()) > 0, "verification context");
  return ctx;
}

// certificate_verify_input is what a TLS 1.3 CertificateVerify signs (RFC 8446 4.4.3) for a
// transcript hash of |hash_len| bytes (48: TLS_AES_256_GCM_SHA384, which the Marble API
// negotiates with OpenSSL's clients).
Bytes certificate_verify_input(const char* context, std::size_t hash_len) {
  std::string prefix(64, ' ');
  prefix += context;
  prefix.push_back('\0');
  Bytes in(prefix.size() + hash_len);
  std::memcpy(in.data(), prefix.data(), prefix.size());
  RAND_bytes(in.data() + prefix.size(), static_cast<int>(hash_len));  // the transcript hash
  return in;
}

// --- the operations (timed) ---------------------------------------------------------------------

double thread_cpu_us() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

struct MdFree {
  void operator()(EVP_MD* md) const noexcept { EVP_MD_free(md); }
};

// Everything one activation's cryptography needs, prepared once.
struct Material {
  std::unique_ptr<EVP_MD, MdFree> sha384;
  ossl::Ptr<EVP_KDF> hkdf;
  ossl::Ptr<EVP_PKEY_CTX> p256_keygen, p384_keygen;
  ossl::Ptr<EVP_PKEY> client_share;  // the client's ECDHE key (P-256)
  Bytes client_share_point;          // its encoded public point, as a key_share carries it
  ossl::Ptr<EVP_PKEY> server_key;    // the Marble root / intermediate key (P-384)
  ossl::Ptr<EVP_PKEY_CTX> server_sign, ca_sign;
  Bytes server_cv_input;                     // what the server's CertificateVerify signs
  Bytes client_cv_input, client_cv_sig;      // the client's CertificateVerify
  ossl::Ptr<EVP_PKEY_CTX> client_cv_verify;  // with the client certificate's key
  ossl::Ptr<X509_REQ> csr;
  Bytes tbs;  // a to-be-signed certificate of the size the Coordinator signs
  Bytes root_secret;
  // Quotes.
  std::unique_ptr<dcap::DcapQuoteVerifier> verifier;
  Bytes quote, client_cert_der;
  attestation::PackagePolicy policy;
  // TLS handshake.
  ossl::Ptr<SSL_CTX> server_tls, client_tls;
};

Bytes digest_sha384(const Material& m, ByteSpan data) {
  Bytes out(48);
  unsigned len = 0;
  check(EVP_Digest(data.data(), data.size(), out.data(), &len, m.sha384.get(), nullptr) > 0,
        "SHA-384");
  return out;
}

void ecdsa_sign(EVP_PKEY_CTX* ctx, ByteSpan digest) {
  std::array<unsigned char, 128> sig{};
  std::size_t len = sig.size();
  check(EVP_PKEY_sign(ctx, sig.data(), &len, digest.data(), digest.size()) > 0, "ECDSA sign");
}

void op_ecdhe(const Material& m) {
  // Decode the client's key share into a key of the group, as OpenSSL's server does.
  ossl::Ptr<EVP_PKEY> peer(EVP_PKEY_new());
  check(peer && EVP_PKEY_copy_parameters(peer.get(), m.client_share.get()) > 0 &&
            EVP_PKEY_set1_encoded_public_key(peer.get(), m.client_share_point.data(),
                                             m.client_share_point.size()) > 0,
        "decoding the client's key share");
  EVP_PKEY* raw = nullptr;
  check(EVP_PKEY_keygen(m.p256_keygen.get(), &raw) > 0, "ECDHE key generation");
  ossl::Ptr<EVP_PKEY> mine(raw);
  ossl::Ptr<EVP_PKEY_CTX> derive(EVP_PKEY_CTX_new_from_pkey(nullptr, mine.get(), nullptr));
  std::array<unsigned char, 66> secret{};
  std::size_t len = secret.size();
  check(derive && EVP_PKEY_derive_init(derive.get()) > 0 &&
            EVP_PKEY_derive_set_peer(derive.get(), peer.get()) > 0 &&
            EVP_PKEY_derive(derive.get(), secret.data(), &len) > 0,
        "ECDHE derive");
}

void op_tls_sign(const Material& m) {
  ecdsa_sign(m.server_sign.get(), digest_sha384(m, m.server_cv_input));
}

void op_tls_verify(const Material& m) {
  const Bytes d = digest_sha384(m, m.client_cv_input);
  check(EVP_PKEY_verify(m.client_cv_verify.get(), m.client_cv_sig.data(), m.client_cv_sig.size(),
                        d.data(), d.size()) == 1,
        "verifying the client's CertificateVerify");
}

void op_csr_verify(const Material& m) {
  check(X509_REQ_verify(m.csr.get(), X509_REQ_get0_pubkey(m.csr.get())) == 1, "CSR signature");
}

void op_keygen(EVP_PKEY_CTX* ctx) {
  EVP_PKEY* raw = nullptr;
  check(EVP_PKEY_keygen(ctx, &raw) > 0, "key generation");
  EVP_PKEY_free(raw);
}

void op_cert_sign(const Material& m) {
  ecdsa_sign(m.ca_sign.get(), digest_sha384(m, m.tbs));
}

void op_hkdf(const Material& m) {
  ossl::Ptr<EVP_KDF_CTX> ctx(EVP_KDF_CTX_new(m.hkdf.get()));
  char digest[] = "SHA256";
  char salt[] = "6ba7b810-9dad-41d1-80b4-00c04fd430c8sym";
  char info[] = "bench";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                        const_cast<std::uint8_t*>(m.root_secret.data()),
                                        m.root_secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt, sizeof salt - 1),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, sizeof info - 1),
      OSSL_PARAM_construct_end()};
  std::array<unsigned char, 32> out{};
  check(ctx && EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) > 0, "HKDF");
}

void op_quote(const Material& m) {
  auto q = attestation::verify_marble_quote(*m.verifier, m.quote, m.client_cert_der, m.policy);
  if (!q) throw std::runtime_error("quote verification: " + q.error().message);
}

// op_handshake runs a whole TLS 1.3 handshake in memory and returns the server side's CPU time.
double op_handshake(const Material& m) {
  double server_us = 0;
  double t = thread_cpu_us();
  ossl::Ptr<SSL> server(SSL_new(m.server_tls.get()));
  server_us += thread_cpu_us() - t;
  ossl::Ptr<SSL> client(SSL_new(m.client_tls.get()));
  check(server && client, "SSL_new");
  BIO *server_bio = nullptr, *client_bio = nullptr;
  check(BIO_new_bio_pair(&server_bio, 0, &client_bio, 0) == 1, "BIO pair");
  SSL_set_bio(server.get(), server_bio, server_bio);
  SSL_set_bio(client.get(), client_bio, client_bio);
  SSL_set_accept_state(server.get());
  SSL_set_connect_state(client.get());
  bool client_done = false, server_done = false;
  for (int round = 0; !(client_done && server_done); ++round) {
    if (round > 10) throw std::runtime_error("TLS handshake does not finish");
    if (!client_done) client_done = SSL_do_handshake(client.get()) == 1;
    if (!server_done) {
      t = thread_cpu_us();
      const int rc = SSL_do_handshake(server.get());
      server_us += thread_cpu_us() - t;
      server_done = rc == 1;
      if (rc != 1 && SSL_get_error(server.get(), rc) != SSL_ERROR_WANT_READ)
        check(false, "server handshake");
    }
  }
  unsigned char byte = 0;
  SSL_read(client.get(), &byte, 0);  // the client takes the session tickets
  if (SSL_version(server.get()) != TLS1_3_VERSION) throw std::runtime_error("not TLS 1.3");
  t = thread_cpu_us();
  server.reset();
  server_us += thread_cpu_us() - t;
  return server_us;
}

// Fd closes a socket it owns.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

// pin_to_another_cpu moves the calling thread to a CPU other than |cpu|, if the machine has one.
void pin_to_another_cpu(int cpu) {
  const unsigned n = std::thread::hardware_concurrency();
  if (n < 2 || cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET((static_cast<unsigned>(cpu) + 1) % n, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);  // best effort
}

// tcp_handshakes runs |n| TLS 1.3 handshakes over loopback TCP, the client on a thread of its
// own, and returns the server thread's CPU time per handshake in us, from accept() to close().
double tcp_handshakes(const Material& m, int n) {
  Fd listener(socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  check(listener.fd >= 0 && bind(listener.fd, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
            listen(listener.fd, 64) == 0 &&
            getsockname(listener.fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0,
        "loopback listener");
  const int one = 1;
  std::atomic<bool> client_failed{false};
  std::thread client([&, server_cpu = sched_getcpu()] {
    pin_to_another_cpu(server_cpu);
    for (int i = 0; i < n; ++i) {
      Fd fd(socket(AF_INET, SOCK_STREAM, 0));
      setsockopt(fd.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ossl::Ptr<SSL> ssl(SSL_new(m.client_tls.get()));
      unsigned char byte = 0;
      if (connect(fd.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 || !ssl ||
          SSL_set_fd(ssl.get(), fd.fd) != 1 || SSL_connect(ssl.get()) != 1) {
        client_failed = true;
        return;
      }
      SSL_read(ssl.get(), &byte, 1);  // until the server closes
    }
  });
  double server_us = 0;
  for (int i = 0; i < n && !client_failed; ++i) {
    const double t = thread_cpu_us();
    Fd fd(accept(listener.fd, nullptr, nullptr));
    if (fd.fd < 0) break;
    setsockopt(fd.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ossl::Ptr<SSL> ssl(SSL_new(m.server_tls.get()));
    const bool ok = ssl && SSL_set_fd(ssl.get(), fd.fd) == 1 && SSL_accept(ssl.get()) == 1 &&
                    SSL_version(ssl.get()) == TLS1_3_VERSION;
    ssl.reset();
    close(fd.fd);
    fd.fd = -1;
    server_us += thread_cpu_us() - t;
    if (!ok) {
      client_failed = true;
      break;
    }
  }
  shutdown(listener.fd, SHUT_RDWR);
  client.join();
  if (client_failed) throw std::runtime_error("TLS handshake over loopback TCP failed");
  return server_us / n;
}

int select_h2(SSL* /*ssl*/, const unsigned char** out, unsigned char* outlen,
              const unsigned char* in, unsigned int inlen, void* /*arg*/) {
  static const unsigned char kH2[] = {2, 'h', '2'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kH2, sizeof kH2, in, inlen) !=
      OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

int accept_any_certificate(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) {
  return 1;  // gRPC's GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_BUT_DONT_VERIFY
}

Material prepare() {
  Material m;
  m.sha384.reset(EVP_MD_fetch(nullptr, "SHA384", nullptr));
  m.hkdf.reset(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  check(m.sha384 && m.hkdf, "fetching SHA-384 and HKDF");
  m.p256_keygen = keygen_ctx("P-256");
  m.p384_keygen = keygen_ctx("P-384");
  EVP_PKEY* raw = nullptr;
  check(EVP_PKEY_keygen(m.p256_keygen.get(), &raw) > 0, "client key share");
  m.client_share.reset(raw);
  unsigned char* point = nullptr;
  const std::size_t point_len = EVP_PKEY_get1_encoded_public_key(m.client_share.get(), &point);
  check(point_len > 0, "encoding the client's key share");
  m.client_share_point.assign(point, point + point_len);
  OPENSSL_free(point);

  // The CA as the Coordinator has it: a root, and the Marble root / intermediate pair sharing
  // one P-384 key (the intermediate is signed by the root).
  const UnixTime now = SystemClock().now();
  auto root_key =
      must(crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP384)), "root key");
  auto ca_key = must(crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP384)),
                     "intermediate key");
  crypto::CertTemplate t;
  t.not_before = now;
  t.not_after = now + std::chrono::hours(24 * 365);
  t.is_ca = true;
  t.basic_constraints_valid = true;
  t.key_usage = crypto::kKeyUsageCertSign | crypto::kKeyUsageDigitalSignature;
  t.subject.common_name = "MarbleRun Coordinator";
  const auto root = must(crypto::create_certificate(t, root_key.public_key(), nullptr, root_key),
                         "root certificate");
  t.subject.common_name = "MarbleRun Coordinator - Intermediate CA";
  const auto marble_root =
      must(crypto::create_certificate(t, ca_key.public_key(), nullptr, ca_key), "Marble root");
  const auto intermediate =
      must(crypto::create_certificate(t, ca_key.public_key(), &root, root_key), "intermediate");
  m.server_key = to_evp(ca_key);
  m.server_sign = sign_ctx(m.server_key.get());
  m.ca_sign = sign_ctx(m.server_key.get());

  // The Marble: key, self-signed certificate, CSR (marble/identity.h, as premain makes them).
  const auto marble = must(marble::create_identity({"bench", "bench.ns.svc.cluster.local"}, now),
                           "Marble identity");
  ossl::Ptr<EVP_PKEY> marble_key = to_evp(marble.key);
  m.server_cv_input = certificate_verify_input("TLS 1.3, server CertificateVerify", 48);
  m.client_cv_input = certificate_verify_input("TLS 1.3, client CertificateVerify", 48);
  {
    ossl::Ptr<EVP_PKEY_CTX> s = sign_ctx(marble_key.get());
    const Bytes d = digest_sha384(m, m.client_cv_input);
    m.client_cv_sig.resize(128);
    std::size_t len = m.client_cv_sig.size();
    check(EVP_PKEY_sign(s.get(), m.client_cv_sig.data(), &len, d.data(), d.size()) > 0,
          "client CertificateVerify");
    m.client_cv_sig.resize(len);
  }
  ossl::Ptr<X509> marble_cert = to_x509(marble.cert);
  m.client_cv_verify = verify_ctx(X509_get0_pubkey(marble_cert.get()));
  const unsigned char* p = marble.csr_der.data();
  m.csr.reset(d2i_X509_REQ(nullptr, &p, static_cast<long>(marble.csr_der.size())));
  check(m.csr != nullptr, "decoding the CSR");
  // A leaf the size of the Coordinator's: the intermediate issuing for the Marble's names.
  crypto::CertTemplate leaf;
  leaf.subject.common_name = "6ba7b810-9dad-41d1-80b4-00c04fd430c8";
  leaf.not_before = now;
  leaf.not_after = now + kGoMaxDuration;
  leaf.dns_names = std::vector<std::string>{"bench", "bench.ns.svc.cluster.local"};
  leaf.key_usage = crypto::kKeyUsageDigitalSignature | crypto::kKeyUsageKeyAgreement;
  leaf.ext_key_usage = std::vector<crypto::ExtKeyUsage>{crypto::ExtKeyUsage::kServerAuth,
                                                        crypto::ExtKeyUsage::kClientAuth};
  leaf.basic_constraints_valid = true;
  leaf.extra_extensions.push_back(
      crypto::Extension{std::string("1.3.9903.2.1"), false, Bytes{'b', 'e', 'n', 'c', 'h'}});
  const auto leaf_cert =
      must(crypto::create_certificate(leaf, marble.key.public_key(), &marble_root, ca_key), "leaf");
  ossl::Ptr<X509> leaf_x509 = to_x509(leaf_cert);
  const int tbs_len = i2d_re_X509_tbs(leaf_x509.get(), nullptr);
  check(tbs_len > 0, "encoding the leaf's TBS");
  m.tbs.resize(static_cast<std::size_t>(tbs_len));
  unsigned char* tbs_out = m.tbs.data();
  i2d_re_X509_tbs(leaf_x509.get(), &tbs_out);
  m.root_secret = Bytes(32, 0x42);

  // Quotes: a simulated DCAP PKI, its collateral cached in the verifier.
  auto pki = must(sim::SimulatedDcapPki::create({now, {}, {}}), "simulated DCAP PKI");
  static const SystemClock clock;
  m.verifier = must(pki->verifier(&clock), "DCAP verifier");
  sim::SimulatedEnclave enclave;
  enclave.mr_enclave.fill(0x5b);
  m.client_cert_der = marble.cert.der();
  m.quote = must(sim::SimulatedDcapIssuer(pki, enclave).issue(crypto::sha256(m.client_cert_der)),
                 "quote");
  m.policy.unique_id = hex_encode(enclave.mr_enclave);

  // TLS: the Marble API's server (P-384 chain of two, client certificate required and not
  // verified, ALPN h2, P-256) and a Marble's client.
  m.server_tls.reset(SSL_CTX_new(TLS_server_method()));
  m.client_tls.reset(SSL_CTX_new(TLS_client_method()));
  check(m.server_tls && m.client_tls, "SSL_CTX_new");
  ossl::Ptr<X509> marble_root_x509 = to_x509(marble_root),
                  intermediate_x509 = to_x509(intermediate);
  check(SSL_CTX_use_certificate(m.server_tls.get(), marble_root_x509.get()) == 1 &&
            SSL_CTX_add1_chain_cert(m.server_tls.get(), intermediate_x509.get()) == 1 &&
            SSL_CTX_use_PrivateKey(m.server_tls.get(), m.server_key.get()) == 1 &&
            SSL_CTX_set_min_proto_version(m.server_tls.get(), TLS1_3_VERSION) == 1 &&
            SSL_CTX_set1_groups_list(m.server_tls.get(), "P-256") == 1 &&
            SSL_CTX_set_num_tickets(m.server_tls.get(), 0) == 1,
        "server TLS context");
  SSL_CTX_set_verify(m.server_tls.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     accept_any_certificate);
  SSL_CTX_set_alpn_select_cb(m.server_tls.get(), select_h2, nullptr);
  static const unsigned char kAlpn[] = {2, 'h', '2'};
  check(SSL_CTX_use_certificate(m.client_tls.get(), marble_cert.get()) == 1 &&
            SSL_CTX_use_PrivateKey(m.client_tls.get(), marble_key.get()) == 1 &&
            SSL_CTX_set1_groups_list(m.client_tls.get(), "P-256") == 1 &&
            SSL_CTX_set_alpn_protos(m.client_tls.get(), kAlpn, sizeof kAlpn) == 0,
        "client TLS context");
  SSL_CTX_set_verify(m.client_tls.get(), SSL_VERIFY_NONE, nullptr);
  return m;
}

// --- the loop -----------------------------------------------------------------------------------

struct Op {
  const char* key;   // key=value name: op_<key>_us
  const char* name;  // for the table
  std::function<void(const Material&)> run;
  double total_us = 0;
};

enum Use : unsigned { kAll = 1, kSecrets = 2, kQuotes = 4, kTls = 8 };

int run(int argc, char** argv) {
  int iterations = 200;
  int tcp_iterations = -1;  // as many as iterations
  std::string only;         // --only TYPE
  std::map<std::string, double> coord_cpu_ms;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--iterations" && i + 1 < argc) {
      iterations = std::max(1, std::atoi(argv[++i]));
    } else if (flag == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else if (flag == "--tcp-handshakes" && i + 1 < argc) {
      tcp_iterations = std::max(1, std::atoi(argv[++i]));
    } else if (flag == "--coord-cpu-ms" && i + 1 < argc) {
      const std::string kv = argv[++i];
      const auto eq = kv.find('=');
      if (eq == std::string::npos) throw std::runtime_error("--coord-cpu-ms wants <type>=<ms>");
      coord_cpu_ms[kv.substr(0, eq)] = std::atof(kv.c_str() + eq + 1);
    } else {
      std::fprintf(stderr,
                   "usage: crypto_floor [--iterations N] [--tcp-handshakes N] "
                   "[--coord-cpu-ms <type>=<ms> ...] [--only <type>]\n"
                   "  types: plain secrets counted plain_quotes secrets_quotes counted_quotes\n");
      return 2;
    }
  }
  const Material m = prepare();
  struct Row {
    Op op;
    unsigned use;
  };
  std::vector<Row> rows = {
      {{"tls_ecdhe", "TLS: ECDHE P-256 (decode share, keygen, derive)", op_ecdhe}, kAll | kTls},
      {{"tls_sign", "TLS: server CertificateVerify (P-384 sign)", op_tls_sign}, kAll | kTls},
      {{"tls_verify", "TLS: client CertificateVerify (P-384 verify)", op_tls_verify}, kAll | kTls},
      {{"csr_verify", "CSR signature check (P-384 verify)", op_csr_verify}, kAll},
      {{"marble_keygen", "Marble key (P-384 keygen)",
        [](const Material& x) { op_keygen(x.p384_keygen.get()); }},
       kAll},
      {{"leaf_sign", "leaf certificate (P-384 sign)", op_cert_sign}, kAll},
      {{"secret_keygen", "secret cert-ecdsa key (P-256 keygen)",
        [](const Material& x) { op_keygen(x.p256_keygen.get()); }},
       kSecrets},
      {{"secret_sign", "secret certificate (P-384 sign)", op_cert_sign}, kSecrets},
      {{"secret_hkdf", "symmetric key (HKDF-SHA256)", op_hkdf}, kSecrets},
      {{"quote_verify", "quote (simulated DCAP, cached collateral)", op_quote}, kQuotes},
  };
  struct Type {
    const char* name;
    unsigned mask;
  };
  const std::vector<Type> types = {{"plain", kAll},
                                   {"secrets", kAll | kSecrets},
                                   {"counted", kAll},
                                   {"plain_quotes", kAll | kQuotes},
                                   {"secrets_quotes", kAll | kSecrets | kQuotes},
                                   {"counted_quotes", kAll | kQuotes}};
  if (!only.empty()) {
    // Only the floor's own operations of one Marble type, nothing measured or printed but the
    // count: for instruction counts under callgrind (bench/activation_instructions.sh).
    const auto t =
        std::find_if(types.begin(), types.end(), [&](const Type& x) { return only == x.name; });
    if (t == types.end()) throw std::runtime_error("--only: unknown Marble type " + only);
    for (int i = 0; i < iterations; ++i) {
      for (Row& r : rows) {
        if ((r.use & t->mask) != 0) r.op.run(m);
      }
    }
    std::printf("only=%s\niterations=%d\n", only.c_str(), iterations);
    return 0;
  }
  double handshake_us = 0;
  const int warmup = std::max(3, iterations / 20);
  for (int i = -warmup; i < iterations; ++i) {
    for (Row& r : rows) {
      const double t = thread_cpu_us();
      r.op.run(m);
      if (i >= 0) r.op.total_us += thread_cpu_us() - t;
    }
    const double hs = op_handshake(m);
    if (i >= 0) handshake_us += hs;
  }

  const auto mean = [&](const Row& r) { return r.op.total_us / iterations; };
  const auto sum = [&](unsigned use_mask, bool skip_tls) {
    double us = 0;
    for (const Row& r : rows) {
      if ((r.use & use_mask) != 0 && !(skip_tls && (r.use & kTls) != 0)) us += mean(r);
    }
    return us / 1000;
  };
  const double hs_ms = handshake_us / iterations / 1000;
  const double tcp_ms = tcp_handshakes(m, tcp_iterations > 0 ? tcp_iterations : iterations) / 1000;
  std::printf(
      "Coordinator-side cryptography of one Marble activation (%d iterations, thread CPU)\n",
      iterations);
  for (const Row& r : rows)
    std::printf("  %-52s %8.1f us\n", r.op.name, mean(r));
  std::printf("  %-52s %8.1f us\n", "TLS primitives above, together", sum(kTls, false) * 1000);
  std::printf("  %-52s %8.1f us\n", "TLS 1.3 handshake in memory, server side (OpenSSL)",
              hs_ms * 1000);
  std::printf("  %-52s %8.1f us\n", "the same over loopback TCP, accept() to close()",
              tcp_ms * 1000);

  std::printf("\n  %-16s %10s %22s %16s\n", "Marble type", "floor ms", "with real handshake ms",
              "over TCP ms");
  for (const Type& t : types)
    std::printf("  %-16s %10.3f %22.3f %16.3f\n", t.name, sum(t.mask, false),
                sum(t.mask, true) + hs_ms, sum(t.mask, true) + tcp_ms);
  for (const Row& r : rows)
    std::printf("op_%s_us=%.1f\n", r.op.key, mean(r));
  std::printf("tls_primitives_ms=%.3f\ntls_handshake_server_ms=%.3f\n", sum(kTls, false), hs_ms);
  std::printf("tls_handshake_tcp_server_ms=%.3f\n", tcp_ms);
  for (const Type& t : types) {
    std::printf("floor_ms_per_activation_%s=%.3f\n", t.name, sum(t.mask, false));
    std::printf("floor_handshake_ms_per_activation_%s=%.3f\n", t.name, sum(t.mask, true) + hs_ms);
    std::printf("floor_tcp_handshake_ms_per_activation_%s=%.3f\n", t.name,
                sum(t.mask, true) + tcp_ms);
  }
  for (const auto& [type, cpu] : coord_cpu_ms) {
    const auto t =
        std::find_if(types.begin(), types.end(), [&](const Type& x) { return type == x.name; });
    if (t == types.end() || cpu <= 0) throw std::runtime_error("--coord-cpu-ms: bad " + type);
    std::printf("ratio_to_floor_%s=%.3f\n", type.c_str(), sum(t->mask, false) / cpu);
    std::printf("ratio_to_handshake_floor_%s=%.3f\n", type.c_str(),
                (sum(t->mask, true) + hs_ms) / cpu);
    std::printf("ratio_to_tcp_handshake_floor_%s=%.3f\n", type.c_str(),
                (sum(t->mask, true) + tcp_ms) / cpu);
  }
  return 0;
}

}  // namespace
}  // namespace mr::bench

int main(int argc, char** argv) {
  try {
    return mr::bench::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "crypto_floor: %s\n", e.what());
    return 1;
  }
}
