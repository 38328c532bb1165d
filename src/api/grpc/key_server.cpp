// The only translation unit of the key server and its client that sees gRPC types.
#include "api/grpc/key_server.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "api/grpc/conversion.h"
#include "api/grpc/marble_server.h"
#include "api/grpc/tls_credentials.h"
#include "base/log.h"
#include "base/thread_pool.h"
#include "crypto/keys.h"
#include "crypto/pem.h"
#include "crypto/x509.h"
#include "keyserver.grpc.pb.h"

namespace mr::api::grpc {
namespace {

const log::Logger kLog("keyserver");

// kMaxKeyResponseBytes bounds what fetch_key reads from a server (the answer is one key).
constexpr int kMaxKeyResponseBytes = 64 << 10;

// one_line replaces line breaks so that every error stays a single line.
std::string one_line(std::string s) {
  std::replace_if(
      s.begin(), s.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return s;
}

// EphemeralIdentity is a fresh self-signed P-384 certificate and its key.
struct EphemeralIdentity {
  crypto::Certificate certificate;
  crypto::PrivateKey key;
};

// make_identity generates a key and a self-signed certificate for it, CN kKeyExchangeCommonName,
// valid from |now| - 1 h for 10 years. With |embed_quote| the certificate carries
// attestation.quote_for(SPKI DER) in kAttestationQuoteOid (nothing in simulation).
Result<EphemeralIdentity> make_identity(attestation::PeerAttestation& attestation, UnixTime now,
                                        bool embed_quote) {
  MR_ASSIGN_OR_RETURN(crypto::PrivateKey key,
                      crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP384)));
  crypto::CertTemplate t;
  t.subject.common_name = std::string(kKeyExchangeCommonName);
  t.not_before = now - std::chrono::hours(1);
  t.not_after = now + std::chrono::hours(24 * 365 * 10);
  if (embed_quote) {
    MR_ASSIGN_OR_RETURN(Bytes quote, attestation.quote_for(key.public_key().to_der()));
    if (!quote.empty()) {
      t.extra_extensions.push_back(
          crypto::Extension{std::string(kAttestationQuoteOid), false, std::move(quote)});
    }
  }
  MR_ASSIGN_OR_RETURN(crypto::Certificate cert,
                      crypto::create_certificate(t, key.public_key(), nullptr, key));
  return EphemeralIdentity{std::move(cert), std::move(key)};
}

// peer_leaf_der returns the DER of the certificate the client presented (its leaf), or empty.
Bytes peer_leaf_der(const ::grpc::CallbackServerContext& ctx) {
  const std::shared_ptr<const ::grpc::AuthContext> auth = ctx.auth_context();
  if (!auth) return {};
  for (const ::grpc::string_ref& pem : auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME)) {
    return leaf_der_from_pem(std::string_view(pem.data(), pem.size()));
  }
  return {};
}

// WipingReactor finishes one call and wipes the key from the response once gRPC is done with
// it (the response outlives Finish until OnDone).
class WipingReactor final : public ::grpc::ServerUnaryReactor {
 public:
  explicit WipingReactor(keypb::GetKeyEncryptionKeyResponse* resp) : resp_(resp) {}
  void OnDone() override {
    std::string* key = resp_->mutable_key();
    if (!key->empty()) secure_wipe(key->data(), key->size());
    delete this;
  }
  void OnCancel() override {}

 private:
  keypb::GetKeyEncryptionKeyResponse* resp_;
};

}  // namespace

// KeyService answers keypb.API/GetKeyEncryptionKey: the gRPC thread reads the request and the
// peer certificate, a worker checks the attestation and finishes the call.
class KeyService final : public keypb::API::CallbackService {
 public:
  KeyService(const KeyServerConfig& config, ThreadPool& pool) : config_(config), pool_(pool) {}

  ::grpc::ServerUnaryReactor* GetKeyEncryptionKey(
      ::grpc::CallbackServerContext* ctx, const keypb::GetKeyEncryptionKeyRequest* req,
      keypb::GetKeyEncryptionKeyResponse* resp) override {
    auto* reactor = new WipingReactor(resp);
    auto job = [this, ctx, req, resp, reactor, peer = peer_leaf_der(*ctx)]() {
      reactor->Finish(run(*ctx, *req, peer, *resp));
    };
    if (!pool_.try_submit(std::move(job))) {
      kLog.warn("key request refused: too many requests in progress", {{"peer", ctx->peer()}});
      reactor->Finish(::grpc::Status(::grpc::StatusCode::RESOURCE_EXHAUSTED,
                                     "too many key requests in progress; retry later"));
    }
    return reactor;
  }

