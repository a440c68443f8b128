// The connection's lifecycle: the TLS handshake, the protocol (HTTP/2 goes to an H2Connection),
// then for HTTP/1.1: wait for a request without a buffer, borrow the worker's buffers, run one
// exchange per request, give the buffers back when idle, close (with a linger when the client's
// request was not read to its end).
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include "proxy/net/connection.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "proxy/net/exchange.h"
#include "proxy/net/h2_connection.h"
#include "proxy/net/session_util.h"
#include "proxy/net/worker.h"
#include "proxy/tls/tls_terminator.h"

namespace kb::proxy::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using detail::with;

namespace {

bool is_trusted(const core::CidrSet& trusted, const asio::ip::address& a) {
  if (trusted.empty()) return false;
  return trusted.contains(a.is_v4() ? core::ipv4_mapped(a.to_v4().to_bytes()) : a.to_v6().to_bytes());
}

}  // namespace

void ClientConnection::start(Worker& worker, tcp::socket socket, SSL* ssl) {
  auto self = std::make_shared<ClientConnection>(worker, std::move(socket), ssl);
  ClientConnection& conn = *self;
  asio::co_spawn(worker.context(), conn.run(std::move(self)), asio::detached);
}

ClientConnection::ClientConnection(Worker& worker, tcp::socket socket, SSL* ssl)
    : ClientSide(worker, ClientIo(&stream_, nullptr)), stream_(std::move(socket)) {
  error_code ec;
  tcp::socket& s = stream_.lowest_layer();
  s.set_option(tcp::no_delay(true), ec);
  const auto remote = s.remote_endpoint(ec);
  if (!ec) {
    client_ip_ = remote.address().to_string();
    client_port_ = remote.port();
    peer_trusted_ = is_trusted(worker_.options().trusted_proxies, remote.address());
  }
  // A TLS connection whose SSL could not be made or attached closes at once (run() sees closed_).
  if (ssl != nullptr && stream_.start_tls(ssl)) closed_ = true;
  worker_.link(this);  // client_connections_active was counted by the worker's admit()
}

ClientConnection::~ClientConnection() {
  return_buffers();
  worker_.unlink(this);
  worker_.stats().client_connections_active.fetch_sub(1, std::memory_order_relaxed);
  worker_.connection_closed();
}

void ClientConnection::on_sweep(Clock::time_point now) {
  if (h2_) return h2_->on_sweep(now);
  if (exchange_ != nullptr && exchange_->check_client(now, stream_)) return close();
  // A keep-alive TLS connection keeps its record buffers between requests and frees them once it
  // has been idle for a whole sweep interval: at most once per idle period, not per request.
  if (idle_wait_ && tls_buffers_) {
    if (idle_swept_) {
      stream_.release_tls_buffers();
      tls_buffers_ = false;
    }
    idle_swept_ = true;
  }
  if (now < deadline_ || closed_) return;
  timed_out_ = true;
  deadline_ = Clock::time_point::max();
  stream_.cancel();
  if (exchange_ != nullptr) exchange_->cancel();
}

void ClientConnection::on_drain() {
  draining_ = true;
  if (h2_) return h2_->on_drain();
  if (idle_wait_) stream_.cancel();
}

void ClientConnection::close() {
  closed_ = true;
  draining_ = true;
  if (h2_) h2_->close();
  stream_.close();
  if (exchange_ != nullptr) exchange_->close();
}

bool ClientConnection::lend_buffers() {
  if (lent_ && lent_->client_in.size() > 0) return true;
  if (!lent_) lent_ = worker_.take_exchange_buffers();
  return false;
}

void ClientConnection::return_buffers() {
  if (lent_) worker_.give_exchange_buffers(std::move(lent_));
}

