#include "proxy/admin/admin_server.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace kb::proxy::admin {
namespace {

namespace http = boost::beast::http;

AdminRequest get(std::string path) {
  AdminRequest r;
  r.method = "GET";
  r.target = path;
  r.path = std::move(path);
  return r;
}

TEST(AdminServerDispatch, ExactBeatsPrefixAndLongestPrefixWins) {
  AdminServer s({});
  s.handle("/api/balancers", [](const AdminRequest&) { return AdminResponse::text(200, "all"); });
  s.handle_prefix("/api/", [](const AdminRequest&) { return AdminResponse::text(200, "api"); });
  s.handle_prefix("/api/balancers/", [](const AdminRequest& r) {
    return AdminResponse::text(200, "one:" + r.path.substr(15));
  });
  EXPECT_EQ(s.dispatch(get("/api/balancers")).body, "all");
  EXPECT_EQ(s.dispatch(get("/api/balancers/web")).body, "one:web");
  EXPECT_EQ(s.dispatch(get("/api/other")).body, "api");
  auto missing = s.dispatch(get("/nope"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "{\"error\":\"no such endpoint: /nope\"}\n");
}

TEST(AdminServer, ServesOverHttpWithKeepAliveAndHandlerErrors) {
  AdminServer s({"127.0.0.1", 0});
  s.handle("/healthz", [](const AdminRequest&) { return AdminResponse::text(200, "ok\n"); });
  s.handle("/boom", [](const AdminRequest&) -> AdminResponse { throw std::runtime_error("bad"); });
  s.bind();
  ASSERT_NE(s.port(), 0);
  s.start();

  boost::asio::io_context io;
  boost::asio::ip::tcp::socket sock(io);
  sock.connect({boost::asio::ip::make_address("127.0.0.1"), s.port()});
  boost::beast::flat_buffer buf;
  for (const char* path : {"/healthz", "/boom", "/healthz"}) {  // one connection, three requests
    http::request<http::empty_body> req{http::verb::get, path, 11};
    req.set(http::field::host, "admin");
    http::write(sock, req);
    http::response<http::string_body> res;
    http::read(sock, buf, res);
    if (std::string(path) == "/boom") {
      EXPECT_EQ(res.result_int(), 500u);
      EXPECT_EQ(res.body(), "{\"error\":\"bad\"}\n");
    } else {
      EXPECT_EQ(res.result_int(), 200u);
      EXPECT_EQ(res.body(), "ok\n");
    }
  }
  s.stop();
  s.stop();  // idempotent
}

TEST(AdminServer, BindFailureNamesTheAddress) {
  AdminServer a({"127.0.0.1", 0});
  a.bind();
  AdminServer b({"127.0.0.1", a.port()});
  try {
    b.bind();
    FAIL() << "second bind succeeded";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("admin listener 127.0.0.1:" + std::to_string(a.port())),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace kb::proxy::admin
