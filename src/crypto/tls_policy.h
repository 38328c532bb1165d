#pragma once
// The TLS policy of every listener, as suite names (OpenSSL spelling) and without OpenSSL types,
// so that adapters which cannot reach an SSL_CTX (gRPC) can check a configured list against it.
// The OpenSSL side that applies it to a context is crypto/openssl/tls_policy.h.
//
//   TLS 1.3: every suite (all are AEAD with ephemeral key exchange).
//   TLS 1.2: only ECDHE key exchange with an AEAD cipher (AES-GCM, CHACHA20-POLY1305).
//   Refused: TLS 1.1 and older, CBC suites (SHA-1 or SHA-2 MACs), RSA key exchange, DHE,
//   static (EC)DH, 3DES/RC4, PSK/SRP/anonymous suites; compression and renegotiation.

#include <algorithm>
#include <iterator>
#include <string>
#include <string_view>

namespace mr::crypto {

// kTls12CipherSuites are the TLS 1.2 suites a listener may negotiate, in server preference.
inline constexpr std::string_view kTls12CipherSuites[] = {
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES256-GCM-SHA384",   "ECDHE-RSA-CHACHA20-POLY1305",
};

// kTls13CipherSuites are the TLS 1.3 suites (OpenSSL's default set), in server preference.
inline constexpr std::string_view kTls13CipherSuites[] = {
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
};

// tls_policy_allows_suite reports whether |openssl_name| (TLS 1.2 or 1.3) is one of the above.
[[nodiscard]] inline bool tls_policy_allows_suite(std::string_view openssl_name) {
  const auto in = [&](const auto& list) {
    return std::find(std::begin(list), std::end(list), openssl_name) != std::end(list);
  };
  return in(kTls12CipherSuites) || in(kTls13CipherSuites);
}

// tls_suite_list joins a list with ':' (OpenSSL's cipher-string syntax).
template <class List>
[[nodiscard]] std::string tls_suite_list(const List& list) {
  std::string out;
  for (std::string_view s : list) {
    if (!out.empty()) out += ':';
    out += s;
  }
  return out;
}

}  // namespace mr::crypto
