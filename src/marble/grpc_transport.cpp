// The only translation unit of libmarble that sees gRPC and protobuf types.
#include "marble/grpc_transport.h"

#include <grpc/support/log.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>

#include "base/log.h"
#include "coordinator.grpc.pb.h"
#include "crypto/pem.h"

namespace mr::marble {
namespace {

const log::Logger kGrpcLog("grpc");

constexpr int kMaxResponseBytes = 64 << 20;  // activation answers carry whole files

std::atomic<GrpcLogging> g_grpc_logging{GrpcLogging::kDebugLog};

void forward_grpc_log(gpr_log_func_args* args) {
  if (g_grpc_logging.load() == GrpcLogging::kSilent || args == nullptr) return;
  kGrpcLog.debug(args->message ? args->message : "",
                 {{"file", args->file ? args->file : ""}, {"line", args->line}});
}

// one_line replaces line breaks so that every error stays a single line.
std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

// CheckOutcome records the server check's first refusal for one activate_once. Shared with the
// verifier, which gRPC owns and may still call (a connection attempt finishing late) or destroy
// after the call returned: once |closed|, the check (whose captures may be gone) is not run.
struct CheckOutcome {
  std::mutex mu;
  bool closed = false;
  std::optional<std::string> refusal;
};

// CloseOnExit closes a CheckOutcome when activate_once returns.
class CloseOnExit {
 public:
  explicit CloseOnExit(std::shared_ptr<CheckOutcome> outcome) : outcome_(std::move(outcome)) {}
  ~CloseOnExit() {
    if (!outcome_) return;
    std::scoped_lock lock(outcome_->mu);
    outcome_->closed = true;
  }
  CloseOnExit(const CloseOnExit&) = delete;
  CloseOnExit& operator=(const CloseOnExit&) = delete;

 private:
  std::shared_ptr<CheckOutcome> outcome_;
};

// ServerCheckVerifier runs a ServerCheck on the chain of every TLS handshake (synchronously; the
// check is a few signature verifications) and fails the handshake when it refuses.
class ServerCheckVerifier final : public grpc::experimental::ExternalCertificateVerifier {
 public:
  ServerCheckVerifier(ServerCheck check, std::shared_ptr<CheckOutcome> outcome)
      : check_(std::move(check)), outcome_(std::move(outcome)) {}

  bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)> /*callback*/, grpc::Status* sync_status) override {
    std::scoped_lock lock(outcome_->mu);
    std::string refusal;
    if (outcome_->closed) {
      refusal = "the activation call is over";
    } else {
      try {
        grpc::string_ref pem = request->peer_cert_full_chain();
        if (pem.empty()) pem = request->peer_cert();
        std::vector<Bytes> chain;
        for (crypto::PemBlock& b :
             crypto::pem_decode_all(std::string_view(pem.data(), pem.size()))) {
          if (b.type == "CERTIFICATE") chain.push_back(std::move(b.der));
        }
        if (const Status s = check_(chain); !s) refusal = one_line(s.error().message);
      } catch (const std::exception& e) {
        refusal = std::string("checking its certificate: ") + e.what();
      }
      if (!refusal.empty() && !outcome_->refusal) outcome_->refusal = refusal;
    }
    *sync_status = refusal.empty() ? grpc::Status::OK
                                   : grpc::Status(grpc::StatusCode::UNAUTHENTICATED, refusal);
    return true;
  }
  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest* /*request*/) override {}

 private:
  ServerCheck check_;
  std::shared_ptr<CheckOutcome> outcome_;
};

class GrpcTransport final : public ActivationTransport {
 public:
  explicit GrpcTransport(GrpcTransportOptions options) : options_(std::move(options)) {}

  Result<Parameters> activate(const ActivationRequest& request,
                              const ClientIdentity& identity) override {
    try {
      return activate_impl(request, identity);
    } catch (const std::exception& e) {  // gRPC/protobuf must not throw across the module edge
      return failf(ErrorCode::kInternal, "activating with the Coordinator at {}: {}",
                   options_.address, one_line(e.what()));
    }
  }

 private:
  // activate_impl retries while the Coordinator gives no answer at all: UNAVAILABLE (nothing
  // listening, or a listener restarting after an update) and CANCELLED (a call that reached a
  // server as it was shutting down, before its handler ran). Three more attempts, 100/300/900 ms
  // apart, within the deadline: an unreachable Coordinator still fails in about a second.
  Result<Parameters> activate_impl(const ActivationRequest& request,
                                   const ClientIdentity& identity) {
    const auto deadline = std::chrono::system_clock::now() + options_.timeout;
    std::chrono::milliseconds pause{100};
    for (int attempt = 0;; ++attempt) {
      grpc::StatusCode code = grpc::StatusCode::OK;
      auto r = activate_once(request, identity, deadline, code);
      const bool no_answer =
          code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::CANCELLED;
      if (r || !no_answer || attempt == 3 || std::chrono::system_clock::now() + pause >= deadline)
        return r;
      std::this_thread::sleep_for(pause);
      pause *= 3;
    }
  }

