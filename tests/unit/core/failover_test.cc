// The shared frame (lbsets, H, R, N, D, S, E, C, I), lazy recovery, forcerecovery, maxattempts and
// what responses do to a member: Apache's rules from apache-semantics.md (b).
#include <gtest/gtest.h>

#include <map>

#include "tests/unit/core/balancer_fixture.h"

namespace kb::proxy::core::testing {
namespace {

using std::chrono::seconds;

TEST(Tiers, LowerLbsetServesAloneUntilItIsUnusable) {
  BalancerFixture f;
  f.add("a").lbset = 0;
  f.add("b").lbset = 1;
  f.add("c").lbset = 0;
  f.build();
  EXPECT_EQ(f.sequence(4), "a c a c");
  f.state("a").set(kInError);
  f.state("a").error_time_ns = to_ns(f.now);
  EXPECT_EQ(f.sequence(2), "c c");
  f.state("c").set(kDisabled);
  EXPECT_EQ(f.sequence(2), "b b");
  // lbset 0 comes back after retry (60 s): it takes all traffic again.
  f.state("c").clear(kDisabled);
  f.now += seconds(61);
  EXPECT_EQ(f.sequence(4), "a c a c");
}

TEST(Tiers, LbsetsNeedNotBeContiguous) {
  BalancerFixture f;
  f.add("a").lbset = 7;
  f.add("b").lbset = 42;
  f.build();
  EXPECT_EQ(f.request(), "a");
  f.state("a").set(kStopped);
  EXPECT_EQ(f.request(), "b");
}

TEST(Tiers, HotStandbyOnlyWhenNothingElseInItsSetIsUsable) {
  BalancerFixture f;
  f.add("a");
  f.add("b");
  f.add("h").status.hot_standby = true;
  f.build();
  EXPECT_EQ(f.sequence(4), "a b a b");
  f.state("a").set(kDisabled);
  EXPECT_EQ(f.sequence(2), "b b");
  f.state("b").set(kDisabled);
  EXPECT_EQ(f.sequence(2), "h h");
}

TEST(Tiers, StandbyOfLowerSetBeatsHigherSet) {
  BalancerFixture f;
  f.add("a");
  f.add("h").status.hot_standby = true;
  f.add("z").lbset = 1;
  f.build();
  f.state("a").set(kDisabled);
  EXPECT_EQ(f.request(), "h");
}

TEST(Tiers, HotSparesReplaceUnusableMembersOneForOne) {
  BalancerFixture f;
  f.add("a");
  f.add("b");
  f.add("c");
  f.add("r1").status.hot_spare = true;
  f.add("r2").status.hot_spare = true;
  f.build();
  std::map<std::string, int> count;
  for (int i = 0; i < 30; ++i) ++count[f.request()];
  EXPECT_EQ(count["r1"] + count["r2"], 0);

  f.state("a").set(kDisabled);  // one dead: one spare (the first) joins
  count.clear();
  for (int i = 0; i < 30; ++i) ++count[f.request()];
  EXPECT_EQ(count["a"], 0);
  EXPECT_EQ(count["r2"], 0);
  EXPECT_EQ(count["b"], 10);
  EXPECT_EQ(count["c"], 10);
  EXPECT_EQ(count["r1"], 10);

  f.state("b").set(kDisabled);  // two dead: both spares
  count.clear();
  for (int i = 0; i < 30; ++i) ++count[f.request()];
  EXPECT_EQ(count["c"], 10);
  EXPECT_EQ(count["r1"], 10);
  EXPECT_EQ(count["r2"], 10);
}

TEST(Tiers, DrainingMemberTakesNoNewSessionsAndIsReplacedBySpare) {
  BalancerFixture f;
  f.add("a");
  f.add("b");
  f.add("r").status.hot_spare = true;
  f.build();
  f.state("a").set(kDrain);
  std::map<std::string, int> count;
  for (int i = 0; i < 20; ++i) ++count[f.request()];
  EXPECT_EQ(count["a"], 0);
  EXPECT_EQ(count["b"], 10);
  EXPECT_EQ(count["r"], 10);
}

TEST(Tiers, HcFailedAndStoppedAreUnusable) {
  BalancerFixture f;
  f.add("a").status.hc_failed = true;
  f.add("b").status.stopped = true;
  f.add("c");
  f.build();
  EXPECT_EQ(f.sequence(3), "c c c");
  // try_retry never clears C (only the health checker does) and never revives S.
  f.now += seconds(3600);
  EXPECT_EQ(f.request(), "c");
}

TEST(Tiers, NoMembersOrNoneUsableGive503) {
  BalancerFixture empty;
  empty.build();
  EXPECT_EQ(empty.request(), "503");
  EXPECT_EQ(empty.balancer->max_attempts(), 0);

  BalancerFixture f;
  f.add("a").status.disabled = true;
  f.build();
  Pick p;
  EXPECT_EQ(f.request("/", {}, &p), "503");
  EXPECT_EQ(p.error_status, 503);
}

TEST(Errors, FailureMarksErrorAndRecoveryIsLazyAfterRetry) {
  BalancerFixture f;
  f.add("a").retry = seconds(10);
  f.add("b");
  f.build();
  Pick p = f.balancer->pick({"/", {}}, {}, f.now);
  ASSERT_EQ(p.member->config->name, "a");
  f.balancer->on_failure(*p.member, f.now);
  f.balancer->on_done(*p.member, 0, 0);
  EXPECT_TRUE(f.state("a").has(kInError));
  EXPECT_EQ(f.state("a").error_time_ns.load(), to_ns(f.now));
  f.now += seconds(10);  // not yet: Apache needs now > error_time + retry
  EXPECT_EQ(f.sequence(3), "b b b");
  f.now += std::chrono::milliseconds(1);
  // The first request after retry recovers it; a kept its old counter (-100 + 100 = 0 vs b 200),
  // so b serves that one and a the next.
  EXPECT_EQ(f.request(), "b");
  EXPECT_FALSE(f.state("a").has(kInError));
  EXPECT_EQ(f.state("a").retries.load(), 1u);
  EXPECT_EQ(f.request(), "a");
}

TEST(Errors, FailedAttemptIsChargedLikeAServedRequest) {
  BalancerFixture f;
  f.add("a");
  f.add("b");
  f.build();
  Pick p = f.balancer->pick({"/", {}}, {}, f.now);
  f.balancer->on_failure(*p.member, f.now);
  f.balancer->on_done(*p.member, 0, 0);
  EXPECT_EQ(f.state("a").lbstatus.load(), -100);  // keeps its old counter while in error
  EXPECT_EQ(f.state("a").elected.load(), 1u);
  EXPECT_EQ(f.state("a").busy.load(), 0);
}

TEST(Errors, RetryZeroMeansRetryAlways) {
  BalancerFixture f;
  f.add("a").retry = seconds(0);
  f.add("b");
  f.build();
  f.balancer->on_failure(f.member("a"), f.now);
  EXPECT_EQ(f.request(), "a");
}

TEST(Errors, IgnoreErrorsMemberNeverEntersError) {
  BalancerFixture f;
  f.add("a").status.ignore_errors = true;
  f.cfg.failonstatus = {503};
  f.cfg.failontimeout = true;
  f.build();
  f.balancer->on_failure(f.member("a"), f.now);
  f.balancer->on_response(f.member("a"), 503, true, f.now);
  EXPECT_FALSE(f.state("a").has(kInError));
  // An I member set to E by hand comes back at once.
  f.state("a").set(kInError);
  f.state("a").error_time_ns = to_ns(f.now);
  EXPECT_EQ(f.request(), "a");
}

TEST(Errors, ForceRecoveryWhenEveryMemberIsInError) {
  BalancerFixture f;
  f.add("a");
  f.add("b");
  f.build();
  f.balancer->on_failure(f.member("a"), f.now);
  f.balancer->on_failure(f.member("b"), f.now);
  EXPECT_EQ(f.request(), "a");  // forcerecovery On (default) clears E on all
  EXPECT_FALSE(f.state("b").has(kInError));
  EXPECT_EQ(f.state("a").retries.load(), 1u);
}

TEST(Errors, NoForceRecoveryWhenOffOrWhenAMemberIsMerelyDisabled) {
  BalancerFixture off;
  off.add("a");
  off.cfg.forcerecovery = false;
  off.build();
  off.balancer->on_failure(off.member("a"), off.now);
  EXPECT_EQ(off.request(), "503");

  BalancerFixture f;
  f.add("a");
  f.add("d").status.disabled = true;
  f.build();
  f.balancer->on_failure(f.member("a"), f.now);
  EXPECT_EQ(f.request(), "503");  // d is not in error, so no forced recovery
}

// Apache's force_recovery looks at every member, hot standbys included: a usable +H member is not
// in error, so the ordinary members stay in error and the standby serves until their retry passes
// (lazy recovery), with no retries counted meanwhile.
TEST(Errors, NoForceRecoveryWhileAHotStandbyIsUsable) {
  BalancerFixture f;
  f.add("a").retry = seconds(60);
  f.add("b").retry = seconds(60);
  f.add("h").status.hot_standby = true;
  f.build();
  f.balancer->on_failure(f.member("a"), f.now);
  f.balancer->on_failure(f.member("b"), f.now);
  EXPECT_EQ(f.sequence(3), "h h h");
  EXPECT_TRUE(f.state("a").has(kInError));
  EXPECT_TRUE(f.state("b").has(kInError));
  EXPECT_EQ(f.state("a").retries.load(), 0u);
  EXPECT_EQ(f.state("b").retries.load(), 0u);
  f.now += seconds(61);  // retry passed: the first request recovers the ordinary members
  EXPECT_NE(f.request(), "h");
  EXPECT_FALSE(f.state("a").has(kInError));
  EXPECT_EQ(f.state("a").retries.load(), 1u);
}

TEST(Errors, FailOnStatusAndFailOnTimeout) {
  BalancerFixture f;
  f.cfg.failonstatus = {502, 503};
  f.add("a");
  f.add("b");
  f.build();
  f.balancer->on_response(f.member("a"), 200, false, f.now);
  f.balancer->on_response(f.member("a"), 500, false, f.now);
  EXPECT_FALSE(f.state("a").has(kInError));
  f.balancer->on_response(f.member("a"), 503, false, f.now);
  EXPECT_TRUE(f.state("a").has(kInError));
  // failontimeout is Off: a timeout alone changes nothing.
  f.balancer->on_response(f.member("b"), 0, true, f.now);
  EXPECT_FALSE(f.state("b").has(kInError));

  BalancerFixture t;
  t.cfg.failontimeout = true;
  t.add("a");
  t.build();
  t.balancer->on_response(t.member("a"), 200, false, t.now);
  EXPECT_FALSE(t.state("a").has(kInError));
  t.balancer->on_response(t.member("a"), 0, true, t.now);
  EXPECT_TRUE(t.state("a").has(kInError));
}

TEST(Attempts, MaxAttemptsDefaultAndExplicit) {
  BalancerFixture one;
  one.add("a");
  one.build();
  EXPECT_EQ(one.balancer->max_attempts(), 1);

  BalancerFixture four;
  for (auto n : {"a", "b", "c", "d"}) four.add(n);
  four.build();
  EXPECT_EQ(four.balancer->max_attempts(), 3);

  BalancerFixture zero;
  zero.add("a");
  zero.add("b");
  zero.cfg.maxattempts = 0;
  zero.build();
  EXPECT_EQ(zero.balancer->max_attempts(), 0);
}

// The proxy's failover loop: dead b1..b3 and standby b4 (Apache observation: the request is served
// by b4 after trying the three others).
TEST(Attempts, FailoverLoopReachesStandbyWithinOneRequest) {
  BalancerFixture f;
  for (auto n : {"b1", "b2", "b3"}) f.add(n);
  f.add("b4").status.hot_standby = true;
  f.build();
  std::vector<const Member*> tried;
  std::vector<std::string> seen;
  const Member* served = nullptr;
  for (int attempt = 0; attempt <= f.balancer->max_attempts(); ++attempt) {
    Pick p = f.balancer->pick({"/", {}}, tried, f.now);
    ASSERT_NE(p.member, nullptr);
    seen.push_back(p.member->config->name);
    if (p.member->config->name == "b4") {
      served = p.member;
      f.balancer->on_done(*p.member, 10, 10);
      break;
    }
    f.balancer->on_failure(*p.member, f.now);  // connect refused
    f.balancer->on_done(*p.member, 0, 0);
    tried.push_back(p.member);
  }
  ASSERT_NE(served, nullptr);
  EXPECT_EQ(seen, (std::vector<std::string>{"b1", "b2", "b3", "b4"}));
}

TEST(Attempts, TriedMemberIsAvoidedEvenWhenItIgnoresErrors) {
  BalancerFixture f;
  f.add("a").status.ignore_errors = true;
  f.add("b");
  f.build();
  const Member* tried[] = {&f.member("a")};
  Pick p = f.balancer->pick({"/", {}}, tried, f.now);
  ASSERT_NE(p.member, nullptr);
  EXPECT_EQ(p.member->config->name, "b");
  const Member* both[] = {&f.member("a"), &f.member("b")};
  EXPECT_EQ(f.balancer->pick({"/", {}}, both, f.now).error_status, 503);
}

TEST(Counters, ElectedBusyAndTrafficAccounting) {
  BalancerFixture f;
  f.add("a");
  f.build();
  Pick p1 = f.balancer->pick({"/", {}}, {}, f.now);
  Pick p2 = f.balancer->pick({"/", {}}, {}, f.now);
  EXPECT_EQ(f.state("a").busy.load(), 2);
  EXPECT_EQ(f.state("a").elected.load(), 2u);
  f.balancer->on_done(*p1.member, 10, 20);
  f.balancer->on_done(*p2.member, 1, 2);
  EXPECT_EQ(f.state("a").busy.load(), 0);
  EXPECT_EQ(f.state("a").transferred.load(), 11u);
  EXPECT_EQ(f.state("a").read.load(), 22u);
}

TEST(Factory, IndexesMembersGivesMissingStateAndRejectsMissingConfig) {
  BalancerFixture f;
  f.add("a", 2.5).lbset = 3;
  f.add("b").status = config::StatusFlags{.disabled = true, .hot_spare = true};
  f.build();
  EXPECT_EQ(f.member("b").index, 1u);
  EXPECT_EQ(f.state("a").lbfactor.load(), 250);
  EXPECT_EQ(f.state("a").lbset.load(), 3);
  EXPECT_EQ(f.state("b").flags.load(), static_cast<uint32_t>(kDisabled | kHotSpare));
  EXPECT_EQ(from_bits(to_bits(f.cfg.members[1].status)), f.cfg.members[1].status);
  EXPECT_EQ(&f.balancer->config(), &f.cfg);

  std::vector<Member> bad(1);
  EXPECT_THROW(make_balancer(f.cfg, bad), std::invalid_argument);
}

TEST(Factory, SharedStateIsUsedAsGiven) {
  BalancerFixture f;
  f.add("a");
  auto shared = std::make_shared<MemberState>(f.cfg.members[0]);
  shared->lbstatus = 42;
  std::vector<Member> members(1);
  members[0].config = &f.cfg.members[0];
  members[0].state = shared;
  auto b = make_balancer(f.cfg, std::move(members));
  EXPECT_EQ(b->members()[0].state.get(), shared.get());
  EXPECT_EQ(b->pick({"/", {}}, {}, f.now).member->state.get(), shared.get());
  EXPECT_EQ(shared->elected.load(), 1u);
}

}  // namespace
}  // namespace kb::proxy::core::testing
