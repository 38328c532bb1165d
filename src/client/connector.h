#pragma once
// Connecting to a Coordinator the way the CLI trusts it (spec 11.3 plus a pinned certificate
// cache): fetch the quote without TLS verification, verify it (or recognise the cached root),
// pin the root on first use, refuse a changed root, and hand back a client whose TLS trusts
// exactly that root.
//
//   ConnectorOptions o{.address = addr, .cache_path = path, .verify = {&verifier, era}};
//   MR_ASSIGN_OR_RETURN(Connection c, connect_to_coordinator(o, TrustPurpose::kAttest));
//   MR_ASSIGN_OR_RETURN(ManifestInfo m, c.client->manifest());

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string_view>

#include "base/result.h"
#include "client/address.h"
#include "client/cert_cache.h"
#include "client/coordinator_client.h"
#include "client/tls_transport.h"
#include "client/verify.h"
#include "client/wait.h"

namespace mr::client {

// TrustPurpose says how much a command needs to know about the Coordinator.
enum class TrustPurpose {
  // kPinned: a Coordinator whose root is the cached one is trusted through the pin alone (the
  // quote is not verified again); on first contact it is verified and pinned. Upstream's
  // "cached certificate" commands: status, manifest log, update, secret.
  kPinned,
  // kAttest: the quote is verified whenever there is one, then the root is compared with the
  // cache (pinned on first contact); a simulation-mode Coordinator (no quote) whose root is the
  // cached one is trusted through the pin. Upstream's attesting commands: manifest
  // get/set/verify, certificate.
  kAttest,
  // kRecovery: the quote is verified, the cache is neither read nor written: a Coordinator in
  // recovery mode presents a temporary root until it is recovered.
  kRecovery,
  // kStatus: kPinned, except that a Coordinator in recovery mode (another root than the pinned
  // one, or none pinned yet) is verified like kRecovery and the cache is left alone; in
  // simulation mode a pinned cache counts as the consent --accept-simulation gives.
  kStatus,
};

enum class TrustMode {
  kVerify,
  kInsecure,  // no quote verification, no cache, no TLS verification
};

// TrustEvent says how the Connection's trust was established.
enum class TrustEvent { kFirstUse, kCachedRoot, kVerified, kInsecure };

using TransportFactory =
    std::function<Result<std::unique_ptr<HttpTransport>>(TlsTransportConfig config)>;

struct ConnectorOptions {
  CoordinatorAddress address;
  TrustMode mode = TrustMode::kVerify;
  std::filesystem::path cache_path;  // required for kVerify with kPinned/kAttest/kStatus
  CacheOrigin cache_origin = CacheOrigin::kDefault;  // whose file cache_path is (for advice)
  VerifyOptions verify;
  std::shared_ptr<const ClientIdentity> identity;  // user certificate for the trusted client
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds read_timeout{60};
  WaitOptions wait;  // retries of the first request while the Coordinator is unreachable
  TransportFactory make_transport = make_tls_transport;
  // notice receives one line for the user when trust is established on first use.
  std::function<void(std::string_view)> notice;
};

// Connection is a client for one Coordinator plus what was learnt on the way.
struct Connection {
  std::unique_ptr<CoordinatorClient> client;  // TLS pinned to certs.root_der (or insecure)
  CoordinatorCertificates certs;              // as the Coordinator presented them
  Bytes quote;                                // empty in simulation mode
  bool simulated = false;
  bool recovery_mode = false;  // kStatus found the Coordinator in recovery mode
  TrustEvent event = TrustEvent::kVerified;
};

// connect_to_coordinator establishes trust in the Coordinator at |options|.address for
// |purpose| (see TrustPurpose; with TrustMode::kInsecure nothing is checked and the cache is not
// used). Errors: the transport's or the Coordinator's error for the quote request, wrapped
// "getting the Coordinator's quote" (kUnavailable after |options|.wait ran out);
// verify_coordinator's errors; kDataLoss for an unreadable cache; root_changed_error when the
// root differs from the cached one, or kFailedPrecondition when that is because the Coordinator
// is in recovery mode (except for kStatus); CertificateCache::store's errors.
[[nodiscard]] Result<Connection> connect_to_coordinator(const ConnectorOptions& options,
                                                        TrustPurpose purpose);

}  // namespace mr::client
