#pragma once
// One client connection, the shell: it owns the byte stream (ClientStream: plain TCP, or TLS on the
// --https-listen listener, handshaken first under client_header_timeout) and the protocol codec
// (Http1Codec; the ALPN result is where HTTP/2 will choose its codec), waits for the next request without holding any buffer, borrows
// the worker's ExchangeBuffers when bytes arrive and runs one Exchange per request, in order
// (pipelining-safe: the next request waits in the lent read buffer). Idle, it holds the socket,
// a few words of state and the worker's list links; see docs/benchmarks.md for the measured size.
// A C++20 coroutine per connection on the worker's io_context; no strand, no timer per operation:
// the worker's sweep calls on_sweep() and cancels whatever passed its deadline.
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "proxy/net/client_stream.h"
#include "proxy/net/exchange_buffers.h"
#include "proxy/net/http1_codec.h"

namespace kb::proxy::net {

class Worker;
class Exchange;

class ClientConnection : public std::enable_shared_from_this<ClientConnection> {
 public:
  using Clock = std::chrono::steady_clock;

  // `ssl`: a fresh server SSL for a connection of the HTTPS listener (owned from here), else null.
  static void start(Worker& worker, boost::asio::ip::tcp::socket socket, SSL* ssl);

  ClientConnection(Worker& worker, boost::asio::ip::tcp::socket socket, SSL* ssl);
  ~ClientConnection();
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  void on_sweep(Clock::time_point now);  // enforce the deadline
  void on_drain();  // graceful shutdown: close if idle, else finish this request with close
  void close();     // shutdown deadline passed: close everything now

  ClientConnection* prev_ = nullptr;  // Worker's intrusive list
  ClientConnection* next_ = nullptr;

  // For the exchange running on this connection (same thread).
  Worker& worker() { return worker_; }
  ClientStream& stream() { return stream_; }
  Http1Codec& codec() { return codec_; }
  void arm(std::chrono::milliseconds timeout) {
    timed_out_ = false;
    deadline_ = Clock::now() + timeout;
  }
  bool timed_out() const { return timed_out_; }
  bool closed() const { return closed_; }
  bool draining() const { return draining_; }
  void linger_on_close() { linger_ = true; }
  const std::string& client_ip() const { return client_ip_; }
  uint16_t client_port() const { return client_port_; }
  // The peer is in --trusted-proxies: its X-Forwarded-For/-Proto are believed (decide_forwarded).
  bool peer_trusted() const { return peer_trusted_; }
  uint64_t requests_served() const { return requests_served_; }

 private:
  static boost::asio::awaitable<void> run(std::shared_ptr<ClientConnection> self);
  boost::asio::awaitable<bool> handshake();
  boost::asio::awaitable<bool> serve_one();
  boost::asio::awaitable<void> linger();
  bool lend_buffers();   // true when the connection already holds bytes of the next request
  void return_buffers();

  Worker& worker_;
  ClientStream stream_;
  Http1Codec codec_;
  std::unique_ptr<ExchangeBuffers> lent_;  // only while a request is read or served
  Exchange* exchange_ = nullptr;           // the running exchange, for the sweep and close()
  Clock::time_point deadline_ = Clock::time_point::max();
  uint64_t requests_served_ = 0;
  std::string client_ip_;  // short-string storage for IPv4: no heap
  uint16_t client_port_ = 0;
  bool peer_trusted_ = false;
  bool timed_out_ = false;
  bool idle_wait_ = false;  // waiting for the next request with nothing buffered
  // TLS record buffers: held since the last request (tls_buffers_), freed by the second sweep that
  // finds the connection still idle (idle_swept_: the first one did).
  bool tls_buffers_ = false;
  bool idle_swept_ = false;
  bool draining_ = false;
  bool closed_ = false;
  bool linger_ = false;  // close after draining unread request bytes
};

}  // namespace kb::proxy::net
