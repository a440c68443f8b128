// Exact schedules of each lbmethod, as observed on Apache 2.4 (apache-semantics.md).
#include <gtest/gtest.h>

#include <map>

#include "tests/unit/core/balancer_fixture.h"

namespace kb::proxy::core::testing {
namespace {

TEST(ByRequests, EqualWeightsRoundRobinInConfigOrder) {
  BalancerFixture f;
  for (auto n : {"b1", "b2", "b3", "b4"}) f.add(n);
  f.build();
  EXPECT_EQ(f.sequence(8), "b1 b2 b3 b4 b1 b2 b3 b4");
}

TEST(ByRequests, Weights123AreSmoothAndExact) {
  BalancerFixture f;
  f.add("b1", 1);
  f.add("b2", 2);
  f.add("b3", 3);
  f.build();
  EXPECT_EQ(f.sequence(12), "b3 b2 b1 b3 b2 b3 b3 b2 b1 b3 b2 b3");
  std::map<std::string, int> count;
  for (int i = 0; i < 600; ++i) ++count[f.request()];
  EXPECT_EQ(count["b1"], 100);
  EXPECT_EQ(count["b2"], 200);
  EXPECT_EQ(count["b3"], 300);
  EXPECT_EQ(f.state("b3").elected.load(), 306u);
}

TEST(ByRequests, Weights73Interleave) {
  BalancerFixture f;
  f.add("b1", 7);
  f.add("b2", 3);
  f.build();
  EXPECT_EQ(f.sequence(10), "b1 b2 b1 b1 b1 b2 b1 b1 b2 b1");
}

TEST(ByRequests, DecimalLoadfactor) {
  BalancerFixture f;
  f.add("b1", 1.5);
  f.add("b2", 1);
  f.build();
  EXPECT_EQ(f.state("b1").lbfactor.load(), 150);
  std::map<std::string, int> count;
  for (int i = 0; i < 50; ++i) ++count[f.request()];
  EXPECT_EQ(count["b1"], 30);
  EXPECT_EQ(count["b2"], 20);
}

TEST(ByRequests, ResetZeroesCounters) {
  BalancerFixture f;
  f.add("b1");
  f.add("b2");
  f.build();
  f.request();
  auto method = lb::make_byrequests();
  method->reset(f.balancer->members());
  EXPECT_EQ(f.state("b1").lbstatus.load(), 0);
  EXPECT_EQ(f.state("b2").lbstatus.load(), 0);
}

TEST(ByTraffic, IdleMembersGoInOrderThenLeastTrafficWins) {
  BalancerFixture f;
  f.cfg.lbmethod = config::LbMethod::kByTraffic;
  for (auto n : {"b1", "b2", "b3"}) f.add(n);
  f.build();
  // Sequential requests, equal traffic each: b1 b2 b3 b1 ... like byrequests.
  std::string seq;
  for (int i = 0; i < 6; ++i) {
    Pick p = f.balancer->pick({"/", {}}, {}, f.now);
    ASSERT_NE(p.member, nullptr);
    seq += (i ? " " : "") + p.member->config->name;
    f.balancer->on_done(*p.member, 100, 900);
  }
  EXPECT_EQ(seq, "b1 b2 b3 b1 b2 b3");
  EXPECT_EQ(f.state("b1").transferred.load(), 200u);
  EXPECT_EQ(f.state("b1").read.load(), 1800u);
}

TEST(ByTraffic, WeightDividesTrafficAndTiesGoFirst) {
  BalancerFixture f;
  f.cfg.lbmethod = config::LbMethod::kByTraffic;
  f.add("a", 1);
  f.add("b", 2);
  f.build();
  std::map<std::string, int> count;
  for (int i = 0; i < 30; ++i) {
    Pick p = f.balancer->pick({"/", {}}, {}, f.now);
    ++count[p.member->config->name];
    f.balancer->on_done(*p.member, 1000, 0);
  }
  EXPECT_EQ(count["a"], 10);
  EXPECT_EQ(count["b"], 20);
  // Strict <: with equal weighted traffic the first member wins.
  f.state("a").transferred = 500;
  f.state("b").transferred = 1000;
  EXPECT_EQ(f.request(), "a");
}

TEST(ByTraffic, ResetZeroesTraffic) {
  BalancerFixture f;
  f.add("a");
  f.build();
  f.state("a").transferred = 5;
  f.state("a").read = 7;
  lb::make_bytraffic()->reset(f.balancer->members());
  EXPECT_EQ(f.state("a").transferred.load(), 0u);
  EXPECT_EQ(f.state("a").read.load(), 0u);
}

TEST(ByBusyness, IdleMembersRoundRobin) {
  BalancerFixture f;
  f.cfg.lbmethod = config::LbMethod::kByBusyness;
  for (auto n : {"b1", "b2", "b3", "b4"}) f.add(n);
  f.build();
  EXPECT_EQ(f.sequence(8), "b1 b2 b3 b4 b1 b2 b3 b4");
}

TEST(ByBusyness, LeastBusyWinsAndBusyIsReleasedOnDone) {
  BalancerFixture f;
  f.cfg.lbmethod = config::LbMethod::kByBusyness;
  f.add("a");
  f.add("b");
  f.add("c");
  f.build();
  Pick p1 = f.balancer->pick({"/", {}}, {}, f.now);
  Pick p2 = f.balancer->pick({"/", {}}, {}, f.now);
  Pick p3 = f.balancer->pick({"/", {}}, {}, f.now);
  EXPECT_EQ(p1.member->config->name, "a");
  EXPECT_EQ(p2.member->config->name, "b");
  EXPECT_EQ(p3.member->config->name, "c");
  f.balancer->on_done(*p2.member, 0, 0);  // b is idle again, a and c busy
  EXPECT_EQ(f.state("b").busy.load(), 0);
  Pick p4 = f.balancer->pick({"/", {}}, {}, f.now);
  EXPECT_EQ(p4.member->config->name, "b");
  // b busy again: all at 1; counters decide.
  Pick p5 = f.balancer->pick({"/", {}}, {}, f.now);
  EXPECT_NE(p5.member, nullptr);
  EXPECT_EQ(f.state("a").busy.load() + f.state("b").busy.load() + f.state("c").busy.load(), 4);
}

TEST(ByBusyness, BusyNeverGoesNegative) {
  BalancerFixture f;
  f.cfg.lbmethod = config::LbMethod::kByBusyness;
  f.add("a");
  f.build();
  Pick p = f.balancer->pick({"/", {}}, {}, f.now);
  lb::make_bybusyness()->reset(f.balancer->members());
  f.balancer->on_done(*p.member, 0, 0);
  EXPECT_EQ(f.state("a").busy.load(), 0);
}

// Heartbeat: proportions from the reported ready slots, with an injected random source.
struct HeartbeatFixture : BalancerFixture {
  uint64_t next = 0;
  void report(const std::string& name, int ready, int busy, TimePoint seen) {
    state(name).hb_ready = ready;
    state(name).hb_busy = busy;
    state(name).hb_seen_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(seen.time_since_epoch()).count();
  }
  void build_hb() {
    cfg.lbmethod = config::LbMethod::kHeartbeat;
    build([this](uint64_t bound) { return next++ % bound; });  // walks every slot in turn
  }
};

TEST(Heartbeat, ProportionalToReadySlots) {
  HeartbeatFixture f;
  f.add("a");
  f.add("b");
  f.add("c");
  f.build_hb();
  f.report("a", 30, 10, f.now);
  f.report("b", 10, 5, f.now);
  // c never reported: no requests.
  std::map<std::string, int> count;
  for (int i = 0; i < 400; ++i) ++count[f.request()];
  EXPECT_EQ(count["a"], 300);
  EXPECT_EQ(count["b"], 100);
  EXPECT_EQ(count["c"], 0);
}

TEST(Heartbeat, IdleMemberReadyIsQuarteredButNeverZero) {
  HeartbeatFixture f;
  f.add("a");
  f.add("b");
  f.add("c");
  f.build_hb();
  f.report("a", 40, 0, f.now);  // just started: 40 / 4 = 10
  f.report("b", 10, 1, f.now);  // 10
  f.report("c", 3, 0, f.now);   // 3 / 4 = 0 in Apache; we keep 1
  std::map<std::string, int> count;
  for (int i = 0; i < 210; ++i) ++count[f.request()];
  EXPECT_EQ(count["a"], 100);
  EXPECT_EQ(count["b"], 100);
  EXPECT_EQ(count["c"], 10);
}

TEST(Heartbeat, StaleSilentUnusableAndDrainedMembersAreSkipped) {
  HeartbeatFixture f;
  f.add("a");
  f.add("b");
  f.add("c");
  f.add("d");
  f.cfg.heartbeat.max_age = std::chrono::seconds(10);
  f.build_hb();
  f.report("a", 10, 1, f.now - std::chrono::seconds(11));  // stale
  f.report("b", 10, 1, f.now - std::chrono::seconds(2));
  f.report("c", 10, 1, f.now);
  f.report("d", 10, 1, f.now);
  f.state("c").set(kDisabled);
  f.state("d").set(kDrain);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(f.request(), "b");
  f.state("b").set(kInError);
  f.state("b").error_time_ns = f.state("b").hb_seen_ns.load();
  EXPECT_EQ(f.request(), "503");
  f.report("a", 0, 10, f.now);  // fresh but full: no capacity
  EXPECT_EQ(f.request(), "503");
}

TEST(Heartbeat, TriedMemberIsAvoided) {
  HeartbeatFixture f;
  f.add("a");
  f.add("b");
  f.build_hb();
  f.report("a", 100, 1, f.now);
  f.report("b", 1, 1, f.now);
  const Member* tried[] = {&f.member("a")};
  for (int i = 0; i < 5; ++i) {
    Pick p = f.balancer->pick({"/", {}}, tried, f.now);
    ASSERT_NE(p.member, nullptr);
    EXPECT_EQ(p.member->config->name, "b");
    f.balancer->on_done(*p.member, 0, 0);
  }
}

TEST(Heartbeat, DefaultRandomSourceSpreadsLoad) {
  BalancerFixture f;
  f.cfg.lbmethod = config::LbMethod::kHeartbeat;
  f.add("a");
  f.add("b");
  f.build();
  for (auto n : {"a", "b"}) {
    f.state(n).hb_ready = 50;
    f.state(n).hb_busy = 1;
    f.state(n).hb_seen_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(f.now.time_since_epoch()).count();
  }
  std::map<std::string, int> count;
  for (int i = 0; i < 1000; ++i) ++count[f.request()];
  EXPECT_EQ(count["a"] + count["b"], 1000);
  EXPECT_GT(count["a"], 300);  // 50/50 split; bounds far from any plausible random outcome
  EXPECT_GT(count["b"], 300);
}

}  // namespace
}  // namespace kb::proxy::core::testing
