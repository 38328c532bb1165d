#include "store/etcd/etcd_store.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "base/log.h"
#include "etcd_kv.grpc.pb.h"
#include "store/etcd/etcd_shared.h"
#include "store/keys.h"

namespace mr::store {

namespace pb = etcdserverpb;
using etcd_internal::Endpoint;
using etcd_internal::range_end_of;
using etcd_internal::to_error;

namespace {

const log::Logger kLog("store");

// etcd's defaults for the two limits a commit can hit (etcd 3.4 embed/config.go).
constexpr int kEtcdDefaultMaxTxnOps = 128;
constexpr std::string_view kEtcdDefaultMaxRequestBytes = "1.5 MiB";

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

Error finished_error() {
  return Error{ErrorCode::kFailedPrecondition, "transaction already committed"};
}

// parse_endpoint splits "http(s)://host:port" into its scheme and gRPC target "host:port".
Result<std::pair<std::string, std::string>> parse_endpoint(std::string_view url) {
  const auto bad = [&] {
    return failf(ErrorCode::kInvalidArgument,
                 "etcd endpoint \"{}\" is not http://host:port or https://host:port", url);
  };
  const std::size_t sep = url.find("://");
  if (sep == std::string_view::npos) return bad();
  std::string scheme(url.substr(0, sep));
  std::string_view authority = url.substr(sep + 3);
  if (!authority.empty() && authority.back() == '/') authority.remove_suffix(1);
  if (scheme != "http" && scheme != "https") return bad();
  const std::size_t colon = authority.rfind(':');
  if (authority.empty() || colon == std::string_view::npos || colon == 0 ||
      colon + 1 == authority.size() || authority.find('/') != std::string_view::npos) {
    return bad();
  }
  const std::string_view port = authority.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string_view::npos || port.size() > 5) {
    return bad();
  }
  return std::pair{std::move(scheme), std::string(authority)};
}

}  // namespace

namespace etcd_internal {

std::string range_end_of(std::string_view prefix) {
  return keys::prefix_end(prefix).value_or(std::string(1, '\0'));
}

Error to_error(const grpc::Status& status, const std::string& endpoint, std::string_view what,
               const pb::TxnRequest* txn) {
  const std::string& msg = status.error_message();
  const auto too_large = [&] {
    return Error{ErrorCode::kFailedPrecondition,
                 fmt::format("{}: etcd at {} refused a request of {} bytes: more than its "
                             "--max-request-bytes allows ({} unless set); start etcd with a "
                             "larger --max-request-bytes",
                             what, endpoint, txn != nullptr ? txn->ByteSizeLong() : 0,
                             kEtcdDefaultMaxRequestBytes)};
  };
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return Error{
          ErrorCode::kUnavailable,
          fmt::format("{}: etcd at {} is unavailable: {}{}", what, endpoint, msg,
                      txn != nullptr ? " (whether this commit was applied is unknown)" : "")};
    case grpc::StatusCode::OUT_OF_RANGE:
      if (msg.find("compacted") != std::string::npos) {
        return Error{ErrorCode::kAborted,
                     fmt::format("{}: the etcd revision this transaction reads at was compacted "
                                 "at {}; retry",
                                 what, endpoint)};
      }
      break;
    case grpc::StatusCode::INVALID_ARGUMENT:
      if (txn != nullptr && msg.find("too many operations") != std::string::npos) {
        return Error{
            ErrorCode::kFailedPrecondition,
            fmt::format("{}: etcd at {} refused a transaction of {} compares and {} operations: "
                        "more than its --max-txn-ops allows ({} unless set); start etcd with a "
                        "larger --max-txn-ops",
                        what, endpoint, txn->compare_size(), txn->success_size(),
                        kEtcdDefaultMaxTxnOps)};
      }
      if (msg.find("request is too large") != std::string::npos) {
        return too_large();
      }
      break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      if (msg.find("larger than max") != std::string::npos) {
        // gRPC's own limit on etcd's side: --max-request-bytes plus 512 KiB.
        return too_large();
      }
      if (msg.find("database space exceeded") != std::string::npos) {
        return Error{ErrorCode::kFailedPrecondition,
                     fmt::format("{}: etcd at {} is full: {} (compact and defragment it, or "
                                 "raise --quota-backend-bytes)",
                                 what, endpoint, msg)};
      }
      break;
    default:
      break;
  }
  return Error{ErrorCode::kInternal,
               fmt::format("{}: etcd at {} failed: {} ({})", what, endpoint, msg,
                           error_code_name(static_cast<ErrorCode>(status.error_code())))};
}

}  // namespace etcd_internal

