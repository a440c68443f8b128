#include "proxy/net/https_redirect.h"

#include <gtest/gtest.h>

namespace kb::proxy::net {
namespace {

std::string redirect(std::string_view host, uint16_t port, std::string_view target, bool keep_alive = true) {
  std::string out;
  EXPECT_TRUE(write_https_redirect(host, port, target, keep_alive, out));
  return out;
}

TEST(HttpsRedirect, PermanentRedirectToTheSameUrl) {
  EXPECT_EQ(redirect("shop.example.com", 443, "/cart?item=1&x=%20"),
            "HTTP/1.1 308 Permanent Redirect\r\n"
            "Location: https://shop.example.com/cart?item=1&x=%20\r\n"
            "Content-Length: 0\r\n\r\n");
}

TEST(HttpsRedirect, PortOfTheHttpsListenerUnless443) {
  EXPECT_EQ(redirect("shop.example.com:8080", 8443, "/"),
            "HTTP/1.1 308 Permanent Redirect\r\nLocation: https://shop.example.com:8443/\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(redirect("shop.example.com:80", 443, "/a"),
            "HTTP/1.1 308 Permanent Redirect\r\nLocation: https://shop.example.com/a\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(redirect("[2001:db8::1]:8080", 8443, "/v6"),
            "HTTP/1.1 308 Permanent Redirect\r\nLocation: https://[2001:db8::1]:8443/v6\r\nContent-Length: 0\r\n\r\n");
}

TEST(HttpsRedirect, OddTargetsAndClose) {
  EXPECT_EQ(redirect("h", 443, "*", false),
            "HTTP/1.1 308 Permanent Redirect\r\nLocation: https://h/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(redirect("h", 443, "http://h/x"),
            "HTTP/1.1 308 Permanent Redirect\r\nLocation: https://h/\r\nContent-Length: 0\r\n\r\n");
}

TEST(HttpsRedirect, NoHostNoRedirect) {
  std::string out;
  EXPECT_FALSE(write_https_redirect("", 443, "/", true, out));
  EXPECT_FALSE(write_https_redirect(":8080", 443, "/", true, out));
  EXPECT_FALSE(write_https_redirect("[::1", 443, "/", true, out));
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace kb::proxy::net
