#include "proxy/net/h2_head.h"

#include <gtest/gtest.h>

#include "proxy/net/h2_flood_guard.h"

namespace kb::proxy::net {
namespace {

TEST(H2RequestHead, PseudoHeadersBecomeTheRequestLineAndHost) {
  H2RequestHead h;
  h.add(":method", "GET");
  h.add(":scheme", "https");
  h.add(":authority", "shop.example.test");
  h.add(":path", "/a?b=1");
  h.add("host", "ignored.example.test");  // :authority wins (RFC 9113 8.3.1)
  h.add("accept", "*/*");
  std::string out;
  EXPECT_FALSE(h.write(false, out));
  EXPECT_EQ(out, "GET /a?b=1 HTTP/1.1\r\nhost: shop.example.test\r\naccept: */*\r\n\r\n");
  EXPECT_EQ(h.size(), std::string(":methodGET:schemehttps:authorityshop.example.test:path/a?b=1host"
                                  "ignored.example.testaccept*/*")
                          .size());
}

TEST(H2RequestHead, CookiesAreJoinedAndABodyWithoutLengthIsChunked) {
  H2RequestHead h;
  h.add(":method", "POST");
  h.add(":path", "/upload");
  h.add("host", "h.test");  // no :authority: the host field is used
  h.add("cookie", "a=1");
  h.add("cookie", "JSESSIONID=x.r2");
  std::string out;
  EXPECT_TRUE(h.write(true, out));
  EXPECT_EQ(out,
            "POST /upload HTTP/1.1\r\nhost: h.test\r\ncookie: a=1; JSESSIONID=x.r2\r\n"
            "transfer-encoding: chunked\r\n\r\n");
}

TEST(H2RequestHead, ABodyWithLengthKeepsIt) {
  H2RequestHead h;
  h.add(":method", "PUT");
  h.add(":path", "/");
  h.add(":authority", "h.test");
  h.add("content-length", "3");
  std::string out;
  EXPECT_FALSE(h.write(true, out));
  EXPECT_EQ(out, "PUT / HTTP/1.1\r\nhost: h.test\r\ncontent-length: 3\r\n\r\n");
}

TEST(H2ResponseHead, ParsesAndDropsConnectionSpecificFields) {
  H2ResponseHead r;
  ASSERT_TRUE(parse_response_head(
      "HTTP/1.1 302 Found\r\nLocation: /x\r\nConnection: close\r\n"
      "Transfer-Encoding: chunked\r\nKeep-Alive: timeout=5\r\nSet-Cookie:  a=1 \r\n\r\n",
      r));
  EXPECT_EQ(r.status, 302u);
  ASSERT_EQ(r.fields.size(), 2u);
  EXPECT_EQ(r.fields[0].first, "location");
  EXPECT_EQ(r.fields[0].second, "/x");
  EXPECT_EQ(r.fields[1].first, "set-cookie");
  EXPECT_EQ(r.fields[1].second, "a=1");
}

TEST(H2ResponseHead, RejectsWhatIsNotAHead) {
  H2ResponseHead r;
  EXPECT_FALSE(parse_response_head("HTTP/1.1 2x0 OK\r\n\r\n", r));
  EXPECT_FALSE(parse_response_head("garbage\r\n\r\n", r));
  EXPECT_FALSE(parse_response_head("HTTP/1.1 200 OK\r\nno-colon\r\n\r\n", r));
  EXPECT_FALSE(parse_response_head("HTTP/1.1 200 OK\r\nA: b\r\n", r));  // unterminated
}

TEST(H2FloodGuard, BurstThenRate) {
  H2FloodGuard g;
  const auto t0 = H2FloodGuard::Clock::now();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(g.charge(H2FloodGuard::Kind::kControl, t0)) << i;
  EXPECT_FALSE(g.charge(H2FloodGuard::Kind::kControl, t0));
  // 10 per second come back: after 1 s, ten more, not eleven.
  const auto t1 = t0 + std::chrono::seconds(1);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(g.charge(H2FloodGuard::Kind::kControl, t1)) << i;
  EXPECT_FALSE(g.charge(H2FloodGuard::Kind::kControl, t1));
  // Budgets are per kind.
  EXPECT_TRUE(g.charge(H2FloodGuard::Kind::kReset, t1));
}

}  // namespace
}  // namespace kb::proxy::net
