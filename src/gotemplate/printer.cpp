#include "gotemplate/printer.h"

#include <cmath>
#include <cstdint>
#include <limits>

#include "gotemplate/go_strings.h"
#include "gotemplate/template.h"

namespace mr::gotemplate {

namespace detail {

namespace {

constexpr std::string_view kLDigits = "0123456789abcdefx";
constexpr std::string_view kUDigits = "0123456789ABCDEFX";
constexpr int kTooLarge = 1000000;

bool is_nil(const Value& v) {
  return v.kind() == Value::Kind::kInvalid || v.kind() == Value::Kind::kNil;
}

struct Flags {
  bool wid_present = false;
  bool prec_present = false;
  bool minus = false;
  bool plus = false;
  bool sharp = false;
  bool space = false;
  bool zero = false;
  bool plus_v = false;   // %+v
  bool sharp_v = false;  // %#v
  int wid = 0;
  int prec = 0;
};

// Printer mirrors fmt's pp/fmt pair: a buffer plus the flags of the verb being formatted.
class Printer {
 public:
  std::string buf;
  Flags f;

  void clear_flags() { f = Flags{}; }

  void print_arg(const Value& v, std::int32_t verb) { print_value(v, verb, 0); }

  void print_value(const Value& v, std::int32_t verb, int depth);
  void do_printf(std::string_view format, std::span<const Value> a);

 private:
  void write_padding(int n);
  void pad(std::string_view s);
  void bad_verb(std::int32_t verb, const Value& v);

