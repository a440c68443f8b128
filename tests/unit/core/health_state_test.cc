#include "proxy/core/health_state.h"

#include <gtest/gtest.h>

namespace kb::proxy::core {
namespace {

config::HealthCheck hc(int fails, int passes) {
  config::HealthCheck h;
  h.method = config::HcMethod::kGet;
  h.fails = fails;
  h.passes = passes;
  return h;
}

config::Member member() {
  config::Member m;
  m.url = "http://127.0.0.1:1";
  m.name = "m";
  return m;
}

TEST(HealthStateTest, FailsAfterHcfailsConsecutiveFailures) {
  const auto h = hc(3, 2);
  HcCounts c;
  auto s = hc_step(false, c, h, false);
  EXPECT_EQ(s.transition, HcTransition::kNone);
  EXPECT_EQ(s.counts.fails, 1);
  s = hc_step(false, s.counts, h, false);
  EXPECT_EQ(s.counts.fails, 2);
  s = hc_step(false, s.counts, h, false);
  EXPECT_EQ(s.transition, HcTransition::kFailed);
  EXPECT_EQ(s.counts, (HcCounts{0, 0}));
}

TEST(HealthStateTest, SuccessResetsFailCount) {
  const auto h = hc(2, 1);
  auto s = hc_step(false, {}, h, false);
  s = hc_step(false, s.counts, h, true);
  EXPECT_EQ(s.counts.fails, 0);
  s = hc_step(false, s.counts, h, false);
  EXPECT_EQ(s.transition, HcTransition::kNone);  // cumulative would be 2 here; consecutive is 1
  s = hc_step(false, s.counts, h, false);
  EXPECT_EQ(s.transition, HcTransition::kFailed);
}

TEST(HealthStateTest, RecoversAfterHcpassesConsecutivePasses) {
  const auto h = hc(1, 3);
  auto s = hc_step(true, {}, h, true);
  s = hc_step(true, s.counts, h, true);
  EXPECT_EQ(s.counts.passes, 2);
  s = hc_step(true, s.counts, h, false);  // a failure restarts the count
  EXPECT_EQ(s.counts.passes, 0);
  EXPECT_EQ(s.transition, HcTransition::kNone);
  s = hc_step(true, s.counts, h, true);
  s = hc_step(true, s.counts, h, true);
  EXPECT_EQ(s.transition, HcTransition::kNone);
  s = hc_step(true, s.counts, h, true);
  EXPECT_EQ(s.transition, HcTransition::kRecovered);
}

TEST(HealthStateTest, HealthyMemberPassingStaysQuiet) {
  const auto h = hc(1, 1);
  auto s = hc_step(false, {}, h, true);
  EXPECT_EQ(s.transition, HcTransition::kNone);
  EXPECT_EQ(s.counts, (HcCounts{0, 0}));
  // Already unhealthy and failing: no second flip.
  s = hc_step(true, {}, h, false);
  EXPECT_EQ(s.transition, HcTransition::kNone);
}

TEST(HealthStateTest, ApplySetsAndClearsFlags) {
  const auto h = hc(2, 2);
  MemberState st(member());
  EXPECT_EQ(hc_apply(st, h, false, -1, 10), HcTransition::kNone);
  EXPECT_FALSE(st.has(kHcFailed));
  EXPECT_EQ(st.hc_fail_count.load(), 1);
  EXPECT_EQ(st.hc_last_status.load(), -1);
  EXPECT_EQ(st.hc_last_check_ns.load(), 10);
  EXPECT_EQ(hc_apply(st, h, false, 500, 20), HcTransition::kFailed);
  EXPECT_TRUE(st.has(kHcFailed));
  EXPECT_FALSE(st.hc_last_ok.load());
  EXPECT_EQ(hc_apply(st, h, true, 200, 30), HcTransition::kNone);
  EXPECT_TRUE(st.has(kHcFailed));
  EXPECT_EQ(hc_apply(st, h, true, 200, 40), HcTransition::kRecovered);
  EXPECT_FALSE(st.has(kHcFailed));
  EXPECT_TRUE(st.hc_last_ok.load());
}

TEST(HealthStateTest, SuccessfulChecksClearAnErrorFromRequests) {
  const auto h = hc(1, 1);
  MemberState st(member());
  st.set(kInError | kDisabled);
  EXPECT_EQ(hc_apply(st, h, true, 200, 1), HcTransition::kRecovered);
  EXPECT_FALSE(st.has(kInError));
  EXPECT_TRUE(st.has(kDisabled));  // only C and E belong to the checker
}

TEST(HealthStateTest, ResponseEvaluation) {
  config::HealthCheck h;
  EXPECT_TRUE(hc_response_ok(h, 200, ""));
  EXPECT_TRUE(hc_response_ok(h, 302, ""));
  EXPECT_FALSE(hc_response_ok(h, 404, ""));
  EXPECT_FALSE(hc_response_ok(h, 500, "ok"));
  h.expect_status_min = h.expect_status_max = 204;
  EXPECT_TRUE(hc_response_ok(h, 204, ""));
  EXPECT_FALSE(hc_response_ok(h, 200, ""));
  h.expect_status_min = 200;
  h.expect_status_max = 299;
  h.expect_body = "status: ok";
  EXPECT_TRUE(hc_response_ok(h, 200, "{...} status: ok\n"));
  EXPECT_FALSE(hc_response_ok(h, 200, "status: degraded"));
  EXPECT_FALSE(hc_response_ok(h, 200, ""));
}

}  // namespace
}  // namespace kb::proxy::core
