// The executor: a port of Go's text/template/exec.go over template Values. Node positions and
// the "current node" (State::at) follow Go so that error texts match.

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "gotemplate/builtins.h"
#include "gotemplate/go_strings.h"
#include "gotemplate/impl.h"
#include "gotemplate/printer.h"

namespace mr::gotemplate::detail {

namespace {

using Kind = Value::Kind;

// Flow is how a walk ended; on kError the error is in State::error_.
enum class Flow { kNormal, kBreak, kContinue, kError };

// ParamKind is the Go parameter type an argument is converted to: interface{}/reflect.Value
// (anything goes) or string (printf's format).
enum class ParamKind { kValue, kString };

struct Variable {
  std::string_view name;
  Value value;
};

// Nest counts one level of executor recursion for the lifetime of a scope.
class Nest {
 public:
  explicit Nest(int& n, int cost = 1) : n_(n), cost_(cost) { n_ += cost_; }
  ~Nest() { n_ -= cost_; }
  Nest(const Nest&) = delete;
  Nest& operator=(const Nest&) = delete;

 private:
  int& n_;
  int cost_;
};

bool is_hex_int(std::string_view s) {
  return s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
         s.find_first_of("pP") == std::string_view::npos;
}

bool is_rune_int(std::string_view s) {
  return !s.empty() && s[0] == '\'';
}

bool is_exported(std::string_view name) {
  if (name.empty()) return false;
  const auto c = static_cast<unsigned char>(name[0]);
  return c >= 0x80 || (c >= 'A' && c <= 'Z');
}

class State {
 public:
  State(const Template::Impl& impl, const Tree* tmpl, std::string* out, const Budget& budget)
      : impl_(impl),
        tmpl_(tmpl),
        out_(out),
        max_output_(std::min(budget.output_bytes, kMaxOutputBytes)),
        max_steps_(std::min(budget.steps, kMaxSteps)),
        budget_limits_output_(budget.output_bytes < kMaxOutputBytes),
        budget_limits_steps_(budget.steps < kMaxSteps) {}

  void push(std::string_view name, Value v) { vars_.push_back(Variable{name, std::move(v)}); }

  // walk executes |node|; on Flow::kError, take_error() returns the error.
  Flow walk(const Value& dot, const Node* node);
  Error take_error() { return std::move(error_); }
  // steps returns how many steps ran; budget_ran_out whether a budget limit (not a default)
  // stopped the execution.
  [[nodiscard]] std::uint64_t steps() const { return steps_; }
  [[nodiscard]] bool budget_ran_out() const { return budget_ran_out_; }

 private:
  void at(const Node* n) { node_ = n; }
  [[gnu::cold, gnu::noinline]] Error errorf(std::string_view msg) const;
  Status step();

  void pop(std::size_t mark) {
    vars_.erase(vars_.begin() + static_cast<std::ptrdiff_t>(mark), vars_.end());
  }
  Status set_var(std::string_view name, const Value& v);
  void set_top_var(std::size_t n, const Value& v) { vars_[vars_.size() - n].value = v; }
  Result<Value> var_value(std::string_view name);

  [[gnu::cold, gnu::noinline]] Error nesting_error() const;
  [[gnu::cold, gnu::noinline]] Error steps_error();

  [[gnu::cold, gnu::noinline]] Error unknown_node_error(const Node* node) const;
  [[gnu::cold, gnu::noinline]] Flow stop(Error e);

  // The walk_* functions are kept out of line so that walk's own frame stays small.
  [[gnu::noinline]] Flow walk_action(const Value& dot, const ActionNode* a);
  [[gnu::noinline]] Flow walk_if_or_with(const Value& dot, const BranchNode* n);
  [[gnu::noinline]] Flow walk_range(const Value& dot, const BranchNode* r);
  [[gnu::noinline]] Flow range_iteration(const BranchNode* r, std::size_t body_mark,
                                         const Value& index, const Value& elem);
  [[gnu::noinline]] Flow walk_template(const Value& dot, const TemplateNode* t);
  [[gnu::noinline]] Status declare(const PipeNode* pipe, const Value& v);
  [[gnu::noinline]] Flow print_value(const Node* n, const Value& v);
  Flow check_output();