  void fmt_bool(bool b, std::int32_t verb, const Value& v);
  void fmt_integer(std::uint64_t u, bool is_signed, std::int32_t verb, const Value& v);
  void fmt_integer_base(std::uint64_t u, int base, bool is_signed, std::int32_t verb,
                        std::string_view digits);
  void fmt_unicode(std::uint64_t u);
  void fmt_c(std::uint64_t c);
  void fmt_qc(std::uint64_t c);
  void fmt_0x64(std::uint64_t v, bool leading0x);
  void fmt_float(double v, std::int32_t verb, const Value& val);
  void fmt_float_prec(double v, char verb, int prec);
  void fmt_string(const std::string& s, std::int32_t verb, const Value& v);
  void fmt_s(std::string_view s);
  void fmt_q(std::string_view s);
  void fmt_sbx(std::string_view s, std::string_view digits);
  void fmt_bytes(const Value& v, std::int32_t verb, int depth);
  std::string_view truncate(std::string_view s) const;
};

void Printer::write_padding(int n) {
  if (n <= 0) return;
  buf.append(static_cast<std::size_t>(n), f.zero && !f.minus ? '0' : ' ');
}

void Printer::pad(std::string_view s) {
  if (!f.wid_present || f.wid == 0) {
    buf += s;
    return;
  }
  const int width = f.wid - static_cast<int>(rune_count(s));
  if (!f.minus) {
    write_padding(width);
    buf += s;
  } else {
    buf += s;
    write_padding(width);
  }
}

void Printer::bad_verb(std::int32_t verb, const Value& v) {
  buf += "%!";
  append_rune(buf, verb);
  buf.push_back('(');
  if (!is_nil(v)) {
    buf += v.type_name();
    buf.push_back('=');
    print_value(v, 'v', 0);
  } else {
    buf += "<nil>";
  }
  buf.push_back(')');
}

void Printer::fmt_bool(bool b, std::int32_t verb, const Value& v) {
  if (verb == 't' || verb == 'v') {
    pad(b ? "true" : "false");
  } else {
    bad_verb(verb, v);
  }
}

void Printer::fmt_0x64(std::uint64_t v, bool leading0x) {
  const bool sharp = f.sharp;
  f.sharp = leading0x;
  fmt_integer_base(v, 16, false, 'v', kLDigits);
  f.sharp = sharp;
}

void Printer::fmt_integer(std::uint64_t u, bool is_signed, std::int32_t verb, const Value& v) {
  switch (verb) {
    case 'v':
      if (f.sharp_v && !is_signed) {
        fmt_0x64(u, true);
      } else {
        fmt_integer_base(u, 10, is_signed, verb, kLDigits);
      }
      break;
    case 'd':
      fmt_integer_base(u, 10, is_signed, verb, kLDigits);
      break;
    case 'b':
      fmt_integer_base(u, 2, is_signed, verb, kLDigits);
      break;
    case 'o':
    case 'O':
      fmt_integer_base(u, 8, is_signed, verb, kLDigits);
      break;
    case 'x':
      fmt_integer_base(u, 16, is_signed, verb, kLDigits);
      break;
    case 'X':
      fmt_integer_base(u, 16, is_signed, verb, kUDigits);
      break;
    case 'c':
      fmt_c(u);
      break;
    case 'q':
      if (is_signed
              ? (static_cast<std::int64_t>(u) >= 0 && static_cast<std::int64_t>(u) <= kMaxRune)
              : u <= static_cast<std::uint64_t>(kMaxRune)) {
        fmt_qc(u);
      } else {
        bad_verb(verb, v);
      }
      break;
    case 'U':
      fmt_unicode(u);
      break;
    default:
      bad_verb(verb, v);
      break;
  }
}

void Printer::fmt_integer_base(std::uint64_t u, int base, bool is_signed, std::int32_t verb,
                               std::string_view digits) {
  const bool negative = is_signed && static_cast<std::int64_t>(u) < 0;
  if (negative) u = ~u + 1;
  int prec = 0;
  if (f.prec_present) {
    prec = f.prec;
    // Precision of 0 and value of 0 means "print nothing" but padding.
    if (prec == 0 && u == 0) {
      const bool old_zero = f.zero;
      f.zero = false;
      write_padding(f.wid);
      f.zero = old_zero;
      return;
    }
  } else if (f.zero && !f.minus && f.wid_present) {  // Zero padding is allowed only to the left.
    prec = f.wid;
    if (negative || f.plus || f.space) --prec;  // leave room for sign
  }
  std::string tmp;  // built right-to-left, reversed at the end
  const auto b = static_cast<std::uint64_t>(base);
  while (u >= b) {
    tmp.push_back(digits[u % b]);
    u /= b;
  }
  tmp.push_back(digits[u]);
  while (static_cast<int>(tmp.size()) < prec)
    tmp.push_back('0');
  if (f.sharp) {
    switch (base) {
      case 2:
        tmp += "b0";
        break;
      case 8:
        if (tmp.back() != '0') tmp.push_back('0');
        break;
      case 16:
        tmp.push_back(digits[16]);
        tmp.push_back('0');
        break;
      default:
        break;
    }
  }
  if (verb == 'O') tmp += "o0";
  if (negative) {
    tmp.push_back('-');
  } else if (f.plus) {
    tmp.push_back('+');
  } else if (f.space) {
    tmp.push_back(' ');
  }
  std::string out(tmp.rbegin(), tmp.rend());
  // Left padding with zeros has already been handled like precision earlier or the zero flag is
  // ignored due to an explicit precision.
  const bool old_zero = f.zero;
  f.zero = false;
  pad(out);
  f.zero = old_zero;
}

void Printer::fmt_unicode(std::uint64_t u) {
  int prec = 4;
  if (f.prec_present && f.prec > 4) prec = f.prec;
  std::string hex;
  std::uint64_t x = u;
  do {
    hex.insert(hex.begin(), kUDigits[x & 0xF]);
    x >>= 4;
  } while (x != 0);
  while (static_cast<int>(hex.size()) < prec)
    hex.insert(hex.begin(), '0');
  std::string out = "U+" + hex;
  if (f.sharp && u <= static_cast<std::uint64_t>(kMaxRune) &&
      is_print(static_cast<std::int32_t>(u))) {
    out += " '";
    append_rune(out, static_cast<std::int32_t>(u));
    out += "'";
  }
  const bool old_zero = f.zero;
  f.zero = false;
  pad(out);
  f.zero = old_zero;
}

void Printer::fmt_c(std::uint64_t c) {
  std::int32_t r =
      c > static_cast<std::uint64_t>(kMaxRune) ? kRuneError : static_cast<std::int32_t>(c);
  std::string s;
  append_rune(s, r);
  pad(s);
}

void Printer::fmt_qc(std::uint64_t c) {
  std::int32_t r =
      c > static_cast<std::uint64_t>(kMaxRune) ? kRuneError : static_cast<std::int32_t>(c);
  pad(quote_rune(r, f.plus ? QuoteMode::kAscii : QuoteMode::kUtf8));
}

void Printer::fmt_float(double v, std::int32_t verb, const Value& val) {
  switch (verb) {
    case 'v':
      fmt_float_prec(v, 'g', -1);
      break;
    case 'b':
    case 'g':
    case 'G':
    case 'x':
    case 'X':
      fmt_float_prec(v, static_cast<char>(verb), -1);
      break;
    case 'f':
    case 'F':
      fmt_float_prec(v, 'f', 6);
      break;
    case 'e':
    case 'E':
      fmt_float_prec(v, static_cast<char>(verb), 6);
      break;
    default:
      bad_verb(verb, val);
      break;
  }
}

void Printer::fmt_float_prec(double v, char verb, int prec) {
  if (f.prec_present) prec = f.prec;
  std::string num = format_float(v, verb, prec);
  if (num[0] == '-' || num[0] == '+') {
    // keep the sign
  } else {
    num.insert(num.begin(), '+');
  }
  // f.space means to add a leading space instead of a "+" sign unless f.plus is used.
  if (f.space && num[0] == '+' && !f.plus) num[0] = ' ';
  // Special handling for infinities and NaN, which don't look like a number so shouldn't be
  // padded with zeros.
  if (num[1] == 'I' || num[1] == 'N') {
    const bool old_zero = f.zero;
    f.zero = false;
    // Remove sign before NaN if not asked for.
    if (num[1] == 'N' && !f.space && !f.plus) num.erase(0, 1);
    pad(num);
    f.zero = old_zero;
    return;
  }
  // The sharp flag forces printing a decimal point but removes trailing zeros for %e, %f with
  // the sharp flag...
  if (f.sharp && verb != 'b') {
    int digits = 0;
    if (verb == 'v' || verb == 'g' || verb == 'G' || verb == 'x') {
      digits = prec;
      if (digits == -1) digits = 6;  // If no precision is set explicitly use a precision of 6.
    }
    std::string tail;
    bool has_decimal_point = false;
    bool saw_nonzero_digit = false;
    for (std::size_t i = 1; i < num.size(); ++i) {
      const char c = num[i];
      if (c == '.') {
        has_decimal_point = true;
        continue;
      }
      if (c == 'p' || c == 'P' || ((c == 'e' || c == 'E') && verb != 'x' && verb != 'X')) {
        tail = num.substr(i);
        num.resize(i);
        break;
      }
      if (c != '0') saw_nonzero_digit = true;
      // Count significant digits after the first non-zero digit.
      if (saw_nonzero_digit) --digits;
    }
    if (!has_decimal_point) {
      // Leading digit 0 should contribute once to digits.
      if (num.size() == 2 && num[1] == '0') --digits;
      num.push_back('.');
    }
    while (digits > 0) {
      num.push_back('0');
      --digits;
    }
    num += tail;
  }
  // We want a sign if asked for and if the sign is not positive.
  if (f.plus || num[0] != '+') {
    // If we're zero padding to the left we want the sign before the leading zeros.
    if (f.zero && !f.minus && f.wid_present && f.wid > static_cast<int>(num.size())) {
      buf.push_back(num[0]);
      write_padding(f.wid - static_cast<int>(num.size()));
      buf.append(num, 1);
      return;
    }
    pad(num);
    return;
  }
  // No sign to show and the number is positive; just print the unsigned number.
  pad(std::string_view(num).substr(1));
}

std::string_view Printer::truncate(std::string_view s) const {
  if (f.prec_present) {
    int n = f.prec;
    for (std::size_t i = 0; i < s.size();) {
      if (--n < 0) return s.substr(0, i);
      i += decode_rune(s, i).width;
    }
  }
  return s;
}

void Printer::fmt_s(std::string_view s) {
  pad(truncate(s));
}

void Printer::fmt_q(std::string_view s) {
  s = truncate(s);
  if (f.sharp && can_backquote(s)) {
    pad("`" + std::string(s) + "`");
    return;
  }
  pad(quote(s, f.plus ? QuoteMode::kAscii : QuoteMode::kUtf8));
}

void Printer::fmt_sbx(std::string_view s, std::string_view digits) {
  int length = static_cast<int>(s.size());
  // Set length to not process more bytes than the precision demands.
  if (f.prec_present && f.prec < length) length = f.prec;
  // Compute width of the encoding taking into account the f.sharp and f.space flag.
  int width = 2 * length;
  if (width > 0) {
    if (f.space) {
      // Each element encoded by two hexadecimals will get a leading 0x or 0X.
      if (f.sharp) width *= 2;
      // Elements will be separated by a space.
      width += length - 1;
    } else if (f.sharp) {
      // Only a leading 0x or 0X will be added for the whole string.
      width += 2;
    }
  } else {  // The byte slice or string that should be encoded is empty.
    if (f.wid_present) write_padding(f.wid);
    return;
  }
  // Handle padding to the left.
  if (f.wid_present && f.wid > width && !f.minus) write_padding(f.wid - width);
  if (f.sharp) {
    buf.push_back('0');
    buf.push_back(digits[16]);
  }
  for (int i = 0; i < length; ++i) {
    if (f.space && i > 0) {
      buf.push_back(' ');
      if (f.sharp) {
        buf.push_back('0');
        buf.push_back(digits[16]);
      }
    }
    const auto c = static_cast<unsigned char>(s[static_cast<std::size_t>(i)]);
    buf.push_back(digits[c >> 4]);
    buf.push_back(digits[c & 0xF]);
  }
  // Handle padding to the right.
  if (f.wid_present && f.wid > width && f.minus) write_padding(f.wid - width);
}

void Printer::fmt_string(const std::string& s, std::int32_t verb, const Value& v) {
  switch (verb) {
    case 'v':
      if (f.sharp_v) {
        fmt_q(s);
      } else {
        fmt_s(s);
      }
      break;
    case 's':
      fmt_s(s);
      break;
    case 'x':
      fmt_sbx(s, kLDigits);
      break;
    case 'X':
      fmt_sbx(s, kUDigits);
      break;
    case 'q':
      fmt_q(s);
      break;
    default:
      bad_verb(verb, v);
      break;
  }
}

void Printer::fmt_bytes(const Value& v, std::int32_t verb, int depth) {
  const Bytes& b = v.as_bytes();
  const std::string_view s(reinterpret_cast<const char*>(b.data()), b.size());
  switch (verb) {
    case 's':
      fmt_s(s);
      return;
    case 'x':
      fmt_sbx(s, kLDigits);
      return;
    case 'X':
      fmt_sbx(s, kUDigits);
      return;
    case 'q':
      fmt_q(s);
      return;
    default:
      break;
  }
  // Other verbs print the elements (uint8 values) one by one. A top-level unnamed byte slice is
  // spelled []byte in Go syntax.
  if (f.sharp_v) {
    buf += depth == 0 && v.type_name() == "[]uint8" ? "[]byte" : v.type_name();
    buf.push_back('{');
  } else {
    buf.push_back('[');
  }
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i > 0) buf += f.sharp_v ? ", " : " ";
    if (f.sharp_v) {
      fmt_0x64(b[i], true);
    } else if (verb == 'v' || verb == 'd') {
      fmt_integer_base(b[i], 10, false, verb, kLDigits);
    } else {
      Value elem(static_cast<std::uint64_t>(b[i]));
      switch (verb) {
        case 'b':
        case 'o':
        case 'O':
        case 'x':
        case 'X':
        case 'c':
        case 'q':
        case 'U':
          fmt_integer(b[i], false, verb, elem);
          break;
        default:
          // Bad verb on an element: Go names the element type uint8.
          buf += "%!";
          append_rune(buf, verb);
          buf += "(uint8=";
          fmt_integer_base(b[i], 10, false, 'v', kLDigits);
          buf.push_back(')');
          break;
      }
    }
  }
  buf.push_back(f.sharp_v ? '}' : ']');
}

void Printer::print_value(const Value& v, std::int32_t verb, int depth) {
  if (is_nil(v)) {
    if (depth > 0) {
      buf += f.sharp_v ? "interface {}(nil)" : "<nil>";
    } else if (verb == 'T' || verb == 'v') {
      pad("<nil>");
    } else {
      bad_verb(verb, v);
    }
    return;
  }
  if (verb == 'T') {
    fmt_s(v.type_name());
    return;
  }
  if (verb == 'p') {
    bad_verb(verb, v);
    return;
  }
  switch (v.kind()) {
    case Value::Kind::kBool:
      fmt_bool(v.as_bool(), verb, v);
      return;
    case Value::Kind::kInt:
      fmt_integer(static_cast<std::uint64_t>(v.as_int()), true, verb, v);
      return;
    case Value::Kind::kUint:
      fmt_integer(v.as_uint(), false, verb, v);
      return;
    case Value::Kind::kFloat:
      fmt_float(v.as_float(), verb, v);
      return;
    case Value::Kind::kString:
      fmt_string(v.as_string(), verb, v);
      return;
    case Value::Kind::kBytes:
      fmt_bytes(v, verb, depth);
      return;
    case Value::Kind::kList: {
      const auto& items = v.as_list();
      if (f.sharp_v) {
        buf += v.type_name();
        buf.push_back('{');
      } else {
        buf.push_back('[');
      }
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) buf += f.sharp_v ? ", " : " ";
        print_value(items[i], verb, depth + 1);
      }
      buf.push_back(f.sharp_v ? '}' : ']');
      return;
    }
    case Value::Kind::kMap: {
      if (f.sharp_v) {
        buf += v.type_name();
        buf.push_back('{');
      } else {
        buf += "map[";
      }
      bool first = true;
      for (const auto& [k, e] : v.as_map()) {
        if (!first) buf += f.sharp_v ? ", " : " ";
        first = false;
        print_value(Value(k), verb, depth + 1);
        buf.push_back(':');
        print_value(e, verb, depth + 1);
      }
      buf.push_back(f.sharp_v ? '}' : ']');
      return;
    }
    case Value::Kind::kStruct: {
      if (f.sharp_v) buf += v.type_name();
      buf.push_back('{');
      bool first = true;
      for (const auto& [name, e] : v.as_fields()) {
        if (!first) buf += f.sharp_v ? ", " : " ";
        first = false;
        if (f.plus_v || f.sharp_v) {
          buf += name;
          buf.push_back(':');
        }
        print_value(e, verb, depth + 1);
      }
      buf.push_back('}');
      return;
    }
    case Value::Kind::kInvalid:
    case Value::Kind::kNil:
      return;  // handled above
  }
}