// Kept small on purpose: this frame stays allocated for as long as the connection lives.
asio::awaitable<void> ClientConnection::run(std::shared_ptr<ClientConnection> self) {
  ClientConnection& c = *self;
  const ServerOptions& opts = c.worker_.options();
  if (c.stream_.tls() && !c.closed_ && !co_await c.handshake()) c.closed_ = true;
  if (!c.closed_ && co_await c.speaks_http2()) {
    c.h2_ = std::make_unique<H2Connection>(c);
    co_await c.h2_->serve(self);
    c.closed_ = true;
  }
  c.tls_buffers_ = c.stream_.tls();
  while (!c.closed_) {
    if (!c.lent_ || c.lent_->client_in.size() == 0) {
      // Idle: nothing of the next request is here. Hold no buffer while waiting for it.
      c.return_buffers();
      if (c.draining_) break;
      c.idle_wait_ = true;
      c.arm(c.requests_served_ > 0 ? opts.idle_timeout : opts.client_header_timeout);
      error_code ec;
      co_await c.stream_.async_wait_readable(with(ec));
      c.idle_wait_ = false;
      c.idle_swept_ = false;
      c.tls_buffers_ = c.stream_.tls();
      if (ec || c.closed_) break;
    }
    c.lend_buffers();
    if (!co_await c.serve_one()) break;
    ++c.requests_served_;
  }
  if (!c.closed_ && c.linger_) co_await c.linger();
  c.stream_.shutdown_both();
  c.stream_.close();
  c.return_buffers();
}

// TLS: the handshake under the header timeout (a client that connects and says nothing is cut
// off like one that sends half a header). The certificate was chosen by SNI in CertificateSet.
asio::awaitable<bool> ClientConnection::handshake() {
  ServerStats& stats = worker_.stats();
  arm(worker_.options().client_header_timeout);
  error_code ec;
  co_await stream_.async_handshake(with(ec));
  if (ec || closed_) {
    stats.tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
    co_return false;
  }
  stats.tls_handshakes.fetch_add(1, std::memory_order_relaxed);
  if (SSL_session_reused(stream_.ssl()) == 1) stats.tls_resumed.fetch_add(1, std::memory_order_relaxed);
  co_return true;
}

// HTTP/2 when ALPN chose h2, or on the plain listener with --h2c when the client's first bytes are
// the HTTP/2 preface ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", RFC 9113 3.4; left unread for nghttp2).
asio::awaitable<bool> ClientConnection::speaks_http2() {
  if (stream_.tls()) co_return tls::handshake_info(stream_.ssl()).alpn == "h2";
  if (!worker_.options().h2c) co_return false;
  idle_wait_ = true;
  arm(worker_.options().client_header_timeout);
  error_code ec;
  co_await stream_.async_wait_readable(with(ec));
  idle_wait_ = false;
  if (ec || closed_) {
    closed_ = true;
    co_return false;
  }
  char first[4] = {};
  const std::size_t n = stream_.lowest_layer().receive(asio::buffer(first), tcp::socket::message_peek, ec);
  co_return !ec && n == sizeof first && std::string_view(first, n) == "PRI ";
}

asio::awaitable<bool> ClientConnection::serve_one() {
  Exchange exchange(*this, *lent_);
  exchange_ = &exchange;
  struct Detach {
    Exchange*& slot;
    ~Detach() { slot = nullptr; }
  } detach{exchange_};
  co_return co_await exchange.run();
}

asio::awaitable<void> ClientConnection::linger() {
  // Closing with unread request bytes would make the kernel send RST, which can destroy the
  // error response before the client reads it: half-close, then drain for a bounded time.
  stream_.shutdown_send();
  arm(std::chrono::milliseconds(2000));
  lend_buffers();
  auto& in = lent_->client_in;
  error_code ec;
  std::size_t drained = 0;
  while (!ec && drained < 16 * 1024 * 1024) {
    in.consume(in.size());
    drained += co_await stream_.async_read_some(in.prepare(detail::kReadSize), with(ec));
  }
  in.consume(in.size());
}

}  // namespace kb::proxy::net
