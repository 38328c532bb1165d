#pragma once
// Test support: small helpers for the JSON of the client API, shared by the e2e tests.
//
//   HttpResult r = curl_https(url + "/api/v2/manifest", &body_of_manifest);  // b64_body(raw)
//   Json data = json_of(r)["data"];

#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "base/encoding.h"
#include "crypto/hash.h"
#include "gojson/go_json.h"
#include "support/process.h"

namespace mr::test {

// json_of parses |r|'s body (null Json if it is not JSON).
inline gojson::Json json_of(const HttpResult& r) {
  auto j = gojson::Json::parse(r.body, nullptr, false);
  return j.is_discarded() ? gojson::Json() : j;
}

// b64_body is the body of POST /api/v2/manifest for the manifest |raw|.
inline std::string b64_body(const std::string& raw) {
  return gojson::Json{{"manifest", base64_encode(as_bytes(raw))}}.dump();
}

// random_text is an alphanumeric value of |n| characters: logs escape other characters, so a
// value that must be found (or not) verbatim in a log is plain.
inline std::string random_text(std::size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const Bytes r = crypto::random_bytes(n);
  std::string s;
  for (const std::uint8_t b : r)
    s += kAlphabet[b % (sizeof(kAlphabet) - 1)];
  return s;
}

}  // namespace mr::test
