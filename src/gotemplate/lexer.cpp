#include "gotemplate/lexer.h"

#include <algorithm>

#include "gotemplate/go_strings.h"

namespace mr::gotemplate::detail {

namespace {

constexpr std::string_view kLeftDelim = "{{";
constexpr std::string_view kRightDelim = "}}";
constexpr std::string_view kLeftComment = "/*";
constexpr std::string_view kRightComment = "*/";
constexpr std::string_view kSpaceChars = " \t\r\n";
constexpr std::size_t kTrimMarkerLen = 2;  // marker plus space before or after

bool is_space(std::int32_t r) {
  return r == ' ' || r == '\t' || r == '\r' || r == '\n';
}

bool has_left_trim_marker(std::string_view s) {
  return s.size() >= 2 && s[0] == '-' && is_space(static_cast<unsigned char>(s[1]));
}

bool has_right_trim_marker(std::string_view s) {
  return s.size() >= 2 && is_space(static_cast<unsigned char>(s[0])) && s[1] == '-';
}

std::size_t right_trim_length(std::string_view s) {
  const std::size_t keep = s.find_last_not_of(kSpaceChars);
  return keep == std::string_view::npos ? s.size() : s.size() - keep - 1;
}

std::size_t left_trim_length(std::string_view s) {
  const std::size_t keep = s.find_first_not_of(kSpaceChars);
  return keep == std::string_view::npos ? s.size() : keep;
}

int count_newlines(std::string_view s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

ItemType keyword(std::string_view word) {
  if (word == ".") return ItemType::kDot;
  if (word == "block") return ItemType::kBlock;
  if (word == "break") return ItemType::kBreak;
  if (word == "continue") return ItemType::kContinue;
  if (word == "define") return ItemType::kDefine;
  if (word == "else") return ItemType::kElse;
  if (word == "end") return ItemType::kEnd;
  if (word == "if") return ItemType::kIf;
  if (word == "range") return ItemType::kRange;
  if (word == "nil") return ItemType::kNil;
  if (word == "template") return ItemType::kTemplate;
  if (word == "with") return ItemType::kWith;
  return ItemType::kError;
}

std::string truncated_quote(std::string_view s, std::size_t runes) {
  std::size_t i = 0;
  for (std::size_t n = 0; n < runes && i < s.size(); ++n)
    i += decode_rune(s, i).width;
  return quote(s.substr(0, i));
}

}  // namespace

std::string Item::to_string() const {
  if (type == ItemType::kEOF) return "EOF";
  if (type == ItemType::kError) return val;
  if (type > ItemType::kKeyword) return "<" + val + ">";
  if (val.size() > 10) return truncated_quote(val, 10) + "...";
  return quote(val);
}

std::int32_t Lexer::next() {
  if (pos_ >= input_.size()) {
    at_eof_ = true;
    return kEof;
  }
  DecodedRune d = decode_rune(input_, pos_);
  pos_ += d.width;
  if (d.rune == '\n') ++line_;
  return d.rune;
}

std::int32_t Lexer::peek() {
  const std::int32_t r = next();
  backup();
  return r;
}

void Lexer::backup() {
  if (!at_eof_ && pos_ > 0) {
    DecodedRune d = decode_last_rune(input_.substr(0, pos_));
    pos_ -= d.width;
    if (d.rune == '\n') --line_;
  }
  at_eof_ = false;
}

Item Lexer::this_item(ItemType t) {
  Item i{t, start_, std::string(input_.substr(start_, pos_ - start_)), start_line_};
  start_ = pos_;
  start_line_ = line_;
  return i;
}

Lexer::State Lexer::emit(ItemType t) {
  return emit_item(this_item(t));
}

Lexer::State Lexer::emit_item(Item i) {
  item_ = std::move(i);
  return State::kDone;
}

void Lexer::ignore() {
  line_ += count_newlines(input_.substr(start_, pos_ - start_));
  start_ = pos_;
  start_line_ = line_;
}

bool Lexer::accept(std::string_view valid) {
  const std::int32_t r = next();
  if (r >= 0 && r < 0x80 && valid.find(static_cast<char>(r)) != std::string_view::npos) {
    return true;
  }
  backup();
  return false;
}

void Lexer::accept_run(std::string_view valid) {
  for (;;) {
    const std::int32_t r = next();
    if (r >= 0 && r < 0x80 && valid.find(static_cast<char>(r)) != std::string_view::npos) continue;
    break;
  }
  backup();
}

Lexer::State Lexer::errorf(std::string msg) {
  item_ = Item{ItemType::kError, start_, std::move(msg), start_line_};
  start_ = 0;
  pos_ = 0;
  input_ = input_.substr(0, 0);
  return State::kDone;
}

Item Lexer::next_item() {
  item_ = Item{ItemType::kEOF, pos_, "EOF", start_line_};
  State state = inside_action_ ? State::kInsideAction : State::kText;
  while (state != State::kDone) {
    switch (state) {
      case State::kText:
        state = lex_text();
        break;
      case State::kLeftDelim:
        state = lex_left_delim();
        break;
      case State::kComment:
        state = lex_comment();
        break;
      case State::kRightDelim:
        state = lex_right_delim();
        break;
      case State::kInsideAction:
        state = lex_inside_action();
        break;
      case State::kSpace:
        state = lex_space();
        break;
      case State::kIdentifier:
        state = lex_identifier();
        break;
      case State::kField:
        state = lex_field_or_variable(ItemType::kField);
        break;
      case State::kVariable:
        state = lex_variable();
        break;
      case State::kChar:
        state = lex_char();
        break;
      case State::kNumber:
        state = lex_number();
        break;
      case State::kQuote:
        state = lex_quote();
        break;
      case State::kRawQuote:
        state = lex_raw_quote();
        break;
      case State::kDone:
        break;
    }
  }
  return item_;
}

Lexer::State Lexer::lex_text() {
  const std::size_t x = input_.find(kLeftDelim, pos_);
  if (x != std::string_view::npos) {
    if (x > pos_) {
      pos_ = x;
      std::size_t trim_length = 0;
      const std::size_t delim_end = pos_ + kLeftDelim.size();
      if (has_left_trim_marker(input_.substr(delim_end))) {
        trim_length = right_trim_length(input_.substr(start_, pos_ - start_));
      }
      pos_ -= trim_length;
      line_ += count_newlines(input_.substr(start_, pos_ - start_));
      Item i = this_item(ItemType::kText);
      pos_ += trim_length;
      ignore();
      if (!i.val.empty()) return emit_item(std::move(i));
    }
    return State::kLeftDelim;
  }
  pos_ = input_.size();
  if (pos_ > start_) {
    line_ += count_newlines(input_.substr(start_, pos_ - start_));
    return emit(ItemType::kText);
  }
  return emit(ItemType::kEOF);
}

bool Lexer::at_right_delim(bool* trim_spaces) const {
  const std::string_view rest = input_.substr(pos_);
  if (has_right_trim_marker(rest) && rest.substr(kTrimMarkerLen).starts_with(kRightDelim)) {
    *trim_spaces = true;
    return true;
  }
  *trim_spaces = false;
  return rest.starts_with(kRightDelim);
}

Lexer::State Lexer::lex_left_delim() {
  pos_ += kLeftDelim.size();
  const bool trim_space = has_left_trim_marker(input_.substr(pos_));
  const std::size_t after_marker = trim_space ? kTrimMarkerLen : 0;
  if (input_.substr(pos_ + after_marker).starts_with(kLeftComment)) {
    pos_ += after_marker;
    ignore();
    return State::kComment;
  }
  Item i = this_item(ItemType::kLeftDelim);
  inside_action_ = true;
  pos_ += after_marker;
  ignore();
  paren_depth_ = 0;
  return emit_item(std::move(i));
}

Lexer::State Lexer::lex_comment() {
  pos_ += kLeftComment.size();
  const std::size_t x = input_.find(kRightComment, pos_);
  if (x == std::string_view::npos) return errorf("unclosed comment");
  pos_ = x + kRightComment.size();
  bool trim_space = false;
  if (!at_right_delim(&trim_space)) return errorf("comment ends before closing delimiter");
  line_ += count_newlines(input_.substr(start_, pos_ - start_));
  start_ = pos_;  // comments are not emitted
  start_line_ = line_;
  if (trim_space) pos_ += kTrimMarkerLen;
  pos_ += kRightDelim.size();
  if (trim_space) pos_ += left_trim_length(input_.substr(pos_));
  ignore();
  return State::kText;
}

Lexer::State Lexer::lex_right_delim() {
  bool trim_space = false;
  (void)at_right_delim(&trim_space);
  if (trim_space) {
    pos_ += kTrimMarkerLen;
    ignore();
  }
  pos_ += kRightDelim.size();
  Item i = this_item(ItemType::kRightDelim);
  if (trim_space) {
    pos_ += left_trim_length(input_.substr(pos_));
    ignore();
  }
  inside_action_ = false;
  return emit_item(std::move(i));
}

Lexer::State Lexer::lex_inside_action() {
  bool trim = false;
  if (at_right_delim(&trim)) {
    if (paren_depth_ == 0) return State::kRightDelim;
    return errorf("unclosed left paren");
  }
  const std::int32_t r = next();
  if (r == kEof) return errorf("unclosed action");
  if (is_space(r)) {
    backup();  // Put space back in case we have " -}}".
    return State::kSpace;
  }
  switch (r) {
    case '=':
      return emit(ItemType::kAssign);
    case ':':
      if (next() != '=') return errorf("expected :=");
      return emit(ItemType::kDeclare);
    case '|':
      return emit(ItemType::kPipe);
    case '"':
      return State::kQuote;
    case '`':
      return State::kRawQuote;
    case '$':
      return State::kVariable;
    case '\'':
      return State::kChar;
    case '.':
      // Special look-ahead for ".field" so we don't break backup().
      if (pos_ < input_.size()) {
        const char c = input_[pos_];
        if (c < '0' || c > '9') return State::kField;
      }
      backup();  // '.' can start a number.
      return State::kNumber;
    case '(':
      ++paren_depth_;
      return emit(ItemType::kLeftParen);
    case ')':
      --paren_depth_;
      if (paren_depth_ < 0) return errorf("unexpected right paren");
      return emit(ItemType::kRightParen);
    default:
      break;
  }
  if (r == '+' || r == '-' || (r >= '0' && r <= '9')) {
    backup();
    return State::kNumber;
  }
  if (is_alpha_numeric(r)) {
    backup();
    return State::kIdentifier;
  }
  if (r < 0x80 && is_print(r)) return emit(ItemType::kChar);
  return errorf("unrecognized character in action: " + format_unicode_sharp(r));
}

Lexer::State Lexer::lex_space() {
  int num_spaces = 0;
  while (is_space(peek())) {
    next();
    ++num_spaces;
  }
  // Be careful about a trim-marked closing delimiter, which has a minus after a space.
  const std::string_view rest = input_.substr(pos_ - 1);
  if (has_right_trim_marker(rest) && rest.substr(kTrimMarkerLen).starts_with(kRightDelim)) {
    backup();                                        // Before the space.
    if (num_spaces == 1) return State::kRightDelim;  // On the delim, so go right to that.
  }
  return emit(ItemType::kSpace);
}

Lexer::State Lexer::lex_identifier() {
  for (;;) {
    const std::int32_t r = next();
    if (is_alpha_numeric(r)) continue;
    backup();
    const std::string_view word = input_.substr(start_, pos_ - start_);
    if (!at_terminator()) return errorf("bad character " + format_unicode_sharp(r));
    const ItemType key = keyword(word);
    if (key > ItemType::kKeyword) {
      if ((key == ItemType::kBreak && !break_ok_) ||
          (key == ItemType::kContinue && !continue_ok_)) {
        return emit(ItemType::kIdentifier);
      }
      return emit(key);
    }
    if (word[0] == '.') return emit(ItemType::kField);
    if (word == "true" || word == "false") return emit(ItemType::kBool);
    return emit(ItemType::kIdentifier);
  }
}

Lexer::State Lexer::lex_variable() {
  if (at_terminator()) return emit(ItemType::kVariable);  // Nothing interesting follows -> "$".
  return lex_field_or_variable(ItemType::kVariable);
}

Lexer::State Lexer::lex_field_or_variable(ItemType typ) {
  if (at_terminator()) {  // Nothing interesting follows -> "." or "$".
    return emit(typ == ItemType::kVariable ? ItemType::kVariable : ItemType::kDot);
  }
  std::int32_t r;
  for (;;) {
    r = next();
    if (!is_alpha_numeric(r)) {
      backup();
      break;
    }
  }
  if (!at_terminator()) return errorf("bad character " + format_unicode_sharp(r));
  return emit(typ);
}

bool Lexer::at_terminator() {
  const std::int32_t r = peek();
  if (is_space(r)) return true;
  switch (r) {
    case kEof:
    case '.':
    case ',':
    case '|':
    case ':':
    case ')':
    case '(':
      return true;
    default:
      break;
  }
  return input_.substr(pos_).starts_with(kRightDelim);
}

Lexer::State Lexer::lex_char() {
  for (;;) {
    std::int32_t r = next();
    if (r == '\\') {
      r = next();
      if (r != kEof && r != '\n') continue;
      return errorf("unterminated character constant");
    }
    if (r == kEof || r == '\n') return errorf("unterminated character constant");
    if (r == '\'') break;
  }
  return emit(ItemType::kCharConstant);
}

Lexer::State Lexer::lex_number() {
  if (!scan_number()) {
    return errorf("bad number syntax: " + quote(input_.substr(start_, pos_ - start_)));
  }
  const std::int32_t sign = peek();
  if (sign == '+' || sign == '-') {
    // Complex: 1+2i. No spaces, must end in 'i'.
    if (!scan_number() || input_[pos_ - 1] != 'i') {
      return errorf("bad number syntax: " + quote(input_.substr(start_, pos_ - start_)));
    }
    return emit(ItemType::kComplex);
  }
  return emit(ItemType::kNumber);
}

bool Lexer::scan_number() {
  accept("+-");
  std::string_view digits = "0123456789_";
  if (accept("0")) {
    // Note: Leading 0 does not mean octal in floats.
    if (accept("xX")) {
      digits = "0123456789abcdefABCDEF_";
    } else if (accept("oO")) {
      digits = "01234567_";
    } else if (accept("bB")) {
      digits = "01_";
    }
  }
  accept_run(digits);
  if (accept(".")) accept_run(digits);
  if (digits.size() == 10 + 1 && accept("eE")) {
    accept("+-");
    accept_run("0123456789_");
  }
  if (digits.size() == 16 + 6 + 1 && accept("pP")) {
    accept("+-");
    accept_run("0123456789_");
  }
  accept("i");  // Is it imaginary?
  // Next thing mustn't be alphanumeric.
  if (is_alpha_numeric(peek())) {
    next();
    return false;
  }
  return true;
}

Lexer::State Lexer::lex_quote() {
  for (;;) {
    std::int32_t r = next();
    if (r == '\\') {
      r = next();
      if (r != kEof && r != '\n') continue;
      return errorf("unterminated quoted string");
    }
    if (r == kEof || r == '\n') return errorf("unterminated quoted string");
    if (r == '"') break;
  }
  return emit(ItemType::kString);
}

Lexer::State Lexer::lex_raw_quote() {
  for (;;) {
    const std::int32_t r = next();
    if (r == kEof) return errorf("unterminated raw quoted string");
    if (r == '`') break;
  }
  return emit(ItemType::kRawString);
}

}  // namespace mr::gotemplate::detail