  Result<Value> eval_pipeline(const Value& dot, const PipeNode* pipe);
  [[gnu::noinline]] Result<Value> eval_command(const Value& dot, const CommandNode* cmd,
                                               const Value* final);
  [[gnu::cold, gnu::noinline]] Error range_error(const Value& val, bool two_vars) const;
  Status not_a_function(const Node* first, std::size_t nargs, const Value* final);
  Result<Value> ideal_constant(const NumberNode* n);
  Result<Value> eval_field_node(const Value& dot, const FieldNode* field, std::size_t nargs,
                                const Value* final);
  Result<Value> eval_chain_node(const Value& dot, const ChainNode* chain, std::size_t nargs,
                                const Value* final);
  Result<Value> eval_variable_node(const VariableNode* v, std::size_t nargs, const Value* final);
  Result<Value> eval_field_chain(Value receiver, std::span<const std::string> ident,
                                 std::size_t nargs, const Value* final);
  Result<Value> eval_field(std::string_view name, bool has_args, const Value& receiver);
  Result<Value> eval_function(const Value& dot, const IdentifierNode* id, const Node* node,
                              std::span<const NodePtr> args, const Value* final);
  Result<Value> eval_call(const Value& dot, const IdentifierNode* fn, const Node* node,
                          std::span<const NodePtr> args, const Value* final);
  Result<Value> validate_type(const Value& v, ParamKind kind);
  Result<Value> eval_arg(const Value& dot, ParamKind kind, const Node* n);
  Result<Value> eval_empty_interface(const Node* n);

  const Template::Impl& impl_;
  const Tree* tmpl_;  // the template being executed, for "executing <name>"
  std::string* out_;
  const Node* node_ = nullptr;  // current node, for errors
  std::vector<Variable> vars_;  // push-down stack of variable values
  int depth_ = 0;               // height of the stack of executing templates
  int nesting_ = 0;             // recursion depth of walk and eval_pipeline
  std::uint64_t steps_ = 0;
  const std::size_t max_output_;
  const std::uint64_t max_steps_;
  const bool budget_limits_output_;
  const bool budget_limits_steps_;
  bool budget_ran_out_ = false;
  Error error_;  // set when a walk function returns Flow::kError
};

Error State::errorf(std::string_view msg) const {
  const std::string& name = tmpl_->name;
  if (node_ == nullptr) {
    return Error{ErrorCode::kInvalidArgument, fmt::format("template: {}: {}", name, msg)};
  }
  const std::string_view text = std::string_view(impl_.text).substr(0, node_->pos);
  const std::size_t nl = text.rfind('\n');
  const std::size_t col = nl == std::string_view::npos ? node_->pos : node_->pos - (nl + 1);
  const auto line = 1 + std::count(text.begin(), text.end(), '\n');
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("template: {}:{}:{}: executing {} at <{}>: {}", impl_.name, line, col,
                           quote(name), node_->to_string(), msg)};
}

Status State::step() {
  if (++steps_ > max_steps_) return fail(steps_error());
  return ok();
}

Flow State::check_output() {
  if (out_->size() > max_output_) {
    budget_ran_out_ = budget_limits_output_;
    return stop(errorf(fmt::format("output exceeds maximum size ({} bytes)", max_output_)));
  }
  return Flow::kNormal;
}

Status State::set_var(std::string_view name, const Value& v) {
  for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
    if (it->name == name) {
      it->value = v;
      return ok();
    }
  }
  return fail(errorf(fmt::format("undefined variable: {}", name)));
}

Result<Value> State::var_value(std::string_view name) {
  for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
    if (it->name == name) return it->value;
  }
  return fail(errorf(fmt::format("undefined variable: {}", name)));
}

Error State::nesting_error() const {
  return errorf(fmt::format("exceeded maximum execution nesting depth ({})", kMaxNesting));
}

Error State::steps_error() {
  budget_ran_out_ = budget_limits_steps_;
  return errorf(fmt::format("exceeded maximum number of execution steps ({})", max_steps_));
}

Flow State::stop(Error e) {
  error_ = std::move(e);
  return Flow::kError;
}

