#pragma once
// Access to the real DCAP test vectors in tests/testdata/dcap/ (see its README.md).

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "base/bytes.h"
#include "base/clock.h"

namespace mr::attestation::dcap::testdata {

inline std::filesystem::path dir() {
  return std::filesystem::path(MR_SOURCE_DIR) / "tests" / "testdata" / "dcap";
}

inline std::string read_text(const std::string& name) {
  std::ifstream in(dir() / name, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline Bytes read(const std::string& name) {
  return to_bytes(read_text(name));
}

// kSampleTime is when the sample collateral is valid (2025-07-01T00:00:00Z).
inline UnixTime sample_time() {
  return *parse_rfc3339("2025-07-01T00:00:00Z");
}
// today is the project's "now" at which the sample collateral has expired.
inline UnixTime today() {
  return *parse_rfc3339("2026-11-23T00:00:00Z");
}

}  // namespace mr::attestation::dcap::testdata
