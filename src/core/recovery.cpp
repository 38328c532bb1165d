#include "core/recovery.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/encoding.h"
#include "core/shamir.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "gojson/go_json.h"

namespace mr::core {
namespace {

std::string share_hash(ByteSpan share) {
  return hex_encode(crypto::sha256(share));
}

void xor_into(SecretBytes& acc, ByteSpan b) {
  if (acc.empty()) acc = SecretBytes(b.size());
  for (std::size_t i = 0; i < b.size() && i < acc.size(); ++i)
    acc.data()[i] ^= b[i];
}

}  // namespace

std::string encode_recovery_data(const RecoveryData& data) {
  if (data.empty()) return "null";
  gojson::Json j = gojson::Json::object();
  std::vector<std::string> sorted = data;
  std::sort(sorted.begin(), sorted.end());
  for (const auto& h : sorted)
    j[h] = true;
  return j.dump();
}

Result<RecoveryData> decode_recovery_data(std::string_view text) {
  MR_ASSIGN_OR_RETURN(gojson::Json j, gojson::parse(text));
  RecoveryData out;
  if (j.is_null()) return out;
  if (!j.is_object()) return fail(ErrorCode::kDataLoss, "recovery data is not a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it)
    out.push_back(it.key());
  return out;
}

Result<DataKey> generate_data_key(const manifest::NameMap<std::string>& recovery_keys,
                                  std::uint64_t threshold) {
  std::vector<std::pair<std::string, crypto::PublicKey>> keys;
  for (const auto& [name, pem] : recovery_keys) {
    MR_ASSIGN_OR_RETURN(auto key, crypto::PublicKey::from_pem(pem).map_error([&](Error e) {
      return std::move(e).wrap(fmt::format("recovery key {}", name));
    }));
    if (key.type() != crypto::KeyType::kRsa) {
      return failf(ErrorCode::kInvalidArgument, "recovery key {}: unsupported type of public key",
                   name);
    }
    keys.emplace_back(name, std::move(key));
  }
  DataKey out;
  std::vector<SecretBytes> shares;
  const std::size_t n = keys.size();
  if (n >= 2 && threshold >= 2 && threshold < n) {
    out.key = crypto::random_secret(kDataKeySize);
    MR_ASSIGN_OR_RETURN(shares, shamir::split(out.key.span(), n, threshold));
  } else if (n >= 2) {
    for (std::size_t i = 0; i < n; ++i) {
      shares.push_back(crypto::random_secret(kDataKeySize));
      xor_into(out.key, shares.back().span());
    }
  } else {
    if (threshold > 1)
      return fail(ErrorCode::kInvalidArgument,
                  "recovery threshold exceeds the number of recovery keys");
    out.key = crypto::random_secret(kDataKeySize);
    if (n == 1) shares.push_back(out.key.clone());
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (n >= 2) out.recovery_data.push_back(share_hash(shares[i].span()));
    MR_ASSIGN_OR_RETURN(Bytes ct, crypto::rsa_oaep_encrypt(keys[i].second, shares[i].span())
                                      .map_error(Wrap("encrypting recovery secret")));
    out.encrypted_secrets.emplace(keys[i].first, std::move(ct));
  }
  return out;
}

void RecoverySession::reset() {
  used_.assign(hashes_.size(), false);
  accepted_.clear();
  xor_key_ = SecretBytes();
  uploads_.clear();
  pool_.clear();
}

Result<std::size_t> RecoverySession::take_share(const SecretBytes& secret) {
  if (used_.size() != hashes_.size()) used_.assign(hashes_.size(), false);
  const std::string h = share_hash(secret.span());
  for (std::size_t i = 0; i < hashes_.size(); ++i) {
    if (hashes_[i] == h && !used_[i]) {
      used_[i] = true;
      accepted_.push_back(secret.clone());
      return hashes_.size() - accepted_.size();
    }
  }
  return fail(ErrorCode::kInvalidArgument, "uploaded an invalid or already used secret");
}

Result<RecoverySession::Outcome> RecoverySession::add_without_data(SecretBytes secret,
                                                                   Bytes signature,
                                                                   const KeyTester& opens) {
  if (secret.size() != 16 && secret.size() != kDataKeySize) {
    return fail(ErrorCode::kInvalidArgument, "invalid secret length");
  }
  if (opens(secret.span())) {
    SecretBytes key = secret.clone();
    uploads_.clear();  // only the upload that is the key must be signed
    uploads_.push_back(Upload{std::move(secret), std::move(signature)});
    return Outcome{0, std::move(key), std::nullopt};
  }
  // Keep it for XOR combinations with earlier uploads of the same length. A full pool forgets
  // its oldest upload, so that no failed upload ever blocks a later one.
  if (pool_.size() >= kMaxUploadsWithoutRecoveryData) pool_.erase(pool_.begin());
  pool_.push_back(Upload{std::move(secret), std::move(signature)});
  const Upload& newest = pool_.back();
  std::vector<std::size_t> peers;
  for (std::size_t i = 0; i + 1 < pool_.size(); ++i) {
    if (pool_[i].secret.size() == newest.secret.size()) peers.push_back(i);
  }
  // Subsets without the newest upload were tried when their own last member arrived.
  for (std::size_t mask = 1; mask < (std::size_t{1} << peers.size()); ++mask) {
    SecretBytes candidate = newest.secret.clone();
    std::vector<std::size_t> members;
    for (std::size_t i = 0; i < peers.size(); ++i) {
      if (mask & (std::size_t{1} << i)) {
        xor_into(candidate, pool_[peers[i]].secret.span());
        members.push_back(peers[i]);
      }
    }
    if (!opens(candidate.span())) continue;
    members.push_back(pool_.size() - 1);
    RecoveryData hashes;
    uploads_.clear();
    for (std::size_t m : members) {
      hashes.push_back(share_hash(pool_[m].secret.span()));
      uploads_.push_back(Upload{pool_[m].secret.clone(), pool_[m].signature});
    }
    return Outcome{0, std::move(candidate), std::move(hashes)};
  }
  return Outcome{1, std::nullopt, std::nullopt};
}

Result<RecoverySession::Outcome> RecoverySession::add_shamir(const SecretBytes& secret,
                                                             const KeyTester& opens) {
  MR_ASSIGN_OR_RETURN(std::size_t remaining, take_share(secret));
  if (accepted_.size() >= 2) {
    auto combined = shamir::combine(accepted_);
    if (combined && opens(combined->span())) return Outcome{0, std::move(*combined), std::nullopt};
  }
  if (remaining == 0) {
    reset();
    return fail(ErrorCode::kPermissionDenied,
                "the uploaded recovery secrets do not decrypt the sealed state");
  }
  return Outcome{remaining, std::nullopt, std::nullopt};
}

Result<RecoverySession::Outcome> RecoverySession::add_xor(const SecretBytes& secret) {
  if (!xor_key_.empty() && xor_key_.size() != secret.size()) {
    return fail(ErrorCode::kInvalidArgument, "invalid secret length");
  }
  MR_ASSIGN_OR_RETURN(std::size_t remaining, take_share(secret));
  xor_into(xor_key_, secret.span());
  if (remaining > 0) return Outcome{remaining, std::nullopt, std::nullopt};
  return Outcome{0, xor_key_.clone(), std::nullopt};
}

Result<RecoverySession::Outcome> RecoverySession::add(SecretBytes secret, Bytes signature,
                                                      const KeyTester& opens) {
  if (hashes_.empty()) return add_without_data(std::move(secret), std::move(signature), opens);
  Result<Outcome> outcome = fail(ErrorCode::kInvalidArgument, "invalid secret length");
  if (secret.size() == kShamirShareSize) {
    outcome = add_shamir(secret, opens);
  } else if (secret.size() == 16 || secret.size() == kDataKeySize) {
    outcome = add_xor(secret);
  }
  if (!outcome) return outcome;
  uploads_.push_back(Upload{std::move(secret), std::move(signature)});
  return outcome;
}

Status RecoverySession::validate_signatures(const manifest::Manifest& recovered) {
  std::vector<Upload> uploads = std::move(uploads_);
  reset();
  std::vector<std::pair<std::string, crypto::PublicKey>> keys;
  for (const auto& [name, pem] : recovered.recovery_keys) {
    MR_ASSIGN_OR_RETURN(auto key, crypto::PublicKey::from_pem(pem));
    keys.emplace_back(name, std::move(key));
  }
  auto verifies = [](const crypto::PublicKey& key, const Upload& u) {
    return static_cast<bool>(
        crypto::verify(key, u.secret.span(), u.signature, crypto::HashAlg::kSha256));
  };
  const std::uint64_t threshold = recovered.config.recovery_threshold;
  if (threshold == 0 || threshold == keys.size()) {
    if (uploads.size() != keys.size()) {
      return failf(
          ErrorCode::kPermissionDenied,
          "recovery keys in manifest do not match the keys used for recovery: expected {}, got {}",
          keys.size(), uploads.size());
    }
    for (const auto& [name, key] : keys) {
      const bool matched = std::any_of(uploads.begin(), uploads.end(),
                                       [&](const Upload& u) { return verifies(key, u); });
      if (!matched) {
        return failf(ErrorCode::kPermissionDenied,
                     "no matching recovery key found for recovery public key \"{}\"", name);
      }
    }
    return ok();
  }
  if (uploads.size() != threshold) {
    return failf(
        ErrorCode::kPermissionDenied,
        "recovery keys in manifest do not match the keys used for recovery: expected {}, got {}",
        threshold, uploads.size());
  }
  std::vector<bool> key_used(keys.size(), false);
  for (const Upload& u : uploads) {
    bool matched = false;
    for (std::size_t k = 0; k < keys.size() && !matched; ++k) {
      if (!key_used[k] && verifies(keys[k].second, u)) key_used[k] = matched = true;
    }
    if (!matched)
      return fail(ErrorCode::kPermissionDenied,
                  "no matching recovery public key found for recovery key");
  }
  return ok();
}

}  // namespace mr::core
