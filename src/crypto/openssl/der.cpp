#include "crypto/openssl/der.h"

#include <limits>

#include "base/assert.h"

namespace mr::crypto::der {

void append_header(Bytes& out, std::uint8_t tag, std::size_t length) {
  out.push_back(tag);
  if (length < 0x80) {
    out.push_back(static_cast<std::uint8_t>(length));
    return;
  }
  std::uint8_t len_bytes[sizeof(std::size_t)];
  int count = 0;
  for (std::size_t v = length; v != 0; v >>= 8)
    len_bytes[count++] = static_cast<std::uint8_t>(v);
  out.push_back(static_cast<std::uint8_t>(0x80 | count));
  while (count > 0)
    out.push_back(len_bytes[--count]);
}

std::size_t tlv_size(std::size_t length) {
  std::size_t header = 2;  // tag, short-form length
  if (length >= 0x80) {
    for (std::size_t v = length; v != 0; v >>= 8)
      ++header;  // long form: one byte per length byte after the 0x8n byte
  }
  return header + length;
}

void append_tlv(Bytes& out, std::uint8_t tag, ByteSpan contents) {
  append_header(out, tag, contents.size());
  out.insert(out.end(), contents.begin(), contents.end());
}

Bytes tlv(std::uint8_t tag, ByteSpan contents) {
  Bytes out;
  out.reserve(contents.size() + 6);
  append_tlv(out, tag, contents);
  return out;
}

Bytes concat(std::initializer_list<ByteSpan> parts) {
  Bytes out;
  for (ByteSpan p : parts)
    out.insert(out.end(), p.begin(), p.end());
  return out;
}

namespace {

void append_base128(Bytes& out, std::uint64_t v) {
  std::uint8_t tmp[10];
  int count = 0;
  do {
    tmp[count++] = static_cast<std::uint8_t>(v & 0x7f);
    v >>= 7;
  } while (v != 0);
  while (count > 1)
    out.push_back(static_cast<std::uint8_t>(tmp[--count] | 0x80));
  out.push_back(tmp[0]);
}

}  // namespace

Result<Bytes> encode_oid(std::string_view dotted) {
  auto bad = [] { return fail(ErrorCode::kInvalidArgument, "invalid object identifier"); };
  std::vector<std::uint64_t> arcs;
  std::size_t pos = 0;
  while (true) {
    const std::size_t dot = dotted.find('.', pos);
    const std::string_view part =
        dotted.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
    if (part.empty() || part.size() > 19) return bad();
    std::uint64_t v = 0;
    for (char c : part) {
      if (c < '0' || c > '9') return bad();
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (part.size() > 1 && part[0] == '0') return bad();
    arcs.push_back(v);
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
  }
  if (arcs.size() < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40)) return bad();
  if (arcs[1] > std::numeric_limits<std::uint64_t>::max() - 80) return bad();
  Bytes out;
  append_base128(out, arcs[0] * 40 + arcs[1]);
  for (std::size_t i = 2; i < arcs.size(); ++i)
    append_base128(out, arcs[i]);
  return out;
}

Bytes oid(std::string_view dotted) {
  auto contents = encode_oid(dotted);
  MR_ASSERT(contents.has_value());
  return tlv(kOid, *contents);
}

std::optional<std::string> decode_oid(ByteSpan contents) {
  if (contents.empty() || (contents.back() & 0x80) != 0) return std::nullopt;
  std::string out;
  std::uint64_t v = 0;
  bool first = true;
  bool start = true;
  for (std::uint8_t b : contents) {
    if (start && b == 0x80) return std::nullopt;  // non-minimal encoding
    if (v > (std::numeric_limits<std::uint64_t>::max() >> 7)) return std::nullopt;
    v = (v << 7) | (b & 0x7f);
    start = false;
    if ((b & 0x80) != 0) continue;
    if (first) {
      const std::uint64_t a = v < 80 ? v / 40 : 2;
      out = std::to_string(a) + "." + std::to_string(v - a * 40);
      first = false;
    } else {
      out += "." + std::to_string(v);
    }
    v = 0;
    start = true;
  }
  return out;
}

Bytes integer_contents(ByteSpan magnitude) {
  std::size_t i = 0;
  while (i < magnitude.size() && magnitude[i] == 0)
    ++i;
  Bytes out;
  if (i == magnitude.size()) return Bytes{0x00};
  if ((magnitude[i] & 0x80) != 0) out.push_back(0x00);
  out.insert(out.end(), magnitude.begin() + static_cast<std::ptrdiff_t>(i), magnitude.end());
  return out;
}

Bytes small_integer_contents(long long value) {
  MR_ASSERT(value >= 0);
  Bytes mag;
  for (auto v = static_cast<unsigned long long>(value); v != 0; v >>= 8) {
    mag.insert(mag.begin(), static_cast<std::uint8_t>(v));
  }
  return integer_contents(mag);
}

bool Reader::next(std::uint8_t* tag, ByteSpan* contents, ByteSpan* element) {
  if (in_.size() < 2) return false;
  const std::uint8_t t = in_[0];
  if ((t & 0x1f) == 0x1f) return false;  // high tag numbers are not used here
  std::size_t len = in_[1];
  std::size_t header = 2;
  if ((len & 0x80) != 0) {
    const std::size_t count = len & 0x7f;
    if (count == 0 || count > sizeof(std::size_t) || in_.size() < 2 + count) return false;
    len = 0;
    for (std::size_t i = 0; i < count; ++i)
      len = (len << 8) | in_[2 + i];
    // DER: the long form only when needed, without leading zero octets.
    if (len < 0x80 || in_[2] == 0) return false;
    header += count;
  }
  if (len > in_.size() - header) return false;
  if (tag) *tag = t;
  if (contents) *contents = in_.subspan(header, len);
  if (element) *element = in_.subspan(0, header + len);
  in_ = in_.subspan(header + len);
  return true;
}

bool Reader::read(std::uint8_t tag, ByteSpan* contents) {
  if (!peek(tag)) return false;
  return next(nullptr, contents, nullptr);
}

bool Reader::read_any(std::uint8_t* tag, ByteSpan* contents) {
  return next(tag, contents, nullptr);
}

bool Reader::read_element(ByteSpan* element) {
  return next(nullptr, nullptr, element);
}

bool parse_small_integer(ByteSpan contents, long long* value) {
  if (contents.empty() || contents.size() > 8) return false;
  // Minimal encoding: no redundant leading 0x00 / 0xff octet.
  if (contents.size() > 1 && ((contents[0] == 0x00 && (contents[1] & 0x80) == 0) ||
                              (contents[0] == 0xff && (contents[1] & 0x80) != 0))) {
    return false;
  }
  long long v = (contents[0] & 0x80) != 0 ? -1 : 0;
  for (std::uint8_t b : contents)
    v = static_cast<long long>((static_cast<unsigned long long>(v) << 8) | b);
  *value = v;
  return true;
}

}  // namespace mr::crypto::der
