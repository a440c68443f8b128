#pragma once
// One worker thread: its own io_context (no strands), its own acceptors (SO_REUSEPORT; the plain
// one and, with --https-listen, the TLS one), its own
// upstream pool, its own snapshot pointer, and one periodic sweep that enforces every timeout of
// every session on the thread (coarse timeouts instead of a timer per operation).
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "proxy/core/snapshot.h"
#include "proxy/net/fast_random.h"
#include "proxy/net/proxy_server.h"
#include "proxy/net/server_stats.h"
#include "proxy/net/upstream_pool.h"

namespace kb::proxy::tls {
class TlsTerminator;
}

namespace kb::proxy::net {

class ClientConnection;
struct ExchangeBuffers;

class Worker {
 public:
  static constexpr std::chrono::milliseconds kSweepInterval{50};

  // `tls`: certificates for the HTTPS listener (null without one); outlives the worker.
  Worker(const ServerOptions& options, const AccessLogSink& access_log, ServerStats& stats,
         const tls::TlsTerminator* tls);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Opens the plain (tls false) or the HTTPS acceptor on `endpoint` (throws std::system_error).
  // Call before start().
  void listen(const boost::asio::ip::tcp::endpoint& endpoint, bool reuse_port, bool tls = false);
  uint16_t local_port(bool tls = false) const;
  void start();
  // Posted from any thread.
  void publish(std::shared_ptr<const core::Snapshot> snapshot);
  void begin_drain();  // stop accepting, close idle connections, finish in-flight requests
  void close_all();    // close every connection; the thread then runs out of work
  void join(std::chrono::milliseconds wait);
  bool active_sessions() const { return session_count_.load() > 0; }

  boost::asio::io_context& context() { return *ioc_; }

  // Used by sessions, on this worker's thread only.
  const std::shared_ptr<const core::Snapshot>& snapshot() const { return snapshot_; }
  UpstreamPool& pool() { return pool_; }
  const ServerOptions& options() const { return options_; }
  const AccessLogSink& access_log() const { return access_log_; }
  ServerStats& stats() { return stats_; }
  bool draining() const { return draining_; }
  // Uniform over uint64 for the route decision (weights, canary); seeded per worker at start.
  uint64_t random() { return random_.next(); }
  // A request's buffers (read buffer, arena, parsers, relay chunk, strings) are lent to a
  // connection from the moment its next request is readable until it is idle again, so idle
  // keep-alive connections hold none and steady state allocates nothing.
  std::unique_ptr<ExchangeBuffers> take_exchange_buffers();
  void give_exchange_buffers(std::unique_ptr<ExchangeBuffers> buffers);
  void link(ClientConnection* connection);
  void unlink(ClientConnection* connection);
  void connection_closed();  // its --max-connections slot is free again

 private:
  bool admit();
  void start_connection(boost::asio::ip::tcp::socket socket, bool tls);
  void resume_accepting();
  void accept_next(boost::asio::ip::tcp::acceptor& acceptor, bool tls);
  void close_acceptors();
  void arm_sweep();

  const ServerOptions& options_;
  const AccessLogSink& access_log_;
  ServerStats& stats_;
  // Declared first so it is destroyed last: sockets below belong to it.
  std::unique_ptr<boost::asio::io_context> ioc_;
  std::optional<boost::asio::ip::tcp::acceptor> acceptor_;
  std::optional<boost::asio::ip::tcp::acceptor> tls_acceptor_;  // open with --https-listen only
  const tls::TlsTerminator* tls_;
  std::optional<boost::asio::steady_timer> sweep_timer_;
  std::optional<boost::asio::steady_timer> accept_retry_;  // pause after accept errors (EMFILE)
  // --max-connections reached: the connection accepted last, per listener (plain, TLS), waits here
  // while that listener does not accept.
  std::optional<boost::asio::ip::tcp::socket> parked_[2];
  std::shared_ptr<const core::Snapshot> snapshot_;
  UpstreamPool pool_;
  FastRandom random_;
  std::vector<std::unique_ptr<ExchangeBuffers>> spare_buffers_;
  ClientConnection* sessions_ = nullptr;  // intrusive list head
  std::atomic<int64_t> session_count_{0};
  bool draining_ = false;
  bool closing_ = false;
  std::thread thread_;
  std::atomic<bool> finished_{false};
  std::atomic<bool> closed_all_{false};  // close_all() ran on the worker thread
};

}  // namespace kb::proxy::net
