#include "gotemplate/parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "gotemplate/go_strings.h"
#include "gotemplate/lexer.h"

namespace mr::gotemplate::detail {

TemplateNode::TemplateNode(std::size_t p, int l, std::string n, std::unique_ptr<PipeNode> pp)
    : Node(NodeType::kTemplate, p), line(l), name(std::move(n)), pipe(std::move(pp)) {}

void TemplateNode::write_to(std::string& out) const {
  out += "{{template ";
  out += quote(name);
  if (pipe) {
    out.push_back(' ');
    pipe->write_to(out);
  }
  out += "}}";
}

bool is_empty_tree(const Node* n) {
  if (n == nullptr) return true;
  switch (n->type) {
    case NodeType::kList:
      for (const auto& c : static_cast<const ListNode*>(n)->nodes) {
        if (!is_empty_tree(c.get())) return false;
      }
      return true;
    case NodeType::kText: {
      const auto& t = static_cast<const TextNode*>(n)->text;
      return t.find_first_not_of(" \t\r\n\v\f") == std::string::npos;
    }
    default:
      return false;
  }
}

Builtin builtin_named(std::string_view name) {
  static const std::map<std::string_view, Builtin, std::less<>> kBuiltins = {
      {"and", Builtin::kAnd},
      {"call", Builtin::kCall},
      {"html", Builtin::kHtml},
      {"index", Builtin::kIndex},
      {"slice", Builtin::kSlice},
      {"js", Builtin::kJs},
      {"len", Builtin::kLen},
      {"not", Builtin::kNot},
      {"or", Builtin::kOr},
      {"print", Builtin::kPrint},
      {"printf", Builtin::kPrintf},
      {"println", Builtin::kPrintln},
      {"urlquery", Builtin::kUrlquery},
      {"eq", Builtin::kEq},
      {"ge", Builtin::kGe},
      {"gt", Builtin::kGt},
      {"le", Builtin::kLe},
      {"lt", Builtin::kLt},
      {"ne", Builtin::kNe},
  };
  auto it = kBuiltins.find(name);
  return it == kBuiltins.end() ? Builtin::kNone : it->second;
}

namespace {

// State shared by the parsers of one text (the top-level template and its definitions).
struct ParseShared {
  std::string_view parse_name;
  const FuncMap* funcs;
  Lexer* lex;
  TreeSet* tree_set;
  int depth = 0;  // current recursion depth, across nested definitions and blocks
};

// DepthGuard counts one level of parser recursion.
class DepthGuard {
 public:
  explicit DepthGuard(int& depth) : depth_(depth) { ++depth_; }
  ~DepthGuard() { --depth_; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;

 private:
  int& depth_;
};

struct ControlParts {
  std::size_t pos;
  int line;
  std::unique_ptr<PipeNode> pipe;
  std::unique_ptr<ListNode> list;
  std::unique_ptr<ListNode> else_list;
};

struct ListAndEnd {
  std::unique_ptr<ListNode> list;
  NodePtr end;  // an EndNode or ElseNode
};

std::vector<std::string> split_dots(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = s.find('.', start);
    if (dot == std::string_view::npos) {
      out.emplace_back(s.substr(start));
      return out;
    }
    out.emplace_back(s.substr(start, dot - start));
    start = dot + 1;
  }
}

class TreeParser {
 public:
  TreeParser(ParseShared& sh, std::string name) : sh_(sh), name_(std::move(name)), vars_{"$"} {}

  // parse_top is Go's Tree.parse followed by add: the top level of the text, to EOF.
  Status parse_top();
  // parse_definition parses {{define "name"}} ... {{end}}; "define" has been consumed.
  Status parse_definition();
  // parse_block_body parses the body of {{block}} up to {{end}} and installs it.
  Result<NodePtr> parse_block_body();

 private:
  Item next();
  void backup() { ++peek_count_; }
  void backup2(Item t1);
  void backup3(Item t2, Item t1);
  const Item& peek();
  Item next_non_space();
  Item peek_non_space();

  [[nodiscard]] Error errorf(std::string_view msg) const;
  [[nodiscard]] Error unexpected(const Item& token, std::string_view context) const;
  Result<Item> expect(ItemType expected, std::string_view context);
  Result<Item> expect_one_of(ItemType e1, ItemType e2, std::string_view context);
  Status add();

