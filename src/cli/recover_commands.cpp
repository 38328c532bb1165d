// `marblerun recover` and `marblerun recover-with-signature [public-key|sign-secret|
// encrypt-secret]` (spec 9.5, 9.6, 11.2).

#include <cctype>

#include "base/encoding.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "crypto/cipher.h"
#include "crypto/keys.h"
#include "crypto/pem.h"
#include "gojson/go_json.h"

namespace mr::cli {
namespace {

using gojson::Json;

// looks_like_base64 reports whether |s| is base64 text (the RecoverySecrets JSON values), so a
// pasted value works as well as the decoded bytes.
bool looks_like_base64(std::string_view s) {
  if (s.empty()) return false;
  for (const unsigned char c : s) {
    if (std::isalnum(c) == 0 && c != '+' && c != '/' && c != '=' && c != '\n' && c != '\r') {
      return false;
    }
  }
  return true;
}

Result<crypto::PrivateKey> load_private_key(const std::string& path) {
  MR_ASSIGN_OR_RETURN(std::string text, read_file(path, "the private key"));
  SecretBytes pem(to_bytes(text));
  secure_wipe(text.data(), text.size());
  return crypto::PrivateKey::from_pem(pem.view()).map_error([&](Error e) {
    return std::move(e).wrap("loading the private key " + path);
  });
}

// plain_recovery_secret returns the recovery secret from |file|: 16 or 32 bytes are taken as
// the plain secret; anything else is the RSA-OAEP ciphertext from the recovery data (raw or
// base64) and is decrypted with |key|.
Result<SecretBytes> plain_recovery_secret(const std::string& file, const crypto::PrivateKey& key) {
  MR_ASSIGN_OR_RETURN(std::string data, read_file(file, "the recovery secret"));
  if (data.size() == 16 || data.size() == 32) return SecretBytes(to_bytes(data));
  Bytes ciphertext = to_bytes(data);
  if (looks_like_base64(data)) {
    if (auto decoded = base64_decode(std::string(trim_space(data))))
      ciphertext = std::move(*decoded);
  }
  return crypto::rsa_oaep_decrypt(key, ciphertext).map_error([&](Error e) {
    return std::move(e).wrap("decrypting the recovery secret " + file +
                             " (is -k/--key the recovery key it was encrypted for?)");
  });
}

Result<Bytes> sign_secret(const crypto::PrivateKey& key, const SecretBytes& secret) {
  return crypto::sign(key, secret.span(), crypto::HashAlg::kSha256)
      .map_error(Wrap("signing the recovery secret"));
}

void print_recovery(Session& s, const client::RecoverResult& r) {
  if (s.json()) {
    s.out() << Json{{"remaining", r.remaining}, {"message", r.message}}.dump(2) << "\n";
  } else {
    s.out() << r.message << "\n";
  }
}

// explain_not_recovering turns the Coordinator's "server is not in expected state" into "not in
// recovery mode" when its status shows that; other errors pass through, wrapped in |what|.
Error explain_not_recovering(client::Connection& c, const std::string& host, Error e,
                             std::string_view what) {
  if (e.message.starts_with("server is not in expected state")) {
    auto status = c.client->status();
    if (status && status->code != 1) {
      return Error{ErrorCode::kFailedPrecondition,
                   fmt::format("{}: the Coordinator at {} is not in recovery mode, so there is "
                               "nothing to recover (its status: {}: {})",
                               what, host, status->code, status->message)};
    }
  }
  return std::move(e).wrap(what);
}

void add_pkcs11_refusal(CLI::App& cmd, std::shared_ptr<std::string> pkcs11) {
  cmd.add_option("--pkcs11-config", *pkcs11, "PKCS#11 (not supported in this distribution)")
      ->group("");
}

}  // namespace

void add_recover_commands(CLI::App& app, Session& s) {
  {
    struct Opts {
      std::string file, host, key;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand(
        "recover",
        "Recover the Coordinator with a recovery secret: marblerun recover FILE HOST -k KEY");
    cmd->add_option("recovery_key_file", o->file,
                    "Recovery secret: the (RSA-encrypted) value from the recovery data")
        ->required();
    cmd->add_option("host", o->host, "Coordinator address (host:port)")->required();
    cmd->add_option("-k,--key", o->key, "The recovery private key (PEM)")->required();
    auto pkcs11 = std::make_shared<std::string>();
    add_pkcs11_refusal(*cmd, pkcs11);
    cmd->callback([o, &s, pkcs11] {
      if (!pkcs11->empty())
        throw CLI::ValidationError(
            "--pkcs11-config", "PKCS#11 keys are not supported by this distribution; use -k/--key");
      s.run([&]() -> Status {
        MR_ASSIGN_OR_RETURN(crypto::PrivateKey key, load_private_key(o->key));
        MR_ASSIGN_OR_RETURN(SecretBytes secret, plain_recovery_secret(o->file, key));
        MR_ASSIGN_OR_RETURN(Bytes signature, sign_secret(key, secret));
        MR_ASSIGN_OR_RETURN(client::Connection c,
                            s.connect(o->host, client::TrustPurpose::kRecovery));
        auto recover = [&] {
          SlowNotice progress(s, "waiting for the Coordinator to recover its state...");
          return c.client->recover(secret.span(), signature);
        };
        MR_ASSIGN_OR_RETURN(client::RecoverResult r, recover().map_error([&](Error e) {
          return explain_not_recovering(c, o->host, std::move(e), "recovering the Coordinator");
        }));
        print_recovery(s, r);
        return ok();
      });
    });
  }

  auto* rws = app.add_subcommand(
      "recover-with-signature",
      "Recover the Coordinator with a pre-made signature (air-gapped recovery): marblerun "
      "recover-with-signature SECRET HOST -s SIGNATURE");
  {
    struct Opts {
      std::string file, host, signature;
    };
    auto o = std::make_shared<Opts>();
    rws->add_option("secret_file", o->file,
                    "Recovery secret: plain, or encrypted with encrypt-secret");
    rws->add_option("host", o->host, "Coordinator address (host:port)");
    auto* sig = rws->add_option("-s,--signature", o->signature,
                                "Signature of the recovery secret (from sign-secret)");
    rws->callback([o, &s, rws, sig] {
      if (rws->get_subcommands().size() > 0) return;  // a subcommand ran instead
      if (o->file.empty() || o->host.empty() || sig->count() == 0) {
        throw CLI::ValidationError("recover-with-signature",
                                   "needs SECRET_FILE HOST and -s/--signature (or a subcommand: "
                                   "public-key, sign-secret, encrypt-secret)");
      }
      s.run([&]() -> Status {
        MR_ASSIGN_OR_RETURN(std::string secret, read_file(o->file, "the recovery secret"));
        MR_ASSIGN_OR_RETURN(std::string signature, read_file(o->signature, "the signature"));
        MR_ASSIGN_OR_RETURN(client::Connection c,
                            s.connect(o->host, client::TrustPurpose::kRecovery));
        auto recover = [&] {
          SlowNotice progress(s, "waiting for the Coordinator to recover its state...");
          return c.client->recover(as_bytes(secret), as_bytes(signature));
        };
        MR_ASSIGN_OR_RETURN(client::RecoverResult r, recover().map_error([&](Error e) {
          return explain_not_recovering(c, o->host, std::move(e), "recovering the Coordinator");
        }));
        print_recovery(s, r);
        return ok();
      });
    });
  }
  {
    struct Opts {
      std::string host, output;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = rws->add_subcommand("public-key",
                                    "Get the Coordinator's ephemeral recovery public key (PEM)");
    cmd->add_option("host", o->host, "Coordinator address (host:port)")->required();
    cmd->add_option("-o,--output", o->output, "Write the key to this file");
    cmd->callback([o, &s] {
      s.run([&]() -> Status {
        MR_ASSIGN_OR_RETURN(client::Connection c,
                            s.connect(o->host, client::TrustPurpose::kRecovery));
        auto get_key = [&] {
          SlowNotice progress(s,
                              "waiting for the Coordinator to generate its ephemeral RSA-4096 "
                              "recovery key...");
          return c.client->recovery_public_key();
        };
        MR_ASSIGN_OR_RETURN(Bytes der, get_key().map_error([&](Error e) {
          return explain_not_recovering(c, o->host, std::move(e),
                                        "getting the recovery public key");
        }));
        const std::string pem = crypto::pem_encode("PUBLIC KEY", der);
        if (!o->output.empty()) return s.write_output(o->output, as_bytes(pem));
        s.out() << pem;
        return ok();
      });
    });
  }
  {
    struct Opts {
      std::string file, key, output;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = rws->add_subcommand(
        "sign-secret", "Sign a recovery secret with the recovery private key (offline)");
    cmd->add_option("secret_file", o->file,
                    "Recovery secret: the (RSA-encrypted) value from the recovery data")
        ->required();
    cmd->add_option("-k,--key", o->key, "The recovery private key (PEM)")->required();
    cmd->add_option("-o,--output", o->output, "Write the signature to this file")->required();
    cmd->callback([o, &s] {
      s.run([&]() -> Status {
        MR_ASSIGN_OR_RETURN(crypto::PrivateKey key, load_private_key(o->key));
        MR_ASSIGN_OR_RETURN(SecretBytes secret, plain_recovery_secret(o->file, key));
        MR_ASSIGN_OR_RETURN(Bytes signature, sign_secret(key, secret));
        MR_RETURN_IF_ERROR(s.write_output(o->output, signature));
        if (!s.json()) s.out() << "Signature written to " << o->output << "\n";
        return ok();
      });
    });
  }
  {
    struct Opts {
      std::string file, key, output, pub;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = rws->add_subcommand(
        "encrypt-secret",
        "Encrypt a recovery secret for the Coordinator's ephemeral recovery key (offline)");
    cmd->add_option("secret_file", o->file,
                    "Recovery secret: the (RSA-encrypted) value from the recovery data")
        ->required();
    cmd->add_option("--coordinator-pub-key", o->pub,
                    "The Coordinator's ephemeral public key (PEM, from public-key)")
        ->required();
    cmd->add_option("-k,--key", o->key, "The recovery private key (PEM)")->required();
    cmd->add_option("-o,--output", o->output, "Write the encrypted secret to this file")
        ->required();
    cmd->callback([o, &s] {
      s.run([&]() -> Status {
        MR_ASSIGN_OR_RETURN(crypto::PrivateKey key, load_private_key(o->key));
        MR_ASSIGN_OR_RETURN(SecretBytes secret, plain_recovery_secret(o->file, key));
        MR_ASSIGN_OR_RETURN(std::string pub_pem, read_file(o->pub, "the Coordinator's public key"));
        MR_ASSIGN_OR_RETURN(crypto::PublicKey pub, crypto::PublicKey::from_pem(pub_pem).map_error(
                                                       Wrap("parsing --coordinator-pub-key")));
        MR_ASSIGN_OR_RETURN(Bytes encrypted,
                            crypto::rsa_oaep_encrypt(pub, secret.span())
                                .map_error(Wrap("encrypting the recovery secret")));
        MR_RETURN_IF_ERROR(s.write_output(o->output, encrypted));
        if (!s.json()) s.out() << "Encrypted secret written to " << o->output << "\n";
        return ok();
      });
    });
  }
}

}  // namespace mr::cli
