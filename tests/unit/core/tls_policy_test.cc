#include "proxy/core/tls_policy.h"

#include <gtest/gtest.h>

#include "proxy/core/router.h"

namespace kb::proxy::core {
namespace {

config::Table table() {
  config::Table t;
  t.balancers.emplace_back().name = "b";
  auto route = [&](std::string host, std::string path, std::optional<bool> redirect) {
    config::Route r;
    r.host = std::move(host);
    r.path = std::move(path);
    r.balancer = "b";
    r.ssl_redirect = redirect;
    t.routes.push_back(r);
  };
  route("shop.example.com", "/", std::nullopt);       // 0: has a certificate -> on
  route("shop.example.com", "/plain", false);         // 1: turned off
  route("a.example.com", "/", std::nullopt);          // 2: covered by the wildcard -> on
  route("*.example.com", "/", std::nullopt);          // 3: the same wildcard -> on
  route("other.test", "/", std::nullopt);             // 4: no certificate -> off
  route("other.test", "/secure", true);               // 5: turned on
  route("", "/", std::nullopt);                       // 6: any host -> off
  route("a.b.example.com", "/", std::nullopt);        // 7: one label only -> off
  t.tls.push_back({{"shop.example.com"}, {"/c", "/k"}, config::Hsts{31536000, true, true}});
  t.tls.push_back({{"*.example.com"}, {"/c2", "/k2"}, std::nullopt});
  t.default_backend = "b";
  return t;
}

TEST(TlsPolicy, SslRedirectDefaultsToHostsWithACertificate) {
  const auto p = TlsPolicy::compile(table());
  const std::vector<bool> want = {true, false, true, true, false, true, false, false};
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(p.ssl_redirect(static_cast<int32_t>(i)), want[i]) << i;
  EXPECT_FALSE(p.ssl_redirect(Router::kNoMatch));
  EXPECT_FALSE(p.ssl_redirect(99));
  EXPECT_TRUE(p.any_redirect());
}

TEST(TlsPolicy, AnyRedirectIsFalseWithoutCertificatesOrWhenTurnedOff) {
  config::Table t = table();
  t.tls.clear();
  for (config::Route& r : t.routes) r.ssl_redirect.reset();
  EXPECT_FALSE(TlsPolicy::compile(t).any_redirect());  // no certificate: nothing defaults on
  t = table();
  for (config::Route& r : t.routes) r.ssl_redirect = false;
  EXPECT_FALSE(TlsPolicy::compile(t).any_redirect());
}

TEST(TlsPolicy, RouterGivesTheRouteOfAMatch) {
  const auto t = table();
  const auto router = Router::compile(t);
  const auto p = TlsPolicy::compile(t);
  auto route_of = [&](std::string_view host, std::string_view target) {
    return router.match_route(RequestView{"GET", host, target, {}});
  };
  EXPECT_TRUE(p.ssl_redirect(route_of("shop.example.com", "/x")));
  const int32_t plain = route_of("shop.example.com", "/plain/y?q=1");
  EXPECT_EQ(plain, 1);
  EXPECT_EQ(router.match("shop.example.com", "/plain/y"), 0);
  EXPECT_FALSE(p.ssl_redirect(plain));
  EXPECT_EQ(route_of("nobody.test", "/"), 6);  // any-host route
  EXPECT_EQ(router.match("nobody.test", "/"), 0);
}

TEST(TlsPolicy, HstsPerHost) {
  const auto p = TlsPolicy::compile(table());
  EXPECT_EQ(p.hsts("shop.example.com"), "max-age=31536000; includeSubDomains; preload");
  EXPECT_EQ(p.hsts("SHOP.example.com"), "max-age=31536000; includeSubDomains; preload");
  EXPECT_EQ(p.hsts("a.example.com"), "");  // its entry has no hsts
  EXPECT_EQ(p.hsts("other.test"), "");
  EXPECT_TRUE(p.has_certificate("a.example.com"));
  EXPECT_FALSE(p.has_certificate("other.test"));
  EXPECT_EQ(hsts_header_value(config::Hsts{600, false, false}), "max-age=600");
}

}  // namespace
}  // namespace kb::proxy::core
