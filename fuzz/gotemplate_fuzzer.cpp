// Fuzz target: a Go text/template as a manifest's Files or Env entry holds it. The first byte
// picks the function map (file_functions or env_functions); the rest is parsed and executed
// against template_data over the placeholder secrets of samples/full.json, with a real
// certificate as the reserved .MarbleRun values.

#include <cstddef>
#include <cstdint>
#include <string>

#include "crypto/x509.h"
#include "fuzz_util.h"
#include "gotemplate/template.h"
#include "manifest/dry_run.h"
#include "manifest/manifest.h"

namespace {

using mr::gotemplate::Value;

const Value& data() {
  static const Value v = [] {
    auto m = mr::manifest::Manifest::parse(mr::fuzz::source_file("samples/full.json"));
    MR_FUZZ_CHECK(m.has_value(), "samples/full.json does not parse");
    auto cert = mr::crypto::Certificate::from_pem(
        mr::fuzz::source_file("tests/testdata/keys/alice.cert.pem"));
    MR_FUZZ_CHECK(cert.has_value(), "alice.cert.pem does not parse");
    mr::manifest::Secret reserved_cert;
    reserved_cert.type = "cert-ecdsa";
    reserved_cert.cert_der = cert->der();
    reserved_cert.public_key = {0x30, 0x59};
    reserved_cert.private_key = {0x30, 0x77};
    mr::manifest::ReservedSecrets reserved{reserved_cert, reserved_cert, reserved_cert,
                                           reserved_cert};
    auto secrets = mr::manifest::placeholder_secrets(*m);
    return mr::manifest::template_data(reserved, secrets, secrets);
  }();
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  mr::fuzz::Input in(bytes, size);
  const bool env = (in.byte() & 1) != 0;
  std::string_view text = in.rest();
  auto funcs = env ? mr::manifest::env_functions() : mr::manifest::file_functions();
  auto t = mr::gotemplate::Template::parse("fuzz", text, std::move(funcs));
  if (!t) {
    MR_FUZZ_CHECK(t.error().message.rfind("template: ", 0) == 0,
                  "parse error not in Go's form: " + t.error().message);
    return 0;
  }
  auto out = t->execute(data());
  if (out) {
    MR_FUZZ_CHECK(out->size() <= mr::gotemplate::kMaxOutputBytes, "output over the limit");
  } else {
    MR_FUZZ_CHECK(!out.error().message.empty(), "execution error without a message");
  }
  // A small shared budget: the limits must hold when they are the binding ones too.
  mr::gotemplate::Budget budget{.output_bytes = 4096, .steps = 2000};
  auto small = t->execute(data(), budget);
  if (small) MR_FUZZ_CHECK(small->size() <= 4096, "output over the shared budget");
  return 0;
}
