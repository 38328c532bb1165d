#include "api/http/server.h"

// Beast and Asio are header-only; this is the one translation unit that includes them.
#define BOOST_BEAST_USE_STD_STRING_VIEW

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/http/tls.h"
#include "base/bytes.h"
#include "base/log.h"
#include "base/thread_pool.h"

namespace mr::api::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using error_code = beast::error_code;

// Bytes asked of the socket while a connection waits for its next request (the TLS layer keeps
// its own record buffer; idle connections should stay small).
constexpr std::size_t kIdleReadBytes = 512;
// The read buffer of a connection holds at most the header block plus this much body.
constexpr std::size_t kBufferSlack = std::size_t{64} << 10;
// How long a closing connection keeps discarding what the client still sends.
constexpr std::chrono::seconds kLinger{2};

// The methods the previous HTTP library (cpp-httplib 0.11.4) knew; others answer a bare 400
// (docs/compatibility.md).
bool known_method(std::string_view m) {
  for (std::string_view k :
       {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "PRI"}) {
    if (m == k) return true;
  }
  return false;
}

// reason_phrase is the status line's text (the previous library's phrases).
std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 301:
      return "Moved Permanently";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 410:
      return "Gone";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      break;
  }
  const auto r = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
  return {r.data(), r.size()};
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// decode_path percent-decodes a request path (%XX; a '%' without two hex digits stays, '+'
// stays), as the previous library did before routing.
std::string decode_path(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

struct CaseInsensitiveLess {
  bool operator()(std::string_view a, std::string_view b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
      return std::tolower(static_cast<unsigned char>(x)) <
             std::tolower(static_cast<unsigned char>(y));
    });
  }
};

// ResponseHead is what the server adds to a Response on the wire.
struct ResponseHead {
  bool head_request = false;   // HEAD: no body bytes, Accept-Ranges: bytes
  bool server_closes = false;  // "Connection: close" (else Keep-Alive: timeout, max)
  long keep_alive_seconds = 5;
  std::size_t max_requests = 100;
};

// serialize renders |reply| byte for byte as clients have always seen it: status line, header
// fields sorted by name (case-insensitively; equal names in insertion order), Content-Length
// always, no Date or Server field.
std::string serialize(const Response& reply, const ResponseHead& head) {
  std::multimap<std::string, std::string, CaseInsensitiveLess> fields;
  for (const auto& [k, v] : reply.headers)
    fields.emplace(k, v);
  if (!reply.content_type.empty()) fields.emplace("Content-Type", reply.content_type);
  if (reply.close_connection) fields.emplace("Connection", "close");
  if (head.server_closes) {
    fields.emplace("Connection", "close");
  } else {
    fields.emplace("Keep-Alive",
                   fmt::format("timeout={}, max={}", head.keep_alive_seconds, head.max_requests));
  }
  if (fields.find("Content-Type") == fields.end() && !reply.body.empty()) {
    fields.emplace("Content-Type", "text/plain");
  }
  fields.emplace("Content-Length", std::to_string(reply.body.size()));
  if (head.head_request) fields.emplace("Accept-Ranges", "bytes");
  std::string out = fmt::format("HTTP/1.1 {} {}\r\n", reply.status, reason_phrase(reply.status));
  for (const auto& [k, v] : fields) {
    out += k;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  out += "\r\n";
  if (!head.head_request) out += reply.body;
  return out;
}

// WipedString holds a request body and wipes it when dropped (bodies may carry recovery
// secrets).
struct WipedString {
  explicit WipedString(std::string v) : value(std::move(v)) {}
  ~WipedString() { secure_wipe(value.data(), value.size()); }
  WipedString(const WipedString&) = delete;
  WipedString& operator=(const WipedString&) = delete;
  std::string value;
};

// bare_bad_request is the previous library's answer to a request it could not parse: 400, no
// body, no Content-Type.
Response bare_bad_request() {
  Response r;
  r.status = 400;
  return r;
}

// is_stream_error tells stream errors that just end a connection (peer gone, deadline, stop)
// from protocol errors that deserve an answer.
bool is_stream_error(const error_code& ec) {
  return ec == beast::error::timeout || ec == net::error::eof ||
         ec == net::error::operation_aborted || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == bhttp::error::end_of_stream ||
         ec == bhttp::error::partial_message || ec.category() == net::error::get_ssl_category() ||
         ec == net::ssl::error::stream_truncated || ec == net::error::bad_descriptor;
}

}  // namespace

