#include "core/snapshot.h"

#include <fmt/format.h>

#include "core/records.h"
#include "store/keys.h"
#include "store/records.h"

namespace mr::core {
namespace keys = store::keys;

namespace {

Result<Bytes> required(store::ReadTransaction& txn, std::string_view key) {
  MR_ASSIGN_OR_RETURN(auto v, txn.get(key));
  if (!v) return failf(ErrorCode::kDataLoss, "state record {} is missing", key);
  return std::move(*v);
}

Result<crypto::Certificate> read_cert(store::ReadTransaction& txn, std::string_view key) {
  MR_ASSIGN_OR_RETURN(Bytes der, required(txn, key));
  return crypto::Certificate::from_der(der).map_error([&](Error e) {
    return Error{ErrorCode::kDataLoss, fmt::format("state record {}: {}", key, e.message)};
  });
}

Result<crypto::PrivateKey> read_key(store::ReadTransaction& txn, std::string_view key) {
  MR_ASSIGN_OR_RETURN(Bytes der, required(txn, key));
  auto k = crypto::PrivateKey::from_pkcs8_der(der);
  secure_wipe(der.data(), der.size());
  if (!k) return failf(ErrorCode::kDataLoss, "state record {} is not a private key", key);
  return std::move(*k);
}

Result<SecretMap> read_secrets(store::ReadTransaction& txn, std::string_view prefix) {
  SecretMap out;
  MR_ASSIGN_OR_RETURN(auto names, store::list_names(txn, prefix));
  for (const auto& name : names) {
    MR_ASSIGN_OR_RETURN(Bytes raw, required(txn, std::string(prefix) + name));
    MR_ASSIGN_OR_RETURN(auto s, decode_secret(to_string(raw)));
    out.emplace(name, std::move(s));
  }
  return out;
}

}  // namespace

Result<Snapshot> load_snapshot(store::ReadTransaction& txn) {
  Snapshot s;
  MR_ASSIGN_OR_RETURN(auto state, store::get_string(txn, keys::kState));
  if (!state) return fail(ErrorCode::kDataLoss, "state record is missing");
  if (*state == "1") {
    s.state = State::kRecovery;
  } else if (*state == "2") {
    s.state = State::kAcceptingManifest;
  } else if (*state == "3") {
    s.state = State::kAcceptingMarbles;
  } else {
    return fail(ErrorCode::kDataLoss, "state record is corrupt");
  }
  MR_ASSIGN_OR_RETURN(auto root, read_cert(txn, keys::kCoordinatorRootCert));
  MR_ASSIGN_OR_RETURN(auto inter, read_cert(txn, keys::kCoordinatorIntermediateCert));
  MR_ASSIGN_OR_RETURN(auto marble_root, read_cert(txn, keys::kMarbleRootCert));
  MR_ASSIGN_OR_RETURN(auto root_key, read_key(txn, keys::kCoordinatorRootKey));
  MR_ASSIGN_OR_RETURN(auto inter_key, read_key(txn, keys::kCoordinatorIntermediateKey));
  s.ca = CaSet{std::move(root), std::move(root_key), std::move(inter), std::move(inter_key),
               std::move(marble_root)};

  MR_ASSIGN_OR_RETURN(Bytes root_secret, required(txn, keys::kRootSecret));
  s.root_secret = std::make_shared<const SecretBytes>(std::move(root_secret));
  MR_ASSIGN_OR_RETURN(auto prev, txn.get(keys::kPreviousRootSecret));
  s.previous_root_secret =
      prev ? std::make_shared<const SecretBytes>(std::move(*prev)) : s.root_secret;

  MR_ASSIGN_OR_RETURN(auto raw, store::get_string(txn, keys::kManifest));
  if (raw) {
    MR_ASSIGN_OR_RETURN(auto m, manifest::Manifest::parse(std::move(*raw)).map_error([](Error e) {
      return Error{ErrorCode::kDataLoss, "stored manifest: " + e.message};
    }));
    for (const auto& [name, marble] : m.marbles) {
      MR_ASSIGN_OR_RETURN(auto t, manifest::ParameterTemplates::compile(marble));
      s.templates.emplace(name, std::move(t));
    }
    MR_ASSIGN_OR_RETURN(s.users, build_users(m).map_error([](Error e) {
      return Error{ErrorCode::kDataLoss, "stored manifest: " + e.message};
    }));
    s.manifest = std::move(m);
    MR_ASSIGN_OR_RETURN(s.manifest_signature, required(txn, keys::kManifestSignature));
  }
  MR_ASSIGN_OR_RETURN(auto pkgs, store::list_names(txn, keys::kPackagePrefix));
  for (const auto& name : pkgs) {
    MR_ASSIGN_OR_RETURN(Bytes raw_pkg, required(txn, keys::package(name)));
    MR_ASSIGN_OR_RETURN(auto p, decode_package(to_string(raw_pkg)));
    s.packages.emplace(name, std::move(p));
  }
  MR_ASSIGN_OR_RETURN(auto pending, store::get_string(txn, keys::kPendingUpdate));
  if (pending) {
    MR_ASSIGN_OR_RETURN(auto p, decode_pending_update(*pending));
    s.pending = std::move(p);
  }
  MR_ASSIGN_OR_RETURN(s.secrets, read_secrets(txn, keys::kSecretPrefix));
  MR_ASSIGN_OR_RETURN(s.previous_secrets, read_secrets(txn, keys::kPreviousSecretPrefix));
  return s;
}

Status write_ca(store::Transaction& txn, const CaSet& ca) {
  MR_RETURN_IF_ERROR(txn.put(keys::kCoordinatorRootCert, ca.root.der()));
  MR_RETURN_IF_ERROR(txn.put(keys::kCoordinatorIntermediateCert, ca.intermediate.der()));
  MR_RETURN_IF_ERROR(txn.put(keys::kMarbleRootCert, ca.marble_root.der()));
  MR_RETURN_IF_ERROR(txn.put(keys::kCoordinatorRootKey, ca.root_key.to_pkcs8_der().span()));
  MR_RETURN_IF_ERROR(
      txn.put(keys::kCoordinatorIntermediateKey, ca.intermediate_key.to_pkcs8_der().span()));
  return ok();
}

Status write_secrets(store::Transaction& txn, std::string_view prefix, const SecretMap& secrets) {
  for (const auto& [name, s] : secrets) {
    MR_RETURN_IF_ERROR(store::put_string(txn, std::string(prefix) + name, encode_secret(s)));
  }
  return ok();
}

}  // namespace mr::core
