#include "api/grpc/conversion.h"

#include "crypto/pem.h"

namespace mr::api::grpc {

static_assert(static_cast<int>(ErrorCode::kInvalidArgument) ==
              ::grpc::StatusCode::INVALID_ARGUMENT);
static_assert(static_cast<int>(ErrorCode::kPermissionDenied) ==
              ::grpc::StatusCode::PERMISSION_DENIED);
static_assert(static_cast<int>(ErrorCode::kFailedPrecondition) ==
              ::grpc::StatusCode::FAILED_PRECONDITION);
static_assert(static_cast<int>(ErrorCode::kUnauthenticated) == ::grpc::StatusCode::UNAUTHENTICATED);
static_assert(static_cast<int>(ErrorCode::kInternal) == ::grpc::StatusCode::INTERNAL);
static_assert(static_cast<int>(ErrorCode::kAborted) == ::grpc::StatusCode::ABORTED);

core::ActivationRequest to_activation_request(const rpc::ActivationReq& req, Bytes peer_cert_der) {
  core::ActivationRequest r;
  r.quote = to_bytes(req.quote());
  r.csr_der = to_bytes(req.csr());
  r.marble_type = req.marbletype();
  r.uuid = req.uuid();
  r.peer_cert_der = std::move(peer_cert_der);
  return r;
}

void to_activation_resp(const core::Activation& a, rpc::ActivationResp& resp) {
  rpc::Parameters* p = resp.mutable_parameters();
  for (const auto& [path, content] : a.files)
    (*p->mutable_files())[path] = content;
  for (const auto& [name, value] : a.env)
    (*p->mutable_env())[name] = value;
  for (const auto& arg : a.argv)
    p->add_argv(arg);
}

::grpc::Status to_grpc_status(const Error& e) {
  const int code = static_cast<int>(e.code);
  if (code <= 0 || code > ::grpc::StatusCode::UNAUTHENTICATED) {
    return ::grpc::Status(::grpc::StatusCode::UNKNOWN, e.message);
  }
  return ::grpc::Status(static_cast<::grpc::StatusCode>(code), e.message);
}

Bytes leaf_der_from_pem(std::string_view pem) {
  std::string_view rest = pem;
  while (auto block = crypto::pem_decode_first(rest, &rest)) {
    if (block->type == "CERTIFICATE") return std::move(block->der);
  }
  return {};
}

}  // namespace mr::api::grpc
