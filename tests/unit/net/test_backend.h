#pragma once
// An in-process HTTP/1.1 member for the loopback tests: thread per connection, synchronous Beast,
// port 0. Behaviour by path (matched anywhere in the target, so a base path still matches):
//   /echo                 200, body = request body; X-Got-* headers report what arrived
//   /chunked?n=N          200, chunked body of N bytes ('x')
//   /generate?n=N         200, Content-Length body of N bytes, streamed
//   /count                200, body = number of request body bytes (read streaming)
//   /slow                 sleeps 1.5 s, then 200
//   /redirect             302 Location: http://127.0.0.1:PORT/base/next
//   /upgrade              101, then echoes raw bytes until EOF
//   /close                answers 200 with Connection: close
//   /dropafter            answers 200 keep-alive, then closes the connection silently
//   anything else         200 "ok"
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kb::proxy::net::testing {

class TestBackend {
 public:
  TestBackend();
  ~TestBackend();
  uint16_t port() const { return port_; }
  uint64_t connections() const { return connections_.load(); }
  uint64_t requests() const { return requests_.load(); }
  // Headers of the last request, as "Name: value\n" lines.
  std::string last_headers() const;
  std::string last_target() const;

 private:
  void accept_loop();
  void serve(std::shared_ptr<boost::asio::ip::tcp::socket> socket);

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> connections_{0};
  std::atomic<uint64_t> requests_{0};
  mutable std::mutex mu_;
  std::string last_headers_;
  std::string last_target_;
  std::vector<std::shared_ptr<boost::asio::ip::tcp::socket>> sockets_;
  std::vector<std::thread> threads_;
  std::thread acceptor_thread_;
};

// A port nothing listens on (bound, then closed).
uint16_t closed_port();

}  // namespace kb::proxy::net::testing
