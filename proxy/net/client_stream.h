#pragma once
// The client's byte stream as the layers above see it: read some, write, wait until readable,
// cancel, shut down, close. Plain TCP today; TLS (boost::asio::ssl::stream<tcp::socket>) becomes a
// second implementation of these few members, and the codec, exchange and attempt loop above do
// not change. It is an Asio AsyncStream, so asio::async_write and the body pump work on it as on a
// socket. Forwarding members, no virtual call per operation.
#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <utility>

namespace kb::proxy::net {

class ClientStream {
 public:
  using executor_type = boost::asio::ip::tcp::socket::executor_type;

  explicit ClientStream(boost::asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}

  executor_type get_executor() { return socket_.get_executor(); }
  boost::asio::ip::tcp::socket& lowest_layer() { return socket_; }

  template <class Buffers, class Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    return socket_.async_read_some(buffers, std::forward<Token>(token));
  }
  template <class Buffers, class Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    return socket_.async_write_some(buffers, std::forward<Token>(token));
  }
  // Completes when bytes (or EOF) are there to read, without holding a buffer meanwhile: what an
  // idle keep-alive connection waits on. (A TLS stream first checks the bytes OpenSSL buffered.)
  template <class Token>
  auto async_wait_readable(Token&& token) {
    return socket_.async_wait(boost::asio::ip::tcp::socket::wait_read, std::forward<Token>(token));
  }

  void cancel() {
    boost::system::error_code ec;
    socket_.cancel(ec);
  }
  void shutdown_send() {
    boost::system::error_code ec;
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
  }
  void shutdown_both() {
    boost::system::error_code ec;
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  }
  void close() {
    boost::system::error_code ec;
    socket_.close(ec);
  }
  // "http" or "https": what X-Forwarded-Proto would say for this stream (TLS: "https").
  static constexpr const char* scheme() { return "http"; }

 private:
  boost::asio::ip::tcp::socket socket_;
};

}  // namespace kb::proxy::net
