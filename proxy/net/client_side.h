#pragma once
// The client side of one Exchange, whatever the protocol: the worker, the byte stream the exchange
// reads the request from and writes the response to (ClientIo), the HTTP/1.1 codec that parses
// the request head off that stream, the deadline the worker's sweep enforces, and who the client
// is. Two kinds exist: the HTTP/1.1 connection shell (connection.h, one exchange at a time) and an
// HTTP/2 stream (h2_stream.h, one exchange per stream, many per connection). The exchange, the
// attempt loop and the body pump see only this, so balancing, stickiness, failover, counters and
// the access log are one code for both protocols. No virtual functions: the per-operation choice
// is one branch in ClientIo.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "proxy/net/client_io.h"
#include "proxy/net/http1_codec.h"

namespace kb::proxy::net {

class Worker;

class ClientSide : public std::enable_shared_from_this<ClientSide> {
 public:
  using Clock = std::chrono::steady_clock;

  ClientSide(const ClientSide&) = delete;
  ClientSide& operator=(const ClientSide&) = delete;

  Worker& worker() { return worker_; }
  ClientIo& stream() { return io_; }
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
  // HTTP/2: the response body goes out as raw bytes (DATA frames carry the framing), never chunked.
  bool http2() const { return io_.http2(); }

 protected:
  ClientSide(Worker& worker, ClientIo io) : worker_(worker), io_(io), codec_(*this) {}
  ~ClientSide() = default;

  Worker& worker_;
  ClientIo io_;
  Http1Codec codec_;
  Clock::time_point deadline_ = Clock::time_point::max();
  std::string client_ip_;  // short-string storage for IPv4: no heap
  uint16_t client_port_ = 0;
  bool peer_trusted_ = false;
  bool timed_out_ = false;
  bool draining_ = false;
  bool closed_ = false;
  bool linger_ = false;  // close after draining unread request bytes (HTTP/1.1 only)
};

}  // namespace kb::proxy::net
