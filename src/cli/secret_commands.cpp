// `marblerun secret get|set` (spec 11.2): user-authenticated secret access.

#include "base/encoding.h"
#include "cli/commands.h"
#include "crypto/pem.h"
#include "gojson/encode.h"
#include "gojson/go_json.h"

namespace mr::cli {
namespace {

using gojson::Json;

Json bytes_or_null(const std::optional<Bytes>& b) {
  return b ? Json(base64_encode(*b)) : Json(nullptr);
}

// secrets_json renders secrets as the Coordinator sends them (Go's manifest.Secret fields).
Json secrets_json(const std::map<std::string, client::Secret>& secrets) {
  Json all = Json::object();
  for (const auto& [name, s] : secrets) {
    all[name] = Json{
        {"Type", s.type},
        {"Size", s.size},
        {"Shared", s.shared},
        {"UserDefined", s.user_defined},
        {"Cert", bytes_or_null(s.cert)},
        {"ValidFor", s.valid_for},
        {"Private", s.private_key ? Json(base64_encode(s.private_key->span())) : Json(nullptr)},
        {"Public", bytes_or_null(s.public_key)}};
  }
  return all;
}

bool printable(std::string_view s) {
  for (const unsigned char c : s) {
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

void indent_block(std::ostream& out, std::string_view text) {
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    out << "    " << text.substr(start, end == std::string_view::npos ? end : end - start) << "\n";
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
}

void print_secret(std::ostream& out, const std::string& name, const client::Secret& s) {
  auto field = [&](std::string_view label, const std::string& value) {
    out << "  " << label << std::string(14 - label.size(), ' ') << value << "\n";
  };
  out << name << ":\n";
  field("Type:", s.type);
  if (s.size != 0) field("Size:", std::to_string(s.size));
  field("Shared:", s.shared ? "true" : "false");
  field("UserDefined:", s.user_defined ? "true" : "false");
  const bool is_cert = s.type.starts_with("cert-");
  if (is_cert && s.valid_for != 0) field("ValidFor:", std::to_string(s.valid_for) + " days");
  if (!s.cert && !s.private_key && !s.public_key) {
    field("Value:", "(not set yet)");
    return;
  }
  if (is_cert) {
    if (s.cert) {
      out << "  Certificate:\n";
      indent_block(out, crypto::pem_encode("CERTIFICATE", *s.cert));
    }
    if (s.public_key) {
      out << "  Public key:\n";
      indent_block(out, crypto::pem_encode("PUBLIC KEY", *s.public_key));
    }
    if (s.private_key) {
      out << "  Private key:\n";
      indent_block(out, crypto::pem_encode("PRIVATE KEY", s.private_key->span()));
    }
    return;
  }
  if (s.cert) {
    out << "  Certificate:\n";
    indent_block(out, crypto::pem_encode("CERTIFICATE", *s.cert));
  }
  if (s.private_key) {
    if (s.type == "plain" && printable(s.private_key->view())) {
      field("Data:", std::string(s.private_key->view()));
    } else if (s.type == "plain") {
      field("Data:", base64_encode(s.private_key->span()) + " (base64)");
    } else {
      field("Key:", base64_encode(s.private_key->span()) + " (base64)");
    }
  }
}

// secret_from_pem builds {name: {Cert, Private}} from a PEM file (upstream's --from-pem).
Result<std::string> secret_from_pem(const std::string& name, std::string_view pem) {
  Json secret = Json::object();
  for (const crypto::PemBlock& block : crypto::pem_decode_all(pem)) {
    if (block.type == "CERTIFICATE" && !secret.contains("Cert")) {
      secret["Cert"] = base64_encode(block.der);
    } else if (block.type.find("PRIVATE") != std::string::npos && !secret.contains("Private")) {
      secret["Private"] = base64_encode(block.der);
    }
  }
  if (secret.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "no CERTIFICATE or PRIVATE KEY PEM block in the --from-pem file");
  }
  Json all = Json::object();
  all[name] = std::move(secret);
  return gojson::dump(all);
}

void add_get(CLI::App& group, Session& s) {
  struct Opts {
    std::vector<std::string> args;
    std::string output;
    UserCredentials user;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = group.add_subcommand("get", "Get secrets: marblerun secret get NAME... HOST");
  cmd->add_option("args", o->args, "Secret names, then the Coordinator address (host:port)")
      ->required();
  cmd->add_option("-o,--output", o->output, "Write the secrets (JSON) to this file");
  add_user_flags(*cmd, o->user);
  cmd->callback([o, &s] {
    if (o->args.size() < 2) {
      throw CLI::ValidationError("secret get",
                                 "needs at least one secret name and the Coordinator address");
    }
    s.run([&]() -> Status {
      const std::string host = o->args.back();
      const std::vector<std::string> names(o->args.begin(), o->args.end() - 1);
      MR_ASSIGN_OR_RETURN(client::Connection c,
                          s.connect(host, client::TrustPurpose::kPinned, &o->user));
      MR_ASSIGN_OR_RETURN(auto secrets,
                          c.client->secrets(names).map_error(Wrap("getting secrets")));
      if (!o->output.empty()) {
        const std::string text = secrets_json(secrets).dump(2) + "\n";
        MR_RETURN_IF_ERROR(s.write_output(o->output, as_bytes(text)));
        if (!s.json()) s.out() << "Secrets written to " << o->output << "\n";
        return ok();
      }
      if (s.json()) {
        s.out() << secrets_json(secrets).dump(2) << "\n";
        return ok();
      }
      for (const auto& [name, secret] : secrets)
        print_secret(s.out(), name, secret);
      return ok();
    });
  });
}

void add_set(CLI::App& group, Session& s) {
  struct Opts {
    std::string file, host, from_pem;
    UserCredentials user;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = group.add_subcommand("set", "Set user-defined secrets from a JSON file");
  cmd->add_option("file", o->file,
                  "JSON file {\"<name>\": {\"Cert\": ..., \"Private\": ..., \"Key\": ...}}, or a "
                  "PEM file with --from-pem")
      ->required();
  cmd->add_option("host", o->host, "Coordinator address (host:port)")->required();
  cmd->add_option(
      "--from-pem", o->from_pem,
      "Read the file as PEM (certificate and/or private key) and set it as this secret");
  add_user_flags(*cmd, o->user);
  cmd->callback([o, &s] {
    s.run([&]() -> Status {
      MR_ASSIGN_OR_RETURN(std::string text, read_file(o->file, "the secrets file"));
      if (!o->from_pem.empty()) {
        MR_ASSIGN_OR_RETURN(text, secret_from_pem(o->from_pem, text));
      } else {
        auto parsed = gojson::parse(text);
        if (!parsed || !parsed->is_object()) {
          return failf(ErrorCode::kInvalidArgument,
                       "{} is not a JSON object mapping secret names to secrets{}", o->file,
                       parsed ? "" : ": " + parsed.error().message);
        }
      }
      MR_ASSIGN_OR_RETURN(client::Connection c,
                          s.connect(o->host, client::TrustPurpose::kPinned, &o->user));
      MR_RETURN_IF_ERROR(c.client->set_secrets(text).map_error(Wrap("setting secrets")));
      if (s.json()) {
        s.out() << Json{{"message", "Secret successfully set"}}.dump(2) << "\n";
      } else {
        s.out() << "Secret successfully set\n";
      }
      return ok();
    });
  });
}

}  // namespace

void add_secret_commands(CLI::App& app, Session& session) {
  auto* group = app.add_subcommand("secret", "Manage user-defined secrets");
  group->require_subcommand(1);
  add_get(*group, session);
  add_set(*group, session);
}

}  // namespace mr::cli
