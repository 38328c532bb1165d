#include "client/connector.h"

#include <fmt/format.h>

#include "client/cert_cache.h"
#include "crypto/x509.h"

namespace mr::client {
namespace {

Result<std::unique_ptr<CoordinatorClient>> make_client(const ConnectorOptions& o,
                                                       std::optional<Bytes> pinned_root,
                                                       std::shared_ptr<const ClientIdentity> id) {
  TlsTransportConfig c;
  c.address = o.address;
  c.pinned_root_der = std::move(pinned_root);
  c.identity = std::move(id);
  c.connect_timeout = o.connect_timeout;
  c.read_timeout = o.read_timeout;
  MR_ASSIGN_OR_RETURN(std::unique_ptr<HttpTransport> t, o.make_transport(std::move(c)));
  return std::make_unique<CoordinatorClient>(std::move(t));
}

// signed_by reports whether |cert_der| carries a valid signature of |issuer_der|'s key.
bool signed_by(ByteSpan cert_der, ByteSpan issuer_der) {
  auto cert = crypto::Certificate::from_der(cert_der);
  auto issuer = crypto::Certificate::from_der(issuer_der);
  return cert && issuer && cert->check_signature_from(issuer->public_key()).has_value();
}

std::string short_fingerprint(ByteSpan der) {
  return certificate_fingerprint(der).substr(0, 16);
}

}  // namespace

Result<Connection> connect_to_coordinator(const ConnectorOptions& o, TrustPurpose purpose) {
  // 1. The quote and certificate chain, before any trust: TLS unverified.
  MR_ASSIGN_OR_RETURN(std::unique_ptr<CoordinatorClient> probe,
                      make_client(o, std::nullopt, nullptr));
  MR_ASSIGN_OR_RETURN(CoordinatorQuote quote,
                      retry_while_unavailable(o.wait, [&] {
                        return probe->quote(o.verify.nonce);
                      }).map_error(Wrap("getting the Coordinator's quote")));

  Connection c;
  c.quote = quote.quote;
  c.simulated = quote.quote.empty();
  if (o.mode == TrustMode::kInsecure) {
    MR_ASSIGN_OR_RETURN(c.certs, split_certificate_chain(quote.cert_chain_pem));
    MR_ASSIGN_OR_RETURN(c.client, make_client(o, std::nullopt, o.identity));
    c.event = TrustEvent::kInsecure;
    return c;
  }

  if (purpose == TrustPurpose::kRecovery) {
    MR_ASSIGN_OR_RETURN(VerifiedCoordinator v, verify_coordinator(quote, o.verify));
    c.certs = std::move(v.certs);
    MR_ASSIGN_OR_RETURN(c.client, make_client(o, c.certs.root_der, o.identity));
    return c;
  }

  // 2. Compare with the pinned root.
  MR_ASSIGN_OR_RETURN(CoordinatorCertificates presented,
                      split_certificate_chain(quote.cert_chain_pem));
  const CertificateCache cache(o.cache_path);
  MR_ASSIGN_OR_RETURN(std::optional<CoordinatorCertificates> cached, cache.load());
  const bool unpinned = !cached || cached->root_der != presented.root_der;
  if (unpinned && (cached || purpose == TrustPurpose::kStatus)) {
    auto status = probe->status();
    const bool recovering = status && status->code == 1;
    if (recovering && purpose == TrustPurpose::kStatus) {
      // Status in recovery mode: the temporary root is verified, never pinned.
      VerifyOptions v = o.verify;
      if (cached) v.simulation = SimulationPolicy::kAccept;  // consent given when pinned
      MR_ASSIGN_OR_RETURN(VerifiedCoordinator verified, verify_coordinator(quote, v));
      c.certs = std::move(verified.certs);
      c.recovery_mode = true;
      MR_ASSIGN_OR_RETURN(c.client, make_client(o, c.certs.root_der, o.identity));
      return c;
    }
    if (recovering) {
      const std::string advice =
          o.cache_origin == CacheOrigin::kDefault
              ? fmt::format(
                    "if its old state is given up for good, remove {} and run the command "
                    "again",
                    o.cache_path.string())
              : fmt::format(
                    "if its old state is given up for good, give --coordinator-cert a new "
                    "file name");
      return failf(ErrorCode::kFailedPrecondition,
                   "the Coordinator at {} is in recovery mode: it presents a temporary root "
                   "certificate (SHA-256 {}), not the one pinned in {}. Recover it to get its "
                   "root back (marblerun recover); {}",
                   o.address.to_string(), certificate_fingerprint(presented.root_der),
                   o.cache_path.string(), advice);
    }
    if (cached) {
      return fail(
          root_changed_error(o.cache_path, cached->root_der, presented.root_der, o.cache_origin));
    }
  }

  // A known root is trusted through the pin alone for kPinned; for kAttest too when there is
  // no quote to check (simulation mode: consent was given when the root was pinned).
  if (cached && (purpose != TrustPurpose::kAttest || quote.quote.empty())) {
    // Known root: the pin is the trust. A new intermediate (after an update) replaces the
    // cached one only if the pinned root signed it.
    if (cached->intermediate_der != presented.intermediate_der &&
        signed_by(presented.intermediate_der, cached->root_der)) {
      MR_RETURN_IF_ERROR(cache.store(presented));
    }
    c.certs = std::move(presented);
    c.event = TrustEvent::kCachedRoot;
    MR_ASSIGN_OR_RETURN(c.client, make_client(o, c.certs.root_der, o.identity));
    return c;
  }

  // 3. Verify, then pin.
  MR_ASSIGN_OR_RETURN(VerifiedCoordinator v, verify_coordinator(quote, o.verify));
  c.certs = std::move(v.certs);
  if (!cached) {
    MR_RETURN_IF_ERROR(cache.store(c.certs));
    c.event = TrustEvent::kFirstUse;
    if (o.notice) {
      o.notice(fmt::format(
          "First contact with the Coordinator at {}: {}; its root certificate (SHA-256 {}...) is "
          "now pinned in {}, and a Coordinator with another root will be refused.",
          o.address.to_string(),
          c.simulated ? "NOT attested (simulation mode accepted)" : "quote verified",
          short_fingerprint(c.certs.root_der), o.cache_path.string()));
    }
  } else if (cached->intermediate_der != c.certs.intermediate_der) {
    MR_RETURN_IF_ERROR(cache.store(c.certs));
  }
  MR_ASSIGN_OR_RETURN(c.client, make_client(o, c.certs.root_der, o.identity));
  return c;
}

}  // namespace mr::client
