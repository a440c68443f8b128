#pragma once
// The client's byte stream as the layers above see it: read some, write, wait until readable,
// cancel, shut down, close. Plain TCP, or TLS over the same socket once start_tls() gave it an SSL
// (tls_io.h: OpenSSL on the non-blocking descriptor, Asio waiting for readiness). The type is the
// same for both, so the codec, the exchange, the attempt loop, the body pump and the tunnel exist
// once: each operation is one branch on `ssl_`, no virtual call. It is an Asio AsyncStream, so
// asio::async_write and the body pump work on it as on a socket.
#include <openssl/ssl.h>

#include <boost/asio/async_result.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <memory>
#include <string_view>
#include <utility>

#include "proxy/net/tls_io.h"

namespace kb::proxy::net {

class ClientStream {
 public:
  using executor_type = boost::asio::ip::tcp::socket::executor_type;

  explicit ClientStream(boost::asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}
  ~ClientStream() { close(); }
  ClientStream(const ClientStream&) = delete;
  ClientStream& operator=(const ClientStream&) = delete;

  executor_type get_executor() { return socket_.get_executor(); }
  boost::asio::ip::tcp::socket& lowest_layer() { return socket_; }

  // From now on the stream speaks TLS (server side) with `ssl`; call before any I/O, then
  // async_handshake(). An error leaves the stream unusable (close it).
  boost::system::error_code start_tls(SSL* ssl) {
    ssl_.reset(ssl);
    return tls_io::attach(ssl, socket_);
  }
  bool tls() const { return ssl_ != nullptr; }
  SSL* ssl() const { return ssl_.get(); }

  template <class Token>
  auto async_handshake(Token&& token) {
    return tls_io::async_tls(
        socket_, ssl_.get(),
        [](SSL* ssl, std::size_t&, boost::system::error_code& ec) { return tls_io::handshake_step(ssl, ec); },
        std::forward<Token>(token));
  }

  template <class Buffers, class Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    if (!ssl_) return socket_.async_read_some(buffers, std::forward<Token>(token));
    const boost::asio::mutable_buffer b = tls_io::first_buffer(buffers);
    return tls_io::async_tls(
        socket_, ssl_.get(),
        [b](SSL* ssl, std::size_t& n, boost::system::error_code& ec) {
          return tls_io::read_step(ssl, b.data(), b.size(), n, ec);
        },
        std::forward<Token>(token));
  }
  template <class Buffers, class Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    if (!ssl_) return socket_.async_write_some(buffers, std::forward<Token>(token));
    return tls_io::async_tls(
        socket_, ssl_.get(),
        [buffers](SSL* ssl, std::size_t& n, boost::system::error_code& ec) {
          // Small pieces (head, chunk prefix, body, CRLF) leave as one record: one syscall.
          char record[16384];
          const void* data = nullptr;
          const std::size_t size = tls_io::gather(buffers, record, data);
          return tls_io::write_step(ssl, data, size, n, ec);
        },
        std::forward<Token>(token));
  }
  // Completes when bytes (or EOF) are there to read, without holding a buffer meanwhile: what an
  // idle keep-alive connection waits on. TLS: bytes OpenSSL already holds complete it at once.
  template <class Token>
  auto async_wait_readable(Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
        [this](auto handler) {
          if (ssl_ && tls_io::has_pending(ssl_.get())) {
            boost::asio::post(socket_.get_executor(),
                              [h = std::move(handler)]() mutable { h(boost::system::error_code()); });
          } else {
            socket_.async_wait(boost::asio::ip::tcp::socket::wait_read, std::move(handler));
          }
        },
        token);
  }

  // TLS: frees OpenSSL's record buffers while the connection is idle (no operation in flight).
  void release_tls_buffers() {
    if (ssl_) tls_io::release_buffers(ssl_.get());
  }

  void cancel() {
    boost::system::error_code ec;
    socket_.cancel(ec);
  }
  // TLS: close_notify first, so the client can tell a clean end from a truncation.
  void shutdown_send() {
    if (ssl_ && socket_.is_open()) tls_io::send_close_notify(ssl_.get());
    boost::system::error_code ec;
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
  }
  void shutdown_both() {
    if (ssl_ && socket_.is_open()) tls_io::send_close_notify(ssl_.get());
    boost::system::error_code ec;
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  }
  void close() {
    boost::system::error_code ec;
    socket_.close(ec);
  }
  // The scheme the client used on this stream: what X-Forwarded-Proto says unless a trusted
  // proxy tells otherwise (core::decide_forwarded).
  std::string_view scheme() const { return ssl_ ? "https" : "http"; }

 private:
  struct SslFree {
    void operator()(SSL* p) const { SSL_free(p); }
  };
  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<SSL, SslFree> ssl_;
};

}  // namespace kb::proxy::net
