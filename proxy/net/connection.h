#pragma once
// One client connection, the shell: it owns the byte stream (ClientStream: plain TCP, or TLS on the
// --https-listen listener, handshaken first under client_header_timeout) and picks the protocol:
// ALPN `h2` (or, with --h2c, the HTTP/2 preface on the plain listener) hands the connection to an
// H2Connection (h2_connection.h), whose streams each run an Exchange; otherwise it is the
// ClientSide of HTTP/1.1 exchanges itself: it waits for the next request without holding any
// buffer, borrows the worker's ExchangeBuffers when bytes arrive and runs one Exchange per request,
// in order (pipelining-safe: the next request waits in the lent read buffer). Idle, it holds the
// socket, a few words of state and the worker's list links; see docs/benchmarks.md for the
// measured size.
// A C++20 coroutine per connection on the worker's io_context; no strand, no timer per operation:
// the worker's sweep calls on_sweep() and cancels whatever passed its deadline.
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "proxy/net/client_side.h"
#include "proxy/net/client_stream.h"
#include "proxy/net/exchange_buffers.h"

namespace kb::proxy::net {

class Worker;
class Exchange;
class H2Connection;

class ClientConnection final : public ClientSide {
 public:
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

  // The connection's own byte stream (the H2Connection reads and writes it).
  ClientStream& transport() { return stream_; }
  uint64_t requests_served() const { return requests_served_; }

 private:
  static boost::asio::awaitable<void> run(std::shared_ptr<ClientConnection> self);
  boost::asio::awaitable<bool> handshake();
  boost::asio::awaitable<bool> speaks_http2();
  boost::asio::awaitable<bool> serve_one();
  boost::asio::awaitable<void> linger();
  bool lend_buffers();   // true when the connection already holds bytes of the next request
  void return_buffers();

  ClientStream stream_;
  std::unique_ptr<H2Connection> h2_;       // HTTP/2 connections only
  std::unique_ptr<ExchangeBuffers> lent_;  // only while a request is read or served
  Exchange* exchange_ = nullptr;           // the running exchange, for the sweep and close()
  uint64_t requests_served_ = 0;
  bool idle_wait_ = false;  // waiting for the next request with nothing buffered
  // TLS record buffers: held since the last request (tls_buffers_), freed by the second sweep that
  // finds the connection still idle (idle_swept_: the first one did).
  bool tls_buffers_ = false;
  bool idle_swept_ = false;
};

}  // namespace kb::proxy::net