// parsenum converts ASCII digits starting at s[start] to an integer; Go's fmt.parsenum.
struct ParsedNum {
  int num = 0;
  bool isnum = false;
  std::size_t newi = 0;
};

ParsedNum parsenum(std::string_view s, std::size_t start, std::size_t end) {
  ParsedNum out;
  if (start >= end) {
    out.newi = end;
    return out;
  }
  for (out.newi = start; out.newi < end && s[out.newi] >= '0' && s[out.newi] <= '9'; ++out.newi) {
    if (out.num > kTooLarge || out.num < -kTooLarge) return ParsedNum{0, false, end};
    out.num = out.num * 10 + (s[out.newi] - '0');
    out.isnum = true;
  }
  return out;
}

struct IntArg {
  int num = 0;
  bool is_int = false;
  std::size_t new_arg_num = 0;
};

IntArg int_from_arg(std::span<const Value> a, std::size_t arg_num) {
  IntArg out;
  out.new_arg_num = arg_num;
  if (arg_num < a.size()) {
    const Value& v = a[arg_num];
    if (v.kind() == Value::Kind::kInt) {
      const std::int64_t n = v.as_int();
      if (n >= std::numeric_limits<int>::min() && n <= std::numeric_limits<int>::max()) {
        out.num = static_cast<int>(n);
        out.is_int = true;
      }
    } else if (v.kind() == Value::Kind::kUint) {
      const std::uint64_t n = v.as_uint();
      if (n <= static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
        out.num = static_cast<int>(n);
        out.is_int = true;
      }
    }
    out.new_arg_num = arg_num + 1;
    if (out.num > kTooLarge || out.num < -kTooLarge) {
      out.num = 0;
      out.is_int = false;
    }
  }
  return out;
}

