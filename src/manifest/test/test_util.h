#pragma once
// Helpers for manifest tests: a valid base manifest as JSON that tests mutate.

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "manifest/manifest.h"

namespace mr::manifest::testing {

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string testdata(const std::string& rel) {
  return read_file(std::string(MR_SOURCE_DIR) + "/tests/testdata/" + rel);
}

// base_manifest is valid and small: two packages, two marbles, one TLS tag, secrets of each
// kind, two users with roles, one recovery key.
inline nlohmann::json base_manifest() {
  using nlohmann::json;
  return json{
      {"Packages",
       {{"pkg", {{"SignerID", "abcd"}, {"ProductID", 1}, {"SecurityVersion", 2}}},
        {"unique", {{"UniqueID", "00ff"}}}}},
      {"Marbles",
       {{"web",
         {{"Package", "pkg"},
          {"TLS", {"tag"}},
          {"Parameters", {{"Env", {{"K", "{{ hex .Secrets.shared }}"}}}}}}},
        {"worker", {{"Package", "unique"}}}}},
      {"Secrets",
       {{"shared", {{"Type", "symmetric-key"}, {"Size", 128}, {"Shared", true}}},
        {"private", {{"Type", "symmetric-key"}, {"Size", 256}}},
        {"cert", {{"Type", "cert-ecdsa"}, {"Size", 256}, {"Shared", true}}},
        {"upload", {{"Type", "plain"}, {"UserDefined", true}}}}},
      {"TLS",
       {{"tag",
         {{"Incoming", {{{"Port", "8080"}}}},
          {"Outgoing", {{{"Addr", "svc"}, {"Port", "443"}}}}}}}},
      {"Users",
       {{"alice",
         {{"Certificate", testdata("keys/alice.cert.pem")}, {"Roles", {"reader", "updater"}}}},
        {"bob", {{"Certificate", testdata("keys/bob.cert.pem")}, {"Roles", {"writer"}}}}}},
      {"Roles",
       {{"reader",
         {{"ResourceType", "Secrets"},
          {"ResourceNames", {"shared", "upload"}},
          {"Actions", {"ReadSecret"}}}},
        {"writer",
         {{"ResourceType", "Secrets"},
          {"ResourceNames", {"upload"}},
          {"Actions", {"WriteSecret"}}}},
        {"updater", {{"ResourceType", "Manifest"}, {"Actions", {"UpdateManifest"}}}}}},
      {"RecoveryKeys", {{"officer", testdata("keys/recovery_1.pub.pem")}}},
  };
}

inline Manifest parse_or_die(const nlohmann::json& j) {
  auto m = Manifest::parse(j.dump());
  if (!m) throw std::runtime_error("test manifest does not parse: " + m.error().message);
  return std::move(*m);
}

}  // namespace mr::manifest::testing
