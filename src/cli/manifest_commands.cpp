// `marblerun manifest get|log|set|signature|verify|update ...` (spec 11.2).

#include <cctype>

#include "base/encoding.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/manifest_yaml.h"
#include "client/coordinator_client.h"
#include "crypto/hash.h"
#include "gojson/encode.h"
#include "gojson/go_json.h"

namespace mr::cli {
namespace {

using client::TrustPurpose;
using gojson::Json;

// recovery_json is upstream's recovery data file: {"RecoverySecrets": {"<key>": "<base64>"}}.
std::string recovery_json(const client::RecoverySecrets& secrets) {
  Json inner = Json::object();
  for (const auto& [name, data] : secrets)
    inner[name] = base64_encode(data);
  Json j = Json::object();
  j["RecoverySecrets"] = std::move(inner);
  return j.dump(2) + "\n";
}

// report_recovery_data writes new recovery secrets to |file| (if given) or prints them.
Status report_recovery_data(Session& s, const client::RecoverySecrets& secrets,
                            const std::string& file) {
  if (secrets.empty()) return ok();
  const std::string text = recovery_json(secrets);
  if (file.empty()) {
    s.out() << text;
    return ok();
  }
  MR_RETURN_IF_ERROR(s.write_output(file, as_bytes(text)));
  if (!s.json()) s.out() << "Recovery data saved to " << file << "\n";
  return ok();
}

std::string users_list(const std::vector<std::string>& users) {
  return users.empty() ? "-" : join(users, ", ");
}

Json users_json(const std::vector<std::string>& users) {
  Json a = Json::array();
  for (const auto& u : users)
    a.push_back(u);
  return a;
}

bool is_sha256_hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (const char c : s) {
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0) return false;
  }
  return true;
}

// apply_security_versions patches Packages[p].SecurityVersion from update log entries with
// "package" and "new version" (manifest get --display-update).
Result<std::string> apply_security_versions(const Bytes& manifest,
                                            const std::vector<std::string>& log) {
  MR_ASSIGN_OR_RETURN(Json m,
                      gojson::parse(to_string(manifest)).map_error(Wrap("parsing the manifest")));
  Json* packages = m.contains("Packages") ? &m["Packages"] : nullptr;
  for (const std::string& line : log) {
    auto entry = gojson::parse(line);
    if (!entry || !entry->is_object()) continue;
    const Json* pkg = gojson::find_field(*entry, "package");
    const Json* version = gojson::find_field(*entry, "new version");
    if (pkg == nullptr || version == nullptr || !pkg->is_string() ||
        !version->is_number_integer()) {
      continue;
    }
    if (packages != nullptr && packages->is_object() &&
        packages->contains(pkg->get<std::string>())) {
      (*packages)[pkg->get<std::string>()]["SecurityVersion"] = *version;
    }
  }
  return m.dump(2);
}

