#pragma once
// The gRPC ActivationTransport: rpc.Marble/Activate over TLS (spec 2.2) with the Marble's
// self-signed certificate as client certificate. By default the Coordinator's certificate is
// NOT verified (upstream's InsecureSkipVerify): the Marble has no trust anchor, and trust flows
// the other way (the quote binds the client certificate). With a server_check (activate() sets
// one when the Coordinator root is pinned, marble/coordinator_pin.h) every TLS handshake hands
// it the chain the server presented, and a refusal fails the handshake. No gRPC type appears in
// this header.
//
//   auto transport = make_grpc_transport({.address = "localhost:2001"});
//   MR_ASSIGN_OR_RETURN(Parameters p, transport->activate(request, identity));

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "marble/transport.h"

namespace mr::marble {

// ServerCheck inspects the certificate chain a server presented in the TLS handshake (DER, in
// the order sent: the leaf, whose key the handshake proved, first). An error refuses the server.
// It runs on gRPC's threads, one call at a time, and only while an activate() call is running
// (a handshake finishing after that is refused without it).
using ServerCheck = std::function<Status(const std::vector<Bytes>& chain_der)>;

struct GrpcTransportOptions {
  std::string address = "localhost:2001";    // gRPC target ("host:port", dns: resolver)
  std::chrono::milliseconds timeout{30000};  // deadline of the whole call
  ServerCheck server_check = {};             // empty: the server is not verified (upstream)
};

// make_grpc_transport returns a transport that opens one channel per activate() call. While the
// Coordinator gives no answer at all (UNAVAILABLE, or CANCELLED by a server shutting down, e.g.
// its listener restarting after an update) it retries three more times, 100/300/900 ms apart,
// within the deadline; a call the Coordinator answered is never repeated, nor one whose server
// the server_check refused. Its errors: kUnauthenticated "refusing the Coordinator at <address>:
// <the check's message>"; kUnavailable "cannot reach the Coordinator at <address> (connection
// or TLS handshake failed): <gRPC message>"; kDeadlineExceeded "the Coordinator at <address> did
// not answer within <n> ms: ..."; the Coordinator's own refusals as "the Coordinator at
// <address> refused the activation (<CODE>): <message>" under the same code; kInternal for an
// answer without Parameters.
[[nodiscard]] std::unique_ptr<ActivationTransport> make_grpc_transport(
    GrpcTransportOptions options);

// GrpcLogging says where the gRPC library's own log lines go (it writes to stderr by default).
enum class GrpcLogging { kDebugLog, kSilent };

// route_grpc_logging sends gRPC's log lines to the "grpc" logger at debug level (kDebugLog) or
// drops them (kSilent). Process-wide; call once before the first activation.
void route_grpc_logging(GrpcLogging where);

}  // namespace mr::marble