// walk only dispatches: the recursion passes through it, so its frame is kept small.
Flow State::walk(const Value& dot, const Node* node) {
  // Nesting is charged roughly by the stack a level uses: lists ride along with their parent,
  // a range level costs about two other levels.
  Nest nest(nesting_, node->type == NodeType::kList ? 0 : node->type == NodeType::kRange ? 2 : 1);
  at(node);
  if (nesting_ > kMaxNesting) return stop(nesting_error());
  if (++steps_ > max_steps_) return stop(steps_error());
  switch (node->type) {
    case NodeType::kAction:
      return walk_action(dot, static_cast<const ActionNode*>(node));
    case NodeType::kBreak:
      return Flow::kBreak;
    case NodeType::kContinue:
      return Flow::kContinue;
    case NodeType::kIf:
    case NodeType::kWith:
      return walk_if_or_with(dot, static_cast<const BranchNode*>(node));
    case NodeType::kList:
      for (const auto& n : static_cast<const ListNode*>(node)->nodes) {
        const Flow f = walk(dot, n.get());
        if (f != Flow::kNormal) return f;
      }
      return Flow::kNormal;
    case NodeType::kRange:
      return walk_range(dot, static_cast<const BranchNode*>(node));
    case NodeType::kTemplate:
      return walk_template(dot, static_cast<const TemplateNode*>(node));
    case NodeType::kText:
      *out_ += static_cast<const TextNode*>(node)->text;
      return check_output();
    default:
      return stop(unknown_node_error(node));
  }
}

Error State::unknown_node_error(const Node* node) const {
  return errorf("unknown node: " + node->to_string());
}

Flow State::walk_action(const Value& dot, const ActionNode* a) {
  // Do not pop variables so they persist until next end. Also, if the action declares
  // variables, don't print the result.
  auto val = eval_pipeline(dot, a->pipe.get());
  if (!val) return stop(std::move(val).error());
  if (!a->pipe->decl.empty()) return Flow::kNormal;
  return print_value(a, *val);
}

Flow State::walk_if_or_with(const Value& dot, const BranchNode* n) {
  const std::size_t mark = vars_.size();
  auto val = eval_pipeline(dot, n->pipe.get());
  if (!val) return stop(std::move(val).error());
  Flow flow = Flow::kNormal;
  if (is_true(*val)) {
    flow = walk(n->type == NodeType::kWith ? *val : dot, n->list.get());
  } else if (n->else_list) {
    flow = walk(dot, n->else_list.get());
  }
  pop(mark);
  return flow;
}

Flow State::range_iteration(const BranchNode* r, std::size_t body_mark, const Value& index,
                            const Value& elem) {
  const auto& decl = r->pipe->decl;
  if (!decl.empty()) {
    if (r->pipe->is_assign) {
      // With two variables, index comes first. With one, we use the element.
      if (auto st = set_var(decl[0]->ident[0], decl.size() > 1 ? index : elem); !st) {
        return stop(std::move(st).error());
      }
    } else {
      set_top_var(1, elem);  // Set top var (lexically the second if there are two).
    }
  }
  if (decl.size() > 1) {
    if (r->pipe->is_assign) {
      if (auto st = set_var(decl[1]->ident[0], elem); !st) return stop(std::move(st).error());
    } else {
      set_top_var(2, index);  // Set next var (lexically the first if there are two).
    }
  }
  const Flow flow = walk(elem, r->list.get());
  pop(body_mark);
  return flow;
}

Flow State::walk_range(const Value& dot, const BranchNode* r) {
  at(r);
  const std::size_t mark = vars_.size();
  auto evaluated = eval_pipeline(dot, r->pipe.get());
  if (!evaluated) return stop(std::move(evaluated).error());
  const Value val = std::move(*evaluated);
  // Mark top of stack before any variables in the body are pushed.
  const std::size_t body_mark = vars_.size();
  bool ran = false;
  Flow f = Flow::kNormal;
  switch (val.kind()) {
    case Kind::kList: {
      const auto& items = val.as_list();
      for (std::size_t i = 0; i < items.size() && f != Flow::kBreak; ++i) {
        ran = true;
        f = range_iteration(r, body_mark, Value(static_cast<std::int64_t>(i)), items[i]);
        if (f == Flow::kError) return f;
      }
      break;
    }
    case Kind::kBytes: {
      const auto& bytes = val.as_bytes();
      for (std::size_t i = 0; i < bytes.size() && f != Flow::kBreak; ++i) {
        ran = true;
        f = range_iteration(r, body_mark, Value(static_cast<std::int64_t>(i)),
                            Value(static_cast<std::uint64_t>(bytes[i])));
        if (f == Flow::kError) return f;
      }
      break;
    }
    case Kind::kMap:
      for (auto it = val.as_map().begin(); it != val.as_map().end() && f != Flow::kBreak; ++it) {
        ran = true;
        f = range_iteration(r, body_mark, Value(it->first), it->second);
        if (f == Flow::kError) return f;
      }
      break;
    case Kind::kInt:
    case Kind::kUint: {
      if (r->pipe->decl.size() > 1) return stop(range_error(val, true));
      const bool is_int = val.kind() == Kind::kInt;
      const std::uint64_t n =
          is_int ? (val.as_int() > 0 ? static_cast<std::uint64_t>(val.as_int()) : 0)
                 : val.as_uint();
      for (std::uint64_t i = 0; i < n && f != Flow::kBreak; ++i) {
        ran = true;
        const Value v = is_int ? Value(static_cast<std::int64_t>(i)) : Value(i);
        f = range_iteration(r, body_mark, v, v);
        if (f == Flow::kError) return f;
      }
      break;
    }
    case Kind::kInvalid:
      break;  // An invalid value is likely a nil map, etc. and acts like an empty map.
    default:
      return stop(range_error(val, false));
  }
  if (!ran && r->else_list && walk(dot, r->else_list.get()) == Flow::kError) return Flow::kError;
  pop(mark);
  return Flow::kNormal;
}

