#pragma once
// The Coordinator's certificate authority (spec 8): root, intermediate and the Marble root (the
// self-signed sibling of the intermediate, sharing its key and subject), Marble leaf
// certificates, and intermediate rotation on updates.
//
//   MR_ASSIGN_OR_RETURN(CaSet ca, generate_ca({"localhost", "10.0.0.1"}, clock.now()));
//   MR_ASSIGN_OR_RETURN(auto leaf, issue_marble_certificate(ca, csr, uuid, "backend", key, now));

#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "base/uuid.h"
#include "crypto/keys.h"
#include "crypto/x509.h"

namespace mr::core {

inline constexpr std::string_view kRootCommonName = "MarbleRun Coordinator";
inline constexpr std::string_view kIntermediateCommonName =
    "MarbleRun Coordinator - Intermediate CA";
// kMarbleTypeOid is the extension carrying the Marble type (raw UTF-8 bytes) in leaf certs.
inline constexpr std::string_view kMarbleTypeOid = "1.3.9903.2.1";

struct CaSet {
  crypto::Certificate root;
  crypto::PrivateKey root_key;
  crypto::Certificate intermediate;
  crypto::PrivateKey intermediate_key;
  crypto::Certificate marble_root;  // self-signed with intermediate_key
};

// SanSet splits EDG_COORDINATOR_DNS_NAMES-style entries: each entry that parses as an IP becomes
// an IP SAN, everything else a DNS SAN (no trimming, as upstream).
struct SanSet {
  std::vector<std::string> dns_names;
  std::vector<IpAddress> ips;
};
[[nodiscard]] SanSet split_sans(const std::vector<std::string>& names);

// generate_ca creates a fresh root, intermediate and Marble root (P-384, ~292-year validity,
// random 128-bit serials). Root SANs: the DNS names, then IPs 127.0.0.1, ::1 and the IP
// entries of |names|. kInternal if key generation fails.
[[nodiscard]] Result<CaSet> generate_ca(const std::vector<std::string>& names, UnixTime now);

// Which SANs a rotated intermediate carries: a package update copies only the root's DNS names;
// a full manifest update also its non-loopback IPs (upstream behaviour).
enum class RotationSans { kDnsOnly, kDnsAndNonLoopbackIps };

// rotate_intermediate returns |ca| with a new intermediate key, intermediate certificate (signed
// by the root) and Marble root certificate; the root is unchanged.
[[nodiscard]] Result<CaSet> rotate_intermediate(const CaSet& ca, RotationSans sans, UnixTime now);

// issue_marble_certificate issues a Marble's leaf (spec 8.4) for |public_key| (a key the
// Coordinator generated, not the CSR's): subject = CSR subject with CN = canonical UUID and no
// Organization; SANs from the CSR; KeyUsage DigitalSignature|KeyAgreement; EKU server+client;
// CA=false; the raw Marble type in extension 1.3.9903.2.1; signed by the intermediate key with
// the Marble root as issuer.
[[nodiscard]] Result<crypto::Certificate> issue_marble_certificate(
    const CaSet& ca, const crypto::CsrInfo& csr, const Uuid& uuid, std::string_view marble_type,
    const crypto::PublicKey& public_key, UnixTime now);

}  // namespace mr::core
