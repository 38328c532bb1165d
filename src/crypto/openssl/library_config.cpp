// The Coordinator's fixed OpenSSL configuration (library_config.h).

#include "crypto/openssl/library_config.h"

#include <openssl/conf.h>
#include <openssl/ssl.h>

#include "crypto/openssl/ossl.h"

namespace mr::crypto {
namespace {

// The "system_default" section applies to every SSL_CTX the process creates (SSL_CTX_new reads
// it), whoever creates it. Nothing else is changed from the library's built-in defaults.
constexpr char kConfig[] = R"(
marblerun = marblerun_init

[marblerun_init]
ssl_conf = marblerun_ssl

[marblerun_ssl]
system_default = marblerun_system_default

[marblerun_system_default]
NumTickets = 0
)";

struct ConfFree {
  void operator()(CONF* c) const noexcept { NCONF_free(c); }
};

}  // namespace

Status configure_openssl() {
  // NO_LOAD_CONFIG uses up OpenSSL's one-time configuration load: no later initialisation (gRPC
  // runs its own) reads OPENSSL_CONF or the system file.
  if (OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr) != 1) {
    return tl::unexpected(ossl::error("initialising OpenSSL"));
  }
  OPENSSL_load_builtin_modules();  // registers the "ssl_conf" module the configuration uses
  std::unique_ptr<CONF, ConfFree> conf(NCONF_new_ex(nullptr, nullptr));
  ossl::Ptr<BIO> bio(BIO_new_mem_buf(kConfig, static_cast<int>(sizeof kConfig - 1)));
  long error_line = 0;
  if (!conf || !bio || NCONF_load_bio(conf.get(), bio.get(), &error_line) <= 0 ||
      CONF_modules_load(conf.get(), "marblerun", 0) <= 0) {
    return tl::unexpected(ossl::error("loading the OpenSSL configuration"));
  }
  return ok();
}

}  // namespace mr::crypto
