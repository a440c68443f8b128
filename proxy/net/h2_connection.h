#pragma once
// HTTP/2 on one client connection (RFC 9113), chosen by ALPN `h2` on the HTTPS listener or by the
// client preface on the plain one with --h2c. nghttp2 does the framing, HPACK, flow control and
// the protocol's state machine in memory (nghttp2_session_mem_recv / mem_send); we do the I/O on
// the connection's ClientStream with two coroutines: the reader feeds nghttp2 what arrives, the
// writer sends what nghttp2 has to send whenever kick() says there may be some. Each stream is an
// H2Stream running one Exchange on this worker, so balancing, stickiness, failover, counters and
// the access log are the HTTP/1.1 code. Limits (docs/tls.md): kSettings below, the header list
// size = --max-header-bytes, H2FloodGuard's budgets, a write deadline (idle_timeout) so a client
// that stops reading is closed, and an idle timeout with no stream open. Graceful shutdown sends
// GOAWAY and lets the streams in flight finish.
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include <nghttp2/nghttp2.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "proxy/net/h2_flood_guard.h"

namespace kb::proxy::net {

class ClientConnection;
class H2Stream;

class H2Connection {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr uint32_t kMaxConcurrentStreams = 100;
  static constexpr uint32_t kInitialWindow = 64 * 1024;       // per stream, request body
  static constexpr uint32_t kConnectionWindow = 1024 * 1024;  // given back as DATA arrives
  static constexpr std::size_t kWriteBatch = 64 * 1024;       // frames gathered per socket write

  explicit H2Connection(ClientConnection& shell);
  ~H2Connection();
  H2Connection(const H2Connection&) = delete;
  H2Connection& operator=(const H2Connection&) = delete;

  // Serves the connection until the client leaves, a GOAWAY completes, or a limit closes it.
  boost::asio::awaitable<void> serve(std::shared_ptr<ClientConnection> hold);
  void on_sweep(Clock::time_point now);
  void on_drain();  // GOAWAY: no new streams, the ones in flight finish
  void close();     // the shutdown grace is over: fail every stream now

  // For the streams.
  ClientConnection& shell() { return shell_; }
  nghttp2_session* session() { return session_; }
  void kick();  // nghttp2 may have frames to send

 private:
  friend struct H2Callbacks;
  bool start_session();
  boost::asio::awaitable<void> write_loop(std::shared_ptr<ClientConnection> hold);
  bool collect_frames();  // false: nghttp2 failed
  void stop_streams();
  void update_idle_deadline();
  void calm_down();  // a flood: GOAWAY ENHANCE_YOUR_CALM, then close

  ClientConnection& shell_;
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, std::shared_ptr<H2Stream>> streams_;  // the streams nghttp2 knows
  std::shared_ptr<ClientConnection> hold_;  // while serving: handed to each stream's exchange
  H2FloodGuard guard_;
  std::string out_;                                         // frames of one socket write
  std::unique_ptr<boost::asio::steady_timer> writer_wake_;  // an event: kick() cancels the wait
  std::unique_ptr<boost::asio::steady_timer> writer_done_;
  Clock::time_point idle_deadline_ = Clock::time_point::max();
  Clock::time_point write_deadline_ = Clock::time_point::max();
  bool writer_running_ = false;
  bool stopping_ = false;  // the reader ended: the writer flushes what is left and ends
};

}  // namespace kb::proxy::net
