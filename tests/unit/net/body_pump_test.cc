// The one body pump (proxy/net/body_pump.h) on socket pairs: the head rides on the first write,
// chunked bodies are re-chunked, Content-Length bodies pass as they are, a close-delimited body
// ends at EOF and a truncated one is reported.
#include <utility>  // first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it

#include "proxy/net/body_pump.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <string>

#include "proxy/net/exchange_buffers.h"

namespace kb::proxy::net {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using Socket = asio::local::stream_protocol::socket;
using detail::with;

struct Hooks {
  std::size_t read = 0, written = 0, body = 0;
  void before_read() {}
  void on_read(std::size_t n) { read += n; }
  void before_write() {}
  void on_written(std::size_t n) { written += n; }
  void on_chunk(std::size_t got, bool was_written, bool, bool) {
    if (was_written) body += got;
  }
  bool closed() const { return false; }
};

struct Outcome {
  PumpResult result;
  std::string out;  // what the sink received
  Hooks hooks;
};

std::string body_of(std::size_t n) {
  std::string s(n, ' ');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

// Parses `message`'s head from the buffer, then pumps the rest (sent through a socket) to a sink.
template <bool IsRequest>
Outcome pump(const std::string& message, std::size_t buffered, bool chunked, bool eof_ends_body) {
  asio::io_context ioc;
  Socket src_in(ioc), src_out(ioc), sink_in(ioc), sink_out(ioc);
  asio::local::connect_pair(src_in, src_out);
  asio::local::connect_pair(sink_in, sink_out);
  Arena arena;
  http::parser<IsRequest, http::buffer_body, ArenaAllocator<char>> parser(
      std::piecewise_construct, std::make_tuple(), std::make_tuple(ArenaAllocator<char>(arena)));
  parser.body_limit(detail::kNoLimit);
  boost::beast::flat_buffer in;
  const std::size_t head_end = message.find("\r\n\r\n") + 4;
  const std::size_t first = std::max(head_end, buffered);
  asio::buffer_copy(in.prepare(first), asio::buffer(message.data(), first));
  in.commit(first);
  boost::system::error_code pec;
  in.consume(parser.put(in.data(), pec));
  EXPECT_TRUE(parser.is_header_done());

  Outcome o;
  auto chunk = std::make_unique<char[]>(detail::kBodyBufSize);
  WriteList out{};
  std::array<char, 24> prefix{};
  const PumpPlan plan{"HEAD\r\n\r\n", chunked, eof_ends_body, 0, chunk.get(), &out, &prefix};
  const std::string rest = message.substr(first);
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    boost::system::error_code ec;
    co_await asio::async_write(src_out, asio::buffer(rest), with(ec));
    src_out.shutdown(Socket::shutdown_send, ec);
  }, asio::detached);
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    o.result = co_await pump_body(parser, in, src_in, sink_in, plan, o.hooks);
    boost::system::error_code ec;
    sink_in.shutdown(Socket::shutdown_send, ec);
  }, asio::detached);
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    boost::system::error_code ec;
    co_await asio::async_read(sink_out, asio::dynamic_buffer(o.out), with(ec));
  }, asio::detached);
  ioc.run();
  return o;
}

std::string chunked(const std::string& body, std::size_t piece) {
  std::string s;
  char hex[24];
  for (std::size_t i = 0; i < body.size(); i += piece) {
    const std::string part = body.substr(i, piece);
    s.append(hex, write_chunk_prefix(part.size(), hex)).append(part).append("\r\n");
  }
  return s + "0\r\n\r\n";
}

std::string dechunk(std::string s) {
  std::string body;
  for (;;) {
    const std::size_t eol = s.find("\r\n");
    const std::size_t n = std::stoul(s.substr(0, eol), nullptr, 16);
    if (n == 0) return body;
    body += s.substr(eol + 2, n);
    s = s.substr(eol + 2 + n + 2);
  }
}

TEST(BodyPump, ChunkedRequestIsRechunkedWithTheHeadOnTheFirstWrite) {
  const std::string body = body_of(100000);
  const std::string msg = "POST /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(body, 7000);
  const Outcome o = pump<true>(msg, 200, true, false);
  EXPECT_EQ(o.result.end, PumpEnd::kDone);
  ASSERT_EQ(o.out.rfind("HEAD\r\n\r\n", 0), 0u);
  const std::string rest = o.out.substr(8);
  EXPECT_EQ(rest.substr(rest.size() - 5), "0\r\n\r\n");
  EXPECT_EQ(dechunk(rest), body);
  EXPECT_EQ(o.hooks.body, body.size());
  EXPECT_EQ(o.hooks.written, o.out.size());
}

TEST(BodyPump, ContentLengthBodyPassesUnchanged) {
  const std::string body = body_of(70000);
  const std::string msg = "HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n" + body;
  const Outcome o = pump<false>(msg, 0, false, true);
  EXPECT_EQ(o.result.end, PumpEnd::kDone);
  EXPECT_EQ(o.out, "HEAD\r\n\r\n" + body);
  EXPECT_EQ(o.hooks.read, body.size());
}

TEST(BodyPump, CloseDelimitedBodyEndsAtEofAndIsChunkedForTheClient) {
  const std::string body = body_of(40000);
  const Outcome o = pump<false>("HTTP/1.1 200 OK\r\n\r\n" + body, 0, true, true);
  EXPECT_EQ(o.result.end, PumpEnd::kDone);
  EXPECT_EQ(dechunk(o.out.substr(8)), body);
}

TEST(BodyPump, TruncatedBodyIsReported) {
  const Outcome o = pump<false>("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", 0, false, true);
  EXPECT_EQ(o.result.end, PumpEnd::kBadSource);
  const Outcome r = pump<true>("POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nshort", 0, false, false);
  EXPECT_EQ(r.result.end, PumpEnd::kSourceGone);  // a request read EOF is the client leaving
}

TEST(BodyPump, BadChunkIsABadSource) {
  const Outcome o =
      pump<true>("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 0, true, false);
  EXPECT_EQ(o.result.end, PumpEnd::kBadSource);
  EXPECT_TRUE(o.result.error);
}

}  // namespace
}  // namespace kb::proxy::net
