#pragma once
// One client connection: reads requests one at a time (pipelining-safe: the next request waits in
// the read buffer), routes each on the worker's current snapshot, relays it to a member through
// the worker's upstream pool and streams the response back. Bodies go through a fixed buffer, never
// fully buffered. A C++20 coroutine per connection on the worker's io_context; no strand, no timer
// per operation: the worker's sweep calls on_sweep() and cancels whatever passed its deadline.
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include <array>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/core/balancer.h"
#include "proxy/net/arena.h"
#include "proxy/net/http1_rules.h"
#include "proxy/net/proxy_server.h"
#include "proxy/net/upstream_pool.h"

namespace kb::proxy::net {

class Worker;

class ClientSession : public std::enable_shared_from_this<ClientSession> {
 public:
  static void start(Worker& worker, boost::asio::ip::tcp::socket socket);

  ClientSession(Worker& worker, boost::asio::ip::tcp::socket socket);
  ~ClientSession();

  void on_sweep(std::chrono::steady_clock::time_point now);  // enforce the deadline
  void on_drain();  // graceful shutdown: close if idle, else finish this request with close
  void close();     // shutdown deadline passed: close everything now

  ClientSession* prev_ = nullptr;  // Worker's intrusive list
  ClientSession* next_ = nullptr;

 private:
  using Clock = std::chrono::steady_clock;
  using RequestParser =
      boost::beast::http::parser<true, boost::beast::http::buffer_body, ArenaAllocator<char>>;
  using ResponseParser =
      boost::beast::http::parser<false, boost::beast::http::buffer_body, ArenaAllocator<char>>;

  enum class HeaderResult { kOk, kClose, kError };
  enum class SendResult { kOk, kUpstreamError, kClientError, kBadBody };
  enum class ReadResult { kOk, kTimeout, kNoResponse, kBadResponse, kClientGone };

  boost::asio::awaitable<void> run();
  boost::asio::awaitable<bool> serve_one();
  boost::asio::awaitable<HeaderResult> read_request_header();
  boost::asio::awaitable<bool> proxy(core::Balancer& balancer);
  boost::asio::awaitable<boost::system::error_code> connect(const core::Member& member,
                                                            std::chrono::milliseconds timeout);
  boost::asio::awaitable<SendResult> send_request();
  void build_request_head(const core::Balancer& balancer, const core::Member& member);
  boost::asio::awaitable<ReadResult> read_response_header();
  boost::asio::awaitable<bool> relay_response(core::Balancer& balancer, const core::Member& member,
                                              const core::Pick& pick);
  boost::asio::awaitable<bool> tunnel();
  boost::asio::awaitable<void> tunnel_back();
  // Answers with a short text response; returns whether the connection stays open.
  boost::asio::awaitable<bool> respond_local(unsigned status, std::string_view text);
  boost::asio::awaitable<boost::system::error_code> write_client(std::string_view data);

  void arm(std::chrono::milliseconds timeout);
  void release_upstream(bool reusable);
  void log_request();
  bool request_body_pending() const;

  Worker& worker_;
  boost::asio::ip::tcp::socket client_;
  boost::beast::flat_buffer client_buf_;
  Arena arena_;  // header fields of the current request and response; before the parsers
  std::optional<RequestParser> req_;
  std::optional<ResponseParser> res_;
  http1::HeadScanner head_scan_{http1::Limits{}};  // strict: raw request head before Beast
  std::unique_ptr<UpstreamConn> up_;
  std::unique_ptr<char[]> body_buf_;
  std::string head_;         // forwarded header block, reused
  std::string scratch_;      // route cookie, reused
  std::string host_lc_;      // routing host, reused
  std::string public_host_;  // client's Host for ProxyPassReverse, reused
  std::vector<std::string_view> cookies_;
  std::vector<const core::Member*> tried_;
  std::string client_ip_;
  uint16_t client_port_ = 0;

  // Per request.
  std::string_view target_;  // origin-form target (view into req_)
  bool client_keep_alive_ = false;
  bool has_body_ = false;
  bool expect_continue_ = false;
  bool sent_continue_ = false;
  bool request_sent_ = false;  // head and body fully delivered to the member
  bool sent_once_ = false;     // the body was consumed from the client by a first send
  bool replayable_ = false;    // the whole request went out in one write; bufs kept below
  int attempts_ = 0;
  boost::system::error_code body_error_;
  std::chrono::milliseconds io_timeout_{60000};  // the member's response timeout
  std::array<boost::asio::const_buffer, 5> first_write_{};
  std::array<char, 24> first_prefix_{};
  uint64_t bytes_to_ = 0;    // to the member (socket bytes)
  uint64_t bytes_from_ = 0;  // from the member (socket bytes)
  unsigned response_status_ = 0;
  RequestRecord record_;
  Clock::time_point started_;

  // Timeouts and lifecycle.
  Clock::time_point deadline_ = Clock::time_point::max();
  bool timed_out_ = false;
  bool idle_wait_ = false;  // waiting for the next request with nothing buffered
  bool draining_ = false;
  bool closed_ = false;
  bool linger_ = false;  // close after draining unread request bytes
  uint64_t requests_served_ = 0;
  boost::asio::ip::tcp::resolver* resolver_ = nullptr;  // while resolving, for cancellation
  std::optional<boost::asio::steady_timer> tunnel_done_;
  bool tunnel_back_running_ = false;
  uint64_t tunnel_up_bytes_ = 0;
  uint64_t tunnel_down_bytes_ = 0;
};

}  // namespace kb::proxy::net
