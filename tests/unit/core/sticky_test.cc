// Sticky sessions exactly as Apache's find_session_route and find_route_worker.
#include <gtest/gtest.h>

#include <map>

#include "proxy/core/sticky.h"
#include "tests/unit/core/balancer_fixture.h"

namespace kb::proxy::core::testing {
namespace {

config::StickySession sticky(std::string cookie, std::string param, bool scolon = false) {
  config::StickySession s;
  s.cookie = std::move(cookie);
  s.url_param = std::move(param);
  s.scolon_path_delim = scolon;
  return s;
}

std::string route_of(const config::StickySession& s, std::string_view target,
                     std::vector<std::string_view> cookies = {}) {
  return std::string(find_session_route(s, target, cookies).route);
}

TEST(StickyParse, UrlParameterAnywhereInTheTarget) {
  EXPECT_EQ(url_param_value("/a?x=1&jsessionid=abc.r1&y=2", "jsessionid", false), "abc.r1");
  EXPECT_EQ(url_param_value("/a;jsessionid=abc.r1?x=1", "jsessionid", false), "abc.r1");
  EXPECT_EQ(url_param_value("/a?xjsessionid=abc.r1", "jsessionid", false), "abc.r1");  // strstr
  EXPECT_EQ(url_param_value("/a?jsessionid", "jsessionid", false), std::nullopt);
  EXPECT_EQ(url_param_value("/a?jsessionid=", "jsessionid", false), std::nullopt);
  EXPECT_EQ(url_param_value("/a?jsessionid=&jsessionid=z.r2", "jsessionid", false), "jsessionid=z.r2");
  EXPECT_EQ(url_param_value("/a?JSESSIONID=abc.r1", "jsessionid", false), std::nullopt);
}

TEST(StickyParse, ScolonPathDelimOnlyEndsTheValueAtSemicolon) {
  const auto with = sticky("JSESSIONID", "jsessionid", true);
  const auto without = sticky("JSESSIONID", "jsessionid", false);
  EXPECT_EQ(route_of(with, "/app;jsessionid=abc.r4;v=1"), "r4");
  EXPECT_EQ(route_of(without, "/app;jsessionid=abc.r4;v=1"), "r4;v=1");
  EXPECT_EQ(route_of(with, "/app;jsessionid=abc.r4?q=1"), "r4");
}

TEST(StickyParse, CookieNameBoundariesAndValue) {
  EXPECT_EQ(cookie_value("ROUTEID=.r1", "ROUTEID"), ".r1");
  EXPECT_EQ(cookie_value("a=1; ROUTEID=.r1; b=2", "ROUTEID"), ".r1");
  EXPECT_EQ(cookie_value("a=1;ROUTEID=.r1", "ROUTEID"), ".r1");
  EXPECT_EQ(cookie_value("a=1,ROUTEID=.r1,b", "ROUTEID"), ".r1");
  EXPECT_EQ(cookie_value("ROUTEID  =x.r2", "ROUTEID"), "x.r2");
  EXPECT_EQ(cookie_value("XROUTEID=.r1", "ROUTEID"), std::nullopt);
  EXPECT_EQ(cookie_value("XROUTEID=.r1; ROUTEID=.r3", "ROUTEID"), ".r3");
  EXPECT_EQ(cookie_value("routeid=.r1", "ROUTEID"), std::nullopt);  // case-sensitive
  EXPECT_EQ(cookie_value("ROUTEID=", "ROUTEID"), std::nullopt);
  EXPECT_EQ(cookie_value("ROUTEID", "ROUTEID"), std::nullopt);
}

TEST(StickyParse, RouteIsTextAfterTheFirstSeparator) {
  auto s = sticky("JSESSIONID", "jsessionid");
  EXPECT_EQ(route_of(s, "/", {"JSESSIONID=ABC.node1"}), "node1");
  EXPECT_EQ(route_of(s, "/", {"JSESSIONID=ABC.node1.x"}), "node1.x");
  EXPECT_EQ(route_of(s, "/", {"JSESSIONID=ABC"}), "");  // no separator: no route
  EXPECT_EQ(route_of(s, "/", {"JSESSIONID=ABC."}), "");
  s.separator = '_';
  EXPECT_EQ(route_of(s, "/", {"JSESSIONID=ABC.x_node1"}), "node1");
  s.separator.reset();  // Off: the whole value
  EXPECT_EQ(route_of(s, "/", {"JSESSIONID=node1"}), "node1");
}

TEST(StickyParse, UrlBeatsCookieAndCookieHeadersAreSearchedInOrder) {
  const auto s = sticky("JSESSIONID", "jsessionid");
  EXPECT_EQ(route_of(s, "/?jsessionid=a.url", {"JSESSIONID=a.cookie"}), "url");
  EXPECT_EQ(route_of(s, "/", {"x=1", "JSESSIONID=a.second"}), "second");
  const auto found = find_session_route(s, "/?jsessionid=a.url", {});
  EXPECT_EQ(found.sticky_used, "jsessionid");
  const std::string_view cookie_headers[] = {"JSESSIONID=a.c"};
  EXPECT_EQ(find_session_route(s, "/", cookie_headers).sticky_used, "JSESSIONID");
  // One name serves both roles when the config has no URL parameter name.
  EXPECT_EQ(route_of(sticky("ROUTEID", ""), "/?ROUTEID=.r9"), "r9");
  EXPECT_EQ(route_of(config::StickySession{}, "/?ROUTEID=.r9", {"ROUTEID=.r9"}), "");
}

struct StickyFixture : BalancerFixture {
  StickyFixture() {
    cfg.sticky = sticky("ROUTEID", "routeid");
    add("b1", 1, "r1");
    add("b2", 1, "r2");
    add("b3", 1, "r3");
    add("b4", 1, "r4");
  }
  std::string with_cookie(const std::string& route, Pick* out = nullptr) {
    cookie_ = "ROUTEID=." + route;
    return request("/", {cookie_}, out);
  }
  std::string cookie_;
};

TEST(StickyBalancer, CookieRoutesToItsMemberAndCountsHits) {
  StickyFixture f;
  f.build();
  Pick p;
  EXPECT_EQ(f.with_cookie("r3", &p), "b3");
  EXPECT_TRUE(p.sticky_hit);
  EXPECT_FALSE(p.route_changed);
  EXPECT_FALSE(p.failover);
  EXPECT_EQ(p.session_route, "r3");
  EXPECT_EQ(f.state("b3").sticky_hits.load(), 1u);
  EXPECT_EQ(f.state("b3").elected.load(), 1u);
}

TEST(StickyBalancer, UrlParameterBeatsCookieAndNamesAreCaseSensitive) {
  StickyFixture f;
  f.build();
  std::string cookie = "ROUTEID=.r1";
  EXPECT_EQ(f.request("/x?routeid=.r2", {cookie}), "b2");
  // The parameter is "routeid": "ROUTEID=" in the URL is not it, so the cookie decides.
  EXPECT_EQ(f.request("/x?ROUTEID=.r2", {cookie}), "b1");
  std::string lower = "routeid=.r2";  // and the cookie is "ROUTEID", not "routeid"
  Pick p;
  f.request("/x", {lower}, &p);
  EXPECT_FALSE(p.sticky_hit);
}

TEST(StickyBalancer, UnknownRouteIsBalancedNormally) {
  StickyFixture f;
  f.build();
  Pick p;
  EXPECT_EQ(f.with_cookie("nope", &p), "b1");
  EXPECT_FALSE(p.sticky_hit);
  EXPECT_FALSE(p.failover);
  EXPECT_TRUE(p.route_changed);
  EXPECT_EQ(f.with_cookie("nope"), "b2");
  EXPECT_EQ(f.state("b1").sticky_misses.load(), 1u);  // counted on the member that took it
  EXPECT_EQ(f.state("b2").sticky_misses.load(), 1u);
  EXPECT_EQ(f.request(), "b3");
  EXPECT_EQ(f.state("b3").sticky_misses.load(), 0u);  // no session route: not a miss
}

TEST(StickyBalancer, NoRouteYetSetsRouteChanged) {
  StickyFixture f;
  f.build();
  Pick p;
  f.request("/", {}, &p);
  EXPECT_TRUE(p.route_changed);
  EXPECT_EQ(p.session_route, "");

  BalancerFixture plain;  // no stickysession: never "changed"
  plain.add("a");
  plain.build();
  plain.request("/", {}, &p);
  EXPECT_FALSE(p.route_changed);
}

TEST(StickyBalancer, StickyHitsRaiseTheOthersCounters) {
  StickyFixture f;
  f.build();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(f.with_cookie("r3"), "b3");
  EXPECT_EQ(f.state("b3").lbstatus.load(), -1200);
  EXPECT_EQ(f.state("b1").lbstatus.load(), 400);
  // Cookie-less requests now avoid b3 for a while.
  EXPECT_EQ(f.sequence(16), "b1 b2 b4 b1 b2 b4 b1 b2 b4 b1 b2 b4 b1 b2 b3 b4");
}

TEST(StickyBalancer, UnusableRouteFailsOverAndCountsIt) {
  StickyFixture f;
  f.build();
  f.state("b2").set(kDisabled);
  Pick p;
  EXPECT_EQ(f.with_cookie("r2", &p), "b1");
  EXPECT_FALSE(p.sticky_hit);
  EXPECT_TRUE(p.failover);
  EXPECT_TRUE(p.route_changed);
  EXPECT_EQ(f.state("b2").sticky_failovers.load(), 1u);
  EXPECT_EQ(f.state("b1").sticky_hits.load(), 0u);
}

TEST(StickyBalancer, NoFailoverAnswers503ForAKnownRouteOnly) {
  StickyFixture f;
  f.cfg.nofailover = true;
  f.build();
  f.state("b2").set(kInError);
  f.state("b2").error_time_ns = to_ns(f.now);
  Pick p;
  EXPECT_EQ(f.with_cookie("r2", &p), "503");
  EXPECT_EQ(p.error_status, 503);
  EXPECT_EQ(f.with_cookie("unknown"), "b1");  // a route no member has is balanced normally
  EXPECT_EQ(f.request(), "b3");                // b2 is still in error
}

TEST(StickyBalancer, ErrorRouteRecoversByRetry) {
  StickyFixture f;
  f.build();
  f.balancer->on_failure(f.member("b2"), f.now);
  EXPECT_NE(f.with_cookie("r2"), "b2");
  f.now += std::chrono::seconds(61);
  EXPECT_EQ(f.with_cookie("r2"), "b2");
}

TEST(StickyBalancer, DrainingMemberStillGetsItsSessions) {
  StickyFixture f;
  f.build();
  f.state("b1").set(kDrain);
  EXPECT_EQ(f.with_cookie("r1"), "b1");
  std::map<std::string, int> count;
  for (int i = 0; i < 30; ++i) ++count[f.request()];
  EXPECT_EQ(count["b1"], 0);
}

TEST(StickyBalancer, RedirectIsFollowedWhenTheRouteIsUnusable) {
  StickyFixture f;
  f.cfg.members[0].redirect = "r4";  // b1 -> r4
  f.cfg.members[3].redirect = "r1";  // b4 -> r1: a cycle when both are down
  f.build();
  f.state("b1").set(kDisabled);
  Pick p;
  EXPECT_EQ(f.with_cookie("r1", &p), "b4");
  EXPECT_TRUE(p.sticky_hit);
  EXPECT_TRUE(p.route_changed);  // b4's route is not the session's
  f.state("b4").set(kDisabled);
  EXPECT_EQ(f.with_cookie("r1", &p), "b2");  // cycle ends, normal failover
  EXPECT_TRUE(p.failover);
}

TEST(StickyBalancer, HotStandbyWithTheRouteIsTheSecondChoice) {
  BalancerFixture f;
  f.cfg.sticky = sticky("ROUTEID", "routeid");
  f.add("h", 1, "r1").status.hot_standby = true;
  f.add("a", 1, "r1");
  f.add("b", 1, "r2");
  f.build();
  std::string cookie = "ROUTEID=.r1";
  EXPECT_EQ(f.request("/", {cookie}), "a");
  f.state("a").set(kDisabled);
  EXPECT_EQ(f.request("/", {cookie}), "h");
}

TEST(StickyBalancer, TriedStickyMemberFailsOver) {
  StickyFixture f;
  f.build();
  std::string cookie = "ROUTEID=.r3";
  std::string_view cookies[] = {cookie};
  Pick first = f.balancer->pick({"/", cookies}, {}, f.now);
  ASSERT_EQ(first.member->config->name, "b3");
  f.balancer->on_failure(*first.member, f.now);
  f.balancer->on_done(*first.member, 0, 0);
  const Member* tried[] = {first.member};
  Pick second = f.balancer->pick({"/", cookies}, tried, f.now);
  ASSERT_NE(second.member, nullptr);
  EXPECT_NE(second.member->config->name, "b3");
  EXPECT_TRUE(second.failover);
  EXPECT_TRUE(second.route_changed);
}

TEST(StickyBalancer, JsessionidPathParameterWithAndWithoutScolon) {
  BalancerFixture f;
  f.cfg.sticky = sticky("JSESSIONID", "jsessionid", true);
  f.add("b1", 1, "r1");
  f.add("b4", 1, "r4");
  f.add("odd", 1, "r4;v=1");
  f.build();
  EXPECT_EQ(f.request("/app;jsessionid=abc.r4;v=1"), "b4");

  BalancerFixture g;
  g.cfg.sticky = sticky("JSESSIONID", "jsessionid", false);
  g.add("b1", 1, "r1");
  g.add("b4", 1, "r4");
  g.add("odd", 1, "r4;v=1");
  g.build();
  EXPECT_EQ(g.request("/app;jsessionid=abc.r4;v=1"), "odd");
}

}  // namespace
}  // namespace kb::proxy::core::testing
