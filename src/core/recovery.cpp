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

Result<RecoverySession::Outcome> RecoverySession::add_without_data(const SecretBytes& secret,
                                                                   const KeyTester& opens) {
  if (secret.size() != 16 && secret.size() != kDataKeySize) {
    return fail(ErrorCode::kInvalidArgument, "invalid secret length");
  }
  if (!accepted_.empty() && accepted_.front().size() != secret.size()) {
    return fail(ErrorCode::kInvalidArgument, "invalid secret length");
  }
  if (opens(secret.span())) return Outcome{0, secret.clone(), std::nullopt};
  if (accepted_.size() >= kMaxUploadsWithoutRecoveryData) {
    return fail(ErrorCode::kInvalidArgument, "too many recovery secrets uploaded");
  }
  accepted_.push_back(secret.clone());
  // Try the XOR of every subset of two or more uploads.
  const std::size_t n = accepted_.size();
  for (std::size_t mask = 1; mask < (std::size_t{1} << n); ++mask) {
    if ((mask & (mask - 1)) == 0) continue;  // single uploads were tested when they arrived
    SecretBytes candidate;
    RecoveryData members;
    for (std::size_t i = 0; i < n; ++i) {
      if (mask & (std::size_t{1} << i)) {
        xor_into(candidate, accepted_[i].span());
        members.push_back(share_hash(accepted_[i].span()));
      }
    }
    if (opens(candidate.span())) return Outcome{0, std::move(candidate), std::move(members)};
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
  Result<Outcome> outcome = fail(ErrorCode::kInvalidArgument, "invalid secret length");
  if (hashes_.empty()) {
    outcome = add_without_data(secret, opens);
  } else if (secret.size() == kShamirShareSize) {
    outcome = add_shamir(secret, opens);
  } else if (secret.size() == 16 || secret.size() == kDataKeySize) {
    outcome = add_xor(secret);
  }
  if (!outcome) return outcome;
  uploads_.push_back(Upload{std::move(secret), std::move(signature)});
  if (outcome->key && hashes_.empty()) {
    // Without recovery data, uploads that did not form the key are strays: only the ones that
    // did must be signed by the manifest's recovery keys.
    std::erase_if(uploads_, [&](const Upload& u) {
      if (!outcome->new_recovery_data) return &u != &uploads_.back();
      const std::string h = share_hash(u.secret.span());
      const auto& members = *outcome->new_recovery_data;
      return std::find(members.begin(), members.end(), h) == members.end();
    });
  }
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