class Session;

struct Server::Impl {
  Impl(ServerConfig c, std::unique_ptr<const Service> s, ListenAddress a)
      : config(std::move(c)), service(std::move(s)), log(service->name()), address(std::move(a)) {}

  Status bind();
  void do_accept();
  void on_accept(tcp::socket socket);
  // admit makes room for a connection from |remote| (closing the oldest idle one in a full
  // scope); false if there is none to close.
  bool admit(const std::string& remote);
  void add(const std::shared_ptr<Session>& s);
  void remove(Session* s);

  ServerConfig config;
  std::unique_ptr<const Service> service;
  const log::Logger log;
  ListenAddress address;
  std::unique_ptr<CertificateSelector> selector;  // with TLS

  // Connection registry (guarded by reg_mu); declared before the io_context so that sessions
  // destroyed with it can still unregister.
  std::mutex reg_mu;
  std::condition_variable reg_cv;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
  std::unordered_map<std::string, std::size_t> per_address;

  std::unique_ptr<ThreadPool> pool;
  std::optional<ssl::context> tls;  // empty: plain HTTP
  net::io_context ioc;
  // Keeps the io threads running while a handler is out on the worker pool (no socket
  // operation is pending then); released by stop().
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::optional<tcp::acceptor> acceptor;
  std::optional<net::steady_timer> accept_retry;
  // Failed accepts since the last warning, and when it was logged (used by the accept chain
  // only, which has one operation outstanding at a time).
  std::uint64_t accept_failures = 0;
  std::optional<std::chrono::steady_clock::time_point> accept_warned;
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};

  std::mutex mu;  // guards started, stopped
  bool started = false;
  bool stopped = false;
  std::atomic<int> bound_port{0};
};

