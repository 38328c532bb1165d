#include "manifest/dry_run.h"

#include <fmt/format.h>

#include "base/encoding.h"
#include "base/strings.h"
#include "crypto/pem.h"

namespace mr::manifest {

using gotemplate::Value;

namespace {

Error fn_error(std::string msg) {
  return Error{ErrorCode::kInvalidArgument, std::move(msg)};
}

bool is_key_type(const Value& v) {
  const auto& t = v.type_name();
  return v.kind() == Value::Kind::kBytes &&
         (t == kTypeCertificate || t == kTypePublicKey || t == kTypePrivateKey);
}

bool missing(const Value& v) {
  return v.kind() == Value::Kind::kInvalid || v.kind() == Value::Kind::kNil;
}

// secret_bytes: what raw/hex/base64 encode (spec 6.3).
Result<Bytes> secret_bytes(const Value& v) {
  if (missing(v)) return tl::unexpected(fn_error("secret does not exist"));
  Bytes out;
  if (v.kind() == Value::Kind::kStruct && v.type_name() == kTypeSecret) {
    const Value* pub = v.field("Public");
    if (pub && pub->kind() == Value::Kind::kBytes) out = pub->as_bytes();
  } else if (is_key_type(v)) {
    out = v.as_bytes();
  } else {
    return tl::unexpected(fn_error("invalid secret type"));
  }
  if (out.empty()) return tl::unexpected(fn_error("tried to parse secret with empty value"));
  return out;
}

Result<Value> fn_pem(std::span<const Value> args) {
  const Value& v = args[0];
  if (missing(v)) return tl::unexpected(fn_error("secret does not exist"));
  if (!is_key_type(v)) return tl::unexpected(fn_error("invalid secret type for pem encoding"));
  if (v.as_bytes().empty())
    return tl::unexpected(fn_error("tried to parse secret with empty value"));
  std::string_view type = v.type_name() == kTypeCertificate ? "CERTIFICATE"
                          : v.type_name() == kTypePublicKey ? "PUBLIC KEY"
                                                            : "PRIVATE KEY";
  return Value(crypto::pem_encode(type, v.as_bytes()));
}

Result<Value> fn_raw(std::span<const Value> args) {
  MR_ASSIGN_OR_RETURN(Bytes b, secret_bytes(args[0]));
  return Value(to_string(b));
}

Result<Value> fn_hex(std::span<const Value> args) {
  MR_ASSIGN_OR_RETURN(Bytes b, secret_bytes(args[0]));
  return Value(hex_encode(b));
}

Result<Value> fn_base64(std::span<const Value> args) {
  MR_ASSIGN_OR_RETURN(Bytes b, secret_bytes(args[0]));
  return Value(base64_encode(b));
}

Result<Value> fn_string(std::span<const Value> args) {
  const Value& v = args[0];
  const Value* type =
      v.kind() == Value::Kind::kStruct && v.type_name() == kTypeSecret ? v.field("Type") : nullptr;
  if (!type || type->kind() != Value::Kind::kString || type->as_string() != kSecretPlain) {
    return tl::unexpected(fn_error(
        "only secrets of type plain are allowed to use string encoding for environment variables"));
  }
  const Value* pub = v.field("Public");
  std::string s =
      pub && pub->kind() == Value::Kind::kBytes ? to_string(pub->as_bytes()) : std::string();
  // A user-defined secret that was never uploaded must not become an empty variable.
  if (s.empty()) return tl::unexpected(fn_error("tried to parse secret with empty value"));
  if (contains_nul(s)) return tl::unexpected(fn_error("secret contains null bytes"));
  return Value(std::move(s));
}

gotemplate::FunctionSpec unary(gotemplate::Function fn) {
  return {std::move(fn), 1, false};
}

Value typed_bytes(std::string_view type, const Bytes& b) {
  return Value::make_bytes(std::string(type), b);
}

Secret dummy_cert_secret() {
  Secret s;
  s.cert_der = {0x41};
  return s;
}

}  // namespace

gotemplate::FuncMap file_functions() {
  return {{"pem", unary(fn_pem)},
          {"hex", unary(fn_hex)},
          {"raw", unary(fn_raw)},
          {"base64", unary(fn_base64)}};
}

gotemplate::FuncMap env_functions() {
  return {{"pem", unary(fn_pem)},
          {"hex", unary(fn_hex)},
          {"string", unary(fn_string)},
          {"base64", unary(fn_base64)}};
}

Value secret_value(const Secret& s) {
  return Value::make_struct(std::string(kTypeSecret),
                            {{"Type", Value(s.type)},
                             {"Size", Value(static_cast<std::uint64_t>(s.size))},
                             {"Shared", Value(s.shared)},
                             {"UserDefined", Value(s.user_defined)},
                             {"Cert", typed_bytes(kTypeCertificate, s.cert_der)},
                             {"ValidFor", Value(static_cast<std::uint64_t>(s.valid_for))},
                             {"Private", typed_bytes(kTypePrivateKey, s.private_key)},
                             {"Public", typed_bytes(kTypePublicKey, s.public_key)}});
}

Value template_data(const ReservedSecrets& reserved, const NameMap<Secret>& current,
                    const NameMap<Secret>& previous) {
  auto secrets_map = [](const NameMap<Secret>& m) {
    Value::Map out;
    for (const auto& [name, s] : m)
      out.emplace(name, secret_value(s));
    return Value::make_map(std::move(out), "map[string]manifest.Secret");
  };
  Value marblerun = Value::make_struct(
      "manifest.ReservedSecrets",
      {{"RootCA", secret_value(reserved.root_ca)},
       {"MarbleCert", secret_value(reserved.marble_cert)},
       {"CoordinatorRoot", secret_value(reserved.coordinator_root)},
       {"CoordinatorIntermediate", secret_value(reserved.coordinator_intermediate)}});
  Value prev = Value::make_struct("manifest.PreviousSecrets", {{"Secrets", secrets_map(previous)}});
  return Value::make_struct("manifest.TemplateData", {{"MarbleRun", std::move(marblerun)},
                                                      {"Secrets", secrets_map(current)},
                                                      {"Previous", std::move(prev)}});
}

namespace {

std::string entry_error(ErrorStyle style, bool is_file, const std::string& name,
                        const std::string& msg) {
  if (style == ErrorStyle::kActivation) {
    return fmt::format("parsing secrets for {} \"{}\": {}", is_file ? "file" : "env variable", name,
                       msg);
  }
  return fmt::format("{} {}: {}", is_file ? "file" : "env variable", name, msg);
}

}  // namespace

Result<ParameterTemplates> ParameterTemplates::compile(std::string_view marble_name,
                                                       const Marble& marble, ErrorStyle style) {
  ParameterTemplates pt;
  pt.marble_name_ = std::string(marble_name);
  auto add = [&](const NameMap<File>& src, bool is_file, std::vector<Entry>& dst) -> Status {
    for (const auto& [name, f] : src) {
      Entry e{name, {}, std::nullopt};
      if (f.no_templates) {
        e.verbatim = f.data;
      } else {
        auto t = gotemplate::Template::parse("data", f.data,
                                             is_file ? file_functions() : env_functions());
        if (!t)
          return fail(ErrorCode::kInvalidArgument,
                      entry_error(style, is_file, name, t.error().message));
        e.tmpl = std::move(*t);
      }
      dst.push_back(std::move(e));
    }
    return ok();
  };
  MR_RETURN_IF_ERROR(add(marble.parameters.files, true, pt.files_));
  MR_RETURN_IF_ERROR(add(marble.parameters.env, false, pt.env_));
  pt.argv_ = marble.parameters.argv;
  return pt;
}

Result<RenderedParameters> ParameterTemplates::render(const Value& data, ErrorStyle style,
                                                      gotemplate::Budget* pool) const {
  RenderedParameters out;
  // What this Marble may still spend; template output and steps are also bounded by |pool|.
  std::size_t bytes_left = kMaxRenderedBytesPerMarble;
  std::uint64_t steps_left = kMaxTemplateStepsPerMarble;
  enum class Limit { kMarbleBytes, kMarbleSteps, kPoolBytes, kPoolSteps };
  auto too_much = [&](Limit limit) -> Error {
    switch (limit) {
      case Limit::kPoolBytes:
        return Error{ErrorCode::kInvalidArgument,
                     fmt::format("the templates of the manifest render to more than {} bytes (all "
                                 "Marbles together)",
                                 kMaxDryRunTemplateBytes)};
      case Limit::kPoolSteps:
        return Error{ErrorCode::kInvalidArgument,
                     fmt::format("the templates of the manifest take more than {} template steps "
                                 "(all Marbles together)",
                                 kMaxDryRunTemplateSteps)};
      case Limit::kMarbleSteps:
        return Error{ErrorCode::kInvalidArgument,
                     fmt::format("the parameters of Marble {} take more than {} template steps "
                                 "(Files and Env together)",
                                 marble_name_, kMaxTemplateStepsPerMarble)};
      case Limit::kMarbleBytes:
        break;
    }
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("the parameters of Marble {} render to more than {} bytes (Files, "
                             "Env and Argv together)",
                             marble_name_, kMaxRenderedBytesPerMarble)};
  };
  // charge takes |n| verbatim bytes (names, NoTemplates entries, argv) from the Marble's budget.
  auto charge = [&](std::size_t n) -> Status {
    if (n > bytes_left) return tl::unexpected(too_much(Limit::kMarbleBytes));
    bytes_left -= n;
    return ok();
  };
  // execute runs one template within the smaller of the Marble's and the pool's remainders;
  // |over_limit| tells a limit's error from the template's own.
  bool over_limit = false;
  auto execute = [&](const gotemplate::Template& t) -> Result<std::string> {
    const bool pool_bytes = pool && pool->output_bytes < bytes_left;
    const bool pool_steps = pool && pool->steps < steps_left;
    gotemplate::Budget budget{pool_bytes ? pool->output_bytes : bytes_left,
                              pool_steps ? pool->steps : steps_left};
    const gotemplate::Budget given = budget;
    auto r = t.execute(data, budget);
    const std::size_t bytes = given.output_bytes - budget.output_bytes;
    const std::uint64_t steps = given.steps - budget.steps;
    bytes_left -= bytes;
    steps_left -= steps;
    if (pool) {
      pool->output_bytes -= std::min(pool->output_bytes, bytes);
      pool->steps -= std::min(pool->steps, steps);
    }
    if (!r && budget.exhausted) {
      over_limit = true;
      if (budget.steps == 0) {
        return tl::unexpected(too_much(pool_steps ? Limit::kPoolSteps : Limit::kMarbleSteps));
      }
      return tl::unexpected(too_much(pool_bytes ? Limit::kPoolBytes : Limit::kMarbleBytes));
    }
    return r;
  };
  auto run = [&](const std::vector<Entry>& src, bool is_file, NameMap<std::string>& dst) -> Status {
    for (const Entry& e : src) {
      MR_RETURN_IF_ERROR(charge(e.name.size()));
      if (!e.tmpl) {
        MR_RETURN_IF_ERROR(charge(e.verbatim.size()));
        dst.emplace(e.name, e.verbatim);
        continue;
      }
      auto r = execute(*e.tmpl);
      if (!r) {
        if (over_limit) return tl::unexpected(r.error());
        return fail(ErrorCode::kInvalidArgument,
                    entry_error(style, is_file, e.name, r.error().message));
      }
      dst.emplace(e.name, std::move(*r));
    }
    return ok();
  };
  MR_RETURN_IF_ERROR(run(files_, true, out.files));
  MR_RETURN_IF_ERROR(run(env_, false, out.env));
  for (const auto& arg : argv_)
    MR_RETURN_IF_ERROR(charge(arg.size()));
  out.argv = argv_;
  return out;
}

