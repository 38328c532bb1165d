#pragma once
// KeyServer and fetch_key: Coordinators sharing one state (issue 14) hand the state's data key to
// each other over upstream's key-distribution API, gRPC keypb.API/GetKeyEncryptionKey (spec 2b,
// 13; proto/keyserver.proto verbatim), after attesting each other. Free of gRPC types.
//
//   // A Coordinator that holds the data key serves it:
//   KeyServerConfig config;
//   config.key = [&] { return core.data_key(); };        // nullopt in recovery mode
//   config.attestation = peer_attestation.get();
//   MR_ASSIGN_OR_RETURN(auto server, KeyServer::create(std::move(config)));
//   MR_RETURN_IF_ERROR(server->start());                 // ":5433"
//
//   // One that cannot unseal the shared state asks a peer:
//   MR_ASSIGN_OR_RETURN(FetchedKey key, fetch_key("10.0.0.7:5433", *peer_attestation, 10s));
//
// Protocol (upstream's, EGo attested TLS):
// - The server presents an ephemeral self-signed P-384 certificate, CN "MarbleRun Coordinator",
//   generated at start(), that carries the server's quote in the extension
//   kAttestationQuoteOid (1.3.6.1.4.1.311.105.1, Open Enclave's and EGo's "new OE quote" OID,
//   extnValue = the OE-framed quote). The quote's report data is SHA-256 of the certificate's
//   SubjectPublicKeyInfo DER (a quote over the whole certificate cannot be inside it). In
//   simulation the certificate has no such extension.
// - The client presents its own ephemeral self-signed P-384 certificate (CN "MarbleRun
//   Coordinator", no extensions, spec 8.6) and sends GetKeyEncryptionKeyRequest.quote, a quote
//   over SHA-256(its certificate DER); empty in simulation.
// - The client checks the server's certificate inside the TLS handshake, before any request is
//   sent (self-signature, then PeerAttestation::check_peer(extension, SPKI, same enclave not
//   required), as upstream's client does). The server checks the request with
//   check_peer(quote, client leaf DER, require_same_enclave()) and answers `key` = key().
//
// Transport: the Marble API's TLS policy (tls_credentials.h: TLS 1.2/1.3, ECDHE + AES-GCM, a
// client certificate required but not chain-verified: the quote binds it). The port is reachable
// by anyone on the network, so: requests above max_receive_message_bytes are refused by gRPC
// (RESOURCE_EXHAUSTED); checks run on worker_threads with at most max_queued_requests waiting
// (RESOURCE_EXHAUSTED beyond); handshakes time out; idle connections are closed; at most
// max_concurrent_streams calls per connection. One log line per request (peer address and, when
// refused, why); the key is never logged.
//
// Status codes a client sees: OK with the key; PERMISSION_DENIED when its attestation is refused
// (the message says what differed); UNAVAILABLE with kNoKeyMessage when the server holds no key
// (recovery mode, or no manifest yet); RESOURCE_EXHAUSTED when overloaded; INVALID_ARGUMENT /
// FAILED_PRECONDITION / UNAVAILABLE passed on from the quote verifier (malformed quote,
// collateral).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "attestation/peer_attestation.h"
#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"

