#pragma once
// EtcdStore: the Store on etcd v3, one state shared by several Coordinators.
//
//   store::EtcdStoreConfig config;
//   config.endpoints = {"https://10.0.0.1:2379", "https://10.0.0.2:2379"};
//   config.key_prefix = "/marblerun/";
//   MR_ASSIGN_OR_RETURN(auto store, store::EtcdStore::open(std::move(config)));
//   MR_ASSIGN_OR_RETURN(auto txn, store->begin());
//   MR_RETURN_IF_ERROR(txn->put("state", value));
//   MR_RETURN_IF_ERROR(txn->commit());   // one etcd Txn; kAborted if another writer was first
//
// Layout: one etcd key per store key, key_prefix + key, holding exactly the bytes given (sealing
// happens above the store). A transaction reads at one etcd revision R, fixed when it begins,
// and buffers its writes; commit() sends one etcd Txn whose compares check that nothing it read
// changed after R (every key read: the same mod_revision, or still absent; every prefix listed:
// no key in it modified after R) and whose operations are the buffered puts and deletes. Writers
// of one EtcdStore are serialised by a mutex in this process; writers on other processes (other
// Coordinators) are detected by the compares, never merged. One gap: a key that another writer
// deletes inside a prefix this transaction listed (without getting the key) goes unnoticed; a
// caller that must notice reads a key every writer updates, such as an integrity root. A read
// transaction reads at the revision current when it began and takes no lock. The store is
// thread-safe; a single transaction object is not. Transactions may outlive the store object.
//
// etcd limits: etcd refuses a Txn with more than --max-txn-ops compares or operations (128 by
// default) and a request larger than --max-request-bytes (1.5 MiB by default); commit() then
// fails with kFailedPrecondition naming the flag to raise.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "store/store.h"

namespace mr::store {

// EtcdTls is the client side of TLS to etcd: the CA that signed etcd's server certificates and,
// optionally, the client certificate etcd asks for (--client-cert-auth).
struct EtcdTls {
  std::string ca_pem;           // PEM CA certificate(s) etcd's certificate must chain to
  std::string client_cert_pem;  // PEM client certificate chain; empty for none
  SecretBytes client_key_pem;   // PEM private key of client_cert_pem; empty for none
};

struct EtcdStoreConfig {
  // etcd members, "http://host:port" or "https://host:port"; at least one. All must use the same
  // scheme; https needs |tls|.
  std::vector<std::string> endpoints;
  // Prepended to every store key, e.g. "/marblerun/"; must not be empty. Listing "" lists this
  // prefix only, so several states can share one etcd under different prefixes.
  std::string key_prefix = "/marblerun/";
  // TLS to etcd, required by (and only allowed with) https endpoints.
  std::optional<EtcdTls> tls;
  // The deadline of every request to etcd.
  std::chrono::milliseconds request_timeout{5000};
};

class EtcdWatch;

class EtcdStore final : public Store {
 public:
  // open connects to |config|'s endpoints and checks the connection with a read of the key
  // prefix. Errors: kInvalidArgument for a malformed configuration (no endpoint, an endpoint that
  // is not http(s)://host:port, mixed schemes, https without TLS or TLS with http, an empty key
  // prefix); kUnavailable naming the endpoint if no etcd answers within the request timeout or
  // the TLS handshake fails (gRPC reports both as unavailable; its message says which);
  // kInternal (with etcd's message) for any other refusal, e.g. a permission failure.
  // While a member is down a request waits up to a second (at most the request timeout) for it
  // to come back before failing over to the next endpoint or failing.
  [[nodiscard]] static Result<std::unique_ptr<EtcdStore>> open(EtcdStoreConfig config);
  ~EtcdStore() override;
  EtcdStore(const EtcdStore&) = delete;
  EtcdStore& operator=(const EtcdStore&) = delete;

  // begin waits while another Transaction of this store is alive (a thread must not call
  // begin() while holding one), then fixes the transaction's read revision with one request to
  // etcd. The transaction's commit() fails with kAborted ("the state in etcd changed since this
  // transaction began ...") and writes nothing if anything it read changed in etcd before the
  // commit; the caller retries the whole operation. Errors: kUnavailable naming the endpoint.
  [[nodiscard]] Result<std::unique_ptr<Transaction>> begin() override;
  // begin_read starts a snapshot at etcd's current revision. Never waits for writers.
  // Errors: kUnavailable naming the endpoint; kInternal for other etcd errors.
  [[nodiscard]] Result<std::unique_ptr<ReadTransaction>> begin_read() override;

  // watch calls |on_change| (on a thread of the watch's own) after every put or delete in etcd
  // of a store key starting with |prefix| ("" = the whole state), whoever made it, and once
  // after each reconnection (a change may have been missed while the watch was down). A change
  // committed after watch() returned is always followed by a call; several changes may share
  // one call, and calls may come without a change. The watch holds one etcd Watch stream (on
  // the store's connection); when it fails (etcd stopped or restarted, a member lost its leader,
  // the watched revision compacted) it reconnects, retrying at most a second apart, on the next
  // endpoint if one is unavailable. Destroying the returned handle stops it within ~50 ms, also
  // while etcd is down; |on_change| must not destroy it. Errors: kUnavailable naming the
  // endpoint if etcd did not create the watch within the request timeout.
  [[nodiscard]] Result<std::unique_ptr<EtcdWatch>> watch(std::string_view prefix,
                                                         std::function<void()> on_change);

  struct Shared;  // the gRPC channels and the writer mutex; defined in etcd_shared.h

 private:
  friend class EtcdPeerRegistry;  // shares the store's connection
  explicit EtcdStore(std::shared_ptr<Shared> shared);
  std::shared_ptr<Shared> shared_;
};

// EtcdWatch is a running EtcdStore::watch(); destroying it stops the watch.
class EtcdWatch {
 public:
  struct Impl;  // the watch thread and its state; defined in etcd_watch.cpp
  explicit EtcdWatch(std::unique_ptr<Impl> impl);
  // ~EtcdWatch cancels the stream and joins the watch thread; no |on_change| call starts after
  // it returns. Must not run on the watch thread (inside |on_change|).
  ~EtcdWatch();
  EtcdWatch(const EtcdWatch&) = delete;
  EtcdWatch& operator=(const EtcdWatch&) = delete;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mr::store