Error State::range_error(const Value& val, bool two_vars) const {
  if (two_vars) {
    return errorf(
        fmt::format("can't use {} to iterate over more than one variable", sprint_verb(val, 'v')));
  }
  return errorf("range can't iterate over " + sprint_verb(val, 'v'));
}

Flow State::walk_template(const Value& dot, const TemplateNode* t) {
  at(t);
  auto it = impl_.trees.find(t->name);
  if (it == impl_.trees.end()) {
    return stop(errorf(fmt::format("template {} not defined", quote(t->name))));
  }
  if (depth_ >= kMaxExecDepth) {
    return stop(errorf(fmt::format("exceeded maximum template depth ({})", kMaxExecDepth)));
  }
  // Variables declared by the pipeline persist.
  auto new_dot = eval_pipeline(dot, t->pipe.get());
  if (!new_dot) return stop(std::move(new_dot).error());
  // No dynamic scoping: template invocations inherit no variables.
  std::vector<Variable> saved_vars = std::exchange(vars_, {});
  const Tree* saved_tmpl = std::exchange(tmpl_, it->second.get());
  ++depth_;
  push("$", *new_dot);
  const Flow flow = walk(*new_dot, tmpl_->root.get());
  --depth_;
  tmpl_ = saved_tmpl;
  vars_ = std::move(saved_vars);
  return flow == Flow::kError ? flow : Flow::kNormal;
}

Flow State::print_value(const Node* n, const Value& v) {
  at(n);
  if (!v.is_valid()) {
    *out_ += "<no value>";
  } else {
    *out_ += sprint(std::span<const Value>(&v, 1));
  }
  return check_output();
}

Result<Value> State::eval_pipeline(const Value& dot, const PipeNode* pipe) {
  if (pipe == nullptr) return Value();
  // A parenthesized pipeline recurses through several frames, so it costs more nesting.
  Nest nest(nesting_, kPipelineNestingCost);
  at(pipe);
  if (nesting_ > kMaxNesting) return fail(nesting_error());
  std::optional<Value> value;  // nullopt: Go's missingVal (no final argument yet)
  for (const auto& cmd : pipe->cmds) {
    // The previous value is this command's final argument.
    MR_ASSIGN_OR_RETURN(Value v, eval_command(dot, cmd.get(), value ? &*value : nullptr));
    // If the object has type interface{}, dig down one level to the thing inside.
    if (v.kind() == Kind::kNil) v = Value();
    value = std::move(v);
  }
  Value result = value ? std::move(*value) : Value();
  if (!pipe->decl.empty()) MR_RETURN_IF_ERROR(declare(pipe, result));
  return result;
}

Status State::declare(const PipeNode* pipe, const Value& v) {
  for (const auto& variable : pipe->decl) {
    if (pipe->is_assign) {
      MR_RETURN_IF_ERROR(set_var(variable->ident[0], v));
    } else {
      push(variable->ident[0], v);
    }
  }
  return ok();
}

Status State::not_a_function(const Node* first, std::size_t nargs, const Value* final) {
  if (nargs > 1 || final != nullptr) {
    return fail(errorf("can't give argument to non-function " + first->to_string()));
  }
  return ok();
}

