#include "proxy/net/https_redirect.h"

#include <gtest/gtest.h>

#include "proxy/net/head_writer.h"

namespace kb::proxy::net {
namespace {

// The whole answer as the exchange writes it: the location, then the one redirect writer.
std::string redirect(std::string_view host, uint16_t port, std::string_view target, bool keep_alive = true) {
  std::string location;
  EXPECT_TRUE(https_location(host, port, target, location));
  std::string out;
  write_redirect_response(308, location, keep_alive, out);
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
  EXPECT_FALSE(https_location("", 443, "/", out));
  EXPECT_FALSE(https_location(":8080", 443, "/", out));
  EXPECT_FALSE(https_location("[::1", 443, "/", out));
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace kb::proxy::net
