#pragma once
// The data plane: N worker threads, each with its own io_context, accepting client connections and
// relaying HTTP/1.1 to balancer members. The app wires it; tests start it on port 0.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "proxy/core/snapshot.h"
#include "proxy/net/server_stats.h"

namespace kb::proxy::net {

struct ServerOptions {
  std::string listen_address = "127.0.0.1";
  uint16_t listen_port = 8080;  // 0 = let the OS choose (tests)
  int workers = 2;
  std::size_t max_header_bytes = 64 * 1024;   // 431 past this
  uint64_t max_body_bytes = 0;                // 0 = unlimited; 413 past this
  std::chrono::milliseconds client_header_timeout{60000};  // 408 / close
  std::chrono::milliseconds idle_timeout{60000};           // keep-alive idle client connections
  std::chrono::milliseconds upstream_idle_timeout{30000};  // pooled upstream connections
  std::size_t upstream_max_idle_per_member = 64;           // per worker
  std::string public_scheme = "http";  // X-Forwarded-Proto
};

// One line of the access log, produced on the worker thread when a request completes.
struct RequestRecord {
  std::chrono::system_clock::time_point start;
  std::string client;  // "ip:port"
  std::string method;
  std::string target;
  std::string host;
  int status = 0;
  std::string balancer;  // "" if none
  std::string member;    // member name, "" if none
  std::string route;     // member route used
  std::string session_route;
  uint64_t bytes_in = 0;   // from the client (body)
  uint64_t bytes_out = 0;  // to the client (body)
  std::chrono::microseconds duration{0};
  int attempts = 0;
  std::string error;  // short reason for 5xx produced by the proxy
};
using AccessLogSink = std::function<void(const RequestRecord&)>;

class ProxyServer {
 public:
  ProxyServer(ServerOptions options, AccessLogSink access_log);
  ~ProxyServer();
  ProxyServer(const ProxyServer&) = delete;
  ProxyServer& operator=(const ProxyServer&) = delete;

  // Binds the listener (throws std::system_error with the address on failure).
  void bind();
  uint16_t port() const;  // the bound port
  void start();           // starts the worker threads
  // Hands a new table to every worker (posted; each worker swaps its pointer on its own thread).
  void publish(std::shared_ptr<const core::Snapshot> snapshot);
  // Stops accepting, lets in-flight requests finish for up to `grace`, then closes and joins.
  void shutdown(std::chrono::milliseconds grace);

  std::size_t worker_count() const;
  boost::asio::io_context& worker_context(std::size_t i);  // for the health checker and timers
  const ServerStats& stats() const;  // counters for tests and the admin listener

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kb::proxy::net