// Session is one connection. Every member is touched on its strand only, except the atomics
// the registry reads (idle state for eviction).
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Server::Impl& server, tcp::socket socket, std::string remote)
      : server_(server),
        config_(server.config),
        executor_(socket.get_executor()),
        raw_(std::move(socket)),
        handshake_timer_(executor_),
        buffer_(server.config.max_header_bytes + kBufferSlack),
        remote_(std::move(remote)) {
    set_idle(true);  // until the first request byte
  }

  ~Session() { server_.remove(this); }

  [[nodiscard]] const std::string& remote() const { return remote_; }
  [[nodiscard]] bool idle() const { return idle_.load(); }
  [[nodiscard]] Clock::time_point idle_since() const {
    return Clock::time_point(Clock::duration(idle_since_.load()));
  }

  // start waits (idle, up to read_timeout) for the client's first bytes: with TLS it then runs
  // the handshake (on this connection's strand), without it reads the first request. The TLS
  // objects (about 40 KB with their record buffers) are made only then: a connection that never
  // sends a ClientHello costs a socket.
  void start() {
    net::post(executor_, [self = shared_from_this()] {
      if (!self->server_.tls) return self->wait_for_request(self->config_.read_timeout);
      self->handshake_timer_.expires_after(self->config_.read_timeout);
      self->handshake_timer_.async_wait([self](const error_code& ec) {
        if (!ec) self->close_socket();
      });
      self->raw_->socket().async_wait(tcp::socket::wait_read, [self](const error_code& ec) {
        self->handshake_timer_.cancel();
        if (ec || !self->tcp().socket().is_open()) return self->close_socket();
        self->stream_.emplace(std::move(*self->raw_), *self->server_.tls);
        self->raw_.reset();
        self->tcp().expires_after(self->config_.read_timeout);
        self->stream_->async_handshake(ssl::stream_base::server,
                                       [self](const error_code& e) { self->on_handshake(e); });
      });
    });
  }

  // close_if_idle (any thread) closes the connection if it is in the TLS handshake or between
  // requests (eviction); with |headers_too| also while headers are still arriving (stop()).
  void close_if_idle(bool headers_too) {
    net::post(executor_, [self = shared_from_this(), headers_too] {
      if (self->idle_ || (headers_too && self->phase_ == Phase::kHeader)) self->close_socket();
    });
  }

 private:
  enum class Phase { kHandshake, kWaiting, kHeader, kBody, kHandler, kWrite, kClosed };

  void set_idle(bool idle) {
    if (idle) idle_since_.store(Clock::now().time_since_epoch().count());
    idle_.store(idle);
  }

  // with_stream calls |f| with the stream requests travel on: the TLS stream after the
  // handshake, else (plain HTTP) the TCP stream.
  template <class F>
  void with_stream(F&& f) {
    if (stream_) {
      f(*stream_);
    } else {
      f(*raw_);
    }
  }

  void on_handshake(const error_code& ec) {
    if (ec) return close_socket();
    peer_certificate_ = peer_certificate_der(stream_->native_handle());
    wait_for_request(config_.read_timeout);
  }

  // wait_for_request waits (idle) up to |timeout| for the first byte of the next request.
  void wait_for_request(std::chrono::milliseconds timeout) {
    if (server_.stopping) return close_gracefully();
    if (buffer_.size() > 0) return read_header();  // pipelined
    phase_ = Phase::kWaiting;
    set_idle(true);
    buffer_.shrink_to_fit();
    tcp().expires_after(timeout);
    with_stream([&](auto& stream) {
      stream.async_read_some(buffer_.prepare(kIdleReadBytes),
                             [self = shared_from_this()](const error_code& ec, std::size_t n) {
                               self->buffer_.commit(n);
                               if (ec || n == 0) return self->close_socket();
                               self->read_header();
                             });
    });
  }

  // read_header reads the request line and header block whole into buffer_ (at most
  // max_header_bytes, by the header deadline), then parses it in one go. (Beast 1.74 parses
  // header fields as they arrive and enforces its header_limit only on the unparsed rest, so
  // 200 000 short lines would all be stored; counting here bounds both bytes and fields.)
  void read_header() {
    phase_ = Phase::kHeader;
    set_idle(false);
    request_start_ = Clock::now();
    request_deadline_ = request_start_ + config_.request_timeout;
    expire_at(std::min(request_start_ + config_.read_timeout, request_deadline_));
    scanned_ = 0;
    scan_header();
  }

  // scan_header looks for the end of the header block in buffer_, reading more as needed.
  void scan_header() {
    const std::string_view data(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    const std::size_t from = scanned_ >= 3 ? scanned_ - 3 : 0;
    const std::size_t end = data.find("\r\n\r\n", from);
    if (end != std::string_view::npos && end + 4 <= config_.max_header_bytes) {
      return parse_header(data.substr(0, end + 4));
    }
    if (end != std::string_view::npos || data.size() >= config_.max_header_bytes) {
      return respond_header_too_large();
    }
    scanned_ = data.size();
    const std::size_t want = std::min<std::size_t>(4096, config_.max_header_bytes - data.size());
    with_stream([&](auto& stream) {
      stream.async_read_some(buffer_.prepare(want),
                             [self = shared_from_this()](const error_code& ec, std::size_t n) {
                               self->buffer_.commit(n);
                               if (ec) return self->close_socket();
                               self->scan_header();
                             });
    });
  }

  void parse_header(std::string_view block) {
    // Fields: one per CRLF, less the request line's and the final empty line's.
    std::size_t lines = 0;
    for (std::size_t i = block.find("\r\n"); i != std::string_view::npos;
         i = block.find("\r\n", i + 2)) {
      ++lines;
    }
    if (lines > config_.max_header_fields + 2) return respond_header_too_large();
    header_parser_.emplace();
    header_parser_->eager(false);
    header_parser_->header_limit(static_cast<std::uint32_t>(config_.max_header_bytes));
    // Per route, after the headers. (Not boost::none: Debian 1.74 compares the Content-Length
    // with the optional, and every length is "greater" than none.)
    header_parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    error_code ec;
    const std::size_t used = header_parser_->put(net::buffer(block.data(), block.size()), ec);
    if (!ec && !header_parser_->is_header_done()) ec = bhttp::error::partial_message;
    if (ec == bhttp::error::bad_content_length) return respond_error(400, "bad Content-Length");
    if (ec) return respond(bare_bad_request(), /*force_close=*/true);
    buffer_.consume(used);
    on_header();
  }

  void on_header() {
    const auto& req = header_parser_->get();
    method_ = std::string(req.method_string());
    target_ = std::string(req.target());
    const std::size_t q = target_.find('?');
    path_ = decode_path(std::string_view(target_).substr(0, q));
    raw_query_ = q == std::string::npos ? std::string() : target_.substr(q + 1);
    const auto connection = req[bhttp::field::connection];
    client_closes_ = connection == "close";
    http10_closes_ = req.version() == 10 && connection != "Keep-Alive";
    head_request_ = method_ == "HEAD";
    if (static_cast<std::size_t>(std::distance(req.begin(), req.end())) >
        config_.max_header_fields) {
      return respond_header_too_large();
    }
    const bool chunked = header_parser_->chunked();
    const auto content_length = header_parser_->content_length();
    const bool has_body = chunked || content_length.value_or(0) > 0;
    if ((req.version() != 10 && req.version() != 11) || !known_method(method_)) {
      return respond(bare_bad_request(), /*force_close=*/has_body);
    }

    // The route, decided once for this request.
    RequestHead head;
    head.method = method_;
    head.path = path_;
    head.raw_query = raw_query_;
    head.content_type = req[bhttp::field::content_type];
    if (content_length) head.content_length = *content_length;
    head.has_body = has_body;
    routing_ = server_.service->route(head);
    if (config_.observer) {
      config_.observer->started(routing_.label);
      observed_ = true;
    }
    std::optional<Response> response = std::move(routing_.response);
    if (!response && routing_.body_limit && content_length &&
        *content_length > *routing_.body_limit) {
      response = routing_.too_large();
    }
    if (response) {
      if (has_body) response->close_connection = true;  // the body stays unread
      return respond(std::move(*response));
    }
    if (routing_.body_limit && has_body) return read_body();
    // No body to read (none sent, or a route that never reads one).
    dispatch(std::string(), /*close=*/has_body);
  }

  void read_body() {
    phase_ = Phase::kBody;
    body_deadline_ = std::min(Clock::now() + config_.body_timeout, request_deadline_);
    body_parser_.emplace(std::move(*header_parser_));
    header_parser_.reset();
    body_parser_->body_limit(*routing_.body_limit);
    if (body_parser_->get()[bhttp::field::expect] == "100-continue") {
      out_ = "HTTP/1.1 100 Continue\r\n\r\n";
      tcp().expires_after(config_.write_timeout);
      with_stream([&](auto& stream) {
        net::async_write(stream, net::buffer(out_),
                         [self = shared_from_this()](const error_code& ec, std::size_t) {
                           if (ec) return self->close_socket();
                           self->read_body_some();
                         });
      });
      return;
    }
    read_body_some();
  }

  void read_body_some() {
    if (body_parser_->is_done()) {
      std::string body = std::move(body_parser_->get().body());
      body_parser_.reset();
      return dispatch(std::move(body), /*close=*/false);
    }
    expire_at(std::min(Clock::now() + config_.read_timeout, body_deadline_));
    with_stream([&](auto& stream) {
      bhttp::async_read_some(
          stream, buffer_, *body_parser_,
          [self = shared_from_this()](const error_code& ec, std::size_t) { self->on_body(ec); });
    });
  }

  void on_body(const error_code& ec) {
    if (!ec) return read_body_some();
    wipe_body();
    if (ec == bhttp::error::body_limit) {
      Response response = routing_.too_large();
      response.close_connection = true;  // the rest of the body is never read
      return respond(std::move(response));
    }
    if (is_stream_error(ec)) {
      // Nothing more can be said on this connection: log the request, then drop it.
      finish_request(400);
      return close_socket();
    }
    respond_error(400, "failed to read request body");
  }

  void wipe_body() {
    if (!body_parser_) return;
    std::string& b = body_parser_->get().body();
    secure_wipe(b.data(), b.size());  // bodies may carry secrets
    body_parser_.reset();
  }

  // dispatch runs the handler on the worker pool and answers on this strand.
  void dispatch(std::string body, bool close) {
    phase_ = Phase::kHandler;
    request_bytes_ = body.size();
    auto held = std::make_shared<WipedString>(std::move(body));
    auto job = [self = shared_from_this(), handler = std::move(routing_.handler), held,
                method = method_, path = path_, query = raw_query_, cert = peer_certificate_,
                close]() mutable {
      Request request;
      request.method = method;
      request.path = path;
      request.raw_query = query;
      request.body = held->value;
      request.peer_certificate = std::move(cert);
      Response response = self->run(handler, request);
      held.reset();
      if (close) response.close_connection = true;
      net::post(self->executor_, [self, response = std::move(response)]() mutable {
        self->respond(std::move(response));
      });
    };
    if (!server_.pool->try_submit(std::move(job))) {
      Response busy = server_.service->error(503, "server is busy");
      busy.close_connection = true;
      respond(std::move(busy));
    }
  }

  // run calls |handler| (on a worker thread); an exception becomes a logged 500.
  Response run(const Handler& handler, const Request& request) {
    try {
      return handler(request);
    } catch (const std::exception& e) {
      server_.log.error("handler threw", {{"path", request.path}, {"what", e.what()}});
    } catch (...) {
      server_.log.error("handler threw", {{"path", request.path}});
    }
    return server_.service->error(500, "internal server error");
  }

  // respond_error answers with the Service's rendering of a server-made error and closes.
  void respond_error(int status, std::string_view message) {
    Response response = server_.service->error(status, message);
    response.close_connection = true;
    respond(std::move(response));
  }

  void respond_header_too_large() { respond_error(431, "request header fields too large"); }

  void respond(Response reply, bool force_close = false) {
    phase_ = Phase::kWrite;
    set_idle(false);
    ++requests_;
    ResponseHead head;
    head.head_request = head_request_;
    head.server_closes = requests_ >= config_.max_requests_per_connection || client_closes_;
    head.keep_alive_seconds =
        std::max<long>(1, static_cast<long>(config_.keep_alive_timeout.count()));
    head.max_requests = config_.max_requests_per_connection;
    close_after_ = reply.close_connection || head.server_closes || http10_closes_ || force_close ||
                   server_.stopping;
    status_ = reply.status;
    response_bytes_ = reply.body.size();
    out_ = serialize(reply, head);
    tcp().expires_after(config_.write_timeout);
    with_stream([&](auto& stream) {
      net::async_write(
          stream, net::buffer(out_),
          [self = shared_from_this()](const error_code& ec, std::size_t) { self->on_written(ec); });
    });
  }

  void on_written(const error_code& ec) {
    finish_request(status_);
    out_.clear();
    out_.shrink_to_fit();
    if (ec) return close_socket();
    if (close_after_) return close_gracefully();
    reset_request();
    wait_for_request(config_.keep_alive_timeout);
  }

  // finish_request logs the request and tells the observer.
  void finish_request(int status) {
    const double ms =
        std::chrono::duration<double, std::milli>(Clock::now() - request_start_).count();
    if (config_.observer && observed_) {
      config_.observer->finished(RequestRecord{method_, routing_.label, status, ms / 1000.0,
                                               request_bytes_, response_bytes_});
    }
    observed_ = false;
    // At debug: at info a normal workflow's log would be mostly these. Failures (the client
    // API's "request failed", warn for 5xx) and security events have lines of their own.
    if (!log::enabled(log::Level::kDebug)) return;  // skip rendering the fields
    server_.log.debug("request", {{"method", method_},
                                  {"path", path_},
                                  {"status", status},
                                  {"duration_ms", ms},
                                  {"remote", remote_}});
  }

  void reset_request() {
    routing_ = Routing{};
    request_bytes_ = response_bytes_ = 0;
    head_request_ = client_closes_ = http10_closes_ = false;
    method_.clear();
    target_.clear();
    path_.clear();
    raw_query_.clear();
    header_parser_.reset();
  }

  beast::tcp_stream& tcp() { return stream_ ? beast::get_lowest_layer(*stream_) : *raw_; }

  void expire_at(Clock::time_point t) { tcp().expires_at(t); }

  // close_gracefully sends TLS close_notify (without waiting for the client's), then lingers.
  void close_gracefully() {
    phase_ = Phase::kClosed;
    set_idle(false);
    if (!stream_) return linger();  // plain HTTP
    SSL* ssl = stream_->native_handle();
    SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
    tcp().expires_after(std::chrono::seconds(1));
    stream_->async_shutdown([self = shared_from_this()](const error_code& ec) {
      if (ec) return self->close_socket();
      self->linger();
    });
  }

  // linger half-closes the TCP connection and discards what the client still sends, for a
  // short while: closing with unread bytes would reset the connection, and a reset can destroy
  // the answer before the client has read it (e.g. a 431 to a client still sending headers).
  void linger() {
    auto& tcp_stream = tcp();
    error_code ignored;
    tcp_stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    tcp_stream.expires_after(kLinger);
    buffer_.clear();
    buffer_.shrink_to_fit();
    drain();
  }

  void drain() {
    tcp().async_read_some(buffer_.prepare(kIdleReadBytes * 8),
                          [self = shared_from_this()](const error_code& ec, std::size_t) {
                            if (ec) return self->close_socket();
                            self->drain();
                          });
  }

  void close_socket() {
    phase_ = Phase::kClosed;
    set_idle(false);
    handshake_timer_.cancel();
    error_code ignored;
    auto& socket = tcp().socket();
    if (!socket.is_open()) return;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    tcp().close();
  }

  Server::Impl& server_;
  const ServerConfig& config_;
  const net::any_io_executor executor_;  // this connection's strand
  // The TCP stream until the first bytes arrive (with TLS), or for good (plain HTTP).
  std::optional<beast::tcp_stream> raw_;
  net::steady_timer handshake_timer_;                           // bounds the wait for them
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream_;  // from then on (TLS)
  beast::flat_buffer buffer_;
  const std::string remote_;
  std::atomic<bool> idle_{false};
  std::atomic<Clock::rep> idle_since_{0};

  Phase phase_ = Phase::kHandshake;
  std::optional<Bytes> peer_certificate_;
  std::size_t requests_ = 0;
  std::optional<bhttp::request_parser<bhttp::empty_body>> header_parser_;
  std::optional<bhttp::request_parser<bhttp::string_body>> body_parser_;
  Clock::time_point request_start_;
  Clock::time_point request_deadline_;
  Clock::time_point body_deadline_;
  std::string method_, target_, path_, raw_query_;
  Routing routing_;
  bool head_request_ = false, client_closes_ = false, http10_closes_ = false;
  bool observed_ = false;
  bool close_after_ = false;
  int status_ = 0;
  std::size_t request_bytes_ = 0, response_bytes_ = 0;
  std::string out_;
  std::size_t scanned_ = 0;  // bytes of buffer_ searched for the end of the header block
};

