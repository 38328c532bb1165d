// `marblerun certificate root|intermediate|chain <host>`: the Coordinator's certificates, after
// verifying it (spec 11.2).

#include "cli/commands.h"
#include "client/cert_cache.h"
#include "crypto/pem.h"
#include "gojson/go_json.h"

namespace mr::cli {
namespace {

enum class Which { kRoot, kIntermediate, kChain };

void add_one(CLI::App& group, Session& s, Which which, const std::string& name,
             const std::string& description, const std::string& default_file) {
  struct Opts {
    std::string host, output;
  };
  auto o = std::make_shared<Opts>();
  o->output = default_file;
  auto* cmd = group.add_subcommand(name, description);
  cmd->add_option("host", o->host, "Coordinator address (host:port)")->required();
  cmd->add_option("-o,--output", o->output, "File to write the PEM to (\"-\" = stdout)")
      ->capture_default_str();
  cmd->callback([o, &s, which, name] {
    s.run([&]() -> Status {
      MR_ASSIGN_OR_RETURN(client::Connection c, s.connect(o->host, client::TrustPurpose::kAttest));
      std::string pem;
      if (which != Which::kRoot) pem += crypto::pem_encode("CERTIFICATE", c.certs.intermediate_der);
      if (which != Which::kIntermediate) pem += crypto::pem_encode("CERTIFICATE", c.certs.root_der);
      MR_RETURN_IF_ERROR(s.write_output(o->output, as_bytes(pem)));
      if (o->output == "-") return ok();
      const Bytes& main_cert =
          which == Which::kIntermediate ? c.certs.intermediate_der : c.certs.root_der;
      if (s.json()) {
        s.out() << gojson::Json{{"file", o->output},
                                {"sha256", client::certificate_fingerprint(main_cert)}}
                       .dump(2)
                << "\n";
      } else {
        s.out() << "Certificate " << name << " written to " << o->output << "\n";
      }
      return ok();
    });
  });
}

}  // namespace

void add_certificate_commands(CLI::App& app, Session& session) {
  auto* group = app.add_subcommand("certificate", "Get the Coordinator's certificates");
  group->require_subcommand(1);
  add_one(*group, session, Which::kRoot, "root", "Write the Coordinator's root certificate",
          "marblerunRootCA.crt");
  add_one(*group, session, Which::kIntermediate, "intermediate",
          "Write the Coordinator's intermediate certificate", "marblerunIntermediateCA.crt");
  add_one(*group, session, Which::kChain, "chain",
          "Write the Coordinator's certificate chain (intermediate, then root)",
          "marblerunChainCA.crt");
}

}  // namespace mr::cli
