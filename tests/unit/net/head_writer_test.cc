#include "proxy/net/head_writer.h"

#include <gtest/gtest.h>

namespace kb::proxy::net {
namespace {

namespace http = boost::beast::http;

http::fields fields(std::initializer_list<std::pair<std::string, std::string>> list) {
  http::fields f;
  for (const auto& [name, value] : list) f.insert(name, value);
  return f;
}

TEST(HeadWriter, RequestDropsHopByHopAndAddsForwardedHeaders) {
  const auto in = fields({{"Host", "app.example.com:8080"},
                          {"Connection", "keep-alive, X-Private"},
                          {"X-Private", "secret"},
                          {"Keep-Alive", "timeout=5"},
                          {"Proxy-Connection", "keep-alive"},
                          {"TE", "trailers"},
                          {"Trailer", "X-T"},
                          {"Transfer-Encoding", "chunked"},
                          {"Proxy-Authorization", "Basic x"},
                          {"Upgrade", "websocket"},
                          {"Accept", "*/*"},
                          {"X-Forwarded-For", "10.0.0.1"},
                          {"X-Forwarded-Proto", "ftp"},
                          {"Expect", "100-continue"},
                          {"Cookie", "a=1"}});
  RequestHead h;
  h.method = "POST";
  h.base_path = "/base";
  h.target = "/x?y=1";
  h.host = "10.1.2.3:9000";
  h.client_ip = "127.0.0.9";
  h.proto = "https";
  h.forwarded_host = "app.example.com:8080";
  h.framing = Framing::kChunked;
  h.drop_expect = true;
  std::string out;
  write_request_head(h, in, out);
  EXPECT_EQ(out,
            "POST /base/x?y=1 HTTP/1.1\r\n"
            "Host: 10.1.2.3:9000\r\n"
            "Accept: */*\r\n"
            "Cookie: a=1\r\n"
            "X-Forwarded-For: 10.0.0.1, 127.0.0.9\r\n"
            "X-Forwarded-Proto: https\r\n"
            "X-Forwarded-Host: app.example.com:8080\r\n"
            "Transfer-Encoding: chunked\r\n"
            "\r\n");
}

TEST(HeadWriter, UntrustedPeerForwardedForIsReplaced) {
  const auto in = fields({{"Host", "h"}, {"X-Forwarded-For", "6.6.6.6"}, {"X-Forwarded-For", "7.7.7.7"},
                          {"X-Forwarded-Proto", "https"}});
  RequestHead h;
  h.method = "GET";
  h.target = "/";
  h.host = "h";
  h.client_ip = "203.0.113.9";
  h.proto = "http";  // core::decide_forwarded(false, "https", "http").proto
  h.keep_forwarded_for = false;
  std::string out;
  write_request_head(h, in, out);
  EXPECT_EQ(out, "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: http\r\n\r\n");
  out.clear();
  h.keep_forwarded_for = true;  // a trusted proxy: its chain, then its address
  write_request_head(h, in, out);
  EXPECT_EQ(out,
            "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 6.6.6.6, 7.7.7.7, 203.0.113.9\r\n"
            "X-Forwarded-Proto: http\r\n\r\n");
}

TEST(HeadWriter, ResponseHstsReplacesTheMembersHeader) {
  const auto in = fields({{"Strict-Transport-Security", "max-age=1"}, {"Content-Length", "0"}});
  ResponseHead h;
  h.framing = Framing::kLength;
  std::string out;
  write_response_head(h, in, out);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=1\r\nContent-Length: 0\r\n\r\n");
  out.clear();
  h.hsts = "max-age=31536000; includeSubDomains";
  write_response_head(h, in, out);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=31536000; includeSubDomains\r\n"
            "Content-Length: 0\r\n\r\n");
}

TEST(HeadWriter, RequestContentLengthAndUpgrade) {
  const auto in = fields({{"Host", "h"},
                          {"Connection", "Upgrade"},
                          {"Upgrade", "websocket"},
                          {"Content-Length", "999"},
                          {"Sec-WebSocket-Key", "k"}});
  RequestHead h;
  h.method = "GET";
  h.target = "/ws";
  h.host = "h";
  h.client_ip = "1.2.3.4";
  h.proto = "http";
  h.framing = Framing::kLength;
  h.content_length = 0;
  h.upgrade = true;
  std::string out;
  write_request_head(h, in, out);
  EXPECT_EQ(out,
            "GET /ws HTTP/1.1\r\nHost: h\r\nSec-WebSocket-Key: k\r\nX-Forwarded-For: 1.2.3.4\r\n"
            "X-Forwarded-Proto: http\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Content-Length: 0\r\n\r\n");
}

TEST(HeadWriter, ResponseRewritesLocationAndAddsCookieAndFraming) {
  const auto in = fields({{"Content-Type", "text/html"},
                          {"Location", "http://10.0.0.7:8080/base/login?x=1"},
                          {"Content-Location", "http://elsewhere/x"},
                          {"Connection", "close"},
                          {"Content-Length", "12"},
                          {"Transfer-Encoding", "chunked"}});
  const ReverseRule rule{"10.0.0.7", 8080, "/base", "https", "app.example.com"};
  ResponseHead h;
  h.status = 302;
  h.framing = Framing::kChunked;
  h.rewrite = &rule;
  h.set_cookie = "ROUTEID=.r1; Path=/";
  std::string out;
  write_response_head(h, in, out);
  EXPECT_EQ(out,
            "HTTP/1.1 302 Found\r\nContent-Type: text/html\r\n"
            "Location: https://app.example.com/login?x=1\r\n"
            "Content-Location: http://elsewhere/x\r\n"
            "Set-Cookie: ROUTEID=.r1; Path=/\r\n"
            "Transfer-Encoding: chunked\r\n\r\n");
}

TEST(HeadWriter, ResponseConnectionHandling) {
  const auto in = fields({{"Content-Length", "5"}});
  ResponseHead h;
  h.status = 200;
  h.reason = "Fine";
  h.framing = Framing::kLength;
  h.content_length = 5;
  h.keep_alive = false;
  std::string out;
  write_response_head(h, in, out);
  EXPECT_EQ(out, "HTTP/1.1 200 Fine\r\nConnection: close\r\nContent-Length: 5\r\n\r\n");

  out.clear();
  h.keep_alive = true;
  h.client_http10 = true;
  write_response_head(h, in, out);
  EXPECT_EQ(out, "HTTP/1.1 200 Fine\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\n");

  out.clear();
  h = ResponseHead{};
  h.status = 304;
  h.keep_content_length = true;
  write_response_head(h, in, out);
  EXPECT_EQ(out, "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n");
}

TEST(HeadWriter, SwitchingProtocols) {
  const auto in =
      fields({{"Connection", "Upgrade"}, {"Upgrade", "websocket"}, {"Sec-WebSocket-Accept", "a"}});
  ResponseHead h;
  h.status = 101;
  h.upgrade = true;
  std::string out;
  write_response_head(h, in, out);
  EXPECT_EQ(out,
            "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: a\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\n\r\n");
}

TEST(HeadWriter, SimpleResponseAndChunkPrefix) {
  std::string out;
  write_simple_response(502, "no member could be reached", false, out);
  EXPECT_EQ(out,
            "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: 27\r\n"
            "Connection: close\r\n\r\nno member could be reached\n");
  char buf[24];
  EXPECT_EQ(std::string(buf, write_chunk_prefix(0x1a2b, buf)), "1a2b\r\n");
  EXPECT_EQ(std::string(buf, write_chunk_prefix(0, buf)), "0\r\n");
}

TEST(HeadWriter, RedirectResponse) {
  std::string out;
  write_redirect_response(301, "http://example.test/new?q=1", true, out);
  EXPECT_EQ(out, "HTTP/1.1 301 Moved Permanently\r\nLocation: http://example.test/new?q=1\r\nContent-Length: 0\r\n\r\n");
  out.clear();
  write_redirect_response(308, "https://example.org/", false, out);
  EXPECT_EQ(out,
            "HTTP/1.1 308 Permanent Redirect\r\nLocation: https://example.org/\r\nContent-Length: 0\r\n"
            "Connection: close\r\n\r\n");
}

// HSTS on the proxy's own answers to HTTPS requests of an HSTS host, as on relayed ones.
TEST(HeadWriter, LocalAnswersCarryHsts) {
  std::string out;
  write_simple_response(404, "no route", true, out, "max-age=60");
  EXPECT_EQ(out,
            "HTTP/1.1 404 Not Found\r\nStrict-Transport-Security: max-age=60\r\nContent-Type: text/plain\r\n"
            "Content-Length: 9\r\n\r\nno route\n");
  out.clear();
  write_redirect_response(302, "/login", true, out, "max-age=60; includeSubDomains");
  EXPECT_EQ(out,
            "HTTP/1.1 302 Found\r\nLocation: /login\r\nStrict-Transport-Security: max-age=60; includeSubDomains\r\n"
            "Content-Length: 0\r\n\r\n");
}

}  // namespace
}  // namespace kb::proxy::net
