#pragma once
// Test helper: a Coordinator CA made by the Coordinator's own code (core/ca.h), and what its
// Marble API presents and hands out, for the pinning tests of libmarble.
//
//   TestCa ca = TestCa::make(kNow);
//   ca.served_chain_pem();                 // Marble root, then the intermediate
//   ca.predefined_env(marble_leaf);        // MARBLE_PREDEFINED_* as the Coordinator sets them

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "base/uuid.h"
#include "core/ca.h"
#include "crypto/keys.h"
#include "crypto/x509.h"

namespace mr::marble {

struct TestCa {
  core::CaSet ca;

  static TestCa make(UnixTime now) {
    auto ca = core::generate_ca({"localhost"}, now);
    EXPECT_TRUE(ca) << ca.error().message;
    return TestCa{std::move(*ca)};
  }

  // served_chain_pem is what the Marble API presents: the Marble root, then the intermediate.
  [[nodiscard]] std::string served_chain_pem() const {
    return ca.marble_root.pem() + ca.intermediate.pem();
  }
  [[nodiscard]] std::string key_pem() const {
    return std::string(ca.intermediate_key.to_pem().view());
  }

  // issue_leaf issues a Marble certificate for a fresh key (what Activate returns).
  [[nodiscard]] std::pair<crypto::Certificate, crypto::PrivateKey> issue_leaf(UnixTime now) const {
    auto key = crypto::PrivateKey::generate(crypto::KeySpec::ec(crypto::Curve::kP384));
    EXPECT_TRUE(key);
    crypto::CsrInfo csr{.subject = {},
                        .dns_names = {"localhost"},
                        .ip_addresses = {},
                        .email_addresses = {},
                        .uris = {},
                        .public_key = key->public_key()};
    auto leaf = core::issue_marble_certificate(ca, csr,
                                               *Uuid::parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
                                               "backend", key->public_key(), now);
    EXPECT_TRUE(leaf) << leaf.error().message;
    return {std::move(*leaf), std::move(*key)};
  }

  // predefined_env is the MARBLE_PREDEFINED_* variables for |leaf| (spec 1.3).
  [[nodiscard]] std::map<std::string, std::string> predefined_env(
      const crypto::Certificate& leaf) const {
    return {{"MARBLE_PREDEFINED_ROOT_CA", ca.marble_root.pem()},
            {"MARBLE_PREDEFINED_MARBLE_CERTIFICATE_CHAIN", leaf.pem() + ca.intermediate.pem()},
            {"MARBLE_PREDEFINED_COORDINATOR_ROOT_CA", ca.root.pem()}};
  }
};

// write_text writes |text| to |path|.
inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

}  // namespace mr::marble
