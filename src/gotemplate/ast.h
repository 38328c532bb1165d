#pragma once
// Internal: parse tree nodes, mirroring Go's text/template/parse/node.go. Nodes are immutable
// after parsing; to_string() reproduces Go's Node.String() for error contexts.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gotemplate/template.h"

namespace mr::gotemplate::detail {

enum class NodeType {
  kText,
  kAction,
  kBool,
  kChain,
  kCommand,
  kDot,
  kElse,  // not added to trees
  kEnd,   // not added to trees
  kField,
  kIdentifier,
  kIf,
  kList,
  kNil,
  kNumber,
  kPipe,
  kRange,
  kString,
  kTemplate,
  kVariable,
  kWith,
  kBreak,
  kContinue,
};

struct Node {
  Node(NodeType t, std::size_t p) : type(t), pos(p) {}
  virtual ~Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // write_to appends Go's String() rendering of the node.
  virtual void write_to(std::string& out) const = 0;
  [[nodiscard]] std::string to_string() const {
    std::string s;
    write_to(s);
    return s;
  }

  const NodeType type;
  const std::size_t pos;  // byte offset in the template text
};

using NodePtr = std::unique_ptr<Node>;

struct ListNode final : Node {
  explicit ListNode(std::size_t p) : Node(NodeType::kList, p) {}
  void write_to(std::string& out) const override {
    for (const auto& n : nodes)
      n->write_to(out);
  }
  std::vector<NodePtr> nodes;
};

struct TextNode final : Node {
  TextNode(std::size_t p, std::string t) : Node(NodeType::kText, p), text(std::move(t)) {}
  void write_to(std::string& out) const override { out += text; }
  std::string text;
};

struct VariableNode final : Node {
  VariableNode(std::size_t p, std::vector<std::string> i)
      : Node(NodeType::kVariable, p), ident(std::move(i)) {}
  void write_to(std::string& out) const override {
    for (std::size_t i = 0; i < ident.size(); ++i) {
      if (i > 0) out.push_back('.');
      out += ident[i];
    }
  }
  std::vector<std::string> ident;  // variable name ("$x") then field names
};

struct CommandNode;

struct PipeNode final : Node {
  PipeNode(std::size_t p, int l) : Node(NodeType::kPipe, p), line(l) {}
  void write_to(std::string& out) const override;
  int line;
  bool is_assign = false;
  std::vector<std::unique_ptr<VariableNode>> decl;
  std::vector<std::unique_ptr<CommandNode>> cmds;
};

struct CommandNode final : Node {
  explicit CommandNode(std::size_t p) : Node(NodeType::kCommand, p) {}
  void write_to(std::string& out) const override {
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (i > 0) out.push_back(' ');
      if (args[i]->type == NodeType::kPipe) {
        out.push_back('(');
        args[i]->write_to(out);
        out.push_back(')');
        continue;
      }
      args[i]->write_to(out);
    }
  }
  std::vector<NodePtr> args;
};

inline void PipeNode::write_to(std::string& out) const {
  if (!decl.empty()) {
    for (std::size_t i = 0; i < decl.size(); ++i) {
      if (i > 0) out += ", ";
      decl[i]->write_to(out);
    }
    out += is_assign ? " = " : " := ";
  }
  for (std::size_t i = 0; i < cmds.size(); ++i) {
    if (i > 0) out += " | ";
    cmds[i]->write_to(out);
  }
}

struct ActionNode final : Node {
  ActionNode(std::size_t p, int l, std::unique_ptr<PipeNode> pp)
      : Node(NodeType::kAction, p), line(l), pipe(std::move(pp)) {}
  void write_to(std::string& out) const override {
    out += "{{";
    pipe->write_to(out);
    out += "}}";
  }
  int line;
  std::unique_ptr<PipeNode> pipe;
};

// Builtin identifies Go's predefined functions; kNone marks a function from the FuncMap.
enum class Builtin {
  kNone,
  kAnd,
  kCall,
  kHtml,
  kIndex,
  kSlice,
  kJs,
  kLen,
  kNot,
  kOr,
  kPrint,
  kPrintf,
  kPrintln,
  kUrlquery,
  kEq,
  kGe,
  kGt,
  kLe,
  kLt,
  kNe,
};

struct IdentifierNode final : Node {
  IdentifierNode(std::size_t p, std::string i)
      : Node(NodeType::kIdentifier, p), ident(std::move(i)) {}
  void write_to(std::string& out) const override { out += ident; }
  std::string ident;
  Builtin builtin = Builtin::kNone;
  const FunctionSpec* func = nullptr;  // set when builtin == kNone; owned by the template
};

