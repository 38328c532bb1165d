#include "store/etcd/testing/etcd_server.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>
#include <vector>

namespace mr::store::testing {

namespace {

constexpr const char* kEtcd = "etcd";

std::string read_from(const std::filesystem::path& file, std::size_t offset) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(offset));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// client_port finds the port of etcd's "serving client traffic" log line (zap JSON), or 0.
int client_port(const std::string& log) {
  const std::size_t line = log.find("serving client traffic");
  if (line == std::string::npos) return 0;
  const std::string key = "\"address\":\"";
  const std::size_t addr = log.find(key, line);
  const std::size_t eol = log.find('\n', line);
  if (addr == std::string::npos || (eol != std::string::npos && addr > eol)) return 0;
  const std::size_t quote = log.find('"', addr + key.size());
  const std::string address = log.substr(addr + key.size(), quote - addr - key.size());
  const std::size_t colon = address.rfind(':');
  if (colon == std::string::npos) return 0;
  return std::atoi(address.c_str() + colon + 1);
}

std::string tail(const std::string& s, std::size_t n) {
  return s.size() <= n ? s : s.substr(s.size() - n);
}

}  // namespace

EtcdServer::EtcdServer(EtcdServerOptions options) : options_(options) {}

EtcdServer::~EtcdServer() {
  stop();
}

Result<std::unique_ptr<EtcdServer>> EtcdServer::start(EtcdServerOptions options) {
  std::unique_ptr<EtcdServer> server(new EtcdServer(options));
  if (options.tls) MR_RETURN_IF_ERROR(server->make_certificates());
  MR_RETURN_IF_ERROR(server->launch(0));
  return server;
}

Status EtcdServer::restart() {
  if (pid_ > 0) return fail(ErrorCode::kFailedPrecondition, "etcd is running");
  return launch(port_);
}

Status EtcdServer::make_certificates() {
  const std::filesystem::path tls = dir_ / "tls";
  std::filesystem::create_directories(tls);
  {
    std::ofstream(tls / "server.ext") << "subjectAltName=IP:127.0.0.1\n"
                                      << "extendedKeyUsage=serverAuth\n";
    std::ofstream(tls / "client.ext") << "extendedKeyUsage=clientAuth\n";
  }
  const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
  const std::string script = fmt::format(
      "set -e; cd '{0}'; openssl req -x509 {1} -keyout ca.key -out ca.pem -days 1 -subj /CN=ca; "
      "for n in server client; do openssl req {1} -keyout $n.key -out $n.csr -subj /CN=$n; "
      "openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $n.pem -days 1 "
      "-extfile $n.ext; done",
      tls.string(), key);
  // std::system runs the script with /bin/sh -c.
  const std::string command = "(" + script + ") >/dev/null 2>&1";
  if (std::system(command.c_str()) != 0) {
    return fail(ErrorCode::kUnavailable, "making test certificates with openssl failed");
  }
  return ok();
}

std::string EtcdServer::ca_pem() const {
  return read_from(dir_ / "tls" / "ca.pem", 0);
}

std::string EtcdServer::client_cert_pem() const {
  return read_from(dir_ / "tls" / "client.pem", 0);
}

std::string EtcdServer::client_key_pem() const {
  return read_from(dir_ / "tls" / "client.key", 0);
}

std::string EtcdServer::log_for_test() const {
  return read_from(dir_ / "etcd.log", 0);
}

Status EtcdServer::launch(int port) {
  const std::filesystem::path log = dir_ / "etcd.log";
  std::error_code ec;
  log_offset_ = std::filesystem::exists(log, ec) ? std::filesystem::file_size(log, ec) : 0;
  const std::string scheme = options_.tls ? "https://" : "http://";
  const std::string client = scheme + "127.0.0.1:" + std::to_string(port);
  const std::string peer = "http://127.0.0.1:0";
  std::vector<std::string> args = {
      kEtcd,
      "--name=test",
      "--data-dir=" + (dir_ / "data").string(),
      "--listen-client-urls=" + client,
      "--advertise-client-urls=" + client,
      "--listen-peer-urls=" + peer,
      "--initial-advertise-peer-urls=" + peer,
      "--initial-cluster=test=" + peer,
      "--heartbeat-interval=10",
      "--election-timeout=50",
      "--enable-grpc-gateway=false",
      "--logger=zap",
      "--log-outputs=stderr",
      "--max-txn-ops=" + std::to_string(options_.max_txn_ops),
      "--max-request-bytes=" + std::to_string(options_.max_request_bytes),
  };
  if (options_.tls) {
    const std::filesystem::path tls = dir_ / "tls";
    args.push_back("--cert-file=" + (tls / "server.pem").string());
    args.push_back("--key-file=" + (tls / "server.key").string());
    args.push_back("--trusted-ca-file=" + (tls / "ca.pem").string());
    args.push_back("--client-cert-auth");
  }
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);

  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    return failf(ErrorCode::kUnavailable, "creating {}: {}", log.string(), strerror(errno));
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fd);
    return failf(ErrorCode::kUnavailable, "fork: {}", strerror(errno));
  }
  if (pid == 0) {
    // Child: etcd dies with the test process, whatever happens to it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    ::execvp(kEtcd, argv.data());
    ::_exit(127);
  }
  ::close(fd);
  pid_ = pid;

  const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string out = read_from(log, log_offset_);
    if (const int got = client_port(out); got != 0) {
      port_ = got;
      endpoint_ = scheme + "127.0.0.1:" + std::to_string(port_);
      return ok();
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return failf(ErrorCode::kUnavailable, "etcd exited during start-up (status {}): {}", status,
                   tail(out, 2000));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const std::string out = read_from(log, log_offset_);
  stop();
  return failf(ErrorCode::kUnavailable, "etcd did not serve clients within {} ms: {}",
               options_.start_timeout.count(), tail(out, 2000));
}

void EtcdServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
}

}  // namespace mr::store::testing
