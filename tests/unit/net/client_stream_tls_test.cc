// The client stream over TLS (proxy/net/client_stream.h, tls_io.h) on a loopback TCP pair against
// Boost.Asio's own ssl::stream as the client: the handshake, reads bigger than a record, gathered
// writes through asio::async_write, readiness with bytes OpenSSL already holds, close_notify, and
// an operation on a closed stream failing without touching the descriptor.
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include "proxy/net/client_stream.h"

#include <gtest/gtest.h>

#include <array>
#include <csignal>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <optional>
#include <string>
#include <thread>

#include "proxy/net/session_util.h"
#include "proxy/tls/tls_terminator.h"
#include "tests/unit/tls/test_certs.h"

namespace kb::proxy::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using detail::with;

std::string pattern(std::size_t n) {
  std::string s(n, ' ');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

class ClientStreamTls : public ::testing::Test {
 protected:
  ClientStreamTls() : terminator_(tls::TlsSettings{}), client_ctx_(asio::ssl::context::tls_client) {
    config::Table table;
    table.default_certificate = certs_.make("server", {"server.example.test", {"server.example.test"}});
    auto prepared = terminator_.prepare(table);
    EXPECT_TRUE(prepared.errors.empty());
    terminator_.publish(prepared.set);
    client_ctx_.set_verify_mode(asio::ssl::verify_none);
    std::signal(SIGPIPE, SIG_IGN);  // as ProxyServer does with TLS: OpenSSL writes with write(2)
  }

  // A connected pair: `server` a TLS ClientStream (handshake not done), `client` an ssl::stream.
  void connect(ClientStream*& server, asio::ssl::stream<tcp::socket>*& client) {
    tcp::acceptor acceptor(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    client_.emplace(ioc_, client_ctx_);
    client_->next_layer().connect(acceptor.local_endpoint());
    server_.emplace(acceptor.accept());
    ASSERT_FALSE(server_->start_tls(terminator_.new_ssl()));
    server = &*server_;
    client = &*client_;
  }

  tls::test::TempCerts certs_;
  tls::TlsTerminator terminator_;
  asio::ssl::context client_ctx_;
  asio::io_context ioc_;
  std::optional<asio::ssl::stream<tcp::socket>> client_;
  std::optional<ClientStream> server_;
};

TEST_F(ClientStreamTls, HandshakeReadWriteAndCloseNotify) {
  ClientStream* server = nullptr;
  asio::ssl::stream<tcp::socket>* client = nullptr;
  connect(server, client);
  const std::string up = pattern(100000), head = "HTTP/1.1 200 OK\r\n\r\n", body = pattern(50000);
  std::string got_up, got_down;
  bool server_done = false;
  asio::co_spawn(
      ioc_,
      [&]() -> asio::awaitable<void> {
        boost::system::error_code ec;
        co_await server->async_handshake(with(ec));
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(server->scheme(), "https");
        std::array<char, 16384> buf;
        while (got_up.size() < up.size()) {
          const std::size_t n = co_await server->async_read_some(asio::buffer(buf), with(ec));
          if (ec) break;
          got_up.append(buf.data(), n);
        }
        // Gathered pieces leave as records of up to 16 KiB; async_write loops over them.
        const std::array<asio::const_buffer, 3> out{asio::buffer(head), asio::buffer(body), asio::buffer(head)};
        co_await asio::async_write(*server, out, with(ec));
        EXPECT_FALSE(ec) << ec.message();
        server->shutdown_both();
        server_done = true;
      },
      asio::detached);
  std::thread client_thread([&] {
    client->handshake(asio::ssl::stream_base::client);
    asio::write(*client, asio::buffer(up));
    boost::system::error_code ec;
    std::array<char, 8192> buf;
    for (;;) {
      const std::size_t n = client->read_some(asio::buffer(buf), ec);
      if (ec) break;
      got_down.append(buf.data(), n);
    }
    EXPECT_EQ(ec, asio::error::eof) << ec.message();  // close_notify: a clean end, not a truncation
  });
  ioc_.run();
  client_thread.join();
  EXPECT_TRUE(server_done);
  EXPECT_EQ(got_up, up);
  EXPECT_EQ(got_down, head + body + head);
}

TEST_F(ClientStreamTls, WaitReadableSeesBytesOpenSslHolds) {
  ClientStream* server = nullptr;
  asio::ssl::stream<tcp::socket>* client = nullptr;
  connect(server, client);
  bool second_seen = false;
  asio::co_spawn(
      ioc_,
      [&]() -> asio::awaitable<void> {
        boost::system::error_code ec;
        co_await server->async_handshake(with(ec));
        EXPECT_FALSE(ec);
        co_await server->async_wait_readable(with(ec));
        // Read only 4 bytes of the first record: the rest is inside OpenSSL, not in the socket.
        std::array<char, 4> small;
        std::size_t n = co_await server->async_read_some(asio::buffer(small), with(ec));
        EXPECT_EQ(std::string(small.data(), n), "firs");
        co_await server->async_wait_readable(with(ec));  // must not wait for the socket
        std::array<char, 64> rest;
        n = co_await server->async_read_some(asio::buffer(rest), with(ec));
        second_seen = !ec && n > 0;
        server->close();
        // Closed: fails at once, OpenSSL never sees the (possibly reused) descriptor number.
        co_await server->async_read_some(asio::buffer(rest), with(ec));
        EXPECT_EQ(ec, asio::error::bad_descriptor);
      },
      asio::detached);
  std::thread client_thread([&] {
    client->handshake(asio::ssl::stream_base::client);
    asio::write(*client, asio::buffer(std::string("first record")));
    asio::write(*client, asio::buffer(std::string("second record")));
  });
  ioc_.run();
  client_thread.join();
  EXPECT_TRUE(second_seen);
}

TEST_F(ClientStreamTls, PlainClientFailsTheHandshake) {
  ClientStream* server = nullptr;
  asio::ssl::stream<tcp::socket>* client = nullptr;
  connect(server, client);
  boost::system::error_code result;
  asio::co_spawn(
      ioc_,
      [&]() -> asio::awaitable<void> { co_await server->async_handshake(with(result)); }, asio::detached);
  asio::write(client->next_layer(), asio::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
  ioc_.run();
  EXPECT_TRUE(result);
  EXPECT_NE(result, asio::error::eof);
}

}  // namespace
}  // namespace kb::proxy::net
