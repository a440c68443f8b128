// Route matches beyond host + path, Gateway API precedence, the route actions and the weighted,
// sticky backend choice (with ingress-nginx canary rules) through Snapshot::decide.
#include <boost/beast/http/fields.hpp>
#include <gtest/gtest.h>

#include <map>

#include "proxy/core/route_actions.h"
#include "proxy/core/snapshot.h"
#include "proxy/core/source_allowlist.h"

namespace kb::proxy::core {
namespace {

using config::PathType;

config::Route route(std::string path, std::string balancer, PathType type = PathType::kPrefix) {
  config::Route r;
  r.path = std::move(path);
  r.path_type = type;
  r.balancer = std::move(balancer);
  return r;
}

config::Balancer balancer(std::string name, std::vector<std::string> routes) {
  config::Balancer b;
  b.name = std::move(name);
  b.sticky.cookie = "JSESSIONID";
  b.sticky.url_param = "jsessionid";
  for (const std::string& r : routes) {
    config::Member m;
    m.url = "http://10.0.0.1:8080";
    m.name = m.route = r;
    b.members.push_back(m);
  }
  return b;
}

struct Request {
  std::string method = "GET";
  std::string host;
  std::string target = "/";
  std::vector<HeaderView> headers;
  RequestView view() const { return {method, host, target, headers}; }
};

// b0..b4 with one member each (routes r0..r4).
config::Table table_with(std::vector<config::Route> routes) {
  config::Table t;
  for (int i = 0; i < 5; ++i) t.balancers.push_back(balancer("b" + std::to_string(i), {"r" + std::to_string(i)}));
  t.routes = std::move(routes);
  return t;
}

TEST(RouterPrecedence, MethodThenHeadersThenQueryThenTableOrder) {
  config::Route plain = route("/api", "b0");
  config::Route with_query = route("/api", "b1");
  with_query.query_params = {{"v", "2", config::MatchType::kExact}};
  config::Route two_headers = route("/api", "b2");
  two_headers.headers = {{"X-A", "1", config::MatchType::kExact}, {"x-b", "^[0-9]+$", config::MatchType::kRegex}};
  config::Route one_header = route("/api", "b3");
  one_header.headers = {{"X-A", "1", config::MatchType::kExact}};
  config::Route method = route("/api", "b4");
  method.methods = {"POST"};
  const Router r = Router::compile(table_with({plain, with_query, two_headers, one_header, method}));
  Request q;
  q.target = "/api/x?v=2";
  EXPECT_EQ(r.match_route(q.view()), 1);  // query beats plain
  q.headers = {{"x-a", "1"}};
  EXPECT_EQ(r.match_route(q.view()), 3);  // a header beats a query
  q.headers = {{"X-A", "1"}, {"X-B", "42"}};
  EXPECT_EQ(r.match_route(q.view()), 2);  // more headers win
  q.headers = {{"X-A", "1"}, {"X-B", "4a"}};  // regex must match the whole value
  EXPECT_EQ(r.match_route(q.view()), 3);
  q.method = "POST";
  EXPECT_EQ(r.match_route(q.view()), 4);  // a method beats everything else
  q.method = "post";                      // methods are case-sensitive
  EXPECT_EQ(r.match_route(q.view()), 3);
  // The host + path call passes over routes with conditions.
  EXPECT_EQ(r.match("", "/api/x?v=2"), 0);
}

TEST(RouterPrecedence, FailedConditionsFallToAShorterPrefixAndExactComesFirst) {
  config::Route exact = route("/a/b", "b0", PathType::kExact);
  exact.headers = {{"X-Env", "canary", config::MatchType::kExact}};
  config::Route longer = route("/a/b", "b1");
  longer.methods = {"PUT"};
  const Router r = Router::compile(table_with({exact, longer, route("/a", "b2")}));
  Request q;
  q.target = "/a/b";
  EXPECT_EQ(r.match_route(q.view()), 2);
  q.headers = {{"X-Env", "canary"}};
  EXPECT_EQ(r.match_route(q.view()), 0);
  q.headers.clear();
  q.method = "PUT";
  EXPECT_EQ(r.match_route(q.view()), 1);
  q.target = "/nope";
  EXPECT_EQ(r.match_route(q.view()), Router::kNoMatch);
}

TEST(RouteMatchTest, QueryParameters) {
  EXPECT_EQ(query_param("/p?a=1&b=2", "b"), "2");
  EXPECT_EQ(query_param("/p?a=1&a=2", "a"), "1");  // the first one
  EXPECT_EQ(query_param("/p?flag&b=2", "flag"), "");
  EXPECT_FALSE(query_param("/p?ab=1", "a"));
  EXPECT_FALSE(query_param("/p", "a"));
  EXPECT_EQ(query_param("/p?a=1#frag", "a"), "1");
}

TEST(RouteActions, RedirectLocation) {
  config::Route r = route("/foo", "");
  RedirectRequest req{"http", "shop.example.com", 80, "/foo/bar?x=1"};
  r.redirect.scheme = "https";
  EXPECT_EQ(redirect_location(r, req), "https://shop.example.com/foo/bar?x=1");  // well-known port omitted
  r.redirect.port = 8443;
  EXPECT_EQ(redirect_location(r, req), "https://shop.example.com:8443/foo/bar?x=1");
  r.redirect = {};
  r.redirect.hostname = "new.example.com";
  req.port = 8080;  // no scheme change: the listener's port
  EXPECT_EQ(redirect_location(r, req), "http://new.example.com:8080/foo/bar?x=1");
  r.redirect.replace_prefix = "/xyz";
  EXPECT_EQ(redirect_location(r, req), "http://new.example.com:8080/xyz/bar?x=1");
  r.redirect.replace_prefix = "/";
  EXPECT_EQ(redirect_location(r, req), "http://new.example.com:8080/bar?x=1");
  req.target = "/foo";
  EXPECT_EQ(redirect_location(r, req), "http://new.example.com:8080/");
  r.redirect.replace_prefix.clear();
  r.redirect.replace_full = "/app1";  // ingress-nginx app-root
  EXPECT_EQ(redirect_location(r, req), "http://new.example.com:8080/app1");
  r.redirect = {};
  r.redirect.url = "https://www.example.org/";  // permanent-redirect: verbatim
  EXPECT_EQ(redirect_location(r, req), "https://www.example.org/");
}

// rewritten_target through a reused string, as the exchange calls it; nullopt for "unchanged".
std::optional<std::string> rewrite(const config::Route& r, const std::regex* re, std::string_view target) {
  static std::string out = "stale";  // reused across calls: every call must clear it
  if (!rewritten_target(r, re, target, out)) {
    EXPECT_TRUE(out.empty());
    return std::nullopt;
  }
  return out;
}

TEST(RouteActions, RewriteTarget) {
  config::Route r = route("/something", "b0");
  EXPECT_FALSE(rewrite(r, nullptr, "/something/x"));
  // ingress-nginx: path /something(/|$)(.*), rewrite-target /$2, use-regex
  r.rewrite.regex = "/something(/|$)(.*)";
  r.rewrite.replacement = "/$2";
  const std::regex re(r.rewrite.regex, std::regex::ECMAScript | std::regex::icase);
  EXPECT_EQ(rewrite(r, &re, "/something"), "/");
  EXPECT_EQ(rewrite(r, &re, "/something/"), "/");
  EXPECT_EQ(rewrite(r, &re, "/something/new?q=1"), "/new?q=1");
  EXPECT_EQ(rewrite(r, &re, "/SOMETHING/new"), "/new");  // (?i) as ingress-nginx writes it
  EXPECT_FALSE(rewrite(r, &re, "/other"));
  r.rewrite = {};
  r.rewrite.replace_prefix = "/v2";
  EXPECT_EQ(rewrite(r, nullptr, "/something/a?b"), "/v2/a?b");
  EXPECT_EQ(rewrite(r, nullptr, "/something"), "/v2");
  r.rewrite = {};
  r.rewrite.replace_full = "/fixed";
  EXPECT_EQ(rewrite(r, nullptr, "/something/a?b=1"), "/fixed?b=1");
  r.rewrite = {};
  r.rewrite.hostname = "internal";
  EXPECT_EQ(rewritten_host(r), "internal");
  EXPECT_FALSE(rewrite(r, nullptr, "/something"));
}

TEST(RouteActions, HeaderModifierOnBeastFields) {
  config::HeaderModifier m;
  m.set = {{"X-Set", "new"}};
  m.add = {{"X-Add", "2"}};
  m.remove = {"X-Gone", "x-set-and-gone"};
  boost::beast::http::fields f;
  f.insert("X-Set", "old");
  f.insert("X-Set", "older");
  f.insert("X-Add", "1");
  f.insert("x-gone", "bye");
  f.insert("X-Set-And-Gone", "v");
  apply_header_modifier(m, f);
  EXPECT_EQ(f.count("X-Set"), 1u);
  EXPECT_EQ(f["X-Set"], "new");
  EXPECT_EQ(f.count("X-Add"), 2u);
  EXPECT_EQ(f.count("X-Gone"), 0u);
  EXPECT_EQ(f.count("X-Set-And-Gone"), 0u);
}

TEST(RouteActions, BodyLimit) {
  config::Route r = route("/", "b0");
  EXPECT_FALSE(body_too_large(r, uint64_t{1} << 40, 0));
  r.max_body_size = 1024;
  EXPECT_TRUE(body_too_large(r, 1025, 0));
  EXPECT_FALSE(body_too_large(r, 1024, 1024));
  EXPECT_TRUE(body_too_large(r, std::nullopt, 2000));  // chunked: counted as it arrives
  r.max_body_size = 0;
  EXPECT_FALSE(body_too_large(r, 5000, 5000));
}

TEST(SourceAllowlistTest, V4V6AndMapped) {
  const SourceAllowlist list = SourceAllowlist::compile({"10.0.0.0/8", "192.168.1.7", "fd00::/8"});
  EXPECT_TRUE(list.allows("10.200.3.4"));
  EXPECT_TRUE(list.allows("::ffff:10.1.1.1"));  // IPv4 on a dual-stack socket
  EXPECT_TRUE(list.allows("192.168.1.7"));
  EXPECT_FALSE(list.allows("192.168.1.8"));
  EXPECT_TRUE(list.allows("fdab::1"));
  EXPECT_FALSE(list.allows("fe80::1"));
  EXPECT_FALSE(list.allows("11.0.0.1"));
  EXPECT_FALSE(list.allows("garbage"));
  std::array<uint8_t, 16> v6{};
  v6[10] = v6[11] = 0xff;
  v6[12] = 10;
  EXPECT_TRUE(list.allows(v6));
  EXPECT_TRUE(SourceAllowlist::compile({}).allows("1.2.3.4"));
  EXPECT_TRUE(SourceAllowlist::compile({"0.0.0.0/0"}).allows("1.2.3.4"));
  EXPECT_FALSE(SourceAllowlist::compile({"0.0.0.0/0"}).allows("fd00::1"));
  EXPECT_FALSE(SourceAllowlist::compile({"not-a-cidr"}).allows("1.2.3.4"));
}

// stable: members s1, s2; canary: members c1 (draining flag is irrelevant to the choice).
std::shared_ptr<const Snapshot> split_snapshot(StateRegistry& reg, int stable_weight, int canary_weight,
                                               bool with_canary_rules) {
  config::Table t;
  t.balancers = {balancer("stable", {"s1", "s2"}), balancer("canary", {"c1"})};
  t.balancers[1].members[0].status.drain = true;
  config::Route r;
  r.path = "/";
  r.backends = {{"stable", stable_weight}, {"canary", canary_weight}};
  if (with_canary_rules) r.canary = {"canary", "X-Canary", "", "canary"};
  config::Route redirect_only = route("/old", "", PathType::kExact);
  redirect_only.redirect.replace_full = "/new";
  t.routes = {r, redirect_only};
  t.default_backend = "stable";
  return build_snapshot(std::move(t), reg, 1);
}

TEST(SnapshotDecide, WeightsSplitNewSessionsAndSessionsStayOnTheirVersion) {
  StateRegistry reg;
  auto snap = split_snapshot(reg, 90, 10, false);
  Request q;
  q.target = "/page";
  std::map<std::string, int> hits;
  for (uint64_t i = 0; i < 1000; ++i) {
    const RouteDecision d = snap->decide(q.view(), i * 7919);  // a spread of "random" values
    ASSERT_NE(d.balancer, nullptr);
    EXPECT_EQ(d.reason, BackendReason::kWeight);
    ++hits[d.balancer->config().name];
  }
  EXPECT_EQ(hits["stable"], 900);  // i*7919 mod 100 covers every residue ten times
  EXPECT_EQ(hits["canary"], 100);
  // A session on the canary's member stays there, even at weight 0 and though it drains.
  auto zero = split_snapshot(reg, 100, 0, false);
  q.headers = {{"Cookie", "a=b; JSESSIONID=xyz.c1"}};
  for (uint64_t i = 0; i < 50; ++i) {
    const RouteDecision d = zero->decide(q.view(), i);
    EXPECT_EQ(d.balancer->config().name, "canary");
    EXPECT_EQ(d.backend, 1);
    EXPECT_EQ(d.reason, BackendReason::kSession);
  }
  q.headers.clear();
  q.target = "/page;jsessionid=xyz.s2";  // the URL parameter counts as well
  EXPECT_EQ(snap->decide(q.view(), 99).balancer->config().name, "stable");
  q.target = "/page?jsessionid=xyz.gone";  // a session whose member is gone is split anew
  EXPECT_EQ(zero->decide(q.view(), 5).reason, BackendReason::kWeight);
  EXPECT_EQ(zero->decide(q.view(), 5).balancer->config().name, "stable");
}

TEST(SnapshotDecide, CanaryHeaderThenCookieThenSessionThenWeights) {
  StateRegistry reg;
  auto snap = split_snapshot(reg, 100, 0, true);
  Request q;
  q.headers = {{"X-Canary", "always"}};
  EXPECT_EQ(snap->decide(q.view(), 0).balancer->config().name, "canary");
  EXPECT_EQ(snap->decide(q.view(), 0).reason, BackendReason::kCanaryHeader);
  q.headers = {{"X-Canary", "never"}, {"Cookie", "canary=always"}};
  EXPECT_EQ(snap->decide(q.view(), 0).balancer->config().name, "stable");  // the header comes first
  q.headers = {{"X-Canary", "maybe"}, {"Cookie", "canary=always"}};
  EXPECT_EQ(snap->decide(q.view(), 0).balancer->config().name, "canary");
  EXPECT_EQ(snap->decide(q.view(), 0).reason, BackendReason::kCanaryCookie);
  q.headers = {{"Cookie", "canary=never; JSESSIONID=a.c1"}};
  EXPECT_EQ(snap->decide(q.view(), 0).balancer->config().name, "stable");  // beats the session
  q.headers = {{"Cookie", "JSESSIONID=a.c1"}};
  EXPECT_EQ(snap->decide(q.view(), 0).balancer->config().name, "canary");
  // headervalue: only that exact value routes to the canary.
  config::Table t = split_snapshot(reg, 100, 0, true)->table;
  t.routes[0].canary.header_value = "yes-please";
  auto snap2 = build_snapshot(std::move(t), reg, 2);
  q.headers = {{"X-Canary", "always"}};
  EXPECT_EQ(snap2->decide(q.view(), 0).balancer->config().name, "stable");
  q.headers = {{"x-canary", "yes-please"}};
  EXPECT_EQ(snap2->decide(q.view(), 0).balancer->config().name, "canary");
}

TEST(SnapshotDecide, RedirectOnlyRoutesDefaultBackendAndTheOldCall) {
  StateRegistry reg;
  auto snap = split_snapshot(reg, 1, 1, false);
  Request q;
  q.target = "/old";
  RouteDecision d = snap->decide(q.view(), 0);
  ASSERT_NE(d.route, nullptr);
  EXPECT_EQ(d.balancer, nullptr);
  EXPECT_EQ(d.route->redirect.replace_full, "/new");
  ASSERT_NE(d.compiled, nullptr);
  EXPECT_TRUE(d.compiled->allow.empty());
  // The host + path call: a weighted route gives its first backend; a redirect-only route the
  // default backend.
  EXPECT_EQ(snap->route("", "/x")->config().name, "stable");
  EXPECT_EQ(snap->route("", "/old")->config().name, "stable");
  // No route: the default backend, no route.
  config::Table t;
  t.balancers = {balancer("web", {"w1"})};
  t.routes = {route("/only", "web", PathType::kExact)};
  t.default_backend = "web";
  auto plain = build_snapshot(std::move(t), reg, 3);
  q.target = "/elsewhere";
  d = plain->decide(q.view(), 0);
  EXPECT_EQ(d.route, nullptr);
  ASSERT_NE(d.balancer, nullptr);
  q.target = "/only";
  d = plain->decide(q.view(), 0);
  ASSERT_NE(d.route, nullptr);
  EXPECT_EQ(d.backend, -1);
  EXPECT_EQ(d.reason, BackendReason::kOnly);
}

// The data plane fills RequestView::headers only when decide() reads them; for every other table
// the decision must not depend on them.
TEST(SnapshotDecide, ReadsHeadersOnlyForHeaderMatchesAndSplits) {
  StateRegistry reg;
  EXPECT_TRUE(split_snapshot(reg, 1, 1, false)->decide_reads_headers);  // two backends: cookies
  config::Route redirect = route("/old", "", PathType::kExact);
  redirect.redirect.replace_full = "/new";
  config::Route limited = route("/up", "b1");
  limited.methods = {"POST"};
  limited.query_params = {{"v", "2", config::MatchType::kExact}};
  limited.max_body_size = 10;
  config::Route one_backend = route("/one", "");
  one_backend.backends = {{"b2", 1}};
  auto simple = build_snapshot(table_with({route("/", "b0"), redirect, limited, one_backend}), reg, 2);
  EXPECT_FALSE(simple->decide_reads_headers);
  Request with, without;
  with.headers = {{"Cookie", "JSESSIONID=x.r3"}, {"X-A", "1"}};
  for (const std::string target : {"/", "/old", "/up?v=2", "/one/x"}) {
    for (const std::string method : {"GET", "POST"}) {
      with.target = without.target = target;
      with.method = without.method = method;
      const RouteDecision a = simple->decide(with.view(), 7);
      const RouteDecision b = simple->decide(without.view(), 7);
      EXPECT_EQ(a.route, b.route) << method << " " << target;
      EXPECT_EQ(a.balancer, b.balancer) << method << " " << target;
      EXPECT_EQ(a.backend, b.backend) << method << " " << target;
    }
  }
  config::Route by_header = route("/h", "b3");
  by_header.headers = {{"X-A", "1", config::MatchType::kExact}};
  EXPECT_TRUE(build_snapshot(table_with({route("/", "b0"), by_header}), reg, 3)->decide_reads_headers);
}

}  // namespace
}  // namespace kb::proxy::core
