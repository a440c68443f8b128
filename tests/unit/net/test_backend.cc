#include "tests/unit/net/test_backend.h"

#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstring>
#include <string_view>

namespace kb::proxy::net::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

uint64_t query_n(std::string_view target) {
  const auto pos = target.find("n=");
  if (pos == std::string_view::npos) return 0;
  return std::stoull(std::string(target.substr(pos + 2)));
}

}  // namespace

TestBackend::TestBackend()
    : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
  port_ = acceptor_.local_endpoint().port();
  acceptor_thread_ = std::thread([this] { accept_loop(); });
}

TestBackend::~TestBackend() {
  stopping_ = true;
  boost::system::error_code ec;
  acceptor_.cancel(ec);
  // Wake the blocking accept with a connection of our own.
  {
    tcp::socket s(ioc_);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
  }
  acceptor_thread_.join();
  {
    std::lock_guard lock(mu_);
    for (auto& s : sockets_) s->shutdown(tcp::socket::shutdown_both, ec);
  }
  for (auto& t : threads_) t.join();
}

std::string TestBackend::last_headers() const {
  std::lock_guard lock(mu_);
  return last_headers_;
}

std::string TestBackend::last_target() const {
  std::lock_guard lock(mu_);
  return last_target_;
}

void TestBackend::accept_loop() {
  for (;;) {
    auto socket = std::make_shared<tcp::socket>(ioc_);
    boost::system::error_code ec;
    acceptor_.accept(*socket, ec);
    if (stopping_) return;
    if (ec) continue;
    connections_++;
    std::lock_guard lock(mu_);
    sockets_.push_back(socket);
    threads_.emplace_back([this, socket] { serve(socket); });
  }
}

void TestBackend::serve(std::shared_ptr<tcp::socket> socket) {
  beast::flat_buffer buffer;
  boost::system::error_code ec;
  auto& sock = *socket;
  for (;;) {
    http::request_parser<http::buffer_body> parser;
    parser.body_limit(std::numeric_limits<uint64_t>::max());
    parser.header_limit(1024 * 1024);
    http::read_header(sock, buffer, parser, ec);
    if (ec) {
      sock.shutdown(tcp::socket::shutdown_both, ec);
      return;
    }
    requests_++;
    const auto& req = parser.get();
    const std::string target(req.target());
    {
      std::string headers;
      for (const auto& f : req) {
        headers.append(f.name_string()).append(": ").append(f.value()).append("\n");
      }
      std::lock_guard lock(mu_);
      last_headers_ = headers;
      last_target_ = target;
    }
    // Read the body, streaming (kept only for /echo).
    std::string body;
    uint64_t count = 0;
    const bool keep_body = (target.find("/echo") != std::string::npos);
    char chunk[65536];
    while (!parser.is_done()) {
      parser.get().body().data = chunk;
      parser.get().body().size = sizeof chunk;
      http::read(sock, buffer, parser, ec);
      if (ec == http::error::need_buffer) ec = {};
      if (ec) return;
      const std::size_t n = sizeof chunk - parser.get().body().size;
      count += n;
      if (keep_body) body.append(chunk, n);
    }
    const bool keep_alive = parser.keep_alive();

    auto write_string = [&](const std::string& s) {
      asio::write(sock, asio::buffer(s), ec);
      return !ec;
    };
    if ((target.find("/slow") != std::string::npos)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      if (!write_string("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow")) return;
    } else if ((target.find("/upgrade") != std::string::npos)) {
      if (!write_string(
              "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n"))
        return;
      // Whatever the client sent right after the request is in `buffer` already.
      if (buffer.size() > 0) {
        asio::write(sock, buffer.data(), ec);
        buffer.consume(buffer.size());
      }
      for (;;) {
        const std::size_t n = sock.read_some(asio::buffer(chunk), ec);
        if (ec) return;
        asio::write(sock, asio::buffer(chunk, n), ec);
        if (ec) return;
      }
    } else if ((target.find("/generate") != std::string::npos)) {
      const uint64_t n = query_n(target);
      if (!write_string("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(n) + "\r\n\r\n"))
        return;
      if (req.method() == http::verb::head) continue;
      std::memset(chunk, 'g', sizeof chunk);
      for (uint64_t left = n; left > 0;) {
        const std::size_t k = static_cast<std::size_t>(std::min<uint64_t>(left, sizeof chunk));
        asio::write(sock, asio::buffer(chunk, k), ec);
        if (ec) return;
        left -= k;
      }
    } else if ((target.find("/chunked") != std::string::npos)) {
      const uint64_t n = query_n(target);
      if (!write_string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")) return;
      for (uint64_t left = n; left > 0;) {
        const uint64_t k = std::min<uint64_t>(left, 1000);
        char size[32];
        std::snprintf(size, sizeof size, "%llx\r\n", static_cast<unsigned long long>(k));
        if (!write_string(size + std::string(k, 'x') + "\r\n")) return;
        left -= k;
      }
      if (!write_string("0\r\n\r\n")) return;
    } else {
      http::response<http::string_body> res{http::status::ok, 11};
      if ((target.find("/echo") != std::string::npos)) {
        res.body() = body;
        res.set("X-Got-Count", std::to_string(count));
      } else if ((target.find("/count") != std::string::npos)) {
        res.body() = std::to_string(count);
      } else if ((target.find("/redirect") != std::string::npos)) {
        res.result(http::status::found);
        res.set(http::field::location, "http://127.0.0.1:" + std::to_string(port_) + "/base/next");
      } else {
        res.body() = "ok";
      }
      res.keep_alive(keep_alive && !(target.find("/close") != std::string::npos));
      res.prepare_payload();
      http::write(sock, res, ec);
      if (ec) return;
      if (target.find("/dropafter") != std::string::npos) {
        sock.shutdown(tcp::socket::shutdown_both, ec);
        return;
      }
      if (!res.keep_alive()) {
        sock.shutdown(tcp::socket::shutdown_send, ec);
        return;
      }
    }
    if (!keep_alive) return;
  }
}

uint16_t closed_port() {
  asio::io_context ioc;
  tcp::acceptor a(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

}  // namespace kb::proxy::net::testing