Status Server::Impl::bind() {
  std::vector<tcp::endpoint> endpoints;
  const auto port = static_cast<unsigned short>(address.port);
  if (address.host.empty()) {
    endpoints = {tcp::endpoint(net::ip::address_v6::any(), port),
                 tcp::endpoint(net::ip::address_v4::any(), port)};
  } else {
    error_code ec;
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(address.host, std::to_string(port), ec);
    if (ec) {
      return failf(ErrorCode::kUnavailable, "listening on {}: cannot resolve the host ({})",
                   config.address, ec.message());
    }
    for (const auto& e : results)
      endpoints.push_back(e.endpoint());
  }
  error_code last;
  for (const auto& ep : endpoints) {
    tcp::acceptor a(net::make_strand(ioc));  // accept handlers and stop() never overlap
    error_code ec;
    a.open(ep.protocol(), ec);
    // dual-stack when IPv6 is available, like Go's ":port"
    if (!ec && ep.address().is_v6() && address.host.empty())
      a.set_option(net::ip::v6_only(false), ec);
    // SO_REUSEADDR as Go does; no SO_REUSEPORT (a second server must not share the port).
    if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) a.bind(ep, ec);
    if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      last = ec;
      continue;
    }
    bound_port = a.local_endpoint().port();
    acceptor.emplace(std::move(a));
    return ok();
  }
  return failf(ErrorCode::kUnavailable, "listening on {}: cannot bind ({})", config.address,
               last.message());
}

