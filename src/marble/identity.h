#pragma once
// The Marble's own TLS identity, before activation (spec 2.3 steps 1 and 3): a fresh P-384 key,
// a self-signed certificate "CN=MarbleRun Marble" presented to the Coordinator as client
// certificate (and whose SHA-256 the quote binds), and a CSR over the same key.
//
//   MR_ASSIGN_OR_RETURN(MarbleIdentity id, create_identity({"localhost", "10.0.0.7"},
//   clock.now()));
//   // id.cert: DNS [localhost], IP [10.0.0.7, 127.0.0.1, ::1]
//   // id.csr_der: empty subject, DNS [localhost], IP [127.0.0.1, ::1, 10.0.0.7]

#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/ip_address.h"
#include "base/result.h"
#include "crypto/keys.h"
#include "crypto/x509.h"

namespace mr::marble {

// kMarbleCommonName is the subject CN of the self-signed certificate.
inline constexpr const char* kMarbleCommonName = "MarbleRun Marble";

// SanNames is a list of names split the way EDG_MARBLE_DNS_NAMES is (spec 1.3).
struct SanNames {
  std::vector<std::string> dns;  // entries that are not IP addresses, in order
  std::vector<IpAddress> ips;    // entries that parse as IPv4/IPv6, in order
};

// split_san_names puts every entry of |names| that parses as an IP address into ips and every
// other entry into dns, keeping the order. Entries are used as given (no trimming).
[[nodiscard]] SanNames split_san_names(const std::vector<std::string>& names);

struct MarbleIdentity {
  crypto::PrivateKey key;
  crypto::Certificate cert;  // self-signed, CN=MarbleRun Marble
  Bytes csr_der;             // PKCS#10 over the same key, empty subject
};

// create_identity generates the key, the self-signed certificate (random 128-bit serial,
// NotBefore |now|, NotAfter |now| + kGoMaxDuration, DNS SANs, IP SANs = [IP entries...,
// 127.0.0.1, ::1], KeyUsage DigitalSignature|KeyAgreement, EKU serverAuth+clientAuth,
// BasicConstraints CA=false) and the CSR (DNS SANs, IP SANs = [127.0.0.1, ::1, IP entries...]).
// kInvalidArgument if an entry of |names| is empty; kInternal if the crypto library fails.
[[nodiscard]] Result<MarbleIdentity> create_identity(const std::vector<std::string>& names,
                                                     UnixTime now);

}  // namespace mr::marble
