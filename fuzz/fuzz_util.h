#pragma once
// Helpers shared by the libFuzzer targets in this folder (see fuzz/README.md).
//
//   extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
//     mr::fuzz::Input in(data, size);
//     std::uint8_t mode = in.byte();
//     std::string_view rest = in.rest();
//     MR_FUZZ_CHECK(invariant, "what broke");
//   }
//
// A target calls real project code and aborts (MR_FUZZ_CHECK) when an invariant that must hold
// for every input breaks; an escaping exception aborts too. The same sources are linked with
// replay_main.cpp into an ordinary test that replays the seed and regression corpora.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#ifndef MR_SOURCE_DIR
#error "MR_SOURCE_DIR must be defined (fuzz/CMakeLists.txt does)"
#endif

// MR_FUZZ_CHECK aborts with a message when |cond| is false: libFuzzer records the input as a
// crash, the replay test fails.
#define MR_FUZZ_CHECK(cond, msg)                                                                 \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s (%s)\n", __FILE__, __LINE__, #cond, \
                   std::string(msg).c_str());                                                    \
      std::abort();                                                                              \
    }                                                                                            \
  } while (false)

namespace mr::fuzz {

// Input consumes a fuzz input front to back: selector bytes first, then the rest.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size)
      : text_(reinterpret_cast<const char*>(data), size) {}
  // byte returns the next byte, or 0 at the end.
  std::uint8_t byte() {
    if (pos_ >= text_.size()) return 0;
    return static_cast<std::uint8_t>(text_[pos_++]);
  }
  // until returns the text up to the next |sep| (consumed) or to the end.
  std::string_view until(char sep) {
    std::string_view rest = text_.substr(pos_);
    std::size_t n = rest.find(sep);
    if (n == std::string_view::npos) {
      pos_ = text_.size();
      return rest;
    }
    pos_ += n + 1;
    return rest.substr(0, n);
  }
  // rest returns everything not yet consumed.
  std::string_view rest() {
    std::string_view r = text_.substr(pos_);
    pos_ = text_.size();
    return r;
  }
  [[nodiscard]] bool empty() const { return pos_ >= text_.size(); }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

// source_file reads a file of the source tree (test data), aborting if it is missing: a target
// must never silently fuzz without its fixture.
inline std::string source_file(const std::string& relative) {
  std::filesystem::path p = std::filesystem::path(MR_SOURCE_DIR) / relative;
  std::ifstream in(p, std::ios::binary);
  MR_FUZZ_CHECK(in.good(), "missing fixture " + p.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace mr::fuzz
