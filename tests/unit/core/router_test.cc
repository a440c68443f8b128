#include "proxy/core/router.h"

#include <gtest/gtest.h>

namespace kb::proxy::core {
namespace {

using config::PathType;

config::Route route(std::string host, std::string path, PathType type, std::string balancer) {
  config::Route r;
  r.host = std::move(host);
  r.path = std::move(path);
  r.path_type = type;
  r.balancer = std::move(balancer);
  return r;
}

// Balancers b0..b9 so that a balancer's index is its digit.
config::Table table_with(std::vector<config::Route> routes, std::string default_backend = "") {
  config::Table t;
  for (int i = 0; i < 10; ++i) {
    t.balancers.emplace_back();
    t.balancers.back().name = "b" + std::to_string(i);
  }
  t.routes = std::move(routes);
  t.default_backend = std::move(default_backend);
  return t;
}

TEST(RouterTest, EmptyTableMatchesNothing) {
  Router r = Router::compile(config::Table{});
  EXPECT_EQ(r.match("a.example.com", "/"), Router::kNoMatch);
  Router def;
  EXPECT_EQ(def.match("", "/"), Router::kNoMatch);
}

TEST(RouterTest, ExactHostBeatsWildcardBeatsAny) {
  Router r = Router::compile(table_with({
      route("", "/", PathType::kPrefix, "b0"),
      route("*.example.com", "/", PathType::kPrefix, "b1"),
      route("app.example.com", "/", PathType::kPrefix, "b2"),
  }));
  EXPECT_EQ(r.match("app.example.com", "/x"), 2);
  EXPECT_EQ(r.match("web.example.com", "/x"), 1);
  EXPECT_EQ(r.match("other.org", "/x"), 0);
  EXPECT_EQ(r.match("", "/x"), 0);
}

TEST(RouterTest, WildcardMatchesExactlyOneLabel) {
  Router r = Router::compile(table_with({route("*.example.com", "/", PathType::kPrefix, "b1")}));
  EXPECT_EQ(r.match("a.example.com", "/"), 1);
  EXPECT_EQ(r.match("example.com", "/"), Router::kNoMatch);
  EXPECT_EQ(r.match("a.b.example.com", "/"), Router::kNoMatch);
  EXPECT_EQ(r.match(".example.com", "/"), Router::kNoMatch);
  EXPECT_EQ(r.match("aexample.com", "/"), Router::kNoMatch);
}

TEST(RouterTest, HostsAreCompiledCaseInsensitively) {
  Router r = Router::compile(table_with({
      route("App.Example.COM", "/", PathType::kPrefix, "b1"),
      route("*.Web.Example.com", "/", PathType::kPrefix, "b2"),
  }));
  EXPECT_EQ(r.match("app.example.com", "/"), 1);
  EXPECT_EQ(r.match("x.web.example.com", "/"), 2);
}

TEST(RouterTest, MostSpecificHostGroupDoesNotFallThrough) {
  Router r = Router::compile(table_with({
      route("", "/", PathType::kPrefix, "b0"),
      route("app.example.com", "/api", PathType::kPrefix, "b1"),
  }, "b9"));
  EXPECT_EQ(r.match("app.example.com", "/api/v1"), 1);
  // The host has rules, none matches the path: the default backend, not the any-host rule.
  EXPECT_EQ(r.match("app.example.com", "/other"), 9);
  EXPECT_EQ(r.match("else.example.com", "/other"), 0);
}

// The examples table of https://kubernetes.io/docs/concepts/services-networking/ingress/#examples
TEST(RouterTest, KubernetesPathExamples) {
  struct Case {
    PathType type;
    std::vector<std::string> paths;
    std::string request;
    bool matches;
  };
  const std::vector<Case> cases = {
      {PathType::kPrefix, {"/"}, "/anything/at/all", true},
      {PathType::kExact, {"/foo"}, "/foo", true},
      {PathType::kExact, {"/foo"}, "/bar", false},
      {PathType::kExact, {"/foo"}, "/foo/", false},
      {PathType::kExact, {"/foo/"}, "/foo", false},
      {PathType::kPrefix, {"/foo"}, "/foo", true},
      {PathType::kPrefix, {"/foo"}, "/foo/", true},
      {PathType::kPrefix, {"/foo/"}, "/foo", true},
      {PathType::kPrefix, {"/foo/"}, "/foo/", true},
      {PathType::kPrefix, {"/aaa/bb"}, "/aaa/bbb", false},
      {PathType::kPrefix, {"/aaa/bbb"}, "/aaa/bbb", true},
      {PathType::kPrefix, {"/aaa/bbb/"}, "/aaa/bbb", true},
      {PathType::kPrefix, {"/aaa/bbb"}, "/aaa/bbb/", true},
      {PathType::kPrefix, {"/aaa/bbb"}, "/aaa/bbb/ccc", true},
      {PathType::kPrefix, {"/aaa/bbb"}, "/aaa/bbbxyz", false},
      {PathType::kPrefix, {"/", "/aaa"}, "/aaa/ccc", true},
      {PathType::kPrefix, {"/", "/aaa", "/aaa/bbb"}, "/aaa/bbb", true},
      {PathType::kPrefix, {"/", "/aaa", "/aaa/bbb"}, "/ccc", true},
      {PathType::kPrefix, {"/aaa"}, "/ccc", false},
  };
  for (const Case& c : cases) {
    std::vector<config::Route> routes;
    for (const auto& p : c.paths) routes.push_back(route("", p, c.type, "b1"));
    Router r = Router::compile(table_with(routes));
    EXPECT_EQ(r.match("h", c.request) == 1, c.matches)
        << (c.type == PathType::kExact ? "Exact " : "Prefix ") << c.paths.back() << " vs " << c.request;
  }
}

TEST(RouterTest, LongestPrefixWins) {
  Router r = Router::compile(table_with({
      route("", "/", PathType::kPrefix, "b1"),
      route("", "/aaa/bbb", PathType::kPrefix, "b3"),
      route("", "/aaa", PathType::kPrefix, "b2"),
  }));
  EXPECT_EQ(r.match("h", "/aaa/bbb"), 3);
  EXPECT_EQ(r.match("h", "/aaa/bbb/c"), 3);
  EXPECT_EQ(r.match("h", "/aaa/ccc"), 2);
  EXPECT_EQ(r.match("h", "/aaa/bbbb"), 2);
  EXPECT_EQ(r.match("h", "/ccc"), 1);
}

TEST(RouterTest, ExactBeatsPrefixAtEqualLengthAndLongerPrefixBeatsShorterExact) {
  Router r = Router::compile(table_with({
      route("", "/foo", PathType::kPrefix, "b1"),
      route("", "/foo", PathType::kExact, "b2"),
      route("", "/", PathType::kExact, "b3"),
  }));
  EXPECT_EQ(r.match("h", "/foo"), 2);
  EXPECT_EQ(r.match("h", "/foo/"), 1);
  EXPECT_EQ(r.match("h", "/foo/x"), 1);
  EXPECT_EQ(r.match("h", "/"), 3);
  EXPECT_EQ(r.match("h", "/bar"), Router::kNoMatch);
}

TEST(RouterTest, FirstIdenticalRouteWins) {
  Router r = Router::compile(table_with({
      route("", "/x", PathType::kPrefix, "b4"),
      route("", "/x/", PathType::kPrefix, "b5"),
      route("", "/e", PathType::kExact, "b6"),
      route("", "/e", PathType::kExact, "b7"),
  }));
  EXPECT_EQ(r.match("h", "/x/y"), 4);
  EXPECT_EQ(r.match("h", "/e"), 6);
}

TEST(RouterTest, DefaultBackendAndUnknownBalancers) {
  Router r = Router::compile(table_with({
      route("app.example.com", "/", PathType::kPrefix, "missing"),
      route("app.example.com", "/api", PathType::kPrefix, "b1"),
  }, "b8"));
  EXPECT_EQ(r.match("app.example.com", "/api"), 1);
  EXPECT_EQ(r.match("app.example.com", "/"), 8);  // the route to an unknown balancer is skipped
  EXPECT_EQ(r.match("nohost", "/"), 8);

  Router none = Router::compile(table_with({}, "missing"));
  EXPECT_EQ(none.match("h", "/"), Router::kNoMatch);
}

TEST(RouterTest, QueryStringAndEmptyPath) {
  Router r = Router::compile(table_with({
      route("", "/a", PathType::kExact, "b1"),
      route("", "/", PathType::kPrefix, "b2"),
  }));
  EXPECT_EQ(r.match("h", "/a?x=/b"), 1);
  EXPECT_EQ(r.match("h", ""), 2);
  EXPECT_EQ(r.match("h", "?q"), 2);
}

TEST(RouterTest, PathsAreCaseSensitive) {
  Router r = Router::compile(table_with({route("", "/Foo", PathType::kPrefix, "b1")}));
  EXPECT_EQ(r.match("h", "/Foo/bar"), 1);
  EXPECT_EQ(r.match("h", "/foo/bar"), Router::kNoMatch);
}

}  // namespace
}  // namespace kb::proxy::core
