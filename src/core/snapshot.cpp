#include "core/snapshot.h"

#include <fmt/format.h>

#include <array>
#include <charconv>

#include "base/assert.h"
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

Result<State> parse_state(std::string_view text) {
  if (text == "1") return State::kRecovery;
  if (text == "2") return State::kAcceptingManifest;
  if (text == "3") return State::kAcceptingMarbles;
  return fail(ErrorCode::kDataLoss, "state record is corrupt");
}

Result<std::uint64_t> update_log_length(store::ReadTransaction& txn) {
  MR_ASSIGN_OR_RETURN(auto names, store::list_names(txn, keys::kUpdateLogPrefix));
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (keys::update_log(i) != std::string(keys::kUpdateLogPrefix) + names[i]) {
      return failf(ErrorCode::kDataLoss, "update log record {} is missing", i);
    }
  }
  return names.size();
}

bool same_secret(const std::shared_ptr<const SecretBytes>& a,
                 const std::shared_ptr<const SecretBytes>& b) {
  if (a == b) return true;
  return a && b && a->equals(b->span());
}

bool same_ca(const CaSet& a, const CaSet& b) {
  return a.root.der() == b.root.der() && a.intermediate.der() == b.intermediate.der() &&
         a.marble_root.der() == b.marble_root.der();
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

// write_table writes the entries of |next| under |prefix| whose encoding differs from |prev|'s
// (all of them when |prev| is null) and erases those |next| lacks.
template <class Map, class Encode>
Status write_table(store::Transaction& txn, std::string_view prefix, const Map* prev,
                   const Map& next, Encode encode) {
  for (const auto& [name, value] : next) {
    std::string text = encode(value);
    if (prev) {
      auto it = prev->find(name);
      if (it != prev->end() && encode(it->second) == text) continue;
    }
    MR_RETURN_IF_ERROR(store::put_string(txn, std::string(prefix) + name, text));
  }
  if (prev) {
    for (const auto& [name, value] : *prev) {
      if (!next.contains(name)) MR_RETURN_IF_ERROR(txn.erase(std::string(prefix) + name));
    }
  }
  return ok();
}

// put_or_erase writes |value| under |key| if it differs from |before|, or erases the key when
// |value| is absent.
Status put_or_erase(store::Transaction& txn, std::string_view key,
                    const std::optional<std::string>& before,
                    const std::optional<std::string>& value) {
  if (before == value) return ok();
  if (!value) return txn.erase(key);
  return store::put_string(txn, key, *value);
}

}  // namespace

Status derive(Snapshot& s) {
  s.templates.clear();
  s.users.clear();
  if (!s.manifest) return ok();
  for (const auto& [name, marble] : s.manifest->marbles) {
    MR_ASSIGN_OR_RETURN(auto t, manifest::ParameterTemplates::compile(name, marble));
    s.templates.emplace(name, std::move(t));
  }
  MR_ASSIGN_OR_RETURN(s.users, build_users(*s.manifest));
  return ok();
}

Result<Snapshot> load_snapshot(store::ReadTransaction& txn) {
  Snapshot s;
  MR_ASSIGN_OR_RETURN(auto state, store::get_string(txn, keys::kState));
  if (!state) return fail(ErrorCode::kDataLoss, "state record is missing");
  MR_ASSIGN_OR_RETURN(s.state, parse_state(*state));
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
    MR_ASSIGN_OR_RETURN(s.manifest,
                        manifest::Manifest::parse(std::move(*raw)).map_error([](Error e) {
                          return Error{ErrorCode::kDataLoss, "stored manifest: " + e.message};
                        }));
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
  MR_ASSIGN_OR_RETURN(s.update_log_length, update_log_length(txn));
  MR_ASSIGN_OR_RETURN(auto generation, txn.get(keys::kGeneration));
  s.generation = generation.value_or(Bytes{});
  MR_RETURN_IF_ERROR(derive(s).map_error([](Error e) {
    return Error{ErrorCode::kDataLoss, "stored manifest: " + e.message};
  }));
  return s;
}

