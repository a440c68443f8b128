#pragma once
// Per-worker pool of idle keep-alive connections to members, keyed by the member's "host:port".
// Only the owning worker thread touches it, so there is no lock. LIFO: the most recently used
// connection is handed out first (least likely to have been closed by the member meanwhile).
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kb::proxy::net {

struct UpstreamConn {
  explicit UpstreamConn(boost::asio::io_context& ioc) : socket(ioc) {}
  boost::asio::ip::tcp::socket socket;
  boost::beast::flat_buffer buffer;  // bytes read from the member, reused across requests
  std::string key;                   // pool key: member host_header
  std::chrono::steady_clock::time_point idle_since;
};

class UpstreamPool {
 public:
  UpstreamPool(std::size_t max_idle_per_key, std::chrono::milliseconds idle_timeout)
      : max_idle_per_key_(max_idle_per_key), idle_timeout_(idle_timeout) {}

  // An idle connection to `key`, or nullptr.
  std::unique_ptr<UpstreamConn> acquire(std::string_view key);
  // Keeps `conn` for reuse (closes it when the key's idle list is full).
  void release(std::unique_ptr<UpstreamConn> conn, std::chrono::steady_clock::time_point now);
  // Closes connections idle longer than the idle timeout.
  void sweep(std::chrono::steady_clock::time_point now);
  void clear();
  std::size_t idle_count() const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::size_t max_idle_per_key_;
  std::chrono::milliseconds idle_timeout_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<UpstreamConn>>, Hash, std::equal_to<>>
      idle_;
};

}  // namespace kb::proxy::net
