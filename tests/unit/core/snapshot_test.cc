#include "proxy/core/snapshot.h"

#include <gtest/gtest.h>

namespace kb::proxy::core {
namespace {

config::Member member(std::string name, std::string url) {
  config::Member m;
  m.name = std::move(name);
  m.url = std::move(url);
  return m;
}

config::Table sample() {
  config::Table t;
  config::Balancer web;
  web.name = "web";
  web.members = {member("w1", "http://10.0.0.1:8080"), member("w2", "http://10.0.0.2/base/path/"),
                 member("w3", "http://[fd00::7]:9000/x?q=1"), member("", "http://Backend.local")};
  config::Balancer api;
  api.name = "api";
  api.members = {member("a1", "http://10.0.1.1:81")};
  t.balancers = {web, api};
  config::Route r1;
  r1.host = "app.example.com";
  r1.path = "/api";
  r1.balancer = "api";
  config::Route r2;
  r2.host = "app.example.com";
  r2.path = "/";
  r2.balancer = "web";
  t.routes = {r1, r2};
  return t;
}

TEST(SnapshotTest, BuildsBalancersWithParsedMembers) {
  StateRegistry reg;
  auto snap = build_snapshot(sample(), reg, 7);
  EXPECT_EQ(snap->generation, 7u);
  ASSERT_EQ(snap->balancers.size(), 2u);
  EXPECT_EQ(&snap->balancers[0]->config(), &snap->table.balancers[0]);
  auto members = snap->balancers[0]->members();
  ASSERT_EQ(members.size(), 4u);

  EXPECT_EQ(members[0].host, "10.0.0.1");
  EXPECT_EQ(members[0].port, 8080);
  EXPECT_EQ(members[0].host_header, "10.0.0.1:8080");
  EXPECT_EQ(members[0].base_path, "");
  EXPECT_EQ(members[0].index, 0u);
  EXPECT_EQ(members[0].config, &snap->table.balancers[0].members[0]);

  EXPECT_EQ(members[1].host, "10.0.0.2");
  EXPECT_EQ(members[1].port, 80);
  EXPECT_EQ(members[1].host_header, "10.0.0.2");
  EXPECT_EQ(members[1].base_path, "/base/path");

  EXPECT_EQ(members[2].host, "fd00::7");
  EXPECT_EQ(members[2].port, 9000);
  EXPECT_EQ(members[2].host_header, "[fd00::7]:9000");
  EXPECT_EQ(members[2].base_path, "/x");

  EXPECT_EQ(members[3].host, "Backend.local");
  EXPECT_EQ(members[3].index, 3u);

  for (const Member& m : members) ASSERT_NE(m.state, nullptr);
  EXPECT_EQ(reg.find("web", "w1"), members[0].state);
  EXPECT_EQ(reg.find("web", "http://Backend.local"), members[3].state);
}

TEST(SnapshotTest, RoutesThroughTheRouter) {
  StateRegistry reg;
  auto t = sample();
  t.default_backend = "web";
  auto snap = build_snapshot(std::move(t), reg, 1);
  EXPECT_EQ(snap->route("app.example.com", "/api/x"), snap->balancers[1].get());
  EXPECT_EQ(snap->route("app.example.com", "/apix"), snap->balancers[0].get());
  EXPECT_EQ(snap->route("other", "/"), snap->balancers[0].get());  // default backend

  auto no_default = build_snapshot(sample(), reg, 2);
  EXPECT_EQ(no_default->route("other", "/"), nullptr);
}

TEST(SnapshotTest, StateSurvivesRebuild) {
  StateRegistry reg;
  auto first = build_snapshot(sample(), reg, 1);
  auto w1 = first->balancers[0]->members()[0].state;
  w1->set(kInError);
  w1->elected.store(5);

  auto t = sample();
  t.balancers[0].members.erase(t.balancers[0].members.begin() + 1);  // drop w2
  auto second = build_snapshot(std::move(t), reg, 2);
  EXPECT_EQ(second->balancers[0]->members()[0].state, w1);
  EXPECT_TRUE(second->balancers[0]->members()[0].state->has(kInError));
  EXPECT_EQ(reg.find("web", "w2"), nullptr);
  EXPECT_EQ(reg.size(), 4u);
  // The old snapshot is still whole: in-flight requests finish on it.
  EXPECT_EQ(first->balancers[0]->members().size(), 4u);
  EXPECT_NE(first->balancers[0]->members()[1].state, nullptr);
}

TEST(SnapshotTest, UrlEdgeCasesFallBackInsteadOfFailing) {
  config::Table t;
  t.balancers.emplace_back();
  t.balancers[0].name = "b";
  t.balancers[0].members = {member("p", "http://h:notaport/"), member("z", "http://h:0"),
                            member("u", "http://user@h:8081?x"), member("n", "h2:82")};
  StateRegistry reg;
  auto snap = build_snapshot(std::move(t), reg, 1);
  auto m = snap->balancers[0]->members();
  EXPECT_EQ(m[0].host, "h");
  EXPECT_EQ(m[0].port, 80);
  EXPECT_EQ(m[0].base_path, "");
  EXPECT_EQ(m[1].port, 80);
  EXPECT_EQ(m[2].host, "h");
  EXPECT_EQ(m[2].port, 8081);
  EXPECT_EQ(m[2].base_path, "");
  EXPECT_EQ(m[3].host, "h2");
  EXPECT_EQ(m[3].port, 82);
}

TEST(SnapshotTest, EmptyTable) {
  StateRegistry reg;
  auto snap = build_snapshot(config::Table{}, reg, 0);
  EXPECT_TRUE(snap->balancers.empty());
  EXPECT_EQ(snap->route("h", "/"), nullptr);
}

}  // namespace
}  // namespace kb::proxy::core