void Server::Impl::do_accept() {
  acceptor->async_accept(net::make_strand(ioc), [this](const error_code& ec, tcp::socket socket) {
    if (stopping || !acceptor->is_open()) return;
    if (ec) {
      // Out of descriptors or a transient failure: retry shortly instead of spinning, and say
      // so at most every 10 s (a full descriptor table fails every retry).
      ++accept_failures;
      const auto now = std::chrono::steady_clock::now();
      if (!accept_warned || now - *accept_warned >= std::chrono::seconds(10)) {
        log.warn("cannot accept connections (retrying)",
                 {{"error", ec.message()}, {"failures", accept_failures}});
        accept_warned = now;
        accept_failures = 0;
      }
      accept_retry->expires_after(std::chrono::milliseconds(50));
      accept_retry->async_wait([this](const error_code& e) {
        if (!e && !stopping) do_accept();
      });
      return;
    }
    on_accept(std::move(socket));
    do_accept();
  });
}

void Server::Impl::on_accept(tcp::socket socket) {
  error_code ec;
  // No Nagle (as Go): a response must not wait for the client's delayed ACK.
  socket.set_option(tcp::no_delay(true), ec);
  const auto ep = socket.remote_endpoint(ec);
  if (ec) return;
  std::string remote = ep.address().to_string();
  if (!admit(remote)) {
    socket.close(ec);
    return;
  }
  auto session = std::make_shared<Session>(*this, std::move(socket), std::move(remote));
  add(session);
  session->start();
}

