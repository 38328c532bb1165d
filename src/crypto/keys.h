#pragma once
// Asymmetric keys behind opaque handles (no OpenSSL types here; see crypto/openssl/).
//
//   MR_ASSIGN_OR_RETURN(auto key, PrivateKey::generate(KeySpec::ec(Curve::kP384)));
//   Bytes pkix = key.public_key().to_der();
//   SecretBytes pkcs8 = key.to_pkcs8_der();

#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace mr::crypto {

enum class KeyType { kEc, kRsa, kEd25519 };
enum class Curve { kNone, kP224, kP256, kP384, kP521 };

// KeySpec names a key to generate.
struct KeySpec {
  KeyType type = KeyType::kEc;
  Curve curve = Curve::kP384;  // kEc only
  unsigned rsa_bits = 0;       // kRsa only

  static KeySpec ec(Curve c) { return {KeyType::kEc, c, 0}; }
  static KeySpec rsa(unsigned bits) { return {KeyType::kRsa, Curve::kNone, bits}; }
  static KeySpec ed25519() { return {KeyType::kEd25519, Curve::kNone, 0}; }
};

// curve_for_bits maps MarbleRun's cert-ecdsa Size (224/256/384/521) to a curve; kNone otherwise.
[[nodiscard]] Curve curve_for_bits(unsigned bits);

// PublicKey is an immutable, cheaply copyable public key.
class PublicKey {
 public:
  struct Impl;
  // from_der parses a PKIX SubjectPublicKeyInfo. kInvalidArgument if malformed or unsupported.
  [[nodiscard]] static Result<PublicKey> from_der(ByteSpan pkix);
  // from_pem parses the first PEM block, which must be of type "PUBLIC KEY".
  [[nodiscard]] static Result<PublicKey> from_pem(std::string_view pem);

  // to_der returns the PKIX SubjectPublicKeyInfo DER.
  [[nodiscard]] const Bytes& to_der() const;
  // to_pem returns a "PUBLIC KEY" PEM block ending in '\n'.
  [[nodiscard]] std::string to_pem() const;
  [[nodiscard]] KeyType type() const;
  [[nodiscard]] Curve curve() const;
  // bits is the modulus size for RSA and the field size for EC (255 for Ed25519).
  [[nodiscard]] unsigned bits() const;
  friend bool operator==(const PublicKey& a, const PublicKey& b) {
    return a.to_der() == b.to_der();
  }

  explicit PublicKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  [[nodiscard]] const Impl& impl() const { return *impl_; }

 private:
  std::shared_ptr<const Impl> impl_;
};

// PrivateKey is an immutable private key handle; copies share the key (freed with cleansing).
class PrivateKey {
 public:
  struct Impl;
  // generate creates a fresh key. kInvalidArgument for an unsupported spec (e.g. RSA < 1024 bits,
  // as Go refuses them), kInternal if the library fails.
  [[nodiscard]] static Result<PrivateKey> generate(const KeySpec& spec);
  // from_pkcs8_der parses PKCS#8 PrivateKeyInfo DER.
  [[nodiscard]] static Result<PrivateKey> from_pkcs8_der(ByteSpan der);
  // from_sec1_der parses an RFC 5915 "EC PRIVATE KEY" DER (MarbleRun's store format for CA keys).
  [[nodiscard]] static Result<PrivateKey> from_sec1_der(ByteSpan der);
  // from_pem parses the first PEM block of type "PRIVATE KEY", "RSA PRIVATE KEY" or
  // "EC PRIVATE KEY". Errors never echo the input.
  [[nodiscard]] static Result<PrivateKey> from_pem(std::string_view pem);

  // to_pkcs8_der returns PKCS#8 DER (Go's x509.MarshalPKCS8PrivateKey).
  [[nodiscard]] SecretBytes to_pkcs8_der() const;
  // to_sec1_der returns RFC 5915 DER with the named-curve parameters and the public key, as
  // Go's x509.MarshalECPrivateKey does. EC keys only (kInvalidArgument otherwise).
  [[nodiscard]] Result<SecretBytes> to_sec1_der() const;
  // to_pem returns a PKCS#8 "PRIVATE KEY" PEM block.
  [[nodiscard]] SecretBytes to_pem() const;
  [[nodiscard]] PublicKey public_key() const;
  [[nodiscard]] KeyType type() const;

  explicit PrivateKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  [[nodiscard]] const Impl& impl() const { return *impl_; }

 private:
  std::shared_ptr<const Impl> impl_;
};

}  // namespace mr::crypto
