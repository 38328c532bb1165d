#pragma once
// Definitions of the opaque Impl structs behind crypto/keys.h and crypto/x509.h, plus helpers
// shared by the OpenSSL implementation files. Internal to crypto/openssl.

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/openssl/ossl.h"
#include "crypto/x509.h"

namespace mr::crypto {

struct PublicKey::Impl {
  ossl::Ptr<EVP_PKEY> pkey;  // public components only
  Bytes der;                 // PKIX SubjectPublicKeyInfo
  KeyType type = KeyType::kEc;
  Curve curve = Curve::kNone;
  unsigned bits = 0;
};

struct PrivateKey::Impl {
  Impl(ossl::Ptr<EVP_PKEY> k, PublicKey pub) : pkey(std::move(k)), public_key(std::move(pub)) {}
  ossl::Ptr<EVP_PKEY> pkey;  // EVP_PKEY_free clears the private components
  PublicKey public_key;
};

// Certificate::Impl holds every field decoded once, with Go's semantics (Certificate::from_der,
// or create_certificate from the certificate it built), and the X509 for OpenSSL's operations.
// |fields| is what to_template() returns.
struct Certificate::Impl {
  // |parsed| is the X509 parsed from |d|, or null: then x509() parses |d| on first use (for the
  // certificates create_certificate makes, most of which never reach an OpenSSL operation, and
  // OpenSSL 3.0 decodes the public key of every parsed certificate with a costly decoder).
  Impl(ossl::Ptr<X509> parsed, Bytes d, PublicKey pub)
      : der(std::move(d)), public_key(std::move(pub)), parsed_(std::move(parsed)) {}
  // x509 returns the certificate parsed from |der| (never null: |der| was parsed or made here).
  [[nodiscard]] X509* x509() const;
  Bytes der;
  PublicKey public_key;
  Bytes raw_subject, raw_issuer;  // DER of the Name fields, as in the certificate
  DistinguishedName issuer;
  Bytes serial;  // big-endian magnitude (empty for 0)
  CertTemplate fields;
  std::vector<Extension> extensions;

