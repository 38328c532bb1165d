#pragma once
// OpenSSL's process-wide configuration for the Coordinator. No OpenSSL types here.
//
//   int main() {
//     if (auto s = crypto::configure_openssl(); !s) { ... exit ... }   // before any TLS use
//   }

#include "base/result.h"

namespace mr::crypto {

// configure_openssl initialises OpenSSL without reading the host's configuration
// (OPENSSL_CONF, the system openssl.cnf: files and environment the host controls, which could
// lower TLS settings or load modules) and applies a fixed one instead: TLS 1.3 session tickets
// off on every server context, including those gRPC creates (Marbles never resume a session,
// and each ticket re-parses the client's certificate). Call it once, first thing in main, before
// anything else uses OpenSSL; a later call, or one after OpenSSL was initialised, changes
// nothing. kInternal if OpenSSL refuses the configuration.
[[nodiscard]] Status configure_openssl();

}  // namespace mr::crypto
