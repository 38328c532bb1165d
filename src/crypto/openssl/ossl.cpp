#include "crypto/openssl/ossl.h"

#include <openssl/err.h>

#include <string>

namespace mr::ossl {

std::string drain_errors() {
  std::string out;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

Error error(std::string_view what, ErrorCode code) {
  std::string queue = drain_errors();
  if (queue.empty()) return Error{code, std::string(what)};
  return Error{code, std::string(what) + ": " + queue};
}

void clear_errors() {
  ERR_clear_error();
}

Bytes bio_to_bytes(BIO* bio) {
  const char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  if (len <= 0 || data == nullptr) return {};
  return Bytes(data, data + len);
}

}  // namespace mr::ossl
