#include "proxy/core/state_registry.h"

#include <gtest/gtest.h>

namespace kb::proxy::core {
namespace {

config::Member member(std::string name, std::string url) {
  config::Member m;
  m.name = std::move(name);
  m.url = std::move(url);
  return m;
}

config::Table table(std::vector<config::Member> a, std::vector<config::Member> b = {}) {
  config::Table t;
  t.balancers.emplace_back();
  t.balancers.back().name = "a";
  t.balancers.back().members = std::move(a);
  t.balancers.emplace_back();
  t.balancers.back().name = "b";
  t.balancers.back().members = std::move(b);
  return t;
}

TEST(StateRegistryTest, BindsInTableOrder) {
  StateRegistry reg;
  auto states = reg.bind(table({member("m1", "http://h1"), member("m2", "http://h2")},
                               {member("m1", "http://h3")}));
  ASSERT_EQ(states.size(), 2u);
  ASSERT_EQ(states[0].size(), 2u);
  ASSERT_EQ(states[1].size(), 1u);
  EXPECT_EQ(reg.size(), 3u);
  EXPECT_EQ(reg.find("a", "m1"), states[0][0]);
  EXPECT_EQ(reg.find("a", "m2"), states[0][1]);
  EXPECT_EQ(reg.find("b", "m1"), states[1][0]);  // same member name, other balancer: own state
  EXPECT_NE(states[0][0], states[1][0]);
  EXPECT_EQ(reg.find("a", "nope"), nullptr);
}

TEST(StateRegistryTest, NameDefaultsToUrl) {
  StateRegistry reg;
  auto states = reg.bind(table({member("", "http://h1:8080")}));
  EXPECT_EQ(reg.find("a", "http://h1:8080"), states[0][0]);
}

TEST(StateRegistryTest, LiveStateSurvivesReloadAndMissingMembersAreDropped) {
  StateRegistry reg;
  auto first = reg.bind(table({member("m1", "http://h1"), member("m2", "http://h2")}));
  first[0][0]->set(kInError | kHcFailed);
  first[0][0]->elected.store(42);
  first[0][0]->hc_fail_count.store(3);

  auto second = reg.bind(table({member("m3", "http://h3"), member("m1", "http://h1")}));
  EXPECT_EQ(second[0][1], first[0][0]);  // same object: counters and flags kept
  EXPECT_TRUE(second[0][1]->has(kInError));
  EXPECT_TRUE(second[0][1]->has(kHcFailed));
  EXPECT_EQ(second[0][1]->elected.load(), 42u);
  EXPECT_EQ(second[0][1]->hc_fail_count.load(), 3);
  EXPECT_EQ(second[0][0]->elected.load(), 0u);  // new member: defaults
  EXPECT_EQ(reg.find("a", "m2"), nullptr);
  EXPECT_EQ(reg.size(), 2u);
}

TEST(StateRegistryTest, ChangedConfigFlagsAreAppliedUnchangedOnesKeepLiveValue) {
  StateRegistry reg;
  auto m = member("m1", "http://h1");
  auto first = reg.bind(table({m}));
  auto& st = *first[0][0];
  st.set(kInError);   // from request errors
  st.set(kDrain);     // a manager edit
  m.status.disabled = true;  // the table adds +D
  reg.bind(table({m}));
  EXPECT_TRUE(st.has(kDisabled));
  EXPECT_TRUE(st.has(kInError));
  EXPECT_TRUE(st.has(kDrain));

  st.clear(kDisabled);  // a manager edit re-enables; an unrelated reload keeps that
  reg.bind(table({m}));
  EXPECT_FALSE(st.has(kDisabled));

  m.status.disabled = false;  // the table drops D and adds S
  m.status.stopped = true;
  st.set(kDisabled);
  reg.bind(table({m}));
  EXPECT_FALSE(st.has(kDisabled));
  EXPECT_TRUE(st.has(kStopped));
  EXPECT_TRUE(st.has(kInError));
}

TEST(StateRegistryTest, ChangedLoadfactorAndLbsetAreApplied) {
  StateRegistry reg;
  auto m = member("m1", "http://h1");
  auto first = reg.bind(table({m}));
  auto& st = *first[0][0];
  st.lbfactor.store(700);  // a manager edit
  reg.bind(table({m}));
  EXPECT_EQ(st.lbfactor.load(), 700);
  m.loadfactor = 2.5;
  m.lbset = 3;
  reg.bind(table({m}));
  EXPECT_EQ(st.lbfactor.load(), 250);
  EXPECT_EQ(st.lbset.load(), 3);
}

TEST(StateRegistryTest, UrlChangeMeansFreshState) {
  StateRegistry reg;
  auto first = reg.bind(table({member("m1", "http://h1")}));
  first[0][0]->set(kInError);
  auto second = reg.bind(table({member("m1", "http://h9")}));
  EXPECT_NE(second[0][0], first[0][0]);
  EXPECT_FALSE(second[0][0]->has(kInError));
}

TEST(StateRegistryTest, DuplicateNamesShareOneState) {
  StateRegistry reg;
  auto states = reg.bind(table({member("m1", "http://h1"), member("m1", "http://h1")}));
  EXPECT_EQ(states[0][0], states[0][1]);
  EXPECT_EQ(reg.size(), 1u);
}

}  // namespace
}  // namespace kb::proxy::core