  Result<Parameters> activate_once(const ActivationRequest& request, const ClientIdentity& identity,
                                   std::chrono::system_clock::time_point deadline,
                                   grpc::StatusCode& code) {
    namespace gx = grpc::experimental;
    // The root is never used (server certificates are not verified) but must be a certificate,
    // else gRPC falls back to the system's roots and fails where there are none.
    auto provider = std::make_shared<gx::StaticDataCertificateProvider>(
        identity.cert_pem, std::vector<gx::IdentityKeyCertPair>{
                               {std::string(identity.key_pem.view()), identity.cert_pem}});
    gx::TlsChannelCredentialsOptions tls;
    tls.set_certificate_provider(provider);
    tls.watch_root_certs();
    tls.watch_identity_key_cert_pairs();
    // No chain verification against the (fake) root nor host name check by gRPC: upstream's
    // InsecureSkipVerify, or the server check below in its place.
    tls.set_verify_server_certs(false);
    tls.set_check_call_host(false);
    std::shared_ptr<CheckOutcome> outcome;
    if (options_.server_check) outcome = std::make_shared<CheckOutcome>();
    const CloseOnExit close_on_exit(outcome);
    if (outcome) {
      tls.set_certificate_verifier(gx::ExternalCertificateVerifier::Create<ServerCheckVerifier>(
          options_.server_check, outcome));
    } else {
      tls.set_certificate_verifier(std::make_shared<gx::NoOpCertificateVerifier>());
    }
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(kMaxResponseBytes);
    // A channel of its own subchannels: every connection this call uses was handshaken (and
    // checked) for it, none is shared with another channel of the process.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto channel = grpc::CreateCustomChannel(options_.address, gx::TlsCredentials(tls), args);
    auto stub = rpc::Marble::NewStub(channel);

    rpc::ActivationReq req;
    req.set_quote(request.quote.data(), request.quote.size());
    req.set_csr(request.csr_der.data(), request.csr_der.size());
    req.set_marbletype(request.marble_type);
    req.set_uuid(request.uuid);
    rpc::ActivationResp resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline);
    const grpc::Status status = stub->Activate(&ctx, req, &resp);
    code = status.error_code();
    if (!status.ok()) {
      if (outcome) {
        std::scoped_lock lock(outcome->mu);
        if (outcome->refusal) {
          code = grpc::StatusCode::UNAUTHENTICATED;  // a refused server is not retried
          return failf(ErrorCode::kUnauthenticated, "refusing the Coordinator at {}: {}",
                       options_.address, *outcome->refusal);
        }
      }
      return map_status(status);
    }
    if (!resp.has_parameters()) {
      return failf(ErrorCode::kInternal,
                   "the Coordinator at {} answered the activation without parameters",
                   options_.address);
    }
    const rpc::Parameters& p = resp.parameters();
    Parameters out;
    for (const auto& [k, v] : p.files())
      out.files.emplace(k, v);
    for (const auto& [k, v] : p.env())
      out.env.emplace(k, v);
    out.argv.assign(p.argv().begin(), p.argv().end());
    resp.Clear();
    return out;
  }

  tl::unexpected<Error> map_status(const grpc::Status& status) const {
    const auto code = static_cast<ErrorCode>(status.error_code());
    const std::string message = one_line(status.error_message());
    switch (status.error_code()) {
      case grpc::StatusCode::UNAVAILABLE:
        return failf(code,
                     "cannot reach the Coordinator at {} (connection or TLS handshake failed): {}",
                     options_.address, message);
      case grpc::StatusCode::DEADLINE_EXCEEDED:
        return failf(code, "the Coordinator at {} did not answer within {} ms: {}",
                     options_.address, options_.timeout.count(), message);
      default:
        return failf(code, "the Coordinator at {} refused the activation ({}): {}",
                     options_.address, error_code_name(code), message);
    }
  }

  GrpcTransportOptions options_;
};

}  // namespace

std::unique_ptr<ActivationTransport> make_grpc_transport(GrpcTransportOptions options) {
  return std::make_unique<GrpcTransport>(std::move(options));
}

void route_grpc_logging(GrpcLogging where) {
  g_grpc_logging = where;
  gpr_set_log_function(forward_grpc_log);
  gpr_set_log_verbosity(where == GrpcLogging::kSilent ? GPR_LOG_SEVERITY_ERROR
                                                      : GPR_LOG_SEVERITY_INFO);
}

}  // namespace mr::marble