Result<Value> State::eval_command(const Value& dot, const CommandNode* cmd, const Value* final) {
  MR_RETURN_IF_ERROR(step());
  const Node* first = cmd->args[0].get();
  const std::size_t nargs = cmd->args.size();
  switch (first->type) {
    case NodeType::kField:
      return eval_field_node(dot, static_cast<const FieldNode*>(first), nargs, final);
    case NodeType::kChain:
      return eval_chain_node(dot, static_cast<const ChainNode*>(first), nargs, final);
    case NodeType::kIdentifier:
      // Must be a function.
      return eval_function(dot, static_cast<const IdentifierNode*>(first), cmd,
                           std::span<const NodePtr>(cmd->args).subspan(1), final);
    case NodeType::kPipe:
      // Parenthesized pipeline. The arguments are all inside the pipeline; final must be absent.
      MR_RETURN_IF_ERROR(not_a_function(first, nargs, final));
      return eval_pipeline(dot, static_cast<const PipeNode*>(first));
    case NodeType::kVariable:
      return eval_variable_node(static_cast<const VariableNode*>(first), nargs, final);
    default:
      break;
  }
  at(first);
  MR_RETURN_IF_ERROR(not_a_function(first, nargs, final));
  switch (first->type) {
    case NodeType::kBool:
      return Value(static_cast<const BoolNode*>(first)->value);
    case NodeType::kDot:
      return dot;
    case NodeType::kNil:
      return fail(errorf("nil is not a command"));
    case NodeType::kNumber:
      return ideal_constant(static_cast<const NumberNode*>(first));
    case NodeType::kString:
      return Value(static_cast<const StringNode*>(first)->text);
    default:
      return fail(errorf("can't evaluate command " + quote(first->to_string())));
  }
}

Result<Value> State::ideal_constant(const NumberNode* n) {
  // These are ideal constants but we don't know the type and we have no context. The syntax
  // guides us to some extent.
  at(n);
  if (n->is_float && !is_hex_int(n->text) && !is_rune_int(n->text) &&
      n->text.find_first_of(".eEpP") != std::string::npos) {
    return Value(n->float64);
  }
  if (n->is_int) return Value(n->int64);
  if (n->is_uint) return fail(errorf(n->text + " overflows int"));
  return Value();
}

Result<Value> State::eval_field_node(const Value& dot, const FieldNode* field, std::size_t nargs,
                                     const Value* final) {
  at(field);
  return eval_field_chain(dot, field->ident, nargs, final);
}

Result<Value> State::eval_chain_node(const Value& dot, const ChainNode* chain, std::size_t nargs,
                                     const Value* final) {
  at(chain);
  if (chain->field.empty()) return fail(errorf("internal error: no fields in evalChainNode"));
  if (chain->node->type == NodeType::kNil) {
    return fail(errorf("indirection through explicit nil in " + chain->to_string()));
  }
  // (pipe).Field1.Field2 has pipe as .Node, fields as .Field. Eval the pipeline, then the fields.
  MR_ASSIGN_OR_RETURN(Value pipe, eval_arg(dot, ParamKind::kValue, chain->node.get()));
  return eval_field_chain(std::move(pipe), chain->field, nargs, final);
}

Result<Value> State::eval_variable_node(const VariableNode* v, std::size_t nargs,
                                        const Value* final) {
  // $x.Field has $x as the first ident, Field as the second. Eval the var, then the fields.
  at(v);
  MR_ASSIGN_OR_RETURN(Value value, var_value(v->ident[0]));
  if (v->ident.size() == 1) {
    MR_RETURN_IF_ERROR(not_a_function(v, nargs, final));
    return value;
  }
  return eval_field_chain(std::move(value), std::span<const std::string>(v->ident).subspan(1),
                          nargs, final);
}

Result<Value> State::eval_field_chain(Value receiver, std::span<const std::string> ident,
                                      std::size_t nargs, const Value* final) {
  const std::size_t n = ident.size();
  for (std::size_t i = 0; i + 1 < n; ++i) {
    MR_ASSIGN_OR_RETURN(receiver, eval_field(ident[i], false, receiver));
  }
  return eval_field(ident[n - 1], nargs > 1 || final != nullptr, receiver);
}

