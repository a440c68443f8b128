// ProxyServer end to end on loopback: an in-process member (TestBackend), the real ProxyServer and
// real balancers from build_snapshot, and a Beast client speaking raw HTTP/1.1.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "proxy/core/snapshot.h"
#include "proxy/core/state_registry.h"
#include "proxy/net/proxy_server.h"
#include "tests/unit/net/test_backend.h"

namespace kb::proxy::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using testing::TestBackend;
using Response = http::response<http::string_body>;

config::Member member(uint16_t port, std::string route = "", std::string path = "") {
  config::Member m;
  m.url = "http://127.0.0.1:" + std::to_string(port) + path;
  m.name = m.url;
  m.route = std::move(route);
  return m;
}

config::Table table_with(std::vector<config::Member> members) {
  config::Table t;
  config::Balancer b;
  b.name = "app";
  b.members = std::move(members);
  t.balancers.push_back(b);
  config::Route r;
  r.balancer = "app";
  t.routes.push_back(r);
  return t;
}

class Proxy {
 public:
  explicit Proxy(const config::Table& table, ServerOptions options = {}) {
    options.listen_address = "127.0.0.1";
    options.listen_port = 0;
    server_ = std::make_unique<ProxyServer>(options, [this](const RequestRecord& r) {
      std::lock_guard lock(mu_);
      records_.push_back(r);
    });
    server_->bind();
    server_->publish(core::build_snapshot(table, registry_, 1));
    server_->start();
  }
  ~Proxy() { server_->shutdown(std::chrono::milliseconds(0)); }
  uint16_t port() const { return server_->port(); }
  ProxyServer& server() { return *server_; }
  core::StateRegistry& registry() { return registry_; }
  void publish(const config::Table& table, uint64_t generation) {
    server_->publish(core::build_snapshot(table, registry_, generation));
  }
  // The records once at least `n` were logged (the log line is written after the response).
  std::vector<RequestRecord> records(std::size_t n) {
    for (int i = 0; i < 500; ++i) {
      {
        std::lock_guard lock(mu_);
        if (records_.size() >= n) return records_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::lock_guard lock(mu_);
    return records_;
  }

 private:
  core::StateRegistry registry_;
  std::unique_ptr<ProxyServer> server_;
  std::mutex mu_;
  std::vector<RequestRecord> records_;
};

class Client {
 public:
  explicit Client(uint16_t port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    socket_.set_option(tcp::no_delay(true));
  }
  void send(std::string_view raw) { asio::write(socket_, asio::buffer(raw.data(), raw.size())); }
  Response read(bool head = false) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::numeric_limits<uint64_t>::max());
    if (head) parser.skip(true);
    beast::error_code ec;
    http::read(socket_, buffer_, parser, ec);
    EXPECT_FALSE(ec) << ec.message();
    return parser.release();
  }
  Response get(std::string_view target, std::string_view extra = "") {
    send("GET " + std::string(target) + " HTTP/1.1\r\nHost: proxy.test\r\n" + std::string(extra) +
         "\r\n");
    return read();
  }
  // True when the proxy closed the connection (EOF before any byte).
  bool closed() {
    beast::error_code ec;
    char c;
    if (buffer_.size() > 0) return false;
    socket_.read_some(asio::buffer(&c, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }
  std::string read_raw_until(std::string_view delim) {
    std::string out;
    beast::error_code ec;
    asio::read_until(socket_, asio::dynamic_buffer(raw_), std::string(delim), ec);
    const auto pos = raw_.find(delim);
    if (pos == std::string::npos) return raw_;
    out = raw_.substr(0, pos + delim.size());
    raw_.erase(0, pos + delim.size());
    return out;
  }
  std::string read_raw_exactly(std::size_t n) {
    beast::error_code ec;
    while (raw_.size() < n && !ec) {
      char buf[4096];
      raw_.append(buf, socket_.read_some(asio::buffer(buf), ec));
    }
    std::string out = raw_.substr(0, n);
    raw_.erase(0, std::min(n, raw_.size()));
    return out;
  }
  tcp::socket& socket() { return socket_; }

 private:
  asio::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  std::string raw_;
};

ServerOptions one_worker() {
  ServerOptions o;
  o.workers = 1;
  return o;
}

TEST(ProxyLoopback, KeepAliveReusesOneUpstreamConnection) {
  TestBackend backend;
  Proxy proxy(table_with({member(backend.port())}), one_worker());
  Client client(proxy.port());
  for (int i = 0; i < 5; ++i) {
    const Response r = client.get("/hello?i=" + std::to_string(i));
    EXPECT_EQ(r.result_int(), 200);
    EXPECT_EQ(r.body(), "ok");
  }
  EXPECT_EQ(backend.connections(), 1u);
  EXPECT_EQ(backend.requests(), 5u);
  EXPECT_EQ(proxy.server().stats().upstream_connections_opened.load(), 1u);
  EXPECT_EQ(proxy.server().stats().upstream_connections_reused.load(), 4u);
  EXPECT_EQ(backend.last_target(), "/hello?i=4");
}

TEST(ProxyLoopback, ForwardedHeadersAndHopByHopRemoval) {
  TestBackend backend;
  Proxy proxy(table_with({member(backend.port())}), one_worker());
  Client client(proxy.port());
  const Response r = client.get("/echo",
                                "Connection: keep-alive, X-Hop\r\nX-Hop: 1\r\nTE: trailers\r\n"
                                "X-Forwarded-For: 10.9.9.9\r\nX-Keep: yes\r\n");
  EXPECT_EQ(r.result_int(), 200);
  const std::string h = backend.last_headers();
  EXPECT_NE(h.find("Host: 127.0.0.1:" + std::to_string(backend.port()) + "\n"), std::string::npos)
      << h;
  // The client is not a trusted proxy (none by default): its X-Forwarded-For is replaced.
  EXPECT_NE(h.find("X-Forwarded-For: 127.0.0.1\n"), std::string::npos) << h;
  EXPECT_EQ(h.find("10.9.9.9"), std::string::npos) << h;
  EXPECT_NE(h.find("X-Forwarded-Proto: http\n"), std::string::npos) << h;
  EXPECT_NE(h.find("X-Forwarded-Host: proxy.test\n"), std::string::npos) << h;
  EXPECT_NE(h.find("X-Keep: yes\n"), std::string::npos) << h;
  EXPECT_EQ(h.find("X-Hop"), std::string::npos) << h;
  EXPECT_EQ(h.find("TE:"), std::string::npos) << h;
  EXPECT_EQ(h.find("Connection"), std::string::npos) << h;
}

TEST(ProxyLoopback, TrustedProxyKeepsItsForwardedHeaders) {
  TestBackend backend;
  ServerOptions o = one_worker();
  std::string error;
  o.trusted_proxies = *core::CidrSet::parse("127.0.0.0/8", error);
  Proxy proxy(table_with({member(backend.port())}), o);
  Client client(proxy.port());
  EXPECT_EQ(client.get("/echo", "X-Forwarded-For: 10.9.9.9\r\nX-Forwarded-Proto: https\r\n").result_int(), 200);
  const std::string h = backend.last_headers();
  EXPECT_NE(h.find("X-Forwarded-For: 10.9.9.9, 127.0.0.1\n"), std::string::npos) << h;
  EXPECT_NE(h.find("X-Forwarded-Proto: https\n"), std::string::npos) << h;
}

TEST(ProxyLoopback, PreserveHostSendsClientHost) {
  TestBackend backend;
  auto table = table_with({member(backend.port())});
  table.balancers[0].preserve_host = true;
  Proxy proxy(table, one_worker());
  Client client(proxy.port());
  EXPECT_EQ(client.get("/").result_int(), 200);
  EXPECT_NE(backend.last_headers().find("Host: proxy.test\n"), std::string::npos);
}

TEST(ProxyLoopback, PipelinedRequestsAnswerInOrder) {
  TestBackend backend;
  Proxy proxy(table_with({member(backend.port())}), one_worker());
  Client client(proxy.port());
  client.send(
      "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\none"
      "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\ntwo"
      "GET /echo HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(client.read().body(), "one");
  EXPECT_EQ(client.read().body(), "two");
  EXPECT_EQ(client.read().body(), "");
}

TEST(ProxyLoopback, ChunkedRequestBodyIsForwarded) {
  TestBackend backend;
  Proxy proxy(table_with({member(backend.port())}), one_worker());
  Client client(proxy.port());
  client.send("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
  client.send("6\r\n world\r\n0\r\n\r\n");
  const Response r = client.read();
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(r.body(), "hello world");
  EXPECT_NE(backend.last_headers().find("Transfer-Encoding: chunked"), std::string::npos);
  // and the connection stays usable
  EXPECT_EQ(client.get("/").body(), "ok");
}

TEST(ProxyLoopback, ChunkedResponseIsRechunkedOrCloseDelimited) {
  TestBackend backend;
  Proxy proxy(table_with({member(backend.port())}), one_worker());
  {
    Client client(proxy.port());
    const Response r = client.get("/chunked?n=70000");
    EXPECT_EQ(r.result_int(), 200);
    EXPECT_TRUE(r.chunked());
    EXPECT_EQ(r.body(), std::string(70000, 'x'));
    EXPECT_EQ(client.get("/").body(), "ok");
  }
  {
    Client client(proxy.port());  // HTTP/1.0 client: no chunked, the close delimits
    client.send("GET /chunked?n=3000 HTTP/1.0\r\nHost: a\r\n\r\n");
    const Response r = client.read();
    EXPECT_EQ(r.body(), std::string(3000, 'x'));
    EXPECT_TRUE(client.closed());
  }
}

TEST(ProxyLoopback, ExpectContinueIsAnsweredByTheProxy) {
  TestBackend backend;
  Proxy proxy(table_with({member(backend.port())}), one_worker());
  Client client(proxy.port());
  client.send(
      "POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  EXPECT_EQ(client.read_raw_until("\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n");
  client.send("data");
  const Response r = client.read();
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(r.body(), "data");
  EXPECT_EQ(backend.last_headers().find("Expect"), std::string::npos);
}

TEST(ProxyLoopback, LargeBodiesStreamBothWays) {
  TestBackend backend;
  Proxy proxy(table_with({member(backend.port())}), one_worker());
  Client client(proxy.port());
  constexpr std::size_t kSize = 48 * 1024 * 1024;
  client.send("POST /count HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(kSize) +
              "\r\n\r\n");
  const std::string mib(1024 * 1024, 'u');
  for (std::size_t i = 0; i < kSize / mib.size(); ++i) client.send(mib);
  const Response up = client.read();
  EXPECT_EQ(up.body(), std::to_string(kSize));

  client.send("GET /generate?n=" + std::to_string(kSize) + " HTTP/1.1\r\nHost: a\r\n\r\n");
  const Response down = client.read();
  EXPECT_EQ(down.body().size(), kSize);
  EXPECT_EQ(down[http::field::content_length], std::to_string(kSize));

  // chunked upload
  client.send("POST /count HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
  char size_line[32];
  std::snprintf(size_line, sizeof size_line, "%zx\r\n", mib.size());
  for (int i = 0; i < 8; ++i) client.send(size_line + mib + "\r\n");
  client.send("0\r\n\r\n");
  EXPECT_EQ(client.read().body(), std::to_string(8 * mib.size()));
}

TEST(ProxyLoopback, HeadResponseKeepsContentLengthWithoutBody) {
  TestBackend backend;
  Proxy proxy(table_with({member(backend.port())}), one_worker());
  Client client(proxy.port());
  client.send("HEAD /generate?n=1234 HTTP/1.1\r\nHost: a\r\n\r\n");
  const Response r = client.read(true);
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(r[http::field::content_length], "1234");
  EXPECT_EQ(client.get("/").body(), "ok");
}

TEST(ProxyLoopback, NoRouteIs404) {
  TestBackend backend;
  auto table = table_with({member(backend.port())});
  table.routes[0].host = "only.example.com";
  Proxy proxy(table, one_worker());
  Client client(proxy.port());
  const Response r = client.get("/");
  EXPECT_EQ(r.result_int(), 404);
  EXPECT_FALSE(r.body().empty());
  EXPECT_EQ(client.get("/").result_int(), 404);  // keep-alive survives a local answer
  EXPECT_EQ(backend.requests(), 0u);
}

TEST(ProxyLoopback, NoUsableMemberIs503) {
  TestBackend backend;
  auto m = member(backend.port());
  m.status.disabled = true;
  Proxy proxy(table_with({m}), one_worker());
  Client client(proxy.port());
  EXPECT_EQ(client.get("/").result_int(), 503);
  EXPECT_EQ(backend.requests(), 0u);
}

// Apache answers a connect failure that cannot fail over with 503 (the scheme handler's status).
TEST(ProxyLoopback, UnreachableMemberIs503) {
  Proxy proxy(table_with({member(testing::closed_port())}), one_worker());
  Client client(proxy.port());
  const Response r = client.get("/");
  EXPECT_EQ(r.result_int(), 503);
  EXPECT_GE(proxy.server().stats().upstream_connect_failures.load(), 1u);
}

TEST(ProxyLoopback, ConnectFailureFailsOverToAnotherMember) {
  TestBackend backend;
  // byrequests picks the first member first: the dead one.
  Proxy proxy(table_with({member(testing::closed_port()), member(backend.port())}), one_worker());
  Client client(proxy.port());
  for (int i = 0; i < 4; ++i) EXPECT_EQ(client.get("/").result_int(), 200);
  EXPECT_EQ(proxy.server().stats().upstream_connect_failures.load(), 1u);
  EXPECT_EQ(backend.requests(), 4u);
  const auto records = proxy.records(4);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].attempts, 2);
  EXPECT_EQ(records[0].status, 200);
  EXPECT_EQ(records[0].balancer, "app");
  EXPECT_EQ(records[0].member, "http://127.0.0.1:" + std::to_string(backend.port()));
}

TEST(ProxyLoopback, SlowMemberIs504) {
  TestBackend backend;
  auto table = table_with({member(backend.port())});
  table.balancers[0].member_timeout = std::chrono::milliseconds(300);
  Proxy proxy(table, one_worker());
  Client client(proxy.port());
  const Response r = client.get("/slow");
  EXPECT_EQ(r.result_int(), 504);
  EXPECT_EQ(proxy.server().stats().upstream_timeouts.load(), 1u);
  EXPECT_EQ(client.get("/").result_int(), 200);
}

TEST(ProxyLoopback, MalformedRequestIs400) {
  TestBackend backend;
  Proxy proxy(table_with({member(backend.port())}), one_worker());
  Client client(proxy.port());
  client.send("GET / HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n");
  EXPECT_EQ(client.read().result_int(), 400);
  EXPECT_TRUE(client.closed());

  Client smuggler(proxy.port());
  smuggler.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd");
  EXPECT_EQ(smuggler.read().result_int(), 400);

  Client nohost(proxy.port());
  nohost.send("GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(nohost.read().result_int(), 400);
  EXPECT_EQ(backend.requests(), 0u);
}

TEST(ProxyLoopback, HeaderTooLargeIs431) {
  TestBackend backend;
  ServerOptions o = one_worker();
  o.max_header_bytes = 4096;
  Proxy proxy(table_with({member(backend.port())}), o);
  Client client(proxy.port());
  client.send("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(8000, 'b') + "\r\n\r\n");
  EXPECT_EQ(client.read().result_int(), 431);
}

TEST(ProxyLoopback, ManyLargeHeadersAreForwarded) {
  TestBackend backend;
  Proxy proxy(table_with({member(backend.port())}), one_worker());
  Client client(proxy.port());
  std::string extra;
  for (int i = 0; i < 40; ++i)
    extra += "X-Large-" + std::to_string(i) + ": " + std::string(1000, 'h') + "\r\n";
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(client.get("/echo", extra).result_int(), 200);
    EXPECT_NE(backend.last_headers().find("X-Large-39: " + std::string(1000, 'h')),
              std::string::npos);
    EXPECT_EQ(client.get("/echo").result_int(), 200);
  }
}

TEST(ProxyLoopback, BodyTooLargeIs413) {
  TestBackend backend;
  ServerOptions o = one_worker();
  o.max_body_bytes = 1000;
  Proxy proxy(table_with({member(backend.port())}), o);
  {
    Client client(proxy.port());
    client.send("POST /count HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n" +
                std::string(5000, 'a'));
    EXPECT_EQ(client.read().result_int(), 413);
  }
  {
    Client client(proxy.port());
    client.send("POST /count HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
    client.send("7d0\r\n" + std::string(2000, 'a') + "\r\n0\r\n\r\n");
    EXPECT_EQ(client.read().result_int(), 413);
  }
  Client ok(proxy.port());
  ok.send("POST /count HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n" +
          std::string(1000, 'a'));
  EXPECT_EQ(ok.read().body(), "1000");
}

TEST(ProxyLoopback, RouteCookieIsSetWhenTheRouteChanges) {
  TestBackend backend;
  auto table = table_with({member(backend.port(), "r1")});
  table.balancers[0].sticky.cookie = "ROUTEID";
  table.balancers[0].sticky.route_cookie.name = "ROUTEID";
  table.balancers[0].sticky.route_cookie.same_site = "Lax";
  Proxy proxy(table, one_worker());
  Client client(proxy.port());
  const Response first = client.get("/");
  EXPECT_EQ(first[http::field::set_cookie], "ROUTEID=.r1; Path=/; HttpOnly; SameSite=Lax");
  const Response again = client.get("/", "Cookie: ROUTEID=.r1\r\n");
  EXPECT_EQ(again.result_int(), 200);
  EXPECT_EQ(again.count(http::field::set_cookie), 0u);
}

TEST(ProxyLoopback, BasePathAndProxyPassReverse) {
  TestBackend backend;
  Proxy proxy(table_with({member(backend.port(), "", "/base")}), one_worker());
  Client client(proxy.port());
  const Response r = client.get("/redirect?x=1");
  EXPECT_EQ(r.result_int(), 302);
  EXPECT_EQ(backend.last_target(), "/base/redirect?x=1");
  EXPECT_EQ(r[http::field::location], "http://proxy.test/next");
}

TEST(ProxyLoopback, StalePooledConnectionIsRetriedTransparently) {
  TestBackend backend;
  Proxy proxy(table_with({member(backend.port())}), one_worker());
  Client client(proxy.port());
  EXPECT_EQ(client.get("/dropafter").result_int(), 200);  // the member closes after answering
  // Give the member's FIN time to arrive, so the pooled connection is certainly dead.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const Response r = client.get("/");
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(r.body(), "ok");
  EXPECT_EQ(proxy.server().stats().upstream_stale_retries.load(), 1u);
  EXPECT_EQ(backend.connections(), 2u);
}

TEST(ProxyLoopback, UpgradeTunnelsBothWays) {
  TestBackend backend;
  Proxy proxy(table_with({member(backend.port())}), one_worker());
  Client client(proxy.port());
  client.send("GET /upgrade HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n");
  const std::string head = client.read_raw_until("\r\n\r\n");
  EXPECT_EQ(head.rfind("HTTP/1.1 101 ", 0), 0u) << head;
  EXPECT_NE(head.find("Upgrade: test\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Connection: Upgrade\r\n"), std::string::npos) << head;
  client.send("hello tunnel");
  EXPECT_EQ(client.read_raw_exactly(12), "hello tunnel");
  client.send(std::string(100000, 'z'));
  EXPECT_EQ(client.read_raw_exactly(100000), std::string(100000, 'z'));
  EXPECT_EQ(proxy.server().stats().tunnels.load(), 1u);
}

TEST(ProxyLoopback, GracefulShutdownFinishesInFlightRequests) {
  TestBackend backend;
  auto proxy = std::make_unique<Proxy>(table_with({member(backend.port())}), one_worker());
  Client idle(proxy->port());
  EXPECT_EQ(idle.get("/").result_int(), 200);
  Client busy(proxy->port());
  busy.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
  // Wait until the slow request reached the member, then shut down with a generous grace.
  for (int i = 0; i < 500 && backend.requests() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::thread stopper([&] { proxy->server().shutdown(std::chrono::milliseconds(10000)); });
  const Response r = busy.read();
  stopper.join();
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(r.body(), "slow");
  EXPECT_TRUE(idle.closed());
}

TEST(ProxyLoopback, PublishSwapsTheTable) {
  TestBackend first;
  TestBackend second;
  Proxy proxy(table_with({member(first.port())}), one_worker());
  Client client(proxy.port());
  EXPECT_EQ(client.get("/").result_int(), 200);
  proxy.publish(table_with({member(second.port())}), 2);
  // The swap is posted to the worker; the next requests see it.
  for (int i = 0; i < 200 && second.requests() == 0; ++i) {
    EXPECT_EQ(client.get("/").result_int(), 200);
  }
  EXPECT_EQ(second.requests(), 1u);
  const uint64_t on_first = first.requests();
  EXPECT_EQ(client.get("/").result_int(), 200);
  EXPECT_EQ(first.requests(), on_first);
}

TEST(ProxyLoopback, SlowRequestHeaderIs408AndIdleConnectionsClose) {
  TestBackend backend;
  ServerOptions o = one_worker();
  o.client_header_timeout = std::chrono::milliseconds(200);
  o.idle_timeout = std::chrono::milliseconds(200);
  Proxy proxy(table_with({member(backend.port())}), o);
  Client slow(proxy.port());
  slow.send("GET / HTTP/1.1\r\nHost: a\r\n");  // never finished
  EXPECT_EQ(slow.read().result_int(), 408);
  Client idle(proxy.port());
  EXPECT_EQ(idle.get("/").result_int(), 200);
  EXPECT_TRUE(idle.closed());  // after idle_timeout
}

TEST(ProxyLoopback, GarbageNeverCrashes) {
  TestBackend backend;
  Proxy proxy(table_with({member(backend.port())}), ServerOptions{});
  const std::vector<std::string> inputs = {
      "\r\n\r\n",
      "GET\r\n\r\n",
      "GET / HTTP/9.9\r\n\r\n",
      std::string(100, '\0'),
      "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET http://x HTTP/1.1\r\n\r\n"};
  for (const auto& input : inputs) {
    Client client(proxy.port());
    client.send(input);
    client.socket().shutdown(tcp::socket::shutdown_send);
    beast::error_code ec;
    std::string sink;
    char buf[1024];
    while (!ec) sink.append(buf, client.socket().read_some(asio::buffer(buf), ec));
  }
  Client client(proxy.port());
  EXPECT_EQ(client.get("/").result_int(), 200);
}

TEST(ProxyLoopback, MutatedRequestsNeverCrash) {
  TestBackend backend;
  Proxy proxy(table_with({member(backend.port())}), one_worker());
  const std::vector<std::string> seeds = {
      "GET /echo?a=1 HTTP/1.1\r\nHost: a\r\nCookie: x=1\r\nConnection: keep-alive, X-A\r\n\r\n",
      "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
      "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\n"
      "T: 1\r\n\r\n",
      "GET /upgrade HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\nxyz",
      "POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi"};
  uint64_t state = 0x9e3779b97f4a7c15ULL;  // fixed seed: the same inputs every run
  auto next = [&state](uint64_t bound) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state % bound;
  };
  using namespace std::string_literals;
  const std::string alphabet = "\r\n :;,.-0123456789abcdefxyzGETPOST/?%\x00\xff\t"s;  // with NUL
  for (int i = 0; i < 300; ++i) {
    std::string input = seeds[next(seeds.size())];
    const int edits = 1 + static_cast<int>(next(4));
    for (int e = 0; e < edits && !input.empty(); ++e) {
      const std::size_t at = next(input.size());
      switch (next(4)) {
        case 0:
          input[at] = alphabet[next(alphabet.size())];
          break;
        case 1:
          input.insert(at, 1, alphabet[next(alphabet.size())]);
          break;
        case 2:
          input.erase(at, 1 + next(8));
          break;
        default:
          input.resize(at);
          break;
      }
    }
    Client client(proxy.port());
    client.send(input);
    beast::error_code ec;
    client.socket().shutdown(tcp::socket::shutdown_send, ec);
    char buf[4096];
    while (!ec) client.socket().read_some(asio::buffer(buf), ec);
  }
  Client client(proxy.port());
  EXPECT_EQ(client.get("/").result_int(), 200);
}

TEST(ProxyLoopback, BalancerTimeoutWaitsForAUsableMember) {
  // Apache's balancer `timeout`: with every member unusable, the request waits for one to come
  // back instead of failing at once.
  TestBackend backend;
  auto table = table_with({member(backend.port())});
  table.balancers[0].members[0].status.disabled = true;
  table.balancers[0].timeout = std::chrono::milliseconds(5000);
  Proxy proxy(table, one_worker());
  auto state = proxy.registry().find("app", table.balancers[0].members[0].name);
  ASSERT_TRUE(state);
  std::thread enable([state] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    state->clear(core::kDisabled);
  });
  Client client(proxy.port());
  const Response r = client.get("/");
  enable.join();
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(state->responses_by_class[1].load(), 1u);  // the response counted for /metrics
  EXPECT_EQ(state->latency_buckets[state->latency_buckets.size() - 1].load() +
                std::accumulate(state->latency_buckets.begin(), state->latency_buckets.end() - 1, uint64_t{0},
                                [](uint64_t a, const std::atomic<uint64_t>& b) { return a + b.load(); }),
            1u);
}

TEST(ProxyLoopback, WithoutBalancerTimeoutNoUsableMemberIs503AtOnce) {
  TestBackend backend;
  auto table = table_with({member(backend.port())});
  table.balancers[0].members[0].status.disabled = true;
  Proxy proxy(table, one_worker());
  Client client(proxy.port());
  EXPECT_EQ(client.get("/").result_int(), 503);
}

}  // namespace
}  // namespace kb::proxy::net