namespace {

Bytes to_bytes(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

class EtcdReadTransaction final : public ReadTransaction {
 public:
  EtcdReadTransaction(std::shared_ptr<EtcdStore::Shared> shared, std::int64_t revision)
      : shared_(std::move(shared)), revision_(revision) {}

  Result<std::optional<Bytes>> get(std::string_view key) override {
    // A listed prefix brought its values along (same revision, so the same answer).
    if (auto it = cache_.find(key); it != cache_.end()) return std::optional<Bytes>(it->second);
    for (const std::string& p : cached_prefixes_) {
      if (starts_with(key, p)) return std::optional<Bytes>();
    }
    MR_ASSIGN_OR_RETURN(auto kv, shared_->read_key(key, revision_));
    if (!kv) return std::optional<Bytes>();
    return std::optional<Bytes>(to_bytes(kv->value()));
  }

  // list reads the values too, in the same request: whoever lists usually reads what it listed
  // (verifying a state reads every record), and each get() would be a round trip to etcd.
  Result<std::vector<std::string>> list(std::string_view prefix) override {
    MR_ASSIGN_OR_RETURN(auto records, shared_->list_records(prefix, revision_));
    std::vector<std::string> keys;
    keys.reserve(records.size());
    for (auto& [key, value] : records) {
      keys.push_back(key);
      cache_.insert_or_assign(std::move(key), to_bytes(value));
    }
    cached_prefixes_.emplace_back(prefix);
    return keys;
  }

 private:
  std::shared_ptr<EtcdStore::Shared> shared_;
  std::int64_t revision_;
  std::map<std::string, Bytes, std::less<>> cache_;
  std::vector<std::string> cached_prefixes_;
};

// EtcdTransaction reads at revision_ and buffers its writes; commit() sends them in one Txn
// guarded by compares on everything read.
class EtcdTransaction final : public Transaction {
 public:
  EtcdTransaction(std::shared_ptr<EtcdStore::Shared> shared, std::unique_lock<std::mutex> lock,
                  std::int64_t revision)
      : shared_(std::move(shared)), lock_(std::move(lock)), revision_(revision) {}

  Result<std::optional<Bytes>> get(std::string_view key) override {
    if (finished_) return fail(finished_error());
    if (auto it = writes_.find(key); it != writes_.end()) return it->second;
    if (erased(key)) return std::optional<Bytes>();
    MR_ASSIGN_OR_RETURN(auto kv, shared_->read_key(key, revision_));
    reads_.emplace(std::string(key), kv ? kv->mod_revision() : 0);
    if (!kv) return std::optional<Bytes>();
    return std::optional<Bytes>(to_bytes(kv->value()));
  }

  Result<std::vector<std::string>> list(std::string_view prefix) override {
    if (finished_) return fail(finished_error());
    std::set<std::string, std::less<>> keys;
    if (!erased(prefix)) {
      MR_ASSIGN_OR_RETURN(std::vector<std::string> stored, shared_->list_keys(prefix, revision_));
      listed_.emplace(prefix);
      for (auto& k : stored) {
        if (!erased(k) && !writes_.contains(k)) keys.insert(std::move(k));
      }
    }
    for (auto it = writes_.lower_bound(prefix);
         it != writes_.end() && starts_with(it->first, prefix); ++it) {
      if (it->second) keys.insert(it->first);
    }
    return std::vector<std::string>(keys.begin(), keys.end());
  }

  Status put(std::string_view key, ByteSpan value) override {
    if (finished_) return fail(finished_error());
    writes_.insert_or_assign(std::string(key), Bytes(value.begin(), value.end()));
    return ok();
  }

  Status erase(std::string_view key) override {
    if (finished_) return fail(finished_error());
    writes_.insert_or_assign(std::string(key), std::nullopt);
    return ok();
  }

  Status erase_prefix(std::string_view prefix) override {
    if (finished_) return fail(finished_error());
    for (auto it = writes_.lower_bound(prefix);
         it != writes_.end() && starts_with(it->first, prefix);)
      it = writes_.erase(it);
    if (erased(prefix)) return ok();  // a shorter erased prefix covers it
    std::erase_if(erased_, [&](const std::string& e) { return starts_with(e, prefix); });
    erased_.emplace_back(prefix);
    return ok();
  }

  Status commit() override {
    if (finished_) return fail(finished_error());
    finished_ = true;
    Status st = send();
    lock_.unlock();
    return st;
  }

 private:
  // erased says whether an erase_prefix of this transaction covers |key|.
  bool erased(std::string_view key) const {
    return std::any_of(erased_.begin(), erased_.end(),
                       [&](const std::string& e) { return starts_with(key, e); });
  }

  Status send() {
    if (writes_.empty() && erased_.empty()) return ok();  // read-only: nothing to make durable
    const std::string& p = shared_->prefix;
    pb::TxnRequest req;
    // Every key read is unchanged: the same mod_revision, or still absent.
    for (const auto& [key, mod] : reads_) {
      pb::Compare* c = req.add_compare();
      c->set_key(p + key);
      c->set_result(pb::Compare::EQUAL);
      if (mod == 0) {
        c->set_target(pb::Compare::CREATE);
        c->set_create_revision(0);
      } else {
        c->set_target(pb::Compare::MOD);
        c->set_mod_revision(mod);
      }
    }
    // No key in a listed prefix was created or modified after revision_. A key deleted from a
    // listed range is NOT caught here (etcd compares only the keys that exist). A caller that
    // must see such deletions reads, in every transaction, one key that every writer updates:
    // its mod_revision compare above then fails on any other commit. seal/'s integrity root is
    // that key: SealedStore::begin reads it through every write transaction.
    const auto unchanged_since_begin = [&](const std::string& prefix) {
      pb::Compare* c = req.add_compare();
      const std::string from = p + prefix;
      c->set_key(from);
      c->set_range_end(range_end_of(from));
      c->set_target(pb::Compare::MOD);
      c->set_result(pb::Compare::LESS);
      c->set_mod_revision(revision_ + 1);
    };
    for (const auto& prefix : listed_)
      unchanged_since_begin(prefix);
    for (const auto& [key, value] : writes_) {
      if (value) {
        pb::PutRequest* put = req.add_success()->mutable_request_put();
        put->set_key(p + key);
        put->set_value(value->data(), value->size());
      } else if (!erased(key)) {
        req.add_success()->mutable_request_delete_range()->set_key(p + key);
      }
    }
    // An erased prefix deletes the keys it held at revision_ that are not put again, one by one
    // (etcd refuses a Txn that puts a key inside a range it also deletes, and splitting the range
    // around every put would double the operations against --max-txn-ops). A key created in the
    // range after revision_ fails the compare added here, so nothing survives unnoticed.
    for (const auto& prefix : erased_) {
      MR_ASSIGN_OR_RETURN(std::vector<std::string> held, shared_->list_keys(prefix, revision_));
      for (const std::string& key : held) {
        auto w = writes_.find(key);
        if (w == writes_.end() || !w->second) {
          req.add_success()->mutable_request_delete_range()->set_key(p + key);
        }
      }
      if (!listed_.contains(prefix)) unchanged_since_begin(prefix);
    }
    MR_ASSIGN_OR_RETURN(pb::TxnResponse resp, shared_->txn(req));
    if (!resp.succeeded()) {
      kLog.debug("etcd transaction aborted: the state changed since it began",
                 {{"revision", std::to_string(revision_)}});
      return fail(ErrorCode::kAborted,
                  "the state in etcd changed since this transaction began (another Coordinator "
                  "wrote it); retry");
    }
    return ok();
  }

  std::shared_ptr<EtcdStore::Shared> shared_;
  std::unique_lock<std::mutex> lock_;  // on shared_->writer_mu until commit or destruction
  const std::int64_t revision_;        // every read is at this etcd revision
  bool finished_ = false;
  // Buffered writes: a value to put, or nullopt to erase.
  std::map<std::string, std::optional<Bytes>, std::less<>> writes_;
  // Erased prefixes, none a prefix of another; writes_ holds only what was written after.
  std::vector<std::string> erased_;
  // Keys read from etcd and their mod_revision at revision_ (0: absent).
  std::map<std::string, std::int64_t, std::less<>> reads_;
  // Prefixes listed from etcd.
  std::set<std::string, std::less<>> listed_;
};

}  // namespace

EtcdStore::EtcdStore(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
EtcdStore::~EtcdStore() = default;

Result<std::unique_ptr<EtcdStore>> EtcdStore::open(EtcdStoreConfig config) {
  if (config.endpoints.empty()) return fail(ErrorCode::kInvalidArgument, "no etcd endpoint given");
  if (config.key_prefix.empty()) {
    return fail(ErrorCode::kInvalidArgument, "the etcd key prefix is empty");
  }
  if (config.request_timeout <= std::chrono::milliseconds::zero()) {
    return fail(ErrorCode::kInvalidArgument, "the etcd request timeout is not positive");
  }
  std::vector<std::pair<std::string, std::string>> parsed;
  for (const auto& url : config.endpoints) {
    MR_ASSIGN_OR_RETURN(auto p, parse_endpoint(url));
    parsed.push_back(std::move(p));
  }
  const bool https = parsed.front().first == "https";
  for (const auto& [scheme, target] : parsed) {
    if ((scheme == "https") != https) {
      return fail(ErrorCode::kInvalidArgument, "etcd endpoints mix http:// and https://");
    }
  }
  if (https && !config.tls) {
    return fail(ErrorCode::kInvalidArgument, "https etcd endpoints need a TLS configuration");
  }
  if (!https && config.tls) {
    return fail(ErrorCode::kInvalidArgument,
                "a TLS configuration was given for http:// etcd endpoints; use https://");
  }
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (config.tls) {
    const EtcdTls& tls = *config.tls;
    if (tls.client_cert_pem.empty() != tls.client_key_pem.empty()) {
      return fail(ErrorCode::kInvalidArgument,
                  "an etcd client certificate needs its key, and a key its certificate");
    }
    grpc::SslCredentialsOptions opts;
    opts.pem_root_certs = tls.ca_pem;
    opts.pem_cert_chain = tls.client_cert_pem;
    opts.pem_private_key = std::string(tls.client_key_pem.view());
    creds = grpc::SslCredentials(opts);
    std::fill(opts.pem_private_key.begin(), opts.pem_private_key.end(), '\0');
  } else {
    creds = grpc::InsecureChannelCredentials();
  }

  auto shared = std::make_shared<Shared>();
  shared->prefix = config.key_prefix;
  shared->timeout = config.request_timeout;
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);  // values may be as large as etcd accepts
    args.SetMaxSendMessageSize(-1);
    // Reconnect within a second after an etcd member comes back (gRPC's default backoff grows
    // to two minutes).
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    // HTTP/2 pings on a connection with calls in flight (a watch, a keep-alive) every 10 s, so
    // a connection to a member that vanished without closing it fails within 15 s. etcd accepts
    // pings every 5 s (--grpc-keepalive-min-time) while a stream is open.
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
    args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
    // A connection of this store's own, not shared with other stores of the process.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    Endpoint ep;
    ep.url = config.endpoints[i];
    ep.channel = grpc::CreateCustomChannel(parsed[i].second, creds, args);
    ep.stub = pb::KV::NewStub(ep.channel);
    ep.watch_stub = pb::Watch::NewStub(ep.channel);
    ep.lease_stub = pb::Lease::NewStub(ep.channel);
    shared->endpoints.push_back(std::move(ep));
  }
  MR_RETURN_IF_ERROR(shared->current_revision("connecting"));
  return std::unique_ptr<EtcdStore>(new EtcdStore(std::move(shared)));
}

Result<std::unique_ptr<Transaction>> EtcdStore::begin() {
  std::unique_lock<std::mutex> lock(shared_->writer_mu);
  MR_ASSIGN_OR_RETURN(std::int64_t revision, shared_->current_revision("beginning a transaction"));
  return std::make_unique<EtcdTransaction>(shared_, std::move(lock), revision);
}

Result<std::unique_ptr<ReadTransaction>> EtcdStore::begin_read() {
  MR_ASSIGN_OR_RETURN(std::int64_t revision, shared_->current_revision("beginning a snapshot"));
  return std::make_unique<EtcdReadTransaction>(shared_, revision);
}

}  // namespace mr::store
