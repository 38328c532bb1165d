#pragma once
// EtcdServer: a real single-member etcd (/usr/bin/etcd) on loopback for tests, stopped when the
// object dies.
//
//   MR_ASSIGN_OR_RETURN(auto etcd, testing::EtcdServer::start());
//   config.endpoints = {etcd->endpoint()};       // "http://127.0.0.1:<port>"
//   etcd->stop();  etcd->restart();              // same data directory, same client port
//
// Ports: etcd 3.4 listens on port 0 for both its client and its peer URL and logs the port it
// got ("serving client traffic insecurely", "address"), so no port is guessed; a restart asks for
// the client port of the first start again so that stores keep their endpoint. The data
// directory, etcd's log and the TLS files live in a TempDir. Elections take ~50 ms (heartbeat 10
// ms, election timeout 50 ms) instead of etcd's default second.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "base/result.h"
#include "base/testing/temp_dir.h"

namespace mr::store::testing {

struct EtcdServerOptions {
  // etcd's --max-txn-ops and --max-request-bytes: generous for tests by default (etcd's own
  // defaults are 128 and 1.5 MiB).
  int max_txn_ops = 10000;
  std::size_t max_request_bytes = 16 << 20;
  // Serve clients over TLS and require a client certificate (--client-cert-auth): a test CA,
  // a server certificate for IP 127.0.0.1 and a client certificate are made with the openssl
  // command (P-256, ~0.2 s) in the server's directory.
  bool tls = false;
  // How long start() and restart() wait for etcd to serve clients.
  std::chrono::milliseconds start_timeout{10000};
};

class EtcdServer {
 public:
  // start runs etcd and returns once it serves client requests. kUnavailable if etcd cannot be
  // run or does not serve within the start timeout (the message carries its log's tail).
  [[nodiscard]] static Result<std::unique_ptr<EtcdServer>> start(EtcdServerOptions options = {});
  // The destructor stops etcd (SIGTERM, SIGKILL after 5 s) and removes its data.
  ~EtcdServer();
  EtcdServer(const EtcdServer&) = delete;
  EtcdServer& operator=(const EtcdServer&) = delete;

  // endpoint returns "http://127.0.0.1:<client port>" ("https://" with tls).
  [[nodiscard]] const std::string& endpoint() const { return endpoint_; }
  // stop terminates etcd and waits for it (SIGTERM, then SIGKILL after 5 s). Idempotent.
  void stop();
  // restart starts etcd again on the same data directory and client port (after stop()).
  [[nodiscard]] Status restart();
  // With tls: the CA certificate, and a client certificate and key etcd accepts (PEM).
  [[nodiscard]] std::string ca_pem() const;
  [[nodiscard]] std::string client_cert_pem() const;
  [[nodiscard]] std::string client_key_pem() const;
  // log_for_test returns what etcd logged so far.
  [[nodiscard]] std::string log_for_test() const;

 private:
  explicit EtcdServer(EtcdServerOptions options);
  // make_certificates writes the test CA, server and client certificates to dir_/tls.
  Status make_certificates();
  // launch starts etcd with client port |port| (0: any) and waits for its client address.
  Status launch(int port);

  EtcdServerOptions options_;
  mr::testing::TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string endpoint_;
  std::size_t log_offset_ = 0;  // where the current run's log starts
};

}  // namespace mr::store::testing
