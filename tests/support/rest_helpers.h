#pragma once
// Test support: small helpers for the JSON of the client API, shared by the e2e tests.
//
//   HttpResult r = curl_https(url + "/api/v2/manifest", &body_of_manifest);  // b64_body(raw)
//   Json data = json_of(r)["data"];

#include <cstdint>
#include <string>
#include <vector>

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

// as_user is curl's arguments presenting tests/testdata/keys/<user>.cert.pem and its key.
inline std::vector<std::string> as_user(const std::string& user) {
  return {"--cert", testdata_key(user + ".cert.pem"), "--key", testdata_key(user + ".key.pem")};
}

// users_manifest is one Marble "app" (debug package) whose Env reads the user-defined plain
// secret "token", a shared symmetric key "shared", and two users with the testdata certificates:
// alice (read/write "token", update the manifest) and bob (update the manifest).
inline gojson::Json users_manifest() {
  using J = gojson::Json;
  return J{{"Packages", {{"app", {{"Debug", true}}}}},
           {"Marbles",
            {{"app",
              {{"Package", "app"},
               {"Parameters", {{"Env", {{"TOKEN", "{{ string .Secrets.token }}"}}}}}}}}},
           {"Secrets",
            {{"token", {{"Type", "plain"}, {"UserDefined", true}}},
             {"shared", {{"Type", "symmetric-key"}, {"Size", 128}, {"Shared", true}}}}},
           {"Users",
            {{"alice",
              {{"Certificate", read_file(testdata_key("alice.cert.pem"))},
               {"Roles", {"secrets", "updater"}}}},
             {"bob",
              {{"Certificate", read_file(testdata_key("bob.cert.pem"))}, {"Roles", {"updater"}}}}}},
           {"Roles",
            {{"secrets",
              {{"ResourceType", "Secrets"},
               {"ResourceNames", {"token"}},
               {"Actions", {"ReadSecret", "WriteSecret"}}}},
             {"updater", {{"ResourceType", "Manifest"}, {"Actions", {"UpdateManifest"}}}}}}};
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