 private:
  ::grpc::Status run(const ::grpc::CallbackServerContext& ctx,
                     const keypb::GetKeyEncryptionKeyRequest& req, const Bytes& peer_der,
                     keypb::GetKeyEncryptionKeyResponse& resp) const {
    if (ctx.IsCancelled()) return ::grpc::Status::CANCELLED;
    const std::string peer = ctx.peer();
    try {
      if (peer_der.empty()) {  // the TLS policy requires one; never expected
        kLog.warn("key request refused", {{"peer", peer}, {"reason", "no client certificate"}});
        return {::grpc::StatusCode::UNAUTHENTICATED, "no client certificate"};
      }
      const bool same_enclave = !config_.require_same_enclave || config_.require_same_enclave();
      const std::string& quote = req.quote();
      const Status s = config_.attestation->check_peer(
          ByteSpan(reinterpret_cast<const std::uint8_t*>(quote.data()), quote.size()), peer_der,
          same_enclave);
      if (!s) {
        const std::string reason = one_line(s.error().message);
        kLog.warn("key request refused: attestation failed", {{"peer", peer}, {"reason", reason}});
        return {::grpc::StatusCode::PERMISSION_DENIED, "attestation refused: " + reason};
      }
      std::optional<SecretBytes> key = config_.key();
      if (!key || key->empty()) {
        kLog.warn("key request not served: this Coordinator holds no data key", {{"peer", peer}});
        return {::grpc::StatusCode::UNAVAILABLE, std::string(kNoKeyMessage)};
      }
      resp.set_key(key->data(), key->size());
      if (config_.commit_counter) resp.set_commit_counter(config_.commit_counter());
      kLog.info("data key served to a peer Coordinator",
                {{"peer", peer}, {"attested", !config_.attestation->simulation()}});
      return ::grpc::Status::OK;
    } catch (const std::exception& e) {
      kLog.error("key request failed", {{"peer", peer}, {"error", e.what()}});
      return {::grpc::StatusCode::INTERNAL, "internal error"};
    }
  }

  const KeyServerConfig& config_;
  ThreadPool& pool_;
};

struct KeyServer::Impl {
  KeyServerConfig config;
  std::string grpc_address;
  std::mutex lifecycle_mu;  // held throughout start() and stop(); guards the members below
  bool started = false;
  bool stopped = false;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<KeyService> service;
  std::unique_ptr<::grpc::Server> server;
  std::atomic<int> port{0};
};

KeyServer::KeyServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

KeyServer::~KeyServer() {
  stop();
}

Result<std::unique_ptr<KeyServer>> KeyServer::create(KeyServerConfig config) {
  MR_ASSIGN_OR_RETURN(std::string address, grpc_listen_address(config.address));
  if (config.worker_threads == 0 || config.max_queued_requests == 0 ||
      config.max_receive_message_bytes == 0 ||
      config.max_receive_message_bytes > std::size_t{INT32_MAX} ||
      config.max_concurrent_streams == 0 || config.handshake_timeout.count() <= 0 ||
      config.max_connection_idle.count() <= 0 || config.shutdown_grace.count() < 0) {
    return fail(ErrorCode::kInvalidArgument, "key server limits and timeouts must be positive");
  }
  if (!config.key) return fail(ErrorCode::kInvalidArgument, "key server: no key function");
  if (config.attestation == nullptr) {
    return fail(ErrorCode::kInvalidArgument, "key server: no peer attestation");
  }
  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  impl->grpc_address = std::move(address);
  return std::unique_ptr<KeyServer>(new KeyServer(std::move(impl)));
}

Status KeyServer::start() {
  Impl& m = *impl_;
  std::scoped_lock lifecycle(m.lifecycle_mu);
  if (m.started) return fail(ErrorCode::kFailedPrecondition, "key server already started");
  const SystemClock system_clock;
  const Clock& clock = m.config.clock ? *m.config.clock : system_clock;
  MR_ASSIGN_OR_RETURN(EphemeralIdentity id,
                      make_identity(*m.config.attestation, clock.now(), true)
                          .map_error(Wrap("creating the key server's attested certificate")));
  MR_ASSIGN_OR_RETURN(std::shared_ptr<::grpc::ServerCredentials> creds,
                      marble_server_credentials(MarbleTlsIdentity{id.certificate, id.key}));
  m.pool = std::make_unique<ThreadPool>(m.config.worker_threads, m.config.max_queued_requests);
  m.service = std::make_unique<KeyService>(m.config, *m.pool);
  const auto ms = [](std::chrono::milliseconds d) {
    return static_cast<int>(std::min<std::int64_t>(d.count(), INT32_MAX));
  };
  ::grpc::ServerBuilder builder;
  int bound = 0;
  builder.AddListeningPort(m.grpc_address, creds, &bound);
  builder.RegisterService(m.service.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(m.config.max_receive_message_bytes));
  builder.SetMaxSendMessageSize(kMaxKeyResponseBytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             static_cast<int>(m.config.max_concurrent_streams));
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, ms(m.config.handshake_timeout));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, ms(m.config.max_connection_idle));
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  m.server = builder.BuildAndStart();
  if (!m.server || bound == 0) {
    m.server.reset();
    m.service.reset();
    m.pool.reset();
    return failf(ErrorCode::kUnavailable, "cannot listen on {} (key server)", m.config.address);
  }
  m.port = bound;
  m.started = true;
  kLog.info("key server listening", {{"address", m.config.address},
                                     {"port", bound},
                                     {"attested", !m.config.attestation->simulation()}});
  return ok();
}

