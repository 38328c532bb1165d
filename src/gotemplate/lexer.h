#pragma once
// Internal: the template lexer, a port of Go's text/template/parse/lex.go (default delimiters
// "{{" and "}}", comments not emitted). The parser pulls one item at a time with next_item().

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mr::gotemplate::detail {

enum class ItemType {
  kError,         // error occurred; value is text of error
  kBool,          // boolean constant
  kChar,          // printable ASCII character; grab bag for comma etc.
  kCharConstant,  // character constant
  kComplex,       // complex constant (1+2i)
  kAssign,        // equals ('=') introducing an assignment
  kDeclare,       // colon-equals (':=') introducing a declaration
  kEOF,
  kField,       // alphanumeric identifier starting with '.'
  kIdentifier,  // alphanumeric identifier not starting with '.'
  kLeftDelim,   // left action delimiter
  kLeftParen,   // '(' inside action
  kNumber,      // simple number, including imaginary
  kPipe,        // pipe symbol
  kRawString,   // raw quoted string (includes quotes)
  kRightDelim,  // right action delimiter
  kRightParen,  // ')' inside action
  kSpace,       // run of spaces separating arguments
  kString,      // quoted string (includes quotes)
  kText,        // plain text
  kVariable,    // variable starting with '$'
  // Keywords appear after all the rest.
  kKeyword,
  kBlock,
  kBreak,
  kContinue,
  kDot,
  kDefine,
  kElse,
  kEnd,
  kIf,
  kNil,
  kRange,
  kTemplate,
  kWith,
};

struct Item {
  ItemType type = ItemType::kEOF;
  std::size_t pos = 0;  // byte offset of the item in the input
  std::string val;      // the item text, or the message of an error item
  int line = 1;         // line number at the start of the item

  // to_string is Go's item.String(), used in "unexpected ..." parse errors.
  [[nodiscard]] std::string to_string() const;
};

class Lexer {
 public:
  // |input| must outlive the lexer. break_ok/continue_ok say whether those words are keywords
  // (they are not when the function map defines functions with those names).
  Lexer(std::string_view input, bool break_ok, bool continue_ok)
      : input_(input), break_ok_(break_ok), continue_ok_(continue_ok) {}

  // next_item scans and returns the next item; after EOF or an error it keeps returning EOF.
  Item next_item();

 private:
  enum class State {
    kDone,
    kText,
    kLeftDelim,
    kComment,
    kRightDelim,
    kInsideAction,
    kSpace,
    kIdentifier,
    kField,
    kVariable,
    kChar,
    kNumber,
    kQuote,
    kRawQuote,
  };

  static constexpr std::int32_t kEof = -1;

  std::int32_t next();
  std::int32_t peek();
  void backup();
  Item this_item(ItemType t);
  State emit(ItemType t);
  State emit_item(Item i);
  void ignore();
  bool accept(std::string_view valid);
  void accept_run(std::string_view valid);
  State errorf(std::string msg);
  bool at_terminator();
  bool at_right_delim(bool* trim_spaces) const;
  bool scan_number();

  State lex_text();
  State lex_left_delim();
  State lex_comment();
  State lex_right_delim();
  State lex_inside_action();
  State lex_space();
  State lex_identifier();
  State lex_field_or_variable(ItemType typ);
  State lex_variable();
  State lex_char();
  State lex_number();
  State lex_quote();
  State lex_raw_quote();

  std::string_view input_;
  bool break_ok_;
  bool continue_ok_;
  std::size_t pos_ = 0;
  std::size_t start_ = 0;
  bool at_eof_ = false;
  int paren_depth_ = 0;
  int line_ = 1;
  int start_line_ = 1;
  bool inside_action_ = false;
  Item item_;
};

}  // namespace mr::gotemplate::detail
