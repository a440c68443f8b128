// GET /api/edits: the EditStore as JSON, read by the controller to save edits in the
// BalancerCluster; POST /api/edits/ack and what an acknowledgement does to an edit.
#include <gtest/gtest.h>

#include "proxy/admin/manager/edit_store.h"

namespace kb::proxy::admin {
namespace {
using namespace std::chrono_literals;

TEST(EditsJson, EmptyStore) {
  EditStore store;
  EXPECT_EQ(edits_json(store), R"({"edits":[]})");
}

TEST(EditsJson, OnlyEditedFieldsAppearAndEditsMerge) {
  EditStore store;
  MemberEdit a;
  a.loadfactor = 2.5;
  a.flags['N'] = true;
  store.record("default/web", "pod-a", a);
  MemberEdit a2;
  a2.route = "r\"1";
  a2.flags['D'] = false;
  store.record("default/web", "pod-a", a2);
  MemberEdit b;
  b.lbset = 1;
  b.redirect = "pod-a";
  store.record("default/web", "pod-b", b);
  EXPECT_EQ(edits_json(store),
            R"({"edits":[{"balancer":"default/web","member":"pod-a","seq":2,"state":"pending","loadfactor":2.5,)"
            R"("route":"r\"1","flags":{"D":false,"N":true}},{"balancer":"default/web","member":"pod-b","seq":3,)"
            R"("state":"pending","lbset":1,"redirect":"pod-a"}]})");
}

config::Table table_with(double loadfactor, bool drain) {
  config::Table t;
  config::Balancer b;
  b.name = "default/web";
  config::Member m;
  m.name = "pod-a";
  m.url = "http://127.0.0.1:1";
  m.loadfactor = loadfactor;
  m.status.drain = drain;
  b.members.push_back(m);
  t.balancers.push_back(b);
  return t;
}

// A saved edit is applied until a table carries it, then dropped: from there the table (the
// resource) rules, so a later change of the overrides is not reverted by this copy.
TEST(EditStore, ASavedEditIsDroppedOnceTheTableCarriesIt) {
  EditStore store;
  MemberEdit e;
  e.loadfactor = 7;
  e.flags['N'] = true;
  store.record("default/web", "pod-a", e);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(store.acknowledge("default/web", "pod-a", 1, EditState::kSaved, "BalancerCluster default/web", t0));
  auto old_table = table_with(1, false);
  store.apply(old_table, t0 + 1s);  // the controller's table has not caught up: still applied
  EXPECT_EQ(old_table.balancers[0].members[0].loadfactor, 7);
  EXPECT_TRUE(old_table.balancers[0].members[0].status.drain);
  ASSERT_TRUE(store.entry("default/web", "pod-a"));
  EXPECT_EQ(store.entry("default/web", "pod-a")->state, EditState::kSaved);
  auto carried = table_with(7, true);
  store.apply(carried, t0 + 2s);
  EXPECT_FALSE(store.find("default/web", "pod-a"));
  // A user then removes the override: the table says so, and nothing here says otherwise.
  auto reverted = table_with(1, false);
  store.apply(reverted, t0 + 3s);
  EXPECT_EQ(reverted.balancers[0].members[0].loadfactor, 1);
  EXPECT_FALSE(reverted.balancers[0].members[0].status.drain);
}

TEST(EditStore, GraceEndsASavedEditTheTableNeverCarries) {
  EditStore store;
  MemberEdit e;
  e.loadfactor = 7;
  store.record("default/web", "pod-a", e);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(store.acknowledge("default/web", "pod-a", 1, EditState::kSaved, "", t0));
  auto t = table_with(2, false);  // someone changed the override to 2 meanwhile
  store.apply(t, t0 + EditStore::kSavedGrace);
  EXPECT_EQ(t.balancers[0].members[0].loadfactor, 2);
  EXPECT_FALSE(store.find("default/web", "pod-a"));
}

TEST(EditStore, StaleAcknowledgementsAndMemoryOnlyEdits) {
  EditStore store;
  MemberEdit e;
  e.loadfactor = 3;
  store.record("default/web", "pod-a", e);
  store.record("default/web", "pod-a", e);  // edited again: seq 2 is pending
  EXPECT_FALSE(store.acknowledge("default/web", "pod-a", 1, EditState::kSaved, ""));
  EXPECT_FALSE(store.acknowledge("default/web", "pod-x", 2, EditState::kSaved, ""));
  EXPECT_EQ(store.entry("default/web", "pod-a")->state, EditState::kPending);
  EXPECT_TRUE(store.acknowledge("default/web", "pod-a", 2, EditState::kMemoryOnly, "no BalancerCluster"));
  auto t = table_with(1, false);
  store.apply(t, std::chrono::steady_clock::now() + 1h);  // memory-only: kept as long as the member is
  EXPECT_EQ(t.balancers[0].members[0].loadfactor, 3);
  EXPECT_EQ(edits_json(store), R"({"edits":[{"balancer":"default/web","member":"pod-a","seq":2,)"
                               R"("state":"memory-only","loadfactor":3,"note":"no BalancerCluster"}]})");
  store.record("default/web", "pod-a", e);
  EXPECT_EQ(store.entry("default/web", "pod-a")->state, EditState::kMemoryOnly);
}

// A route redirect has no override field: once the rest is carried, it stays here as memory-only.
TEST(EditStore, ARedirectOutlivesItsSavedEdit) {
  EditStore store;
  MemberEdit e;
  e.loadfactor = 7;
  e.redirect = "pod-b";
  store.record("default/web", "pod-a", e);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(store.acknowledge("default/web", "pod-a", 1, EditState::kSaved, "", t0));
  auto t = table_with(7, false);
  store.apply(t, t0);
  EXPECT_EQ(t.balancers[0].members[0].redirect, "pod-b");
  const auto left = store.entry("default/web", "pod-a");
  ASSERT_TRUE(left);
  EXPECT_EQ(left->state, EditState::kMemoryOnly);
  EXPECT_FALSE(left->edit.loadfactor);
}

TEST(EditAck, ParsesAndNamesTheBadField) {
  std::string error;
  const auto ack = parse_edit_ack("balancer=default%2Fweb&member=pod-a&seq=9&state=saved&note=BalancerCluster+x", error);
  ASSERT_TRUE(ack) << error;
  EXPECT_EQ(ack->balancer, "default/web");
  EXPECT_EQ(ack->seq, 9u);
  EXPECT_EQ(ack->state, EditState::kSaved);
  EXPECT_EQ(ack->note, "BalancerCluster x");
  EXPECT_FALSE(parse_edit_ack("balancer=b&member=m&seq=x&state=saved", error));
  EXPECT_NE(error.find("seq"), std::string::npos);
  EXPECT_FALSE(parse_edit_ack("balancer=b&member=m&seq=1&state=pending", error));
  EXPECT_NE(error.find("state"), std::string::npos);
  EXPECT_FALSE(parse_edit_ack("member=m&seq=1&state=saved", error));
  EXPECT_NE(error.find("balancer"), std::string::npos);
}

}  // namespace
}  // namespace kb::proxy::admin