void KeyServer::stop() {
  Impl& m = *impl_;
  std::scoped_lock lifecycle(m.lifecycle_mu);
  if (!m.started || m.stopped) return;
  m.stopped = true;
  m.port = 0;
  // The workers keep running while the server drains: they finish every accepted call.
  m.server->Shutdown(std::chrono::system_clock::now() + m.config.shutdown_grace);
  m.server->Wait();
  m.pool->stop();
  m.server.reset();
  m.service.reset();
  m.pool.reset();
  kLog.info("key server stopped");
}

int KeyServer::port() const {
  return impl_->port.load();
}

namespace {

// CheckOutcome records the server check's refusal for one fetch_key. Shared with the verifier,
// which gRPC owns and may still call (a connection attempt finishing late) after fetch_key
// returned: once |closed|, the attestation (borrowed for the call only) is not touched.
struct CheckOutcome {
  std::mutex mu;
  bool closed = false;
  std::optional<std::string> refusal;
};

class CloseOnExit {
 public:
  explicit CloseOnExit(std::shared_ptr<CheckOutcome> outcome) : outcome_(std::move(outcome)) {}
  ~CloseOnExit() {
    std::scoped_lock lock(outcome_->mu);
    outcome_->closed = true;
  }
  CloseOnExit(const CloseOnExit&) = delete;
  CloseOnExit& operator=(const CloseOnExit&) = delete;

 private:
  std::shared_ptr<CheckOutcome> outcome_;
};

// check_server_certificate checks the server's leaf (PEM): self-signed, and its embedded quote
// (none in simulation) binds its public key and passes check_peer (same enclave not required,
// as upstream's client).
Status check_server_certificate(std::string_view leaf_pem,
                                const attestation::PeerAttestation& attestation) {
  std::vector<crypto::PemBlock> blocks = crypto::pem_decode_all(leaf_pem);
  if (blocks.empty() || blocks.front().type != "CERTIFICATE") {
    return fail(ErrorCode::kPermissionDenied, "it presented no certificate");
  }
  MR_ASSIGN_OR_RETURN(
      crypto::Certificate cert,
      crypto::Certificate::from_der(blocks.front().der).map_error([](Error e) {
        return Error{ErrorCode::kPermissionDenied, "its certificate is malformed: " + e.message};
      }));
  if (const Status s = cert.check_signature_from(cert.public_key()); !s) {
    return fail(ErrorCode::kPermissionDenied, "its certificate is not self-signed");
  }
  const std::optional<crypto::Extension> ext = cert.extension(kAttestationQuoteOid);
  const Bytes quote = ext ? ext->value : Bytes{};
  return attestation.check_peer(quote, cert.public_key().to_der(), false);
}

// ServerQuoteVerifier runs check_server_certificate in every TLS handshake of one fetch_key and
// fails the handshake when it refuses.
class ServerQuoteVerifier final : public ::grpc::experimental::ExternalCertificateVerifier {
 public:
  ServerQuoteVerifier(const attestation::PeerAttestation* attestation,
                      std::shared_ptr<CheckOutcome> outcome)
      : attestation_(attestation), outcome_(std::move(outcome)) {}

  bool Verify(::grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(::grpc::Status)> /*callback*/,
              ::grpc::Status* sync_status) override {
    std::scoped_lock lock(outcome_->mu);
    std::string refusal;
    if (outcome_->closed) {
      refusal = "the key request is over";
    } else {
      try {
        const ::grpc::string_ref pem = request->peer_cert();
        const Status s =
            check_server_certificate(std::string_view(pem.data(), pem.size()), *attestation_);
        if (!s) refusal = one_line(s.error().message);
      } catch (const std::exception& e) {
        refusal = std::string("checking its certificate: ") + e.what();
      }
      if (!refusal.empty() && !outcome_->refusal) outcome_->refusal = refusal;
    }
    *sync_status = refusal.empty() ? ::grpc::Status::OK
                                   : ::grpc::Status(::grpc::StatusCode::PERMISSION_DENIED, refusal);
    return true;
  }
  void Cancel(::grpc::experimental::TlsCustomVerificationCheckRequest* /*request*/) override {}

