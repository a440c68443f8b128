#pragma once
// A tiny in-process HTTP backend on 127.0.0.1 (OS-chosen port) for the checker and poller tests:
// every request gets the current status and body (switchable at any time), or no answer at all
// when `silent` is set. Runs on its own thread; stops in the destructor.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

namespace kb::proxy::health::testing {

class TestBackend {
 public:
  TestBackend() : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TestBackend() {
    io_.stop();
    thread_.join();
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }

  void respond(int status, std::string body) {
    std::lock_guard lock(mutex_);
    status_ = status;
    body_ = std::move(body);
  }
  void set_silent(bool silent) { silent_.store(silent); }
  std::string last_request() const {
    std::lock_guard lock(mutex_);
    return last_request_;
  }
  int requests() const { return requests_.load(); }

 private:
  struct Conn {
    explicit Conn(boost::asio::io_context& io) : socket(io) {}
    boost::asio::ip::tcp::socket socket;
    boost::asio::streambuf in;
    std::string out;
  };

  void accept() {
    auto conn = std::make_shared<Conn>(io_);
    acceptor_.async_accept(conn->socket, [this, conn](const boost::system::error_code& ec) {
      if (ec) return;
      accept();
      boost::asio::async_read_until(conn->socket, conn->in, "\r\n\r\n",
                                    [this, conn](const boost::system::error_code& e, std::size_t n) {
                                      if (e) return;
                                      on_request(conn, n);
                                    });
    });
  }

  void on_request(const std::shared_ptr<Conn>& conn, std::size_t n) {
    std::string request(boost::asio::buffers_begin(conn->in.data()),
                        boost::asio::buffers_begin(conn->in.data()) + static_cast<std::ptrdiff_t>(n));
    requests_.fetch_add(1);
    int status;
    std::string body;
    {
      std::lock_guard lock(mutex_);
      last_request_ = request;
      status = status_;
      body = body_;
    }
    if (silent_.load()) {
      held_ = conn;  // keep the connection open, answer nothing
      return;
    }
    const bool head = request.starts_with("HEAD ");
    conn->out = "HTTP/1.0 " + std::to_string(status) + " X\r\nContent-Length: " + std::to_string(body.size()) +
                "\r\nConnection: close\r\n\r\n" + (head ? std::string() : body);
    boost::asio::async_write(conn->socket, boost::asio::buffer(conn->out),
                             [conn](const boost::system::error_code&, std::size_t) {
                               boost::system::error_code ignored;
                               conn->socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
                             });
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  mutable std::mutex mutex_;
  int status_ = 200;
  std::string body_ = "ok";
  std::string last_request_;
  std::atomic<bool> silent_{false};
  std::atomic<int> requests_{0};
  std::shared_ptr<Conn> held_;
};

// Polls `condition` every 10 ms for up to `limit`; the limit is generous on purpose (shared,
// noisy machine): tests assert on the outcome, never on how long it took.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

// An io_context running on its own thread until destroyed.
class Worker {
 public:
  Worker() : guard_(io_.get_executor()), thread_([this] { io_.run(); }) {}
  ~Worker() {
    guard_.reset();
    io_.stop();
    thread_.join();
  }
  boost::asio::io_context& io() { return io_; }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread thread_;
};

}  // namespace kb::proxy::health::testing
