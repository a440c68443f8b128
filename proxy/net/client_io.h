#pragma once
// The byte stream an Exchange talks to: the connection's ClientStream (HTTP/1.1, plain or TLS) or
// an HTTP/2 stream's H2StreamIo, which shows the exchange its request as HTTP/1.1 bytes and takes
// the response as HTTP/1.1 bytes (h2_stream_io.h). An Asio AsyncStream, so asio::async_write and
// the body pump use it as they use a socket; each operation is one branch, no virtual call.
#include <boost/asio/ip/tcp.hpp>

#include "proxy/net/client_stream.h"
#include "proxy/net/h2_stream_io.h"

namespace kb::proxy::net {

class ClientIo {
 public:
  using executor_type = boost::asio::ip::tcp::socket::executor_type;

  ClientIo(ClientStream* tcp, H2StreamIo* h2) : tcp_(tcp), h2_(h2) {}

  executor_type get_executor() {
    return h2_ != nullptr ? h2_->get_executor() : tcp_->get_executor();
  }
  bool http2() const { return h2_ != nullptr; }
  // The scheme the client used (core::decide_forwarded); an HTTP/2 stream has its connection's.
  std::string_view scheme() const { return tcp_->scheme(); }

  template <class Buffers, class Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    if (h2_ != nullptr) return h2_->async_read_some(buffers, std::forward<Token>(token));
    return tcp_->async_read_some(buffers, std::forward<Token>(token));
  }
  template <class Buffers, class Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    if (h2_ != nullptr) return h2_->async_write_some(buffers, std::forward<Token>(token));
    return tcp_->async_write_some(buffers, std::forward<Token>(token));
  }
  void cancel() {
    if (h2_ != nullptr) return h2_->cancel();
    tcp_->cancel();
  }
  // HTTP/2: a stream has no socket of its own to shut down (its end is a frame).
  void shutdown_both() {
    if (h2_ == nullptr) tcp_->shutdown_both();
  }

 private:
  ClientStream* tcp_;  // the connection's stream (for an HTTP/2 stream: its connection's)
  H2StreamIo* h2_;
};

}  // namespace kb::proxy::net
