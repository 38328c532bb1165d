// demo-client: a Marble that connects over mutual TLS to a demo-server Marble, sends the message
// given as its first argument (from the manifest's Argv) authenticated with the shared key from
// the manifest, and checks the answer.
//
// Environment: the MARBLE_PREDEFINED_* variables and DEMO_SHARED_KEY_FILE / DEMO_PEER_TYPE (from
// the manifest); DEMO_SERVER_ADDR (host:port) from the operator.

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "demo_tls.h"

namespace {

// connect_to connects to host:port, retrying for up to 10 s while the server starts.
int connect_to(const std::string& who, const std::string& host, const std::string& port) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0)
      demo::die(who, "cannot resolve " + host);
    for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
      const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
      if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
        ::freeaddrinfo(res);
        return fd;
      }
      if (fd >= 0) ::close(fd);
    }
    ::freeaddrinfo(res);
    if (std::chrono::steady_clock::now() > deadline)
      demo::die(who, "cannot connect to " + host + ":" + port);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string who = "demo-client";
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (argc < 2) demo::die(who, "usage: demo-client <message> (the manifest's Argv gives it)");
  const std::string message = argv[1];
  demo::Ctx ctx = demo::make_context(who, demo::Role::kClient);
  const auto key = demo::shared_key(who);
  const std::string peer_type = demo::env(who, "DEMO_PEER_TYPE");
  const std::string server = demo::env(who, "DEMO_SERVER_ADDR");
  const auto colon = server.rfind(':');
  if (colon == std::string::npos) demo::die(who, "DEMO_SERVER_ADDR must be host:port");
  const std::string host = server.substr(0, colon);
  const std::string port = server.substr(colon + 1);

  const int fd = connect_to(who, host, port);
  demo::Ssl ssl(SSL_new(ctx.get()));
  SSL_set_fd(ssl.get(), fd);
  // The server's certificate must name the address we dialled (its CSR's SANs, spec 8.4).
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
  if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1) {
    ERR_clear_error();
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    SSL_set_tlsext_host_name(ssl.get(), host.c_str());
  }
  if (SSL_connect(ssl.get()) != 1) demo::die(who, "TLS handshake with the server failed");
  demo::check_peer(who, ssl.get(), peer_type);

  demo::send_line(who, ssl.get(), message);
  demo::send_line(who, ssl.get(), demo::mac(key, message));
  std::printf("[%s] sent: \"%s\"\n", who.c_str(), message.c_str());
  const std::string reply = demo::read_line(who, ssl.get());
  const std::string tag = demo::read_line(who, ssl.get());
  if (tag != demo::mac(key, reply))
    demo::die(who, "the reply's HMAC does not match the shared key");
  std::printf("[%s] received: \"%s\" (HMAC-SHA256 with the shared key: ok)\n", who.c_str(),
              reply.c_str());
  SSL_shutdown(ssl.get());
  ::close(fd);
  return 0;
}