NameMap<Secret> with_placeholders(NameMap<Secret> values, Placeholders which) {
  for (auto& [name, s] : values) {
    const bool unset = s.cert_der.empty() && s.private_key.empty() && s.public_key.empty();
    const bool forced =
        (which != Placeholders::kUnset && s.user_defined) ||
        (which == Placeholders::kUserDefinedAndSymmetricKeys && s.type == kSecretSymmetricKey);
    if (!unset && !forced) continue;
    const Bytes dummy = {0x41};
    if (s.user_defined || is_cert_type(s.type)) s.cert_der = dummy;
    s.private_key = dummy;
    s.public_key = dummy;
  }
  return values;
}

NameMap<Secret> placeholder_secrets(const Manifest& m) {
  NameMap<Secret> definitions = m.secrets;
  for (auto& [name, s] : definitions)
    s.cert_der = s.private_key = s.public_key = Bytes{};
  return with_placeholders(std::move(definitions), Placeholders::kUnset);
}

CheckReport dry_run_report(const Manifest& m, const NameMap<Secret>& secrets) {
  CheckReport r;
  ReservedSecrets reserved;
  reserved.root_ca = dummy_cert_secret();
  reserved.marble_cert = dummy_cert_secret();
  reserved.marble_cert.public_key = {0x41};
  reserved.marble_cert.private_key = {0x41};
  reserved.coordinator_root = dummy_cert_secret();
  reserved.coordinator_intermediate = dummy_cert_secret();
  const Value data = template_data(reserved, secrets, secrets);
  gotemplate::Budget pool{kMaxDryRunTemplateBytes, kMaxDryRunTemplateSteps};
  bool pool_dry = false;  // once the manifest's budget is spent, templates are not run again
  for (const auto& [name, marble] : m.marbles) {
    for (const auto& [env_name, f] : marble.parameters.env) {
      if (contains_nul(f.data)) {
        r.errors.push_back(fmt::format(
            "in Marble {}: env variable: {}: content contains null bytes", name, env_name));
      }
    }
    auto compiled = ParameterTemplates::compile(name, marble, ErrorStyle::kDryRun);
    if (!compiled) {
      r.errors.push_back(fmt::format("in Marble {}: {}", name, compiled.error().message));
      continue;
    }
    if (pool_dry) continue;
    if (auto rendered = compiled->render(data, ErrorStyle::kDryRun, &pool); !rendered) {
      const std::string& msg = rendered.error().message;
      pool_dry = msg.starts_with("the templates of the manifest ");
      r.errors.push_back(msg.starts_with("the parameters of Marble ")
                             ? msg
                             : fmt::format("in Marble {}: {}", name, msg));
    }
  }
  return r;
}

}  // namespace mr::manifest