bool Server::Impl::admit(const std::string& remote) {
  std::shared_ptr<Session> victim;
  {
    std::scoped_lock lock(reg_mu);
    const auto it = per_address.find(remote);
    const std::size_t mine = it == per_address.end() ? 0 : it->second;
    const bool address_full = mine >= config.max_connections_per_address;
    const bool server_full = sessions.size() >= config.max_connections;
    if (!address_full && !server_full) return true;
    for (const auto& [raw, weak] : sessions) {
      auto s = weak.lock();
      if (!s || !s->idle()) continue;
      if (address_full && !server_full && s->remote() != remote) continue;
      if (!victim || s->idle_since() < victim->idle_since()) victim = std::move(s);
    }
  }
  if (!victim) return false;
  victim->close_if_idle(false);
  return true;
}

void Server::Impl::add(const std::shared_ptr<Session>& s) {
  std::scoped_lock lock(reg_mu);
  ++per_address[s->remote()];
  sessions[s.get()] = s;
}

void Server::Impl::remove(Session* s) {
  std::scoped_lock lock(reg_mu);
  sessions.erase(s);
  if (auto it = per_address.find(s->remote()); it != per_address.end() && --it->second == 0) {
    per_address.erase(it);
  }
  reg_cv.notify_all();
}

Response Service::error(int status, std::string_view message) const {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.body = std::string(message) + "\n";
  return r;
}