struct DotNode final : Node {
  explicit DotNode(std::size_t p) : Node(NodeType::kDot, p) {}
  void write_to(std::string& out) const override { out.push_back('.'); }
};

struct NilNode final : Node {
  explicit NilNode(std::size_t p) : Node(NodeType::kNil, p) {}
  void write_to(std::string& out) const override { out += "nil"; }
};

struct FieldNode final : Node {
  FieldNode(std::size_t p, std::vector<std::string> i)
      : Node(NodeType::kField, p), ident(std::move(i)) {}
  void write_to(std::string& out) const override {
    for (const auto& id : ident) {
      out.push_back('.');
      out += id;
    }
  }
  std::vector<std::string> ident;
};

struct ChainNode final : Node {
  ChainNode(std::size_t p, NodePtr n) : Node(NodeType::kChain, p), node(std::move(n)) {}
  void write_to(std::string& out) const override {
    if (node->type == NodeType::kPipe) {
      out.push_back('(');
      node->write_to(out);
      out.push_back(')');
    } else {
      node->write_to(out);
    }
    for (const auto& f : field) {
      out.push_back('.');
      out += f;
    }
  }
  NodePtr node;
  std::vector<std::string> field;
};

struct BoolNode final : Node {
  BoolNode(std::size_t p, bool v) : Node(NodeType::kBool, p), value(v) {}
  void write_to(std::string& out) const override { out += value ? "true" : "false"; }
  bool value;
};

struct NumberNode final : Node {
  NumberNode(std::size_t p, std::string t) : Node(NodeType::kNumber, p), text(std::move(t)) {}
  void write_to(std::string& out) const override { out += text; }
  bool is_int = false;
  bool is_uint = false;
  bool is_float = false;
  std::int64_t int64 = 0;
  std::uint64_t uint64 = 0;
  double float64 = 0;
  std::string text;
};

struct StringNode final : Node {
  StringNode(std::size_t p, std::string q, std::string t)
      : Node(NodeType::kString, p), quoted(std::move(q)), text(std::move(t)) {}
  void write_to(std::string& out) const override { out += quoted; }
  std::string quoted;
  std::string text;
};

struct EndNode final : Node {
  explicit EndNode(std::size_t p) : Node(NodeType::kEnd, p) {}
  void write_to(std::string& out) const override { out += "{{end}}"; }
};

struct ElseNode final : Node {
  ElseNode(std::size_t p, int l) : Node(NodeType::kElse, p), line(l) {}
  void write_to(std::string& out) const override { out += "{{else}}"; }
  int line;
};

// BranchNode is if, range or with.
struct BranchNode final : Node {
  BranchNode(NodeType t, std::size_t p, int l, std::unique_ptr<PipeNode> pp,
             std::unique_ptr<ListNode> li, std::unique_ptr<ListNode> el)
      : Node(t, p), line(l), pipe(std::move(pp)), list(std::move(li)), else_list(std::move(el)) {}
  void write_to(std::string& out) const override {
    out += "{{";
    out += type == NodeType::kIf ? "if" : type == NodeType::kRange ? "range" : "with";
    out.push_back(' ');
    pipe->write_to(out);
    out += "}}";
    list->write_to(out);
    if (else_list) {
      out += "{{else}}";
      else_list->write_to(out);
    }
    out += "{{end}}";
  }
  int line;
  std::unique_ptr<PipeNode> pipe;
  std::unique_ptr<ListNode> list;
  std::unique_ptr<ListNode> else_list;  // may be null
};

struct TemplateNode final : Node {
  TemplateNode(std::size_t p, int l, std::string n, std::unique_ptr<PipeNode> pp);
  void write_to(std::string& out) const override;
  int line;
  std::string name;
  std::unique_ptr<PipeNode> pipe;  // may be null
};

struct BreakNode final : Node {
  BreakNode(NodeType t, std::size_t p, int l) : Node(t, p), line(l) {}
  void write_to(std::string& out) const override {
    out += type == NodeType::kBreak ? "{{break}}" : "{{continue}}";
  }
  int line;
};

// Tree is one named template.
struct Tree {
  std::string name;
  std::unique_ptr<ListNode> root;
};

using TreeSet = std::map<std::string, std::shared_ptr<Tree>, std::less<>>;

// is_empty_tree is Go's parse.IsEmptyTree: only whitespace text (and comments).
[[nodiscard]] bool is_empty_tree(const Node* n);

}  // namespace mr::gotemplate::detail
