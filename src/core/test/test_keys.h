#pragma once
// Pre-generated keys from tests/testdata/keys (no slow key generation in tests).

#include <fstream>
#include <sstream>
#include <string>

#include "crypto/keys.h"

namespace mr::core::testing {

inline std::string testdata(const std::string& rel) {
  std::ifstream in(std::string(MR_SOURCE_DIR) + "/tests/testdata/" + rel, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline crypto::PrivateKey recovery_key(int i) {
  return *crypto::PrivateKey::from_pem(testdata("keys/recovery_" + std::to_string(i) + ".key.pem"));
}

inline std::string recovery_pub_pem(int i) {
  return testdata("keys/recovery_" + std::to_string(i) + ".pub.pem");
}

}  // namespace mr::core::testing
