#pragma once
// OpenSSL ownership and error plumbing, for adapter code only (crypto/openssl, TLS adapters,
// attestation/sgx_dcap). Nothing outside adapters includes this header.
//
//   ossl::Ptr<EVP_PKEY> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
//   if (!key) return ossl::fail("generating P-384 key");   // drains the whole error queue
//   X509_set_pubkey(cert.get(), key.get());                 // borrow with .get(), never implicit

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace mr::ossl {

template <class T>
struct Free;  // one specialization per OpenSSL type

#define MR_OSSL_DELETER(T, fn)                      \
  template <>                                       \
  struct Free<T> {                                  \
    void operator()(T* p) const noexcept { fn(p); } \
  }

// ASN1_INTEGER, ASN1_OCTET_STRING, ASN1_TIME, ... are all typedefs of ASN1_STRING: one deleter.
MR_OSSL_DELETER(ASN1_STRING, ASN1_STRING_free);
MR_OSSL_DELETER(ASN1_OBJECT, ASN1_OBJECT_free);
MR_OSSL_DELETER(BIGNUM, BN_free);
MR_OSSL_DELETER(BIO, BIO_free_all);
MR_OSSL_DELETER(BN_CTX, BN_CTX_free);
MR_OSSL_DELETER(ECDSA_SIG, ECDSA_SIG_free);
MR_OSSL_DELETER(EVP_CIPHER_CTX, EVP_CIPHER_CTX_free);
MR_OSSL_DELETER(EVP_MD_CTX, EVP_MD_CTX_free);
MR_OSSL_DELETER(EVP_PKEY, EVP_PKEY_free);
MR_OSSL_DELETER(EVP_PKEY_CTX, EVP_PKEY_CTX_free);
MR_OSSL_DELETER(EVP_MAC, EVP_MAC_free);
MR_OSSL_DELETER(EVP_MAC_CTX, EVP_MAC_CTX_free);
MR_OSSL_DELETER(EVP_KDF, EVP_KDF_free);
MR_OSSL_DELETER(EVP_KDF_CTX, EVP_KDF_CTX_free);
MR_OSSL_DELETER(GENERAL_NAME, GENERAL_NAME_free);
MR_OSSL_DELETER(OSSL_DECODER_CTX, OSSL_DECODER_CTX_free);
MR_OSSL_DELETER(OSSL_ENCODER_CTX, OSSL_ENCODER_CTX_free);
MR_OSSL_DELETER(GENERAL_NAMES, GENERAL_NAMES_free);
MR_OSSL_DELETER(SSL, SSL_free);
MR_OSSL_DELETER(SSL_CTX, SSL_CTX_free);
MR_OSSL_DELETER(X509, X509_free);
MR_OSSL_DELETER(X509_ALGOR, X509_ALGOR_free);
MR_OSSL_DELETER(X509_CRL, X509_CRL_free);
MR_OSSL_DELETER(X509_EXTENSION, X509_EXTENSION_free);
MR_OSSL_DELETER(X509_NAME, X509_NAME_free);
MR_OSSL_DELETER(X509_REQ, X509_REQ_free);
MR_OSSL_DELETER(X509_STORE, X509_STORE_free);
MR_OSSL_DELETER(X509_STORE_CTX, X509_STORE_CTX_free);
MR_OSSL_DELETER(STACK_OF(X509), sk_X509_free);
MR_OSSL_DELETER(STACK_OF(X509_EXTENSION), sk_X509_EXTENSION_free);

#undef MR_OSSL_DELETER

template <class T>
using Ptr = std::unique_ptr<T, Free<T>>;

// drain_errors pops the whole OpenSSL error queue into one "; "-joined string (may be empty).
[[nodiscard]] std::string drain_errors();
// error builds an Error "<what>: <queue>" (or just <what> if the queue is empty) and clears the
// queue. Call it only after a return code said the call failed.
[[nodiscard]] Error error(std::string_view what, ErrorCode code = ErrorCode::kInternal);
// fail is error() wrapped for returning from a Result function.
[[nodiscard]] inline tl::unexpected<Error> fail(std::string_view what,
                                                ErrorCode code = ErrorCode::kInternal) {
  return tl::unexpected<Error>(error(what, code));
}
// clear_errors discards anything left on the queue (after an expected, handled failure).
void clear_errors();

// bio_to_bytes copies the contents of a memory BIO.
[[nodiscard]] Bytes bio_to_bytes(BIO* bio);
// to_der serializes an object with an i2d_* function; empty vector on failure.
template <class T>
[[nodiscard]] Bytes to_der(int (*i2d)(const T*, unsigned char**), const T* obj) {
  const int len = i2d(obj, nullptr);
  if (len <= 0) return {};
  Bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  if (i2d(obj, &p) != len) return {};
  return out;
}

}  // namespace mr::ossl