void add_get(CLI::App& manifest, Session& s) {
  struct Opts {
    std::string host, output;
    bool keep_cert = false, signature = false, display_update = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = manifest.add_subcommand("get", "Get the Coordinator's manifest");
  cmd->add_option("host", o->host, "Coordinator address (host:port)")->required();
  cmd->add_flag("--keep-cert", o->keep_cert,
                "Save the Coordinator's certificates to the cache (always done here)");
  cmd->add_flag("-s,--signature", o->signature, "Print the manifest's signature (SHA-256) too");
  cmd->add_flag("-u,--display-update", o->display_update,
                "Show the manifest with the SecurityVersions raised by package updates");
  cmd->add_option("-o,--output", o->output, "Write the manifest to this file");
  cmd->callback([o, &s] {
    s.run([&]() -> Status {
      MR_ASSIGN_OR_RETURN(client::Connection c, s.connect(o->host, TrustPurpose::kAttest));
      MR_ASSIGN_OR_RETURN(client::ManifestInfo m,
                          c.client->manifest().map_error(Wrap("getting the manifest")));
      if (m.manifest.empty())
        return fail(ErrorCode::kNotFound, "the Coordinator has no manifest yet");
      std::string text = to_string(m.manifest);
      if (o->display_update) {
        MR_ASSIGN_OR_RETURN(std::vector<std::string> log,
                            c.client->update_log().map_error(Wrap("getting the update log")));
        MR_ASSIGN_OR_RETURN(text, apply_security_versions(m.manifest, log));
      }
      if (o->signature) {
        text = "{\"ManifestSignature\": \"" + m.fingerprint + "\",\n\"Manifest\": " + text + "}";
      }
      if (!o->output.empty()) return s.write_output(o->output, as_bytes(text));
      s.out() << text << "\n";
      return ok();
    });
  });
}

void add_log(CLI::App& manifest, Session& s) {
  struct Opts {
    std::string host, output;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = manifest.add_subcommand("log", "Get the Coordinator's update log");
  cmd->add_option("host", o->host, "Coordinator address (host:port)")->required();
  cmd->add_option("-o,--output", o->output, "Write the log to this file");
  cmd->callback([o, &s] {
    s.run([&]() -> Status {
      MR_ASSIGN_OR_RETURN(client::Connection c, s.connect(o->host, TrustPurpose::kPinned));
      MR_ASSIGN_OR_RETURN(std::vector<std::string> log,
                          c.client->update_log().map_error(Wrap("getting the update log")));
      std::string text;
      if (s.json()) {
        Json entries = Json::array();
        for (const auto& line : log) {
          auto j = gojson::parse(line);
          entries.push_back(j ? *j : Json(line));
        }
        text = Json{{"updateLog", entries}}.dump(2) + "\n";
      } else {
        for (const auto& line : log)
          text += line + "\n";
      }
      if (!o->output.empty()) return s.write_output(o->output, as_bytes(text));
      s.out() << text;
      return ok();
    });
  });
}

void add_set(CLI::App& manifest, Session& s) {
  struct Opts {
    std::string file, host, recovery_file;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = manifest.add_subcommand("set", "Set the Coordinator's manifest");
  cmd->add_option("manifest", o->file, "Manifest file (JSON or YAML)")->required();
  cmd->add_option("host", o->host, "Coordinator address (host:port)")->required();
  cmd->add_option("-r,--recoverydata,--recovery-data", o->recovery_file,
                  "Write the recovery data to this file instead of printing it");
  cmd->callback([o, &s] {
    s.run([&]() -> Status {
      MR_ASSIGN_OR_RETURN(std::string raw, load_manifest_file(o->file));
      MR_ASSIGN_OR_RETURN(client::Connection c, s.connect(o->host, TrustPurpose::kAttest));
      auto set = [&] {
        SlowNotice progress(s,
                            "waiting for the Coordinator to set the manifest (it generates the "
                            "manifest's secrets and certificates)...");
        return c.client->set_manifest(raw);
      };
      auto result = set();
      if (!result && result.error().message.starts_with("server is not in expected state")) {
        // The Coordinator takes a manifest only once (and in recovery mode): say what to do.
        auto status = c.client->status();
        if (status && status->code == 3) {
          return failf(ErrorCode::kFailedPrecondition,
                       "setting the manifest: a manifest is already set: use `marblerun manifest "
                       "update apply` to change it (the Coordinator said: {})",
                       result.error().message);
        }
      }
      MR_ASSIGN_OR_RETURN(client::RecoverySecrets secrets,
                          std::move(result).map_error(Wrap("setting the manifest")));
      if (s.json()) {
        if (!o->recovery_file.empty() && !secrets.empty()) {
          MR_RETURN_IF_ERROR(s.write_output(o->recovery_file, as_bytes(recovery_json(secrets))));
        }
        Json j = {{"message", "Manifest successfully set"}};
        if (o->recovery_file.empty() && !secrets.empty()) {
          j["RecoverySecrets"] = gojson::parse(recovery_json(secrets))->at("RecoverySecrets");
        }
        s.out() << j.dump(2) << "\n";
        return ok();
      }
      s.out() << "Manifest successfully set\n";
      return report_recovery_data(s, secrets, o->recovery_file);
    });
  });
}

void add_signature(CLI::App& manifest, Session& s) {
  auto file = std::make_shared<std::string>();
  auto* cmd =
      manifest.add_subcommand("signature", "Print the SHA-256 of a manifest file (offline)");
  cmd->add_option("manifest", *file,
                  "Manifest file (JSON or YAML; YAML is hashed as the JSON it converts to)")
      ->required();
  cmd->callback([file, &s] {
    s.run([&]() -> Status {
      MR_ASSIGN_OR_RETURN(std::string raw, load_manifest_file(*file));
      const std::string hash = hex_encode(crypto::sha256(as_bytes(raw)));
      if (s.json()) {
        s.out() << Json{{"manifestFingerprint", hash}}.dump(2) << "\n";
      } else {
        s.out() << hash << "\n";
      }
      return ok();
    });
  });
}

void add_verify(CLI::App& manifest, Session& s) {
  struct Opts {
    std::string manifest, host;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = manifest.add_subcommand(
      "verify", "Verify that the Coordinator runs the given manifest (file or SHA-256 hex)");
  cmd->add_option("manifest", o->manifest, "Manifest file (JSON or YAML), or its SHA-256 as hex")
      ->required();
  cmd->add_option("host", o->host, "Coordinator address (host:port)")->required();
  cmd->callback([o, &s] {
    s.run([&]() -> Status {
      std::string local;
      std::error_code ec;
      if (std::filesystem::is_regular_file(o->manifest, ec)) {
        MR_ASSIGN_OR_RETURN(std::string raw, load_manifest_file(o->manifest));
        local = hex_encode(crypto::sha256(as_bytes(raw)));
      } else if (is_sha256_hex(o->manifest)) {
        local = ascii_lower(o->manifest);
      } else {
        return failf(ErrorCode::kInvalidArgument,
                     "{} is neither a manifest file nor a SHA-256 hash in hex", o->manifest);
      }
      MR_ASSIGN_OR_RETURN(client::Connection c, s.connect(o->host, TrustPurpose::kAttest));
      MR_ASSIGN_OR_RETURN(client::ManifestInfo m,
                          c.client->manifest().map_error(Wrap("getting the manifest")));
      if (m.fingerprint.empty()) {
        return fail(ErrorCode::kNotFound, "the Coordinator returned no manifest signature");
      }
      if (ascii_lower(m.fingerprint) != local) {
        return failf(ErrorCode::kFailedPrecondition,
                     "the Coordinator's manifest does not match: it has SHA-256 {}, the local "
                     "manifest is {}",
                     ascii_lower(m.fingerprint), local);
      }
      if (s.json()) {
        s.out() << Json{{"verified", true}, {"manifestFingerprint", local}}.dump(2) << "\n";
      } else {
        s.out() << "OK\n";
      }
      return ok();
    });
  });
}

void add_update(CLI::App& manifest, Session& s) {
  auto* update = manifest.add_subcommand("update", "Manage manifest updates");
  update->require_subcommand(1);

  struct ApplyOpts {
    std::string file, host, recovery_file;
    UserCredentials user;
  };
  {
    auto o = std::make_shared<ApplyOpts>();
    auto* cmd = update->add_subcommand(
        "apply",
        "Update the manifest (a package update, or a full update others may need to "
        "acknowledge)");
    cmd->add_option("manifest", o->file, "Update manifest file (JSON or YAML)")->required();
    cmd->add_option("host", o->host, "Coordinator address (host:port)")->required();
    cmd->add_option("-r,--recoverydata,--recovery-data", o->recovery_file,
                    "Write new recovery data to this file instead of printing it");
    add_user_flags(*cmd, o->user);
    cmd->callback([o, &s] {
      s.run([&]() -> Status {
        MR_ASSIGN_OR_RETURN(std::string raw, load_manifest_file(o->file));
        MR_ASSIGN_OR_RETURN(client::Connection c,
                            s.connect(o->host, TrustPurpose::kPinned, &o->user));
        auto apply = [&] {
          SlowNotice progress(s, "waiting for the Coordinator to apply the update...");
          return c.client->apply_update(raw);
        };
        MR_ASSIGN_OR_RETURN(client::UpdateResult u, apply().map_error(Wrap("applying the update")));
        const client::RecoverySecrets none;
        const client::RecoverySecrets& secrets = u.recovery_secrets ? *u.recovery_secrets : none;
        if (s.json()) {
          if (!o->recovery_file.empty() && !secrets.empty()) {
            MR_RETURN_IF_ERROR(s.write_output(o->recovery_file, as_bytes(recovery_json(secrets))));
          }
          Json j = {{"missingAcknowledgments", u.missing_acknowledgments},
                    {"missingUsers", users_json(u.missing_users)}};
          if (o->recovery_file.empty() && !secrets.empty()) {
            j["RecoverySecrets"] = gojson::parse(recovery_json(secrets))->at("RecoverySecrets");
          }
          s.out() << j.dump(2) << "\n";
          return ok();
        }
        if (u.missing_acknowledgments == 0) {
          s.out() << "Update manifest set successfully\n";
        } else {
          s.out() << "Update manifest set successfully. Waiting for " << u.missing_acknowledgments
                  << " more acknowledgement(s); not yet acknowledged by: "
                  << users_list(u.missing_users) << "\n";
        }
        return report_recovery_data(s, secrets, o->recovery_file);
      });
    });
  }
  {
    auto o = std::make_shared<ApplyOpts>();
    auto* cmd = update->add_subcommand("acknowledge", "Acknowledge a pending manifest update");
    cmd->add_option("manifest", o->file,
                    "The pending update manifest (JSON or YAML; the same manifest)")
        ->required();
    cmd->add_option("host", o->host, "Coordinator address (host:port)")->required();
    cmd->add_option("-r,--recoverydata,--recovery-data", o->recovery_file,
                    "Write new recovery data to this file instead of printing it");
    add_user_flags(*cmd, o->user);
    cmd->callback([o, &s] {
      s.run([&]() -> Status {
        MR_ASSIGN_OR_RETURN(std::string raw, load_manifest_file(o->file));
        MR_ASSIGN_OR_RETURN(client::Connection c,
                            s.connect(o->host, TrustPurpose::kPinned, &o->user));
        auto acknowledge = [&] {
          SlowNotice progress(s,
                              "waiting for the Coordinator to take the acknowledgement (the "
                              "last one applies the update)...");
          return c.client->acknowledge_update(raw);
        };
        MR_ASSIGN_OR_RETURN(client::AcknowledgeResult a,
                            acknowledge().map_error(Wrap("acknowledging the update")));
        const client::RecoverySecrets none;
        const client::RecoverySecrets& secrets = a.recovery_secrets ? *a.recovery_secrets : none;
        if (s.json()) {
          if (!o->recovery_file.empty() && !secrets.empty()) {
            MR_RETURN_IF_ERROR(s.write_output(o->recovery_file, as_bytes(recovery_json(secrets))));
          }
          Json j = {{"message", a.message},
                    {"missingAcknowledgments", a.missing_acknowledgments},
                    {"missingUsers", users_json(a.missing_users)}};
          if (o->recovery_file.empty() && !secrets.empty()) {
            j["RecoverySecrets"] = gojson::parse(recovery_json(secrets))->at("RecoverySecrets");
          }
          s.out() << j.dump(2) << "\n";
          return ok();
        }
        s.out() << "Acknowledgement successful: " << a.message << "\n";
        return report_recovery_data(s, secrets, o->recovery_file);
      });
    });
  }
  {
    struct Opts {
      std::string host;
      UserCredentials user;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = update->add_subcommand("cancel", "Cancel a pending manifest update");
    cmd->add_option("host", o->host, "Coordinator address (host:port)")->required();
    add_user_flags(*cmd, o->user);
    cmd->callback([o, &s] {
      s.run([&]() -> Status {
        MR_ASSIGN_OR_RETURN(client::Connection c,
                            s.connect(o->host, TrustPurpose::kPinned, &o->user));
        MR_ASSIGN_OR_RETURN(std::string message,
                            c.client->cancel_update().map_error(Wrap("cancelling the update")));
        if (s.json()) {
          s.out() << Json{{"message", message}}.dump(2) << "\n";
        } else {
          s.out() << message << "\n";
        }
        return ok();
      });
    });
  }
  {
    struct Opts {
      std::string host, output;
      bool missing = false;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = update->add_subcommand("get", "Get the pending manifest update");
    cmd->add_option("host", o->host, "Coordinator address (host:port)")->required();
    cmd->add_option("-o,--output", o->output, "Write the pending manifest to this file");
    cmd->add_flag("--missing", o->missing,
                  "Show who has not acknowledged yet instead of the manifest");
    cmd->callback([o, &s] {
      s.run([&]() -> Status {
        MR_ASSIGN_OR_RETURN(client::Connection c, s.connect(o->host, TrustPurpose::kPinned));
        MR_ASSIGN_OR_RETURN(client::PendingUpdate p, c.client->pending_update().map_error(
                                                         Wrap("getting the pending update")));
        if (o->missing) {
          std::string text;
          if (s.json()) {
            text = Json{{"message", p.message}, {"missingUsers", users_json(p.missing_users)}}.dump(
                       2) +
                   "\n";
          } else {
            text = p.message + "\nNot yet acknowledged by: " + users_list(p.missing_users) + "\n";
          }
          if (!o->output.empty()) return s.write_output(o->output, as_bytes(text));
          s.out() << text;
          return ok();
        }
        if (!o->output.empty()) return s.write_output(o->output, p.manifest);
        s.out() << to_string(p.manifest) << "\n";
        return ok();
      });
    });
  }
}

}  // namespace

void add_manifest_commands(CLI::App& manifest, Session& session) {
  add_get(manifest, session);
  add_log(manifest, session);
  add_set(manifest, session);
  add_signature(manifest, session);
  add_verify(manifest, session);
  add_update(manifest, session);
}

}  // namespace mr::cli