 private:
  const attestation::PeerAttestation* attestation_;
  std::shared_ptr<CheckOutcome> outcome_;
};

Result<FetchedKey> fetch_key_impl(const std::string& target,
                                  attestation::PeerAttestation& attestation,
                                  std::chrono::milliseconds deadline) {
  namespace gx = ::grpc::experimental;
  const SystemClock clock;
  MR_ASSIGN_OR_RETURN(EphemeralIdentity id,
                      make_identity(attestation, clock.now(), false)
                          .map_error(Wrap("creating the key request's client certificate")));
  MR_ASSIGN_OR_RETURN(Bytes quote, attestation.quote_for(id.certificate.der()));
  const std::string cert_pem = id.certificate.pem();
  const SecretBytes key_pem = id.key.to_pem();
  // The root is never used (the verifier below replaces chain verification) but must be a
  // certificate, else gRPC falls back to the system's roots and fails where there are none.
  auto provider = std::make_shared<gx::StaticDataCertificateProvider>(
      cert_pem, std::vector<gx::IdentityKeyCertPair>{{std::string(key_pem.view()), cert_pem}});
  gx::TlsChannelCredentialsOptions tls;
  tls.set_certificate_provider(provider);
  tls.watch_root_certs();
  tls.watch_identity_key_cert_pairs();
  tls.set_verify_server_certs(false);
  tls.set_check_call_host(false);
  auto outcome = std::make_shared<CheckOutcome>();
  const CloseOnExit close_on_exit(outcome);
  tls.set_certificate_verifier(
      gx::ExternalCertificateVerifier::Create<ServerQuoteVerifier>(&attestation, outcome));
  ::grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxKeyResponseBytes);
  // A channel of its own subchannels: every connection this call uses was handshaken (and
  // checked) for it.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto channel = ::grpc::CreateCustomChannel(target, gx::TlsCredentials(tls), args);
  auto stub = keypb::API::NewStub(channel);

  keypb::GetKeyEncryptionKeyRequest req;
  req.set_quote(quote.data(), quote.size());
  keypb::GetKeyEncryptionKeyResponse resp;
  ::grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + deadline);
  const ::grpc::Status status = stub->GetKeyEncryptionKey(&ctx, req, &resp);
  if (!status.ok()) {
    {
      std::scoped_lock lock(outcome->mu);
      if (outcome->refusal) {
        return failf(ErrorCode::kPermissionDenied, "refusing the Coordinator at {}: {}", target,
                     *outcome->refusal);
      }
    }
    const std::string message = one_line(status.error_message());
    switch (status.error_code()) {
      case ::grpc::StatusCode::UNAVAILABLE:
        if (message == kNoKeyMessage) {
          return failf(ErrorCode::kUnavailable,
                       "the Coordinator at {} does not hold the data key "
                       "(it is in recovery mode or has no manifest yet)",
                       target);
        }
        return failf(ErrorCode::kUnavailable,
                     "cannot reach the Coordinator at {} (connection or TLS handshake failed): {}",
                     target, message);
      case ::grpc::StatusCode::PERMISSION_DENIED:
        return failf(ErrorCode::kPermissionDenied,
                     "the Coordinator at {} refused this Coordinator's attestation: {}", target,
                     message);
      case ::grpc::StatusCode::DEADLINE_EXCEEDED:
        return failf(ErrorCode::kDeadlineExceeded,
                     "the Coordinator at {} did not answer within {} ms", target, deadline.count());
      default: {
        const auto code = static_cast<ErrorCode>(status.error_code());
        return failf(code, "the Coordinator at {} refused the key request ({}): {}", target,
                     error_code_name(code), message);
      }
    }
  }
  std::string* key = resp.mutable_key();
  if (key->empty()) {
    return failf(ErrorCode::kDataLoss, "the Coordinator at {} answered without a key", target);
  }
  FetchedKey out{
      SecretBytes(ByteSpan(reinterpret_cast<const std::uint8_t*>(key->data()), key->size())),
      resp.commit_counter()};
  secure_wipe(key->data(), key->size());
  return out;
}

}  // namespace

Result<FetchedKey> fetch_key(const std::string& target, attestation::PeerAttestation& attestation,
                             std::chrono::milliseconds deadline) {
  try {
    return fetch_key_impl(target, attestation, deadline);
  } catch (const std::exception& e) {  // gRPC/protobuf must not throw across the module edge
    return failf(ErrorCode::kInternal, "fetching the data key from the Coordinator at {}: {}",
                 target, one_line(e.what()));
  }
}

}  // namespace mr::api::grpc
