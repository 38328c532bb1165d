#pragma once
// Minimal DER reader and writer for the X.509 pieces we encode byte-for-byte like Go's
// encoding/asn1 (extension values, names) and parse with Go's semantics. Single-byte tags only
// (tag numbers < 31), definite minimal lengths only. Internal to crypto/openssl.
//
//   Bytes seq = der::tlv(der::kSequence, der::concat({der::tlv(der::kBoolean, {0xff})}));
//   der::Reader r(seq);
//   ByteSpan body;
//   if (!r.read(der::kSequence, &body) || !r.empty()) return malformed();

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace mr::crypto::der {

inline constexpr std::uint8_t kBoolean = 0x01;
inline constexpr std::uint8_t kInteger = 0x02;
inline constexpr std::uint8_t kBitString = 0x03;
inline constexpr std::uint8_t kOctetString = 0x04;
inline constexpr std::uint8_t kNull = 0x05;
inline constexpr std::uint8_t kOid = 0x06;
inline constexpr std::uint8_t kUtf8String = 0x0c;
inline constexpr std::uint8_t kNumericString = 0x12;
inline constexpr std::uint8_t kPrintableString = 0x13;
inline constexpr std::uint8_t kT61String = 0x14;
inline constexpr std::uint8_t kIa5String = 0x16;
inline constexpr std::uint8_t kBmpString = 0x1e;
inline constexpr std::uint8_t kSequence = 0x30;
inline constexpr std::uint8_t kSet = 0x31;

// context returns the tag byte of an implicit context-specific [n] (primitive or constructed).
[[nodiscard]] constexpr std::uint8_t context(unsigned n, bool constructed) {
  return static_cast<std::uint8_t>(0x80 | (constructed ? 0x20 : 0) | n);
}

// tlv returns tag ‖ DER length ‖ contents.
[[nodiscard]] Bytes tlv(std::uint8_t tag, ByteSpan contents);
// append_header appends |tag| and the DER length |length| (the contents follow, by the caller).
void append_header(Bytes& out, std::uint8_t tag, std::size_t length);
// tlv_size is the size of an element with |length| bytes of contents (header included).
[[nodiscard]] std::size_t tlv_size(std::size_t length);
// append_tlv appends tlv(tag, contents) to |out|.
void append_tlv(Bytes& out, std::uint8_t tag, ByteSpan contents);
// concat joins already-encoded elements.
[[nodiscard]] Bytes concat(std::initializer_list<ByteSpan> parts);

// encode_oid returns the contents (no tag) of an OBJECT IDENTIFIER given in dotted form.
// kInvalidArgument if |dotted| is not a valid OID (the text is not echoed).
[[nodiscard]] Result<Bytes> encode_oid(std::string_view dotted);
// oid returns a full OBJECT IDENTIFIER TLV for a dotted OID known to be valid (asserts).
[[nodiscard]] Bytes oid(std::string_view dotted);
// decode_oid turns OID contents into dotted form; nullopt if malformed.
[[nodiscard]] std::optional<std::string> decode_oid(ByteSpan contents);
// integer_contents returns minimal two's-complement contents for a non-negative big-endian
// magnitude (a leading zero is added when the top bit is set; empty magnitude encodes 0).
[[nodiscard]] Bytes integer_contents(ByteSpan magnitude);
// small_integer_contents encodes a non-negative int.
[[nodiscard]] Bytes small_integer_contents(long long value);

// Reader walks a sequence of TLVs.
class Reader {
 public:
  explicit Reader(ByteSpan in) : in_(in) {}
  [[nodiscard]] bool empty() const { return in_.empty(); }
  // peek reports whether the next element has tag |tag|.
  [[nodiscard]] bool peek(std::uint8_t tag) const { return !in_.empty() && in_[0] == tag; }
  // read consumes the next element, which must have tag |tag|, and returns its contents.
  [[nodiscard]] bool read(std::uint8_t tag, ByteSpan* contents);
  // read_any consumes the next element whatever its tag.
  [[nodiscard]] bool read_any(std::uint8_t* tag, ByteSpan* contents);
  // read_element consumes the next element and returns its full encoding (tag, length, body).
  [[nodiscard]] bool read_element(ByteSpan* element);

 private:
  bool next(std::uint8_t* tag, ByteSpan* contents, ByteSpan* element);
  ByteSpan in_;
};

// parse_small_integer reads INTEGER contents into an int64 (false if too large or malformed).
[[nodiscard]] bool parse_small_integer(ByteSpan contents, long long* value);

}  // namespace mr::crypto::der
