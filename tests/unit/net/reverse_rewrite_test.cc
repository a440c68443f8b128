#include "proxy/net/reverse_rewrite.h"

#include <gtest/gtest.h>

#include "proxy/net/route_cookie.h"

namespace kb::proxy::net {
namespace {

std::string rewrite(std::string_view value, const ReverseRule& rule) {
  std::string out;
  if (!reverse_rewrite(value, rule, out)) return "<unchanged>";
  return out;
}

TEST(ReverseRewrite, MemberUrlBecomesPublicUrl) {
  const ReverseRule rule{"10.0.0.7", 8080, "", "https", "app.example.com"};
  EXPECT_EQ(rewrite("http://10.0.0.7:8080/login?next=/", rule),
            "https://app.example.com/login?next=/");
  EXPECT_EQ(rewrite("http://10.0.0.7:8080", rule), "https://app.example.com/");
  EXPECT_EQ(rewrite("HTTP://10.0.0.7:8080/x", rule), "https://app.example.com/x");
  EXPECT_EQ(rewrite("http://10.0.0.7:8080?q", rule), "https://app.example.com/?q");
}

TEST(ReverseRewrite, OtherUrlsAreLeftAlone) {
  const ReverseRule rule{"10.0.0.7", 8080, "", "http", "app"};
  EXPECT_EQ(rewrite("http://10.0.0.7:80801/x", rule), "<unchanged>");
  EXPECT_EQ(rewrite("http://10.0.0.7/x", rule), "<unchanged>");
  EXPECT_EQ(rewrite("http://10.0.0.8:8080/x", rule), "<unchanged>");
  EXPECT_EQ(rewrite("/relative", rule), "<unchanged>");
  EXPECT_EQ(rewrite("https://10.0.0.7:8080/x", rule), "<unchanged>");
  EXPECT_EQ(rewrite("", rule), "<unchanged>");
}

TEST(ReverseRewrite, Port80MayBeImplicit) {
  const ReverseRule rule{"backend", 80, "", "http", "pub:8443"};
  EXPECT_EQ(rewrite("http://backend/a", rule), "http://pub:8443/a");
  EXPECT_EQ(rewrite("http://backend:80/a", rule), "http://pub:8443/a");
  EXPECT_EQ(rewrite("http://backend:8080/a", rule), "<unchanged>");
}

TEST(ReverseRewrite, BasePathIsStripped) {
  const ReverseRule rule{"10.0.0.7", 8080, "/base", "http", "app"};
  EXPECT_EQ(rewrite("http://10.0.0.7:8080/base/login", rule), "http://app/login");
  EXPECT_EQ(rewrite("http://10.0.0.7:8080/base", rule), "http://app/");
  EXPECT_EQ(rewrite("http://10.0.0.7:8080/base?x", rule), "http://app/?x");
  EXPECT_EQ(rewrite("http://10.0.0.7:8080/base2/login", rule), "<unchanged>");
  EXPECT_EQ(rewrite("http://10.0.0.7:8080/other", rule), "<unchanged>");
}

TEST(ReverseRewrite, Ipv6Member) {
  const ReverseRule rule{"::1", 9000, "", "http", "app"};
  EXPECT_EQ(rewrite("http://[::1]:9000/x", rule), "http://app/x");
  EXPECT_EQ(rewrite("http://[::2]:9000/x", rule), "<unchanged>");
}

TEST(ReverseRewrite, AppliesToLocationContentLocationAndUri) {
  using boost::beast::http::field;
  EXPECT_TRUE(is_reverse_rewritten(field::location, "Location"));
  EXPECT_TRUE(is_reverse_rewritten(field::content_location, "Content-Location"));
  EXPECT_TRUE(is_reverse_rewritten(field::uri, "URI"));
  EXPECT_FALSE(is_reverse_rewritten(field::referer, "Referer"));
}

TEST(RouteCookie, ApacheRecipe) {
  config::RouteCookie c;
  c.name = "ROUTEID";
  std::string out;
  append_route_cookie(c, '.', "r1", out);
  EXPECT_EQ(out, "ROUTEID=.r1; Path=/; HttpOnly");

  c.path = "/app";
  c.http_only = false;
  c.secure = true;
  c.same_site = "Lax";
  c.max_age = 3600;
  out.clear();
  append_route_cookie(c, '_', "node2", out);
  EXPECT_EQ(out, "ROUTEID=_node2; Path=/app; Secure; SameSite=Lax; Max-Age=3600");

  out.clear();
  append_route_cookie(c, std::nullopt, "node2", out);
  EXPECT_EQ(out, "ROUTEID=node2; Path=/app; Secure; SameSite=Lax; Max-Age=3600");

  c.domain = "example.com";  // ingress-nginx session-cookie-domain
  out.clear();
  append_route_cookie(c, '.', "r1", out);
  EXPECT_EQ(out, "ROUTEID=.r1; Path=/app; Domain=example.com; Secure; SameSite=Lax; Max-Age=3600");
}

}  // namespace
}  // namespace kb::proxy::net