Result<Value> State::eval_field(std::string_view name, bool has_args, const Value& receiver) {
  if (!receiver.is_valid()) return Value();  // missingkey=default: invalid stays invalid
  if (receiver.kind() == Kind::kNil) {
    return fail(errorf(fmt::format("nil pointer evaluating interface {{}}.{}", name)));
  }
  switch (receiver.kind()) {
    case Kind::kStruct:
      if (const Value* field = receiver.field(name)) {
        if (!is_exported(name)) {
          return fail(errorf(fmt::format("{} is an unexported field of struct type {}", name,
                                         receiver.type_name())));
        }
        if (has_args) {
          return fail(
              errorf(fmt::format("{} has arguments but cannot be invoked as function", name)));
        }
        return *field;
      }
      break;
    case Kind::kMap: {
      if (has_args) return fail(errorf(fmt::format("{} is not a method but has arguments", name)));
      const auto& m = receiver.as_map();
      auto it = m.find(name);
      return it == m.end() ? Value() : it->second;
    }
    default:
      break;
  }
  return fail(
      errorf(fmt::format("can't evaluate field {} in type {}", name, receiver.type_name())));
}

Result<Value> State::eval_function(const Value& dot, const IdentifierNode* id, const Node* node,
                                   std::span<const NodePtr> args, const Value* final) {
  at(id);
  return eval_call(dot, id, node, args, final);
}

Result<Value> State::eval_call(const Value& dot, const IdentifierNode* fn, const Node* node,
                               std::span<const NodePtr> args, const Value* final) {
  const std::string& name = fn->ident;
  std::size_t fixed = 0;
  bool variadic = false;
  bool first_is_string = false;
  if (fn->func != nullptr) {
    fixed = fn->func->min_args;
    variadic = fn->func->variadic;
  } else {
    const BuiltinSignature sig = builtin_signature(fn->builtin);
    fixed = sig.fixed;
    variadic = sig.variadic;
    first_is_string = sig.first_is_string;
  }
  const std::size_t num_in = args.size() + (final != nullptr ? 1 : 0);
  std::size_t num_fixed = args.size();
  if (variadic) {
    num_fixed = fixed;
    if (num_in < num_fixed) {
      return fail(errorf(fmt::format("wrong number of args for {}: want at least {} got {}", name,
                                     fixed, args.size())));
    }
  } else if (num_in != fixed) {
    return fail(
        errorf(fmt::format("wrong number of args for {}: want {} got {}", name, fixed, num_in)));
  }
  auto kind_of = [&](std::size_t i) {
    return first_is_string && i == 0 ? ParamKind::kString : ParamKind::kValue;
  };

  // Special case for builtin and/or, which short-circuit.
  if (fn->builtin == Builtin::kAnd || fn->builtin == Builtin::kOr) {
    const bool is_or = fn->builtin == Builtin::kOr;
    Value v;
    for (const auto& arg : args) {
      MR_ASSIGN_OR_RETURN(v, eval_arg(dot, ParamKind::kValue, arg.get()));
      if (is_true(v) == is_or) return v;
    }
    if (final != nullptr) {
      // The last argument comes from the pipeline; we did not short circuit earlier.
      MR_ASSIGN_OR_RETURN(v, validate_type(*final, ParamKind::kValue));
    }
    return v;
  }

  // Build the arg list: fixed args first, then the variadic ones, then the final value.
  std::vector<Value> argv;
  argv.reserve(num_in);
  for (std::size_t i = 0; i < args.size(); ++i) {
    MR_ASSIGN_OR_RETURN(Value a, eval_arg(dot, kind_of(i), args[i].get()));
    argv.push_back(std::move(a));
  }
  if (final != nullptr) {
    MR_ASSIGN_OR_RETURN(Value a, validate_type(*final, kind_of(num_in - 1)));
    argv.push_back(std::move(a));
  }

  Result<Value> result = Value();
  if (fn->func != nullptr) {
    // Functions get Go's nil interface (a missing value or nil) as the invalid Value.
    for (Value& a : argv) {
      if (a.kind() == Kind::kNil) a = Value();
    }
    try {
      result = fn->func->fn(argv);
    } catch (const std::exception& e) {
      result = fail(ErrorCode::kInvalidArgument, e.what());
    } catch (...) {
      result = fail(ErrorCode::kInvalidArgument, "unknown exception");
    }
  } else if (fn->builtin == Builtin::kCall) {
    const std::string callee = args.empty() ? std::string() : args[0]->to_string();
    if (argv[0].kind() == Kind::kInvalid || argv[0].kind() == Kind::kNil) {
      result = fail(ErrorCode::kInvalidArgument, "call of nil");
    } else {
      result = fail(ErrorCode::kInvalidArgument,
                    fmt::format("non-function {} of type {}", callee, argv[0].type_name()));
    }
  } else {
    result = call_builtin(fn->builtin, argv);
  }
  if (!result) {
    at(node);
    return fail(errorf(fmt::format("error calling {}: {}", name, result.error().message)));
  }
  return std::move(*result);
}

