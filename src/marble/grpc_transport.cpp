// The only translation unit of libmarble that sees gRPC and protobuf types.
#include "marble/grpc_transport.h"

#include <grpc/support/log.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "base/log.h"
#include "coordinator.grpc.pb.h"

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
    tls.set_verify_server_certs(false);  // upstream's InsecureSkipVerify
    tls.set_certificate_verifier(std::make_shared<gx::NoOpCertificateVerifier>());
    tls.set_check_call_host(false);
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(kMaxResponseBytes);
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
    if (!status.ok()) return map_status(status);
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