struct ArgIndex {
  int index = 0;
  std::size_t wid = 1;
  bool ok = false;
};

ArgIndex parse_arg_number(std::string_view format) {
  if (format.size() < 3) return ArgIndex{0, 1, false};
  for (std::size_t i = 1; i < format.size(); ++i) {
    if (format[i] == ']') {
      ParsedNum p = parsenum(format, 1, i);
      if (!p.isnum || p.newi != i) return ArgIndex{0, i + 1, false};
      return ArgIndex{p.num - 1, i + 1, true};
    }
  }
  return ArgIndex{0, 1, false};
}

void Printer::do_printf(std::string_view format, std::span<const Value> a) {
  const std::size_t end = format.size();
  std::size_t arg_num = 0;
  bool after_index = false;
  bool reordered = false;
  bool good_arg_num = true;

  // arg_number handles an explicit argument index like [3] at format[i].
  auto arg_number = [&](std::size_t i) -> std::size_t {
    after_index = false;
    if (format.size() <= i || format[i] != '[') return i;
    reordered = true;
    ArgIndex ai = parse_arg_number(format.substr(i));
    if (ai.ok && ai.index >= 0 && static_cast<std::size_t>(ai.index) < a.size()) {
      arg_num = static_cast<std::size_t>(ai.index);
      after_index = true;
      return i + ai.wid;
    }
    good_arg_num = false;
    after_index = ai.ok;
    return i + ai.wid;
  };

  for (std::size_t i = 0; i < end;) {
    good_arg_num = true;
    const std::size_t lasti = i;
    while (i < end && format[i] != '%')
      ++i;
    if (i > lasti) buf.append(format.substr(lasti, i - lasti));
    if (i >= end) break;
    ++i;  // skip %
    clear_flags();
    for (; i < end; ++i) {
      const char c = format[i];
      if (c == '#') {
        f.sharp = true;
      } else if (c == '0') {
        f.zero = true;
      } else if (c == '+') {
        f.plus = true;
      } else if (c == '-') {
        f.minus = true;
      } else if (c == ' ') {
        f.space = true;
      } else {
        break;
      }
    }
    i = arg_number(i);
    // Do we have width?
    if (i < end && format[i] == '*') {
      ++i;
      IntArg w = int_from_arg(a, arg_num);
      f.wid = w.num;
      f.wid_present = w.is_int;
      arg_num = w.new_arg_num;
      if (!f.wid_present) buf += "%!(BADWIDTH)";
      if (f.wid < 0) {
        f.wid = -f.wid;
        f.minus = true;
        f.zero = false;  // Do not pad with zeros to the right.
      }
      after_index = false;
    } else {
      ParsedNum p = parsenum(format, i, end);
      f.wid = p.num;
      f.wid_present = p.isnum;
      i = p.newi;
      if (after_index && f.wid_present) good_arg_num = false;  // "%[3]2d"
    }
    // Do we have precision?
    if (i + 1 < end && format[i] == '.') {
      ++i;
      if (after_index) good_arg_num = false;  // "%[3].2d"
      i = arg_number(i);
      if (i < end && format[i] == '*') {
        ++i;
        IntArg p = int_from_arg(a, arg_num);
        f.prec = p.num;
        f.prec_present = p.is_int;
        arg_num = p.new_arg_num;
        // Negative precision arguments don't make sense.
        if (f.prec < 0) {
          f.prec = 0;
          f.prec_present = false;
        }
        if (!f.prec_present) buf += "%!(BADPREC)";
        after_index = false;
      } else {
        ParsedNum p = parsenum(format, i, end);
        f.prec = p.num;
        f.prec_present = p.isnum;
        i = p.newi;
        if (!f.prec_present) {
          f.prec = 0;
          f.prec_present = true;
        }
      }
    }
    if (!after_index) i = arg_number(i);
    if (i >= end) {
      buf += "%!(NOVERB)";
      break;
    }
    std::int32_t verb = static_cast<unsigned char>(format[i]);
    std::size_t size = 1;
    if (verb >= 0x80) {
      DecodedRune d = decode_rune(format, i);
      verb = d.rune;
      size = d.width;
    }
    i += size;
    if (verb == '%') {
      buf.push_back('%');  // Percent does not absorb operands and ignores width and precision.
    } else if (!good_arg_num) {
      buf += "%!";
      append_rune(buf, verb);
      buf += "(BADINDEX)";
    } else if (arg_num >= a.size()) {
      buf += "%!";
      append_rune(buf, verb);
      buf += "(MISSING)";
    } else {
      if (verb == 'v') {
        f.sharp_v = f.sharp;  // Go syntax
        f.sharp = false;
        f.plus_v = f.plus;  // Struct-field syntax
        f.plus = false;
      }
      print_arg(a[arg_num], verb);
      ++arg_num;
    }
  }
  // Check for extra arguments unless the call accessed the arguments out of order.
  if (!reordered && arg_num < a.size()) {
    clear_flags();
    buf += "%!(EXTRA ";
    for (std::size_t k = arg_num; k < a.size(); ++k) {
      if (k > arg_num) buf += ", ";
      if (is_nil(a[k])) {
        buf += "<nil>";
      } else {
        buf += a[k].type_name();
        buf.push_back('=');
        print_arg(a[k], 'v');
      }
    }
    buf.push_back(')');
  }
}

}  // namespace

std::string sprint(std::span<const Value> args) {
  Printer p;
  bool prev_string = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    p.clear_flags();
    const bool is_string = args[i].kind() == Value::Kind::kString;
    if (i > 0 && !is_string && !prev_string) p.buf.push_back(' ');
    p.print_arg(args[i], 'v');
    prev_string = is_string;
  }
  return std::move(p.buf);
}

std::string sprintln(std::span<const Value> args) {
  Printer p;
  for (std::size_t i = 0; i < args.size(); ++i) {
    p.clear_flags();
    if (i > 0) p.buf.push_back(' ');
    p.print_arg(args[i], 'v');
  }
  p.buf.push_back('\n');
  return std::move(p.buf);
}

std::string sprintf(std::string_view format, std::span<const Value> args) {
  Printer p;
  p.do_printf(format, args);
  return std::move(p.buf);
}

std::string sprint_verb(const Value& v, char verb) {
  Printer p;
  p.print_arg(v, verb);
  return std::move(p.buf);
}

}  // namespace detail

std::string format_value(const Value& v) {
  if (!v.is_valid()) return "<no value>";
  const Value args[] = {v};
  return detail::sprint(args);
}

}  // namespace mr::gotemplate