Result<ListenAddress> parse_listen_address(std::string_view address) {
  return ::mr::parse_listen_address(address).map_error([&](Error e) {
    return Error{e.code, fmt::format("invalid listen address \"{}\": {}", address, e.message)};
  });
}

Result<std::unique_ptr<Server>> Server::create(ServerConfig config,
                                               std::unique_ptr<const Service> service,
                                               std::optional<TlsIdentitySource> tls) {
  MR_ASSIGN_OR_RETURN(ListenAddress address, parse_listen_address(config.address));
  if (config.worker_threads == 0 || config.max_queued_connections == 0 ||
      config.max_requests_per_connection == 0 || config.read_timeout.count() <= 0 ||
      config.write_timeout.count() <= 0 || config.body_timeout.count() <= 0 ||
      config.request_timeout.count() <= 0 || config.max_header_bytes == 0 ||
      config.max_header_fields == 0 || config.max_connections == 0 ||
      config.max_connections_per_address == 0) {
    return fail(ErrorCode::kInvalidArgument,
                "HTTP server limits, timeouts and thread counts must be positive");
  }
  if (!service) return fail(ErrorCode::kInvalidArgument, "no HTTP service");
  if (tls && !*tls) return fail(ErrorCode::kInvalidArgument, "no TLS identity source");
  if (config.io_threads == 0) {
    config.io_threads = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 2);
  }

  auto impl = std::make_unique<Impl>(std::move(config), std::move(service), std::move(address));
  if (tls) {
    impl->selector = std::make_unique<CertificateSelector>(std::move(*tls));
    try {
      impl->tls.emplace(ssl::context::tls_server);
    } catch (const std::exception&) {
      return fail(ErrorCode::kInternal, "creating the TLS context: " + ossl::drain_errors());
    }
    if (!impl->selector->configure(*impl->tls->native_handle())) {
      return fail(ErrorCode::kInternal, "creating the TLS context: " + ossl::drain_errors());
    }
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  stop();
}

