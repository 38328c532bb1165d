#pragma once
// Symmetric and asymmetric encryption and signatures.

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/hash.h"
#include "crypto/keys.h"

namespace mr::crypto {

inline constexpr std::size_t kGcmNonceSize = 12;
inline constexpr std::size_t kGcmTagSize = 16;

// aes_gcm_seal encrypts |plaintext| with AES-GCM under |key| (16, 24 or 32 bytes) and a 12-byte
// |nonce|, authenticating |aad|. Returns ciphertext ‖ 16-byte tag. kInvalidArgument on bad sizes.
[[nodiscard]] Result<Bytes> aes_gcm_seal(ByteSpan key, ByteSpan nonce, ByteSpan aad,
                                         ByteSpan plaintext);
// aes_gcm_open reverses aes_gcm_seal. kDataLoss "message authentication failed" when the tag,
// key, nonce or aad do not match.
[[nodiscard]] Result<SecretBytes> aes_gcm_open(ByteSpan key, ByteSpan nonce, ByteSpan aad,
                                               ByteSpan ciphertext_and_tag);
// aes_gcm_seal_random_nonce returns nonce ‖ ciphertext ‖ tag with a fresh random nonce
// (EGo's ecrypto.Encrypt layout).
[[nodiscard]] Result<Bytes> aes_gcm_seal_random_nonce(ByteSpan key, ByteSpan aad,
                                                      ByteSpan plaintext);
// aes_gcm_open_with_nonce opens nonce ‖ ciphertext ‖ tag. kDataLoss on any mismatch or if the
// input is shorter than nonce + tag.
[[nodiscard]] Result<SecretBytes> aes_gcm_open_with_nonce(ByteSpan key, ByteSpan aad,
                                                          ByteSpan sealed);

// rsa_oaep_encrypt encrypts with RSA-OAEP, SHA-256 for both OAEP and MGF1, empty label.
// kInvalidArgument if |key| is not RSA or |plaintext| is too long for it.
[[nodiscard]] Result<Bytes> rsa_oaep_encrypt(const PublicKey& key, ByteSpan plaintext);
// rsa_oaep_decrypt reverses rsa_oaep_encrypt. kInvalidArgument "decryption error" on failure
// (one message for every cause, to avoid an oracle).
[[nodiscard]] Result<SecretBytes> rsa_oaep_decrypt(const PrivateKey& key, ByteSpan ciphertext);

// sign signs |data|: ECDSA returns an ASN.1 DER signature over hash(data); RSA uses PKCS#1 v1.5
// with |hash|; Ed25519 signs |data| directly (|hash| ignored).
[[nodiscard]] Result<Bytes> sign(const PrivateKey& key, ByteSpan data,
                                 HashAlg hash = HashAlg::kSha256);
// sign_digest signs a precomputed digest: ECDSA (like Go's ecdsa.SignASN1, any digest length) or
// RSA PKCS#1 v1.5 with |hash| naming the digest's algorithm. kInvalidArgument for Ed25519.
[[nodiscard]] Result<Bytes> sign_digest(const PrivateKey& key, ByteSpan digest,
                                        HashAlg hash = HashAlg::kSha256);
// verify checks a signature made by sign(). kPermissionDenied "signature verification failed"
// if it does not verify; kInvalidArgument if it is malformed for the key type.
[[nodiscard]] Status verify(const PublicKey& key, ByteSpan data, ByteSpan signature,
                            HashAlg hash = HashAlg::kSha256);
// verify_digest checks a signature made by sign_digest().
[[nodiscard]] Status verify_digest(const PublicKey& key, ByteSpan digest, ByteSpan signature,
                                   HashAlg hash = HashAlg::kSha256);

}  // namespace mr::crypto
