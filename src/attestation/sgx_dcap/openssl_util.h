#pragma once
// OpenSSL helpers shared by the DCAP verifier and the simulated DCAP PKI (adapter code only).
//
//   MR_ASSIGN_OR_RETURN(auto key, p256_public_key_from_raw(quote.attestation_key));
//   MR_RETURN_IF_ERROR(verify_p256_raw(key.get(), signed_bytes, quote.signature));

#include <openssl/x509.h>

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"
#include "crypto/openssl/ossl.h"

namespace mr::attestation::dcap {

// sha256_digest hashes |data| with OpenSSL's one-shot SHA-256.
[[nodiscard]] std::array<std::uint8_t, 32> sha256_digest(ByteSpan data);

// p256_public_key_from_raw builds a P-256 public key from x ‖ y (64 bytes).
// kInvalidArgument if the point is not on the curve.
[[nodiscard]] Result<ossl::Ptr<EVP_PKEY>> p256_public_key_from_raw(ByteSpan xy);

// p256_public_key_to_raw returns x ‖ y of a P-256 key. kInvalidArgument for another key type.
[[nodiscard]] Result<std::array<std::uint8_t, 64>> p256_public_key_to_raw(EVP_PKEY* key);

// verify_p256_raw checks an ECDSA-SHA256 signature given as r ‖ s (64 bytes) over |message|.
// kPermissionDenied "signature verification failed" if it does not verify.
[[nodiscard]] Status verify_p256_raw(EVP_PKEY* key, ByteSpan message, ByteSpan signature_rs);

// sign_p256_raw signs |message| with ECDSA-SHA256 and returns r ‖ s (64 bytes).
[[nodiscard]] Result<std::array<std::uint8_t, 64>> sign_p256_raw(EVP_PKEY* key, ByteSpan message);

// generate_p256_key creates a fresh P-256 key pair.
[[nodiscard]] Result<ossl::Ptr<EVP_PKEY>> generate_p256_key();

// parse_pem_certificates parses every CERTIFICATE block of |pem| in order. kInvalidArgument if
// there is none or one is malformed.
[[nodiscard]] Result<std::vector<ossl::Ptr<X509>>> parse_pem_certificates(std::string_view pem);

// parse_der_certificate parses one DER certificate. kInvalidArgument if malformed.
[[nodiscard]] Result<ossl::Ptr<X509>> parse_der_certificate(ByteSpan der);

// parse_der_crl parses a DER CRL. kInvalidArgument if malformed.
[[nodiscard]] Result<ossl::Ptr<X509_CRL>> parse_der_crl(ByteSpan der);

// asn1_time_to_unix converts an ASN1_TIME. kInvalidArgument if it cannot be parsed.
[[nodiscard]] Result<UnixTime> asn1_time_to_unix(const ASN1_TIME* t);

// certificate_der returns the DER encoding of |cert|.
[[nodiscard]] Bytes certificate_der(X509* cert);

}  // namespace mr::attestation::dcap
