#include "crypto/pem.h"

#include "base/encoding.h"
#include "base/strings.h"

namespace mr::crypto {
namespace {

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kEnd = "-----END ";
constexpr std::string_view kDashes = "-----";

// Returns the line starting at |pos| (without the newline) and advances |pos| past it.
std::string_view next_line(std::string_view s, std::size_t& pos) {
  const std::size_t nl = s.find('\n', pos);
  std::string_view line =
      s.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
  pos = nl == std::string_view::npos ? s.size() : nl + 1;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// Tries to decode a block whose "-----BEGIN " starts at |start|.
std::optional<PemBlock> decode_at(std::string_view text, std::size_t start, std::size_t& end) {
  std::size_t pos = start;
  std::string_view header = trim_space(next_line(text, pos));
  if (header.size() < kBegin.size() + kDashes.size() || !header.ends_with(kDashes))
    return std::nullopt;
  std::string type(header.substr(kBegin.size(), header.size() - kBegin.size() - kDashes.size()));
  std::string body;
  bool headers_possible = true;
  while (pos < text.size()) {
    std::string_view line = trim_space(next_line(text, pos));
    if (line.starts_with(kEnd)) {
      if (line != std::string(kEnd) + type + std::string(kDashes)) return std::nullopt;
      auto der = base64_decode(body);
      if (!der) return std::nullopt;
      end = pos;
      return PemBlock{std::move(type), std::move(*der)};
    }
    // RFC 1421 headers ("Proc-Type: ...") precede the body; they are skipped.
    if (headers_possible && line.find(':') != std::string_view::npos) continue;
    if (line.empty()) {
      headers_possible = false;
      continue;
    }
    headers_possible = false;
    body.append(line);
  }
  return std::nullopt;
}

}  // namespace

std::string pem_encode(std::string_view type, ByteSpan der) {
  const std::string b64 = base64_encode(der);
  std::string out;
  out.reserve(b64.size() + b64.size() / 64 + 2 * type.size() + 40);
  out.append(kBegin).append(type).append(kDashes).append("\n");
  for (std::size_t i = 0; i < b64.size(); i += 64) {
    out.append(b64, i, 64).append("\n");
  }
  out.append(kEnd).append(type).append(kDashes).append("\n");
  return out;
}

std::optional<PemBlock> pem_decode_first(std::string_view text, std::string_view* rest) {
  std::size_t search = 0;
  while (true) {
    const std::size_t start = text.find(kBegin, search);
    if (start == std::string_view::npos) return std::nullopt;
    // A block must begin at the start of a line.
    if (start == 0 || text[start - 1] == '\n') {
      std::size_t end = 0;
      if (auto block = decode_at(text, start, end)) {
        if (rest) *rest = text.substr(end);
        return block;
      }
    }
    search = start + kBegin.size();
  }
}

std::vector<PemBlock> pem_decode_all(std::string_view text) {
  std::vector<PemBlock> out;
  std::string_view rest = text;
  while (auto block = pem_decode_first(rest, &rest))
    out.push_back(std::move(*block));
  return out;
}

}  // namespace mr::crypto