Status write_snapshot(store::Transaction& txn, const Snapshot* prev, const Snapshot& next) {
  MR_ASSERT(next.ca && next.root_secret && next.previous_root_secret);
  if (!prev || prev->state != next.state) {
    MR_RETURN_IF_ERROR(
        store::put_string(txn, keys::kState, std::to_string(static_cast<int>(next.state))));
  }
  if (!prev || !same_ca(*prev->ca, *next.ca)) MR_RETURN_IF_ERROR(write_ca(txn, *next.ca));
  if (!next.generation.empty() && (!prev || prev->generation != next.generation)) {
    MR_RETURN_IF_ERROR(txn.put(keys::kGeneration, next.generation));
  }
  if (!prev || !same_secret(prev->root_secret, next.root_secret)) {
    MR_RETURN_IF_ERROR(txn.put(keys::kRootSecret, next.root_secret->span()));
  }
  // The previous root secret is stored only while it differs from the current one.
  const bool rotated = !same_secret(next.previous_root_secret, next.root_secret);
  const bool was_rotated = prev && !same_secret(prev->previous_root_secret, prev->root_secret);
  if (rotated &&
      (!was_rotated || !same_secret(prev->previous_root_secret, next.previous_root_secret))) {
    MR_RETURN_IF_ERROR(txn.put(keys::kPreviousRootSecret, next.previous_root_secret->span()));
  } else if (!rotated && was_rotated) {
    MR_RETURN_IF_ERROR(txn.erase(keys::kPreviousRootSecret));
  }

  auto raw_of = [](const Snapshot* s) -> std::optional<std::string> {
    if (!s || !s->manifest) return std::nullopt;
    return s->manifest->raw();
  };
  auto signature_of = [](const Snapshot* s) -> std::optional<std::string> {
    if (!s || !s->manifest) return std::nullopt;
    return to_string(s->manifest_signature);
  };
  MR_RETURN_IF_ERROR(put_or_erase(txn, keys::kManifest, raw_of(prev), raw_of(&next)));
  MR_RETURN_IF_ERROR(
      put_or_erase(txn, keys::kManifestSignature, signature_of(prev), signature_of(&next)));

  MR_RETURN_IF_ERROR(write_table(txn, keys::kPackagePrefix, prev ? &prev->packages : nullptr,
                                 next.packages, encode_package));
  MR_RETURN_IF_ERROR(write_table(txn, keys::kSecretPrefix, prev ? &prev->secrets : nullptr,
                                 next.secrets, encode_secret));
  MR_RETURN_IF_ERROR(write_table(txn, keys::kPreviousSecretPrefix,
                                 prev ? &prev->previous_secrets : nullptr, next.previous_secrets,
                                 encode_secret));

  auto pending_of = [](const Snapshot* s) -> std::optional<std::string> {
    if (!s || !s->pending) return std::nullopt;
    return encode_pending_update(*s->pending);
  };
  return put_or_erase(txn, keys::kPendingUpdate, pending_of(prev), pending_of(&next));
}

Status append_update_log(store::Transaction& txn, std::uint64_t first,
                         const std::vector<std::string>& lines) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    MR_RETURN_IF_ERROR(store::put_string(txn, keys::update_log(first + i), lines[i]));
  }
  return ok();
}

Result<std::vector<std::string>> read_update_log(store::ReadTransaction& txn,
                                                 std::uint64_t length) {
  std::vector<std::string> lines;
  lines.reserve(length);
  for (std::uint64_t i = 0; i < length; ++i) {
    MR_ASSIGN_OR_RETURN(auto line, store::get_string(txn, keys::update_log(i)));
    if (!line) return failf(ErrorCode::kDataLoss, "update log record {} is missing", i);
    lines.push_back(std::move(*line));
  }
  return lines;
}

Result<std::uint64_t> read_activations(store::ReadTransaction& txn, std::string_view marble_type) {
  MR_ASSIGN_OR_RETURN(auto raw, store::get_string(txn, keys::activations(marble_type)));
  if (!raw) return std::uint64_t{0};
  std::uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), n, 16);
  if (ec != std::errc() || ptr != raw->data() + raw->size()) {
    return failf(ErrorCode::kDataLoss, "activation counter of {} is corrupt", marble_type);
  }
  return n;
}

Status write_activations(store::Transaction& txn, std::string_view marble_type,
                         std::uint64_t count) {
  return store::put_string(txn, keys::activations(marble_type), fmt::format("{:x}", count));
}

Result<std::uint64_t> read_monotonic_counter(store::ReadTransaction& txn, std::string_view id) {
  MR_ASSIGN_OR_RETURN(auto raw, txn.get(keys::monotonic_counter(id)));
  if (!raw) return std::uint64_t{0};
  if (raw->size() != 8) return fail(ErrorCode::kDataLoss, "a monotonic counter record is corrupt");
  std::uint64_t n = 0;
  for (std::size_t i = 8; i-- > 0;)
    n = (n << 8) | (*raw)[i];
  return n;
}

Status write_monotonic_counter(store::Transaction& txn, std::string_view id, std::uint64_t value) {
  std::array<std::uint8_t, 8> le{};
  for (std::size_t i = 0; i < le.size(); ++i)
    le[i] = static_cast<std::uint8_t>(value >> (8 * i));
  return txn.put(keys::monotonic_counter(id), le);
}

Status copy_history(store::ReadTransaction& from, store::Transaction& to) {
  for (std::string_view prefix :
       {keys::kUpdateLogPrefix, keys::kActivationsPrefix, keys::kMonotonicCounterPrefix}) {
    MR_ASSIGN_OR_RETURN(auto names, from.list(prefix));
    for (const auto& key : names) {
      MR_ASSIGN_OR_RETURN(auto value, from.get(key));
      if (value) MR_RETURN_IF_ERROR(to.put(key, *value));
    }
  }
  return ok();
}

}  // namespace mr::core