  Result<ListAndEnd> item_list();
  Result<NodePtr> text_or_action();
  Result<NodePtr> action();
  Result<NodePtr> break_control(NodeType type, std::size_t pos, int line);
  Result<std::unique_ptr<PipeNode>> pipeline(std::string_view context, ItemType end);
  Status check_pipeline(const PipeNode& pipe, std::string_view context);
  Result<ControlParts> parse_control(std::string_view context);
  Result<NodePtr> if_control();
  Result<NodePtr> range_control();
  Result<NodePtr> with_control();
  Result<NodePtr> end_control();
  Result<NodePtr> else_control();
  Result<NodePtr> block_control();
  Result<NodePtr> template_control();
  Result<std::string> parse_template_name(const Item& token, std::string_view context);
  Result<std::unique_ptr<CommandNode>> command();
  Result<NodePtr> operand();
  Result<NodePtr> term();
  Result<NodePtr> new_number(const Item& token);
  Result<NodePtr> use_var(std::size_t pos, std::string_view name);

  ParseShared& sh_;
  std::string name_;
  std::unique_ptr<ListNode> root_;
  Item token_[3];
  int peek_count_ = 0;
  std::vector<std::string> vars_;
  int action_line_ = 0;
  int range_depth_ = 0;
};

Item TreeParser::next() {
  if (peek_count_ > 0) {
    --peek_count_;
  } else {
    token_[0] = sh_.lex->next_item();
  }
  return token_[peek_count_];
}

void TreeParser::backup2(Item t1) {
  token_[1] = std::move(t1);
  peek_count_ = 2;
}

void TreeParser::backup3(Item t2, Item t1) {
  token_[1] = std::move(t1);
  token_[2] = std::move(t2);
  peek_count_ = 3;
}

const Item& TreeParser::peek() {
  if (peek_count_ > 0) return token_[peek_count_ - 1];
  peek_count_ = 1;
  token_[0] = sh_.lex->next_item();
  return token_[0];
}

Item TreeParser::next_non_space() {
  for (;;) {
    Item token = next();
    if (token.type != ItemType::kSpace) return token;
  }
}

Item TreeParser::peek_non_space() {
  Item token = next_non_space();
  backup();
  return token;
}

Error TreeParser::errorf(std::string_view msg) const {
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("template: {}:{}: {}", sh_.parse_name, token_[0].line, msg)};
}

Error TreeParser::unexpected(const Item& token, std::string_view context) const {
  if (token.type == ItemType::kError) {
    std::string extra;
    if (action_line_ != 0 && action_line_ != token.line) {
      extra = fmt::format(" in action started at {}:{}", sh_.parse_name, action_line_);
      if (token.val.ends_with(" action"))
        extra = extra.substr(std::string_view(" in action").size());
    }
    return errorf(token.to_string() + extra);
  }
  return errorf(fmt::format("unexpected {} in {}", token.to_string(), context));
}

Result<Item> TreeParser::expect(ItemType expected, std::string_view context) {
  Item token = next_non_space();
  if (token.type != expected) return fail(unexpected(token, context));
  return token;
}

Result<Item> TreeParser::expect_one_of(ItemType e1, ItemType e2, std::string_view context) {
  Item token = next_non_space();
  if (token.type != e1 && token.type != e2) return fail(unexpected(token, context));
  return token;
}

Status TreeParser::add() {
  auto it = sh_.tree_set->find(name_);
  if (it == sh_.tree_set->end() || is_empty_tree(it->second->root.get())) {
    auto tree = std::make_shared<Tree>();
    tree->name = name_;
    tree->root = std::move(root_);
    (*sh_.tree_set)[name_] = std::move(tree);
    return ok();
  }
  if (!is_empty_tree(root_.get())) {
    return fail(errorf("template: multiple definition of template " + quote(name_)));
  }
  return ok();
}

Status TreeParser::parse_top() {
  root_ = std::make_unique<ListNode>(peek().pos);
  while (peek().type != ItemType::kEOF) {
    if (peek().type == ItemType::kLeftDelim) {
      Item delim = next();
      if (next_non_space().type == ItemType::kDefine) {
        TreeParser def(sh_, "definition");  // name will be updated once we know it.
        MR_RETURN_IF_ERROR(def.parse_definition());
        continue;
      }
      backup2(std::move(delim));
    }
    MR_ASSIGN_OR_RETURN(NodePtr n, text_or_action());
    if (n->type == NodeType::kEnd || n->type == NodeType::kElse) {
      return fail(errorf("unexpected " + n->to_string()));
    }
    root_->nodes.push_back(std::move(n));
  }
  return add();
}

Status TreeParser::parse_definition() {
  constexpr std::string_view kContext = "define clause";
  MR_ASSIGN_OR_RETURN(Item name, expect_one_of(ItemType::kString, ItemType::kRawString, kContext));
  auto unquoted = unquote(name.val);
  if (!unquoted) return fail(errorf("invalid syntax"));
  name_ = std::move(*unquoted);
  MR_RETURN_IF_ERROR(expect(ItemType::kRightDelim, kContext));
  MR_ASSIGN_OR_RETURN(ListAndEnd le, item_list());
  root_ = std::move(le.list);
  if (le.end->type != NodeType::kEnd) {
    return fail(errorf(fmt::format("unexpected {} in {}", le.end->to_string(), kContext)));
  }
  return add();
}

Result<ListAndEnd> TreeParser::item_list() {
  ListAndEnd out;
  out.list = std::make_unique<ListNode>(peek_non_space().pos);
  while (peek_non_space().type != ItemType::kEOF) {
    MR_ASSIGN_OR_RETURN(NodePtr n, text_or_action());
    if (n->type == NodeType::kEnd || n->type == NodeType::kElse) {
      out.end = std::move(n);
      return out;
    }
    out.list->nodes.push_back(std::move(n));
  }
  return fail(errorf("unexpected EOF"));
}

Result<NodePtr> TreeParser::text_or_action() {
  Item token = next_non_space();
  switch (token.type) {
    case ItemType::kText:
      return NodePtr(std::make_unique<TextNode>(token.pos, std::move(token.val)));
    case ItemType::kLeftDelim: {
      action_line_ = token.line;
      auto n = action();
      action_line_ = 0;
      return n;
    }
    default:
      return fail(unexpected(token, "input"));
  }
}

Result<NodePtr> TreeParser::action() {
  Item token = next_non_space();
  switch (token.type) {
    case ItemType::kBlock:
      return block_control();
    case ItemType::kBreak:
      return break_control(NodeType::kBreak, token.pos, token.line);
    case ItemType::kContinue:
      return break_control(NodeType::kContinue, token.pos, token.line);
    case ItemType::kElse:
      return else_control();
    case ItemType::kEnd:
      return end_control();
    case ItemType::kIf:
      return if_control();
    case ItemType::kRange:
      return range_control();
    case ItemType::kTemplate:
      return template_control();
    case ItemType::kWith:
      return with_control();
    default:
      break;
  }
  backup();
  const std::size_t pos = peek().pos;
  const int line = peek().line;
  // Do not pop variables; they persist until "end".
  MR_ASSIGN_OR_RETURN(auto pipe, pipeline("command", ItemType::kRightDelim));
  return NodePtr(std::make_unique<ActionNode>(pos, line, std::move(pipe)));
}

Result<NodePtr> TreeParser::break_control(NodeType type, std::size_t pos, int line) {
  const std::string_view word = type == NodeType::kBreak ? "{{break}}" : "{{continue}}";
  Item token = next_non_space();
  if (token.type != ItemType::kRightDelim) return fail(unexpected(token, word));
  if (range_depth_ == 0) return fail(errorf(fmt::format("{} outside {{{{range}}}}", word)));
  return NodePtr(std::make_unique<BreakNode>(type, pos, line));
}

Result<std::unique_ptr<PipeNode>> TreeParser::pipeline(std::string_view context, ItemType end) {
  const Item& first = peek_non_space();
  auto pipe = std::make_unique<PipeNode>(first.pos, first.line);
  // Are there declarations or assignments?
  for (bool again = true; again;) {
    again = false;
    Item v = peek_non_space();
    if (v.type != ItemType::kVariable) break;
    next();
    // Since space is a token, we need 3-token look-ahead here in the worst case: in "$x foo" we
    // need to read "foo" (as opposed to ":=") to know that $x is an argument variable rather
    // than a declaration. So remember the token adjacent to the variable so we can push it back.
    Item token_after_variable = peek();
    Item nxt = peek_non_space();
    if (nxt.type == ItemType::kAssign || nxt.type == ItemType::kDeclare) {
      pipe->is_assign = nxt.type == ItemType::kAssign;
      next_non_space();
      pipe->decl.push_back(std::make_unique<VariableNode>(v.pos, split_dots(v.val)));
      vars_.push_back(v.val);
    } else if (nxt.type == ItemType::kChar && nxt.val == ",") {
      next_non_space();
      pipe->decl.push_back(std::make_unique<VariableNode>(v.pos, split_dots(v.val)));
      vars_.push_back(v.val);
      if (context == "range" && pipe->decl.size() < 2) {
        const ItemType t = peek_non_space().type;
        if (t == ItemType::kVariable || t == ItemType::kRightDelim || t == ItemType::kRightParen) {
          again = true;  // second initialized variable in a range pipeline
          continue;
        }
        return fail(errorf("range can only initialize variables"));
      }
      return fail(errorf(fmt::format("too many declarations in {}", context)));
    } else if (token_after_variable.type == ItemType::kSpace) {
      backup3(std::move(v), std::move(token_after_variable));
    } else {
      backup2(std::move(v));
    }
  }
  for (;;) {
    Item token = next_non_space();
    if (token.type == end) {
      MR_RETURN_IF_ERROR(check_pipeline(*pipe, context));
      return pipe;
    }
    switch (token.type) {
      case ItemType::kBool:
      case ItemType::kCharConstant:
      case ItemType::kComplex:
      case ItemType::kDot:
      case ItemType::kField:
      case ItemType::kIdentifier:
      case ItemType::kNumber:
      case ItemType::kNil:
      case ItemType::kRawString:
      case ItemType::kString:
      case ItemType::kVariable:
      case ItemType::kLeftParen: {
        backup();
        MR_ASSIGN_OR_RETURN(auto cmd, command());
        pipe->cmds.push_back(std::move(cmd));
        if (pipe->cmds.size() > kMaxPipelineCmds) return fail(errorf("pipeline too long"));
        break;
      }
      default:
        return fail(unexpected(token, context));
    }
  }
}

Status TreeParser::check_pipeline(const PipeNode& pipe, std::string_view context) {
  if (pipe.cmds.empty()) return fail(errorf(fmt::format("missing value for {}", context)));
  // Only the first command of a pipeline can start with a non executable operand.
  for (std::size_t i = 1; i < pipe.cmds.size(); ++i) {
    switch (pipe.cmds[i]->args[0]->type) {
      case NodeType::kBool:
      case NodeType::kDot:
      case NodeType::kNil:
      case NodeType::kNumber:
      case NodeType::kString:
        return fail(errorf(fmt::format("non executable command in pipeline stage {}", i + 1)));
      default:
        break;
    }
  }
  return ok();
}

Result<ControlParts> TreeParser::parse_control(std::string_view context) {
  if (sh_.depth >= kMaxParseDepth) return fail(errorf("max control nesting depth exceeded"));
  DepthGuard guard(sh_.depth);
  const std::size_t saved_vars = vars_.size();
  ControlParts parts;
  MR_ASSIGN_OR_RETURN(parts.pipe, pipeline(context, ItemType::kRightDelim));
  if (context == "range") ++range_depth_;
  auto le = item_list();
  if (context == "range") --range_depth_;
  if (!le) return fail(std::move(le).error());
  parts.list = std::move(le->list);
  if (le->end->type == NodeType::kElse) {
    // Special case for "else if" and "else with": treat
    //   {{if a}}_{{else if b}}_{{end}}  as  {{if a}}_{{else}}{{if b}}_{{end}}{{end}}.
    if (context == "if" && peek().type == ItemType::kIf) {
      next();
      parts.else_list = std::make_unique<ListNode>(le->end->pos);
      MR_ASSIGN_OR_RETURN(NodePtr n, if_control());
      parts.else_list->nodes.push_back(std::move(n));
    } else if (context == "with" && peek().type == ItemType::kWith) {
      next();
      parts.else_list = std::make_unique<ListNode>(le->end->pos);
      MR_ASSIGN_OR_RETURN(NodePtr n, with_control());
      parts.else_list->nodes.push_back(std::move(n));
    } else {
      MR_ASSIGN_OR_RETURN(ListAndEnd el, item_list());
      if (el.end->type != NodeType::kEnd) {
        return fail(errorf("expected end; found " + el.end->to_string()));
      }
      parts.else_list = std::move(el.list);
    }
  }
  vars_.resize(saved_vars);
  parts.pos = parts.pipe->pos;
  parts.line = parts.pipe->line;
  return parts;
}

Result<NodePtr> TreeParser::if_control() {
  MR_ASSIGN_OR_RETURN(ControlParts p, parse_control("if"));
  return NodePtr(std::make_unique<BranchNode>(NodeType::kIf, p.pos, p.line, std::move(p.pipe),
                                              std::move(p.list), std::move(p.else_list)));
}

Result<NodePtr> TreeParser::range_control() {
  MR_ASSIGN_OR_RETURN(ControlParts p, parse_control("range"));
  return NodePtr(std::make_unique<BranchNode>(NodeType::kRange, p.pos, p.line, std::move(p.pipe),
                                              std::move(p.list), std::move(p.else_list)));
}

Result<NodePtr> TreeParser::with_control() {
  MR_ASSIGN_OR_RETURN(ControlParts p, parse_control("with"));
  return NodePtr(std::make_unique<BranchNode>(NodeType::kWith, p.pos, p.line, std::move(p.pipe),
                                              std::move(p.list), std::move(p.else_list)));
}

Result<NodePtr> TreeParser::end_control() {
  MR_ASSIGN_OR_RETURN(Item token, expect(ItemType::kRightDelim, "end"));
  return NodePtr(std::make_unique<EndNode>(token.pos));
}

Result<NodePtr> TreeParser::else_control() {
  const Item& p = peek_non_space();
  // The "{{else if ... " and "{{else with ..." will be treated as "{{else}}{{if ..." and
  // "{{else}}{{with ...". So return the else node here.
  if (p.type == ItemType::kIf || p.type == ItemType::kWith) {
    return NodePtr(std::make_unique<ElseNode>(p.pos, p.line));
  }
  MR_ASSIGN_OR_RETURN(Item token, expect(ItemType::kRightDelim, "else"));
  return NodePtr(std::make_unique<ElseNode>(token.pos, token.line));
}

Result<NodePtr> TreeParser::block_control() {
  constexpr std::string_view kContext = "block clause";
  if (sh_.depth >= kMaxParseDepth) return fail(errorf("max control nesting depth exceeded"));
  DepthGuard guard(sh_.depth);
  Item token = next_non_space();
  MR_ASSIGN_OR_RETURN(std::string name, parse_template_name(token, kContext));
  MR_ASSIGN_OR_RETURN(auto pipe, pipeline(kContext, ItemType::kRightDelim));
  TreeParser block(sh_, name);
  MR_ASSIGN_OR_RETURN(NodePtr end, block.parse_block_body());
  if (end->type != NodeType::kEnd) {
    return fail(errorf(fmt::format("unexpected {} in {}", end->to_string(), kContext)));
  }
  MR_RETURN_IF_ERROR(block.add());
  return NodePtr(
      std::make_unique<TemplateNode>(token.pos, token.line, std::move(name), std::move(pipe)));
}

Result<NodePtr> TreeParser::parse_block_body() {
  MR_ASSIGN_OR_RETURN(ListAndEnd le, item_list());
  root_ = std::move(le.list);
  return std::move(le.end);
}

Result<NodePtr> TreeParser::template_control() {
  constexpr std::string_view kContext = "template clause";
  Item token = next_non_space();
  MR_ASSIGN_OR_RETURN(std::string name, parse_template_name(token, kContext));
  std::unique_ptr<PipeNode> pipe;
  if (next_non_space().type != ItemType::kRightDelim) {
    backup();
    // Do not pop variables; they persist until "end".
    MR_ASSIGN_OR_RETURN(pipe, pipeline(kContext, ItemType::kRightDelim));
  }
  return NodePtr(
      std::make_unique<TemplateNode>(token.pos, token.line, std::move(name), std::move(pipe)));
}

Result<std::string> TreeParser::parse_template_name(const Item& token, std::string_view context) {
  if (token.type == ItemType::kString || token.type == ItemType::kRawString) {
    auto s = unquote(token.val);
    if (!s) return fail(errorf("invalid syntax"));
    return std::move(*s);
  }
  return fail(unexpected(token, context));
}

Result<std::unique_ptr<CommandNode>> TreeParser::command() {
  auto cmd = std::make_unique<CommandNode>(peek_non_space().pos);
  for (;;) {
    peek_non_space();  // skip leading spaces.
    MR_ASSIGN_OR_RETURN(NodePtr op, operand());
    if (op) cmd->args.push_back(std::move(op));
    Item token = next();
    if (token.type == ItemType::kSpace) continue;
    if (token.type == ItemType::kRightDelim || token.type == ItemType::kRightParen) {
      backup();
    } else if (token.type != ItemType::kPipe) {
      return fail(unexpected(token, "operand"));
    }
    break;
  }
  if (cmd->args.empty()) return fail(errorf("empty command"));
  return cmd;
}

Result<NodePtr> TreeParser::operand() {
  MR_ASSIGN_OR_RETURN(NodePtr node, term());
  if (!node) return NodePtr();
  if (peek().type == ItemType::kField) {
    auto chain = std::make_unique<ChainNode>(peek().pos, nullptr);
    while (peek().type == ItemType::kField)
      chain->field.push_back(next().val.substr(1));
    // Compatibility with Go: if the term is a field or variable, just put more fields on the
    // original. Obvious parsing errors involving literal values are detected here.
    switch (node->type) {
      case NodeType::kField: {
        auto* f = static_cast<FieldNode*>(node.get());
        std::vector<std::string> ident = f->ident;
        ident.insert(ident.end(), chain->field.begin(), chain->field.end());
        return NodePtr(std::make_unique<FieldNode>(chain->pos, std::move(ident)));
      }
      case NodeType::kVariable: {
        auto* v = static_cast<VariableNode*>(node.get());
        std::vector<std::string> ident = v->ident;
        ident.insert(ident.end(), chain->field.begin(), chain->field.end());
        return NodePtr(std::make_unique<VariableNode>(chain->pos, std::move(ident)));
      }
      case NodeType::kBool:
      case NodeType::kString:
      case NodeType::kNumber:
      case NodeType::kNil:
      case NodeType::kDot:
        return fail(errorf("unexpected . after term " + quote(node->to_string())));
      default: {
        auto out = std::make_unique<ChainNode>(chain->pos, std::move(node));
        out->field = std::move(chain->field);
        return NodePtr(std::move(out));
      }
    }
  }
  return node;
}

Result<NodePtr> TreeParser::term() {
  Item token = next_non_space();
  switch (token.type) {
    case ItemType::kIdentifier: {
      auto fn = sh_.funcs->find(token.val);
      const Builtin b = builtin_named(token.val);
      if (fn == sh_.funcs->end() && b == Builtin::kNone) {
        return fail(errorf(fmt::format("function {} not defined", quote(token.val))));
      }
      auto id = std::make_unique<IdentifierNode>(token.pos, token.val);
      if (fn != sh_.funcs->end()) {
        id->func = &fn->second;  // the function map overrides builtins, as in Go
      } else {
        id->builtin = b;
      }
      return NodePtr(std::move(id));
    }
    case ItemType::kDot:
      return NodePtr(std::make_unique<DotNode>(token.pos));
    case ItemType::kNil:
      return NodePtr(std::make_unique<NilNode>(token.pos));
    case ItemType::kVariable:
      return use_var(token.pos, token.val);
    case ItemType::kField:
      return NodePtr(std::make_unique<FieldNode>(
          token.pos, split_dots(std::string_view(token.val).substr(1))));
    case ItemType::kBool:
      return NodePtr(std::make_unique<BoolNode>(token.pos, token.val == "true"));
    case ItemType::kCharConstant:
    case ItemType::kComplex:
    case ItemType::kNumber:
      return new_number(token);
    case ItemType::kLeftParen: {
      if (sh_.depth >= kMaxParseDepth) return fail(errorf("max expression depth exceeded"));
      DepthGuard guard(sh_.depth);
      MR_ASSIGN_OR_RETURN(auto pipe, pipeline("parenthesized pipeline", ItemType::kRightParen));
      return NodePtr(std::move(pipe));
    }
    case ItemType::kString:
    case ItemType::kRawString: {
      auto s = unquote(token.val);
      if (!s) return fail(errorf("invalid syntax"));
      return NodePtr(std::make_unique<StringNode>(token.pos, token.val, std::move(*s)));
    }
    default:
      break;
  }
  backup();
  return NodePtr();
}

Result<NodePtr> TreeParser::new_number(const Item& token) {
  const std::string& text = token.val;
  auto n = std::make_unique<NumberNode>(token.pos, text);
  if (token.type == ItemType::kCharConstant) {
    auto uc = unquote_char(std::string_view(text).substr(1), text[0]);
    if (!uc) return fail(errorf("invalid syntax"));
    if (uc->tail != "'") return fail(errorf("malformed character constant: " + text));
    n->int64 = uc->value;
    n->is_int = true;
    n->uint64 = static_cast<std::uint64_t>(uc->value);
    n->is_uint = true;
    n->float64 = uc->value;  // odd but those are the rules.
    n->is_float = true;
    return NodePtr(std::move(n));
  }
  if (token.type == ItemType::kComplex) {
    return fail(errorf("complex constants are not supported: " + quote(text)));
  }
  // Imaginary constants can only be complex unless they are zero.
  if (!text.empty() && text.back() == 'i') {
    if (auto f = parse_float(std::string_view(text).substr(0, text.size() - 1))) {
      if (*f != 0) return fail(errorf("complex constants are not supported: " + quote(text)));
      n->is_float = n->is_int = n->is_uint = true;
      return NodePtr(std::move(n));
    }
  }
  // Do integer test first so we get 0x123 etc.
  const auto u = parse_uint_base0(text);
  if (u) {
    n->is_uint = true;
    n->uint64 = *u;
  }
  if (auto i = parse_int_base0(text)) {
    n->is_int = true;
    n->int64 = *i;
    if (*i == 0) {
      n->is_uint = true;  // in case of -0.
      n->uint64 = u.value_or(0);
    }
  }
  if (n->is_int) {
    n->is_float = true;
    n->float64 = static_cast<double>(n->int64);
  } else if (n->is_uint) {
    n->is_float = true;
    n->float64 = static_cast<double>(n->uint64);
  } else if (auto f = parse_float(text)) {
    // If we parsed it as a float but it looks like an integer, it's a huge number too large to
    // fit in an int. Reject it.
    if (text.find_first_of(".eEpP") == std::string::npos) {
      return fail(errorf("integer overflow: " + quote(text)));
    }
    n->is_float = true;
    n->float64 = *f;
    // If a floating-point extraction succeeded, extract the int if needed.
    if (std::trunc(*f) == *f) {
      if (*f >= -9223372036854775808.0 && *f < 9223372036854775808.0) {
        n->is_int = true;
        n->int64 = static_cast<std::int64_t>(*f);
      }
      if (*f >= 0 && *f < 18446744073709551616.0) {
        n->is_uint = true;
        n->uint64 = static_cast<std::uint64_t>(*f);
      }
    }
  }
  if (!n->is_int && !n->is_uint && !n->is_float) {
    return fail(errorf("illegal number syntax: " + quote(text)));
  }
  return NodePtr(std::move(n));
}

Result<NodePtr> TreeParser::use_var(std::size_t pos, std::string_view name) {
  auto v = std::make_unique<VariableNode>(pos, split_dots(name));
  if (std::find(vars_.begin(), vars_.end(), v->ident[0]) == vars_.end()) {
    return fail(errorf("undefined variable " + quote(v->ident[0])));
  }
  return NodePtr(std::move(v));
}

bool good_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size();) {
    DecodedRune d = decode_rune(name, i);
    const bool digit = d.rune >= '0' && d.rune <= '9';
    if (d.rune != '_' && (!is_alpha_numeric(d.rune) || (i == 0 && digit))) return false;
    i += d.width;
  }
  return true;
}

}  // namespace

Result<TreeSet> parse_templates(std::string_view name, std::string_view text,
                                const FuncMap& funcs) {
  for (const auto& [fname, spec] : funcs) {
    if (!good_name(fname)) {
      return failf(ErrorCode::kInvalidArgument, "function name {} is not a valid identifier",
                   quote(fname));
    }
    if (!spec.fn) {
      return failf(ErrorCode::kInvalidArgument, "value for {} not a function", fname);
    }
  }
  TreeSet trees;
  Lexer lex(text, funcs.find("break") == funcs.end(), funcs.find("continue") == funcs.end());
  ParseShared sh{name, &funcs, &lex, &trees};
  TreeParser top(sh, std::string(name));
  MR_RETURN_IF_ERROR(top.parse_top());
  return trees;
}

}  // namespace mr::gotemplate::detail