namespace mr::api::grpc {

// kAttestationQuoteOid is the certificate extension carrying the server's quote (EGo's
// oidOeNewQuote, from Open Enclave's internal/report.h).
inline constexpr std::string_view kAttestationQuoteOid = "1.3.6.1.4.1.311.105.1";

// kNoKeyMessage is the UNAVAILABLE message of a server that holds no data key.
inline constexpr std::string_view kNoKeyMessage =
    "this Coordinator does not hold the data key (recovery mode or no manifest yet)";

// kKeyExchangeCommonName is the subject CN of both sides' ephemeral certificates (spec 8.6).
inline constexpr std::string_view kKeyExchangeCommonName = "MarbleRun Coordinator";

struct KeyServerConfig {
  // address is Go-style host:port (":5433" every interface; port 0 picks one, see port()).
  std::string address = ":5433";
  // key returns the data key to hand out, or nullopt while this Coordinator holds none. Called
  // from worker threads, once per request that passed attestation.
  std::function<std::optional<SecretBytes>()> key;
  // commit_counter (optional) returns the commit counter of the state |key| belongs to, sent
  // along with the key (FetchedKey::commit_counter).
  std::function<std::uint64_t()> commit_counter;
  // attestation checks peers and quotes this server's certificate. Borrowed; must outlive the
  // server.
  attestation::PeerAttestation* attestation = nullptr;
  // require_same_enclave: whether a requester must have this instance's UniqueID (MRENCLAVE);
  // false when the state is sealed with the product key. Called per request; empty = always true.
  std::function<bool()> require_same_enclave;
  // clock dates the server certificate (valid from now - 1 h for 10 years). Borrowed; null = the
  // system clock.
  const Clock* clock = nullptr;
  std::size_t worker_threads = 2;
  std::size_t max_queued_requests = 16;
  // max_receive_message_bytes bounds a request (a quote with its PCK chain is about 5 KiB).
  std::size_t max_receive_message_bytes = std::size_t{64} << 10;
  std::uint32_t max_concurrent_streams = 4;
  std::chrono::milliseconds handshake_timeout{5'000};
  std::chrono::milliseconds max_connection_idle{60'000};
  // shutdown_grace: stop() lets calls in flight finish for this long, then cancels them.
  std::chrono::milliseconds shutdown_grace{2'000};
};

class KeyServer {
 public:
  // create checks |config|: kInvalidArgument for a malformed address, zero limits or timeouts,
  // or a missing key function or attestation. Nothing listens before start().
  [[nodiscard]] static Result<std::unique_ptr<KeyServer>> create(KeyServerConfig config);
  ~KeyServer();  // stop()s
  KeyServer(const KeyServer&) = delete;
  KeyServer& operator=(const KeyServer&) = delete;

  // start generates the attested certificate, binds the address and serves; logs "key server
  // listening" with the bound port. kFailedPrecondition if called twice or if
  // GRPC_SSL_CIPHER_SUITES breaks the TLS policy; the quote issuer's error (wrapped) if this
  // instance cannot quote its certificate; kUnavailable if the address cannot be bound;
  // kInternal if key or certificate generation fails.
  [[nodiscard]] Status start();
  // stop stops accepting, lets calls in flight finish for up to shutdown_grace and joins the
  // workers. Idempotent; a stopped server cannot be started again.
  void stop();
  // port is the bound TCP port after start() (the chosen one for port 0), else 0.
  [[nodiscard]] int port() const;

  struct Impl;

 private:
  explicit KeyServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// FetchedKey is a key server's answer: the data key and the commit counter of the shared state
// as the server last committed or verified it (0 from a server that does not say).
struct FetchedKey {
  SecretBytes key;
  std::uint64_t commit_counter = 0;
};

// fetch_key asks the key server at |target| ("host:port") for the data key, within |deadline|:
// makes an ephemeral client certificate, quotes it with |attestation|, checks the server's
// certificate (its embedded quote, with check_peer and same enclave not required) during the
// handshake and returns the key. Errors name |target|: kUnavailable "cannot reach the
// Coordinator at ..." (nothing listening, TLS failed) or "the Coordinator at ... does not hold
// the data key ..."; kPermissionDenied "refusing the Coordinator at ...: <why>" (its attestation
// failed here) or "the Coordinator at ... refused this Coordinator's attestation: <why>";
// kDeadlineExceeded when it does not answer in time; kResourceExhausted when it is overloaded; the
// issuer's error if this instance cannot quote; kDataLoss for an answer without a key.
// |attestation| is borrowed for the call only.
[[nodiscard]] Result<FetchedKey> fetch_key(const std::string& target,
                                           attestation::PeerAttestation& attestation,
                                           std::chrono::milliseconds deadline);

}  // namespace mr::api::grpc