 private:
  mutable std::once_flag parse_once_;
  mutable ossl::Ptr<X509> parsed_;
};

namespace detail {

// is_insecure_signature_algorithm reports whether |go_alg| (Go's x509.SignatureAlgorithm) is one
// Go refuses: MD2/MD5/SHA-1 with RSA, DSA, and ECDSA with SHA-1.
[[nodiscard]] constexpr bool is_insecure_signature_algorithm(int go_alg) {
  return go_alg == 1 || go_alg == 2 || go_alg == 3 || go_alg == 7 || go_alg == 8 || go_alg == 9;
}

// invalid clears the OpenSSL error queue (the failure was expected input validation) and returns
// kInvalidArgument |message|.
inline tl::unexpected<Error> invalid(std::string message) {
  ossl::clear_errors();
  return fail(ErrorCode::kInvalidArgument, std::move(message));
}

// --- keys (keys.cpp) ---
// make_public_key wraps a key holding at least public components; kInvalidArgument for
// unsupported key types or curves. It runs OpenSSL's encoder and decoder: prefer the two below.
[[nodiscard]] Result<PublicKey> make_public_key(const EVP_PKEY* pkey);
// public_key_from_spki wraps the key of a parsed SubjectPublicKeyInfo (a certificate's or a
// CSR's) without re-encoding it; EC keys must name their curve, as Go requires.
[[nodiscard]] Result<PublicKey> public_key_from_spki(const X509_PUBKEY* spki);
// keyless_libctx is a library context with only the null provider: a structure parsed in it
// (ASN1_item_d2i_ex) keeps its SubjectPublicKeyInfo as ASN.1, without the decoder chain OpenSSL
// 3.0 builds for every key it parses. Never use it for anything but parsing.
[[nodiscard]] OSSL_LIB_CTX* keyless_libctx();
// public_key_from_named_curve_spki imports the key of |spki| when it is an uncompressed point
// on a named curve this package supports (the common case, without a decoder chain); nullopt
// for anything else, which public_key_from_spki on a normally parsed structure must judge.
[[nodiscard]] std::optional<PublicKey> public_key_from_named_curve_spki(const X509_PUBKEY* spki);
// set_spki writes |key| into |dst| (a certificate's or CSR's key field) as ASN.1 only, leaving
// the field's decoded key unset: for structures that are signed, encoded and then discarded.
[[nodiscard]] Status set_spki(X509_PUBKEY* dst, const PublicKey& key);
// make_private_key wraps a private key; kInvalidArgument for unsupported types.
[[nodiscard]] Result<PrivateKey> make_private_key(ossl::Ptr<EVP_PKEY> pkey);
// spki_key_bytes returns the subjectPublicKey BIT STRING contents (no unused-bits octet).
[[nodiscard]] Bytes spki_key_bytes(const PublicKey& key);

// --- certificates (x509.cpp) ---
// certificate_from_x509 decodes the fields of |x| (whose encoding is |der|) with Go's checks;
// |keep| says whether |x| is a parsed certificate to keep for OpenSSL's operations (otherwise
// it is dropped and the Certificate parses |der| when first needed). |public_key| is the key
// of |x|'s SubjectPublicKeyInfo.
[[nodiscard]] Result<Certificate> certificate_from_x509(ossl::Ptr<X509> x, Bytes der,
                                                        PublicKey public_key, bool keep);

// --- hashing (hash.cpp) ---
[[nodiscard]] const EVP_MD* md_for(HashAlg alg);
// sha1 is used only for Go's SubjectKeyId derivation.
[[nodiscard]] Bytes sha1(ByteSpan data);

// --- X.509 building blocks (x509_common.cpp) ---
// encode_name returns the DER of a Name exactly as Go's pkix.Name.ToRDNSequence + asn1.Marshal.
[[nodiscard]] Result<Bytes> encode_name(const DistinguishedName& name);
// parse_name decodes a Name DER like Go's FillFromRDNSequence; attributes of unknown type with
// string values go to extra_names (so that re-encoding keeps them).
[[nodiscard]] Result<DistinguishedName> parse_name(ByteSpan der);
// make_time encodes UTCTime for 1950–2049 and GeneralizedTime otherwise (RFC 5280, as Go).
[[nodiscard]] Result<ossl::Ptr<ASN1_TIME>> make_time(UnixTime t);
[[nodiscard]] Result<UnixTime> parse_time(const ASN1_TIME* t);
// days_from_civil counts days since 1970-01-01 for a proleptic Gregorian date.
[[nodiscard]] long long days_from_civil(long long y, unsigned m, unsigned d);

// SigAlg is a resolved Go x509.SignatureAlgorithm.
struct SigAlg {
  int go_value = 0;
  const EVP_MD* md = nullptr;  // null for Ed25519
  bool pss = false;
};
// resolve_sig_alg picks the signature algorithm for |signer| (Go's signingParamsForPublicKey).
[[nodiscard]] Result<SigAlg> resolve_sig_alg(const PublicKey& signer, int requested);
// sig_alg_from_der maps a DER AlgorithmIdentifier to Go's enum (0 = unknown).
[[nodiscard]] int sig_alg_from_der(ByteSpan algorithm_identifier);
// sign_ctx returns a digest-sign context for |alg| (PSS: salt = digest length, MGF1 = digest).
[[nodiscard]] Result<ossl::Ptr<EVP_MD_CTX>> sign_ctx(const PrivateKey& key, const SigAlg& alg);

// Sans are the four GeneralName kinds Go handles.
struct Sans {
  std::vector<std::string> dns, emails, uris;
  std::vector<IpAddress> ips;
};
// encode_sans returns the SubjectAltName extnValue (Go's marshalSANs, IA5 checked).
[[nodiscard]] Result<Bytes> encode_sans(const std::vector<std::string>& dns,
                                        const std::vector<std::string>& emails,
                                        const std::vector<IpAddress>& ips,
                                        const std::vector<std::string>& uris);
// parse_sans decodes a SubjectAltName extnValue (Go's parseSANExtension).
[[nodiscard]] Result<Sans> parse_sans(ByteSpan value);
// ip_san_bytes returns the 4-byte form for IPv4 (including IPv4-mapped IPv6), else 16 bytes.
[[nodiscard]] Bytes ip_san_bytes(const IpAddress& ip);

// make_extension builds an X509_EXTENSION whose extnValue contents are exactly |value|.
[[nodiscard]] Result<ossl::Ptr<X509_EXTENSION>> make_extension(const Extension& ext);
// read_extension copies an extension out (OID in dotted form, raw extnValue contents).
[[nodiscard]] Extension read_extension(const X509_EXTENSION* ext);

// oid_text returns the dotted form of an ASN1_OBJECT.
[[nodiscard]] std::string oid_text(const ASN1_OBJECT* obj);

// ext_key_usage_oid maps Go's ExtKeyUsage to its OID; nullopt for unknown values.
[[nodiscard]] std::optional<Oid> ext_key_usage_oid(ExtKeyUsage usage);
[[nodiscard]] std::optional<ExtKeyUsage> ext_key_usage_from_oid(std::string_view oid);

// Well-known extension OIDs.
inline constexpr std::string_view kOidSubjectKeyId = "2.5.29.14";
inline constexpr std::string_view kOidKeyUsage = "2.5.29.15";
inline constexpr std::string_view kOidSubjectAltName = "2.5.29.17";
inline constexpr std::string_view kOidBasicConstraints = "2.5.29.19";
inline constexpr std::string_view kOidNameConstraints = "2.5.29.30";
inline constexpr std::string_view kOidCrlDistributionPoints = "2.5.29.31";
inline constexpr std::string_view kOidCertificatePolicies = "2.5.29.32";
inline constexpr std::string_view kOidAuthorityKeyId = "2.5.29.35";
inline constexpr std::string_view kOidExtKeyUsage = "2.5.29.37";
inline constexpr std::string_view kOidAuthorityInfoAccess = "1.3.6.1.5.5.7.1.1";
inline constexpr std::string_view kOidAiaOcsp = "1.3.6.1.5.5.7.48.1";
inline constexpr std::string_view kOidAiaIssuers = "1.3.6.1.5.5.7.48.2";

}  // namespace detail
}  // namespace mr::crypto
