// demo-server: a Marble that accepts one mutual-TLS connection from a demo-client Marble,
// checks the client's message against the shared key from the manifest, and answers.
// Started through marblerun-premain; it knows nothing about MarbleRun beyond the environment.
//
// Environment: the MARBLE_PREDEFINED_* variables and DEMO_SHARED_KEY_FILE / DEMO_PEER_TYPE (from
// the manifest); DEMO_LISTEN_PORT (default 0 = ephemeral) and DEMO_PORT_FILE (where the port is
// written once listening) from the operator.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "demo_tls.h"

int main() {
  const std::string who = "demo-server";
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  demo::Ctx ctx = demo::make_context(who, demo::Role::kServer);
  const auto key = demo::shared_key(who);
  const std::string peer_type = demo::env(who, "DEMO_PEER_TYPE");

  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const char* port_env = std::getenv("DEMO_LISTEN_PORT");
  addr.sin_port = htons(static_cast<uint16_t>(port_env ? std::atoi(port_env) : 0));
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener, 1) != 0) {
    demo::die(who, "cannot listen on 127.0.0.1");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  std::printf("[%s] listening on 127.0.0.1:%d (TLS 1.3, client certificate required)\n",
              who.c_str(), port);
  if (const char* port_file = std::getenv("DEMO_PORT_FILE")) {
    const std::string tmp = std::string(port_file) + ".tmp";
    std::ofstream(tmp) << port << "\n";
    std::rename(tmp.c_str(), port_file);
  }

  pollfd pfd{listener, POLLIN, 0};
  if (::poll(&pfd, 1, 60'000) != 1) demo::die(who, "no client within 60 s");
  const int conn = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (conn < 0) demo::die(who, "accept failed");
  demo::Ssl ssl(SSL_new(ctx.get()));
  SSL_set_fd(ssl.get(), conn);
  if (SSL_accept(ssl.get()) != 1) demo::die(who, "TLS handshake with the client failed");
  demo::check_peer(who, ssl.get(), peer_type);

  const std::string message = demo::read_line(who, ssl.get());
  const std::string tag = demo::read_line(who, ssl.get());
  if (tag != demo::mac(key, message))
    demo::die(who, "the message's HMAC does not match the shared key");
  std::printf("[%s] received: \"%s\" (HMAC-SHA256 with the shared key: ok)\n", who.c_str(),
              message.c_str());

  const std::string reply = "Hello, demo-client! Your message arrived intact.";
  demo::send_line(who, ssl.get(), reply);
  demo::send_line(who, ssl.get(), demo::mac(key, reply));
  std::printf("[%s] replied: \"%s\"\n", who.c_str(), reply.c_str());
  SSL_shutdown(ssl.get());
  ::close(conn);
  ::close(listener);
  return 0;
}
