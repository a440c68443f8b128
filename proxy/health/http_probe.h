#pragma once
// One out-of-band exchange with a member: a TCP connect, optionally followed by one small HTTP
// request and its response, all under a single deadline. Used by the health checker and the
// heartbeat poller. Runs on the executor it is given (a strand of a worker io_context); never
// throws into it; calls `done` exactly once, on that executor.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

namespace kb::proxy::health {

struct ProbeRequest {
  std::string host;  // IP literal or name to resolve (brackets already stripped for IPv6)
  uint16_t port = 80;
  std::string method;  // "" = TCP connect only; else "GET", "HEAD", "OPTIONS"
  std::string target = "/";
  std::string host_header;  // value of the Host header
  bool http11 = false;      // HTTP/1.1 (with Connection: close) instead of HTTP/1.0
  std::chrono::milliseconds timeout{5000};
  std::size_t body_limit = 64 * 1024;  // a longer body fails the probe
};

struct ProbeResult {
  bool connected = false;
  bool complete = false;  // TCP: connected; HTTP: a whole response was read
  int status = 0;         // HTTP status, 0 if none
  std::string body;
  std::string error;  // "" on success, else a short reason ("timeout", "connection refused", ...)
};

class HttpProbe : public std::enable_shared_from_this<HttpProbe> {
 public:
  using Done = std::function<void(const ProbeResult&)>;

  // Starts a probe; keep the pointer only to cancel() it (from the same executor).
  static std::shared_ptr<HttpProbe> start(boost::asio::any_io_executor executor, ProbeRequest request,
                                          Done done);
  // Aborts: `done` is called with error "cancelled" unless it already ran.
  void cancel();

  HttpProbe(boost::asio::any_io_executor executor, ProbeRequest request, Done done);

 private:
  void run();
  void on_resolve(const boost::system::error_code& ec, boost::asio::ip::tcp::resolver::results_type results);
  void on_connect(const boost::system::error_code& ec);
  void on_write(const boost::system::error_code& ec);
  void on_read(const boost::system::error_code& ec);
  void fail(const boost::system::error_code& ec, const char* stage);
  void finish();

  ProbeRequest request_;
  Done done_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer deadline_;
  std::string request_text_;
  boost::beast::flat_buffer buffer_;
  boost::beast::http::response_parser<boost::beast::http::string_body> parser_;
  ProbeResult result_;
  bool timed_out_ = false;
  bool cancelled_ = false;
  bool finished_ = false;
};

}  // namespace kb::proxy::health
