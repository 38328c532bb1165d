#pragma once
// The Marble API's wire types (coordinator.proto) ⇄ core's domain types, and Error →
// grpc::Status. Internal to api/grpc.
//
//   core::ActivationRequest r = to_activation_request(*req, leaf_der_from_pem(pem));
//   auto a = handler(r);
//   return a ? (to_activation_resp(*a, *resp), ::grpc::Status::OK) : to_grpc_status(a.error());

#include <grpcpp/support/status.h>

#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "coordinator.pb.h"
#include "core/marble_api.h"

namespace mr::api::grpc {

// to_activation_request copies |req|'s fields into a domain request (the UUID as sent);
// |peer_cert_der| is the TLS peer's leaf certificate (empty if there is none).
[[nodiscard]] core::ActivationRequest to_activation_request(const rpc::ActivationReq& req,
                                                            Bytes peer_cert_der);

// to_activation_resp fills |resp| from |a|: Files and Env as bytes, Argv in order.
void to_activation_resp(const core::Activation& a, rpc::ActivationResp& resp);

// to_grpc_status maps |e| by identity: the same code number (ErrorCode values are gRPC's) and
// the same message. An error carrying kOk (a bug) becomes UNKNOWN, never OK.
[[nodiscard]] ::grpc::Status to_grpc_status(const Error& e);

// leaf_der_from_pem returns the DER of the first CERTIFICATE block of |pem| (gRPC's auth
// context reports the peer's leaf as "x509_pem_cert"), or empty if there is none. The DER is not
// parsed here: the Core hashes it as received, as upstream hashes tls.Certificate.Raw.
[[nodiscard]] Bytes leaf_der_from_pem(std::string_view pem);

}  // namespace mr::api::grpc