Result<Value> State::validate_type(const Value& v, ParamKind kind) {
  if (kind == ParamKind::kValue) return v;
  if (!v.is_valid()) return fail(errorf("invalid value; expected string"));
  if (v.kind() != Kind::kString) {
    const std::string type = v.kind() == Kind::kNil ? "interface {}" : v.type_name();
    return fail(errorf("wrong type for value; expected string; got " + type));
  }
  return v;
}

Result<Value> State::eval_arg(const Value& dot, ParamKind kind, const Node* n) {
  at(n);
  switch (n->type) {
    case NodeType::kDot:
      return validate_type(dot, kind);
    case NodeType::kNil:
      if (kind == ParamKind::kValue) return Value();
      return fail(errorf("cannot assign nil to string"));
    case NodeType::kField: {
      MR_ASSIGN_OR_RETURN(Value v,
                          eval_field_node(dot, static_cast<const FieldNode*>(n), 1, nullptr));
      return validate_type(v, kind);
    }
    case NodeType::kVariable: {
      MR_ASSIGN_OR_RETURN(Value v,
                          eval_variable_node(static_cast<const VariableNode*>(n), 0, nullptr));
      return validate_type(v, kind);
    }
    case NodeType::kPipe: {
      MR_ASSIGN_OR_RETURN(Value v, eval_pipeline(dot, static_cast<const PipeNode*>(n)));
      return validate_type(v, kind);
    }
    case NodeType::kIdentifier: {
      const auto* id = static_cast<const IdentifierNode*>(n);
      MR_ASSIGN_OR_RETURN(Value v, eval_function(dot, id, id, {}, nullptr));
      return validate_type(v, kind);
    }
    case NodeType::kChain: {
      MR_ASSIGN_OR_RETURN(Value v,
                          eval_chain_node(dot, static_cast<const ChainNode*>(n), 0, nullptr));
      return validate_type(v, kind);
    }
    default:
      break;
  }
  if (kind == ParamKind::kString) {
    if (n->type == NodeType::kString) return Value(static_cast<const StringNode*>(n)->text);
    return fail(errorf("expected string; found " + n->to_string()));
  }
  return eval_empty_interface(n);
}

Result<Value> State::eval_empty_interface(const Node* n) {
  at(n);
  switch (n->type) {
    case NodeType::kBool:
      return Value(static_cast<const BoolNode*>(n)->value);
    case NodeType::kNumber:
      return ideal_constant(static_cast<const NumberNode*>(n));
    case NodeType::kString:
      return Value(static_cast<const StringNode*>(n)->text);
    default:
      return fail(
          errorf("can't handle assignment of " + n->to_string() + " to empty interface argument"));
  }
}

}  // namespace

Result<std::string> execute(const Template::Impl& impl, const Value& data, Budget& budget) {
  auto it = impl.trees.find(impl.name);
  if (it == impl.trees.end() || !it->second->root) {
    return failf(ErrorCode::kInvalidArgument, "template: {}: {} is an incomplete or empty template",
                 impl.name, quote(impl.name));
  }
  // Go's reflect.ValueOf(nil) is the invalid value.
  const Value root = data.kind() == Kind::kNil ? Value() : data;
  std::string out;
  State state(impl, it->second.get(), &out, budget);
  state.push("$", root);
  const Flow flow = state.walk(root, it->second->root.get());
  budget.steps -= std::min(budget.steps, state.steps());
  if (flow == Flow::kError) {
    budget.exhausted = budget.exhausted || state.budget_ran_out();
    return fail(state.take_error());
  }
  budget.output_bytes -= std::min(budget.output_bytes, out.size());
  return out;
}

}  // namespace mr::gotemplate::detail