Status Server::start() {
  std::scoped_lock lock(impl_->mu);
  if (impl_->started) return fail(ErrorCode::kFailedPrecondition, "HTTP server already started");
  impl_->started = true;
  MR_RETURN_IF_ERROR(impl_->bind());
  Impl& s = *impl_;
  s.pool = std::make_unique<ThreadPool>(s.config.worker_threads, s.config.max_queued_connections);
  s.accept_retry.emplace(s.acceptor->get_executor());
  s.work.emplace(s.ioc.get_executor());
  s.do_accept();
  for (std::size_t i = 0; i < s.config.io_threads; ++i) {
    s.threads.emplace_back([&s] {
      for (;;) {
        try {
          s.ioc.run();
          return;
        } catch (const std::exception& e) {
          s.log.error("unexpected exception in the HTTP event loop", {{"what", e.what()}});
        }
      }
    });
  }
  return ok();
}

void Server::stop() {
  std::scoped_lock lock(impl_->mu);
  if (impl_->stopped || !impl_->started) return;
  impl_->stopped = true;
  Impl& s = *impl_;
  s.stopping = true;
  if (s.acceptor) {
    net::post(s.acceptor->get_executor(), [&s] {
      error_code ec;
      s.acceptor->close(ec);
      s.accept_retry->cancel();
    });
  }
  // Idle connections and those still sending headers go now; requests being read, handled or
  // answered finish (each within its deadlines) and then close.
  std::vector<std::shared_ptr<Session>> open;
  {
    std::scoped_lock reg(s.reg_mu);
    for (const auto& [raw, weak] : s.sessions) {
      if (auto p = weak.lock()) open.push_back(std::move(p));
    }
  }
  for (const auto& p : open)
    p->close_if_idle(true);
  open.clear();
  {
    std::unique_lock reg(s.reg_mu);
    const auto bound = s.config.request_timeout + s.config.write_timeout + std::chrono::seconds(1);
    s.reg_cv.wait_for(reg, bound, [&s] { return s.sessions.empty(); });
  }
  s.work.reset();
  if (s.pool) s.pool->stop();  // handlers still running finish; their answers are dropped
  s.ioc.stop();
  for (auto& t : s.threads)
    t.join();
  s.threads.clear();
  s.bound_port = 0;
}

int Server::port() const {
  return impl_->bound_port.load();
}

}  // namespace mr::api::http
