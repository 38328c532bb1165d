#pragma once
// Shared fixtures for the crypto tests: keys generated once per process, hex helpers and a
// runner for the `openssl` command-line tool (used as an independent cross-check).

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <list>
#include <string>

#include "base/encoding.h"
#include "base/testing/temp_dir.h"
#include "crypto/keys.h"

namespace mr::crypto::testing {

// key returns a process-wide key for |spec| (generated on first use: tests stay fast).
inline const PrivateKey& key(const KeySpec& spec) {
  static std::list<std::pair<KeySpec, PrivateKey>> cache;  // stable references
  for (const auto& [s, k] : cache) {
    if (s.type == spec.type && s.curve == spec.curve && s.rsa_bits == spec.rsa_bits) return k;
  }
  auto generated = PrivateKey::generate(spec);
  if (!generated) {
    ADD_FAILURE() << generated.error().message;
    std::abort();
  }
  cache.emplace_back(spec, std::move(*generated));
  return cache.back().second;
}
inline const PrivateKey& p224() {
  return key(KeySpec::ec(Curve::kP224));
}
inline const PrivateKey& p256() {
  return key(KeySpec::ec(Curve::kP256));
}
inline const PrivateKey& p384() {
  return key(KeySpec::ec(Curve::kP384));
}
inline const PrivateKey& p384_other() {
  static const PrivateKey k = *PrivateKey::generate(KeySpec::ec(Curve::kP384));
  return k;
}
inline const PrivateKey& p521() {
  return key(KeySpec::ec(Curve::kP521));
}
inline const PrivateKey& rsa2048() {
  return key(KeySpec::rsa(2048));
}
inline const PrivateKey& rsa1024() {
  return key(KeySpec::rsa(1024));
}
inline const PrivateKey& ed25519() {
  return key(KeySpec::ed25519());
}

// hex decodes a hex literal (test data only).
inline Bytes hex(std::string_view h) {
  auto b = hex_decode(h);
  if (!b) {
    ADD_FAILURE() << "bad hex literal";
    return {};
  }
  return std::move(*b);
}

inline void write_file(const std::filesystem::path& p, std::string_view data) {
  std::ofstream(p, std::ios::binary) << data;
}
inline void write_file(const std::filesystem::path& p, ByteSpan data) {
  write_file(p, std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

struct CommandResult {
  int status = -1;
  std::string output;  // stdout and stderr
};

// run executes a shell command (with stderr folded into stdout).
inline CommandResult run(const std::string& command) {
  CommandResult r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0)
    r.output.append(buf.data(), n);
  r.status = ::pclose(pipe);
  return r;
}

// have_openssl_cli reports whether the `openssl` tool is installed (cross-checks skip otherwise).
inline bool have_openssl_cli() {
  static const bool have = run("openssl version").status == 0;
  return have;
}

}  // namespace mr::crypto::testing
