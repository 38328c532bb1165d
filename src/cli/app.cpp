#include "cli/app.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <functional>
#include <map>
#include <ostream>
#include <sstream>

#include "cli/attestation/attestation_command.h"
#include "cli/commands.h"
#include "cli/manifest_check.h"
#include "manifest/manifest.h"

#ifndef MR_VERSION
#define MR_VERSION "0.0.0"
#endif

namespace mr::cli {
namespace {

void add_global_flags(CLI::App& app, GlobalOptions& o) {
  const std::string trust = "Coordinator verification";
  app.add_option("--coordinator-cert", o.coordinator_cert,
                 "Certificate cache: the Coordinator's intermediate and root certificate, pinned "
                 "on first contact (default: $XDG_CONFIG_HOME/marblerun/coordinator-cert.pem, "
                 "i.e. ~/.config/marblerun/coordinator-cert.pem)")
      ->group(trust);
  app.add_option("--era-config", o.era_config,
                 "Attestation policy for the Coordinator (JSON: UniqueID, or SignerID + ProductID "
                 "+ SecurityVersion, Debug, ...; default: ./era-config.json if it exists). Nothing "
                 "is downloaded.")
      ->group(trust);
  app.add_flag("-i,--insecure", o.insecure,
               "Do not verify the Coordinator: no quote check, no certificate cache, no TLS "
               "certificate check")
      ->group(trust);
  app.add_option("--accepted-tcb-statuses", o.accepted_tcb_statuses,
                 "TCB statuses accepted in the Coordinator's quote, comma-separated (default: the "
                 "era config's, else UpToDate,SWHardeningNeeded)")
      ->delimiter(',')
      ->check(CLI::IsMember(std::vector<std::string>(manifest::kTcbStatusNames.begin(),
                                                     manifest::kTcbStatusNames.end())))
      ->group(trust);
  app.add_option("--accepted-advisories", o.accepted_advisories,
                 "Intel security advisories accepted for TCB status SWHardeningNeeded, "
                 "comma-separated (default: the era config's, else all)")
      ->delimiter(',')
      ->group(trust);
  app.add_option("--nonce", o.nonce,
                 "Nonce for the Coordinator's quote (its bytes are bound into a fresh quote)")
      ->group(trust);
  app.add_option("--save-sgx-quote", o.save_sgx_quote, "Write the Coordinator's quote to this file")
      ->group(trust);
  app.add_flag("--accept-simulation", o.accept_simulation,
               "Accept a Coordinator in simulation mode (no quote; development only). Its root is "
               "pinned in the certificate cache, and later commands trust that root without the "
               "flag, printing a WARNING on every call")
      ->group(trust);
  app.add_option("--dcap-root-ca", o.dcap_root_ca,
                 "Root CA (DER or PEM) the Coordinator's quote must chain to, instead of Intel's "
                 "SGX Root CA (tests and simulated DCAP)")
      ->group(trust);
  app.add_option("--dcap-collateral", o.dcap_collateral,
                 "DCAP collateral for verifying the quote: directory of Intel PCS files or "
                 "single JSON file (default: fetch from --dcap-pccs-url)")
      ->group(trust);
  app.add_option("--dcap-pccs-url", o.dcap_pccs_url,
                 "PCCS or Intel PCS base URL for fetching collateral (default: Intel PCS)")
      ->group(trust);
  app.add_option("--format", o.format, "Output format: text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--timeout", o.timeout,
                 "How long to wait for the Coordinator to become reachable, and for each answer "
                 "(e.g. 30s, 2m). Default: wait 5s while it refuses connections or answers 503 "
                 "(starting), 60s for answers; a name that does not resolve, a port that is not "
                 "the client API, or no answer at all is reported at once");
  app.add_option("-n,--namespace", o.k8s_namespace, "Kubernetes namespace (unused: no Kubernetes)")
      ->group("");
}

// path_of names |cmd| as typed: "marblerun manifest update".
std::string path_of(const CLI::App* cmd) {
  std::string path = cmd->get_name();
  for (const CLI::App* p = cmd->get_parent(); p != nullptr; p = p->get_parent())
    path = p->get_name() + " " + path;
  return path;
}

std::vector<CLI::App*> children(CLI::App* cmd) {
  return cmd->get_subcommands([](CLI::App*) { return true; });
}

std::string child_names(CLI::App* cmd) {
  std::string out;
  for (CLI::App* c : children(cmd))
    out += (out.empty() ? "" : ", ") + c->get_name();
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// closest returns the subcommand of |cmd| nearest to |typed| (one it starts, or one edit away
// per three letters typed, at least one), or "".
std::string closest(CLI::App* cmd, std::string_view typed) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(1, typed.size() / 3) + 1;
  for (CLI::App* c : children(cmd)) {
    const std::string& name = c->get_name();
    const std::size_t d =
        name.starts_with(typed) && !typed.empty() ? 0 : edit_distance(typed, name);
    if (d < best_distance) {
      best = name;
      best_distance = d;
    }
  }
  return best;
}

// unknown_command_error explains a parse error at a command group (marblerun, manifest,
// manifest update, ...): the unknown command and the closest one, or the commands to choose
// from. Empty when the error is about something else.
std::string unknown_command_error(CLI::App& app) {
  CLI::App* deepest = &app;
  for (;;) {
    auto parsed = deepest->get_subcommands();
    if (parsed.empty()) break;
    deepest = parsed.front();
  }
  if (children(deepest).empty()) return "";
  std::string typed;
  for (const std::string& arg : app.remaining(true)) {
    if (!arg.starts_with("-")) {
      typed = arg;
      break;
    }
  }
  const std::string path = path_of(deepest);
  if (typed.empty()) {
    return fmt::format("{} needs a command: {} (see {} --help)", path, child_names(deepest), path);
  }
  const std::string near = closest(deepest, typed);
  if (!near.empty()) {
    return fmt::format("unknown command \"{}\" for \"{}\"; did you mean \"{}\"? (see {} --help)",
                       typed, path, near, path);
  }
  return fmt::format("unknown command \"{}\" for \"{}\"; its commands: {} (see {} --help)", typed,
                     path, child_names(deepest), path);
}

// CommandTree lists, for every command path ("" for marblerun itself), its subcommands with
// their descriptions and its long flags (global flags included): the input of `completion`.
struct CommandTree {
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> commands;
  std::map<std::string, std::vector<std::string>> flags;
};

void collect(CLI::App* cmd, const std::string& path, const std::vector<std::string>& global,
             CommandTree& tree) {
  std::vector<std::string>& flags = tree.flags[path];
  flags = global;
  for (const CLI::Option* o : cmd->get_options()) {
    if (o->get_group().empty()) continue;  // hidden
    for (const std::string& n : o->get_lnames())
      flags.push_back("--" + n);
  }
  std::sort(flags.begin(), flags.end());
  flags.erase(std::unique(flags.begin(), flags.end()), flags.end());
  for (CLI::App* c : children(cmd)) {
    tree.commands[path].emplace_back(c->get_name(), c->get_description());
    collect(c, path.empty() ? c->get_name() : path + " " + c->get_name(), global, tree);
  }
}

std::string words(const std::vector<std::string>& w) {
  std::string out;
  for (const auto& x : w)
    out += (out.empty() ? "" : " ") + x;
  return out;
}

std::string bash_completion(const CommandTree& t) {
  std::ostringstream o;
  o << "# bash completion for marblerun (marblerun completion bash)\n"
       "_marblerun_children() {\n  case \"$1\" in\n";
  for (const auto& [path, cmds] : t.commands) {
    std::vector<std::string> names;
    for (const auto& c : cmds)
      names.push_back(c.first);
    o << "    \"" << path << "\") echo \"" << words(names) << "\" ;;\n";
  }
  o << "  esac\n}\n_marblerun_flags() {\n  case \"$1\" in\n";
  for (const auto& [path, flags] : t.flags)
    o << "    \"" << path << "\") echo \"" << words(flags) << "\" ;;\n";
  o << "  esac\n}\n"
       "_marblerun() {\n"
       "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" path=\"\" word i\n"
       "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
       "    word=\"${COMP_WORDS[i]}\"\n"
       "    case \"$word\" in -*) continue ;; esac\n"
       "    case \" $(_marblerun_children \"$path\") \" in\n"
       "      *\" $word \"*) path=\"${path:+$path }$word\" ;;\n"
       "    esac\n"
       "  done\n"
       "  if [[ \"$cur\" == -* ]]; then\n"
       "    COMPREPLY=($(compgen -W \"$(_marblerun_flags \"$path\")\" -- \"$cur\"))\n"
       "  else\n"
       "    COMPREPLY=($(compgen -W \"$(_marblerun_children \"$path\")\" -- \"$cur\"))\n"
       "  fi\n"
       "}\n"
       "complete -o default -F _marblerun marblerun\n";
  return o.str();
}

std::string fish_quote(std::string_view s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string fish_completion(const CommandTree& t) {
  std::ostringstream o;
  o << "# fish completion for marblerun (marblerun completion fish)\n"
       "complete -c marblerun -f\n";
  for (const auto& [path, cmds] : t.commands) {
    std::vector<std::string> names;
    for (const auto& c : cmds)
      names.push_back(c.first);
    std::string cond;
    if (path.empty()) {
      cond = "__fish_use_subcommand";
    } else {
      const std::string last = path.substr(path.rfind(' ') + 1);
      cond = "__fish_seen_subcommand_from " + last + "; and not __fish_seen_subcommand_from " +
             words(names);
    }
    for (const auto& [name, description] : cmds) {
      o << "complete -c marblerun -n " << fish_quote(cond) << " -a " << name << " -d "
        << fish_quote(description.substr(0, description.find(':'))) << "\n";
    }
  }
  std::vector<std::string> all;
  for (const auto& [path, flags] : t.flags)
    all.insert(all.end(), flags.begin(), flags.end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  for (const std::string& f : all)
    o << "complete -c marblerun -l " << f.substr(2) << "\n";
  o << "complete -c marblerun -F -n 'not __fish_use_subcommand'\n";
  return o.str();
}

void add_help_and_completion(CLI::App& app, std::ostream& out, int& exit_code) {
  auto* help = app.add_subcommand("help", "Show help for marblerun or one of its commands");
  help->allow_extras();
  help->fallthrough(false);
  help->callback([&app, help, &out, &exit_code] {
    CLI::App* target = &app;
    for (const std::string& name : help->remaining()) {
      CLI::App* next = nullptr;
      for (CLI::App* c : children(target))
        if (c->get_name() == name) next = c;
      if (next == nullptr) {
        const std::string near = closest(target, name);
        throw CLI::ValidationError(
            fmt::format("unknown command \"{}\" for \"{}\"{}", name, path_of(target),
                        near.empty() ? "" : fmt::format("; did you mean \"{}\"?", near)));
      }
      target = next;
    }
    out << target->get_formatter()->make_help(target, path_of(target), CLI::AppFormatMode::Normal);
    exit_code = 0;
  });

  auto shell = std::make_shared<std::string>();
  auto* completion = app.add_subcommand(
      "completion",
      "Print a shell completion script: bash (source <(marblerun completion bash)), zsh, fish");
  completion->add_option("shell", *shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  completion->callback([&app, shell, &out] {
    std::vector<std::string> global;
    for (const CLI::Option* o : app.get_options()) {
      if (o->get_group().empty()) continue;
      for (const std::string& n : o->get_lnames())
        global.push_back("--" + n);
    }
    CommandTree tree;
    collect(&app, "", global, tree);
    if (*shell == "fish") {
      out << fish_completion(tree);
    } else if (*shell == "zsh") {
      out << "#compdef marblerun\n# zsh completion for marblerun (marblerun completion zsh)\n"
             "autoload -U +X bashcompinit && bashcompinit\n"
          << bash_completion(tree);
    } else {
      out << bash_completion(tree);
    }
  });
}

}  // namespace

int run_marblerun(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
                  Environment env) {
  Session session(out, err, std::move(env));
  CLI::App app{"marblerun: manage and verify a MarbleRun Coordinator", "marblerun"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags may follow the command
  app.set_version_flag("--version", "marblerun v" MR_VERSION, "Print the CLI's version");
  add_global_flags(app, session.options());
  int exit_code = 0;

  auto* manifest = app.add_subcommand("manifest", "Manage manifests");
  manifest->require_subcommand(1);
  auto* check = manifest->add_subcommand("check", "Validate manifest files offline");
  std::vector<std::string> files;
  check->add_option("file", files, "Manifest files (JSON)")->required();
  check->callback([&] { exit_code = run_manifest_check(files, out); });
  add_manifest_commands(*manifest, session);

  add_certificate_commands(app, session);
  add_secret_commands(app, session);
  add_recover_commands(app, session);
  add_status_and_version_commands(app, session);
  add_kubernetes_commands(app, session);
  add_attestation_commands(app, exit_code);
  add_help_and_completion(app, out, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e, out, err);
  } catch (const CLI::ParseError& e) {
    const bool about_commands = dynamic_cast<const CLI::RequiredError*>(&e) != nullptr ||
                                dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr;
    const std::string explained = about_commands ? unknown_command_error(app) : "";
    std::string what = one_line(e.what());
    if (what.starts_with(": ")) what.erase(0, 2);  // CLI11 names no option for some errors
    err << "Error: " << (explained.empty() ? what + " (see --help)" : explained) << "\n";
    return 2;
  }
  return exit_code != 0 ? exit_code : session.exit_code();
}

}  // namespace mr::cli
