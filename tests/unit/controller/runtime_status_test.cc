#include <gtest/gtest.h>

#include "controller/kube/testing/fake_kube_api.h"
#include "controller/runtime/status.h"
#include "controller/runtime/status_writer.h"

namespace kb::controller::runtime {
namespace {
using namespace std::chrono_literals;
namespace kr = kb::controller::kube::resources;

class ManualClock : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return t; }
  std::chrono::system_clock::time_point t = std::chrono::system_clock::time_point(std::chrono::hours(490000));
};

reconcile::BalancerClusterStatusUpdate update() {
  reconcile::BalancerClusterStatusUpdate u;
  u.namespace_name = "ns";
  u.name = "web";
  u.observed_generation = 3;
  u.balancer = "ns/web";
  u.invalid_spec = kube::Condition{"InvalidSpec", "False", "Valid", "", 3, ""};
  u.total_members = 2;
  u.members.push_back(kube::BcMemberStatus{"m1", "r1", "http://127.0.0.1:1", "", false, 0, 0, 0, 0, ""});
  u.members.push_back(kube::BcMemberStatus{"m2", "r2", "http://127.0.0.1:2", "", false, 0, 0, 0, 0, ""});
  return u;
}

std::vector<kube::ProxyMemberStats> live(bool m2_usable, int64_t elected = 5) {
  kube::ProxyMemberStats m1;
  m1.name = "m1";
  m1.usable = true;
  m1.status = "Ok";
  m1.elected = elected;
  m1.bytes_in = 10;
  m1.bytes_out = 20;
  m1.last_check_ms_ago = 1000;
  kube::ProxyMemberStats m2;
  m2.name = "m2";
  m2.usable = m2_usable;
  m2.status = m2_usable ? "Ok" : "+E";
  return {m1, m2};
}

const kube::Condition& cond(const kube::BalancerClusterStatus& s, const std::string& type) {
  for (const auto& c : s.conditions) {
    if (c.type == type) return c;
  }
  throw std::logic_error("no condition " + type);
}

TEST(Status, MergesLiveMemberState) {
  ManualClock clock;
  auto members = live(false);
  auto s = desired_status(update(), &members, {}, clock.t);
  EXPECT_EQ(s.observed_generation, 3);
  EXPECT_EQ(s.healthy_members, 1);
  EXPECT_EQ(s.total_members, 2);
  EXPECT_EQ(s.health_summary, "1/2");
  EXPECT_TRUE(s.members[0].healthy);
  EXPECT_EQ(s.members[0].elected, 5);
  EXPECT_EQ(s.members[0].bytes_in, 10);
  EXPECT_EQ(s.members[0].status, "");  // "Ok" = no flags
  EXPECT_EQ(s.members[0].last_health_check, format_time(clock.t - 1s));
  EXPECT_EQ(s.members[1].status, "+E");
  EXPECT_EQ(cond(s, "Ready").status, "True");
  EXPECT_EQ(cond(s, "Degraded").status, "True");
  EXPECT_EQ(cond(s, "Degraded").reason, "MembersUnhealthy");
  EXPECT_EQ(cond(s, "InvalidSpec").status, "False");
  EXPECT_EQ(cond(s, "Ready").observed_generation, 3);
}

TEST(Status, TransitionTimeKeptWhileTheConditionHolds) {
  ManualClock clock;
  auto degraded = live(false);
  auto first = desired_status(update(), &degraded, {}, clock.t);
  clock.t += 1min;
  auto second = desired_status(update(), &degraded, first, clock.t);
  EXPECT_EQ(cond(second, "Degraded").last_transition_time, format_time(clock.t - 1min));
  auto healthy = live(true);
  clock.t += 1min;
  auto third = desired_status(update(), &healthy, second, clock.t);
  EXPECT_EQ(cond(third, "Degraded").status, "False");
  EXPECT_EQ(cond(third, "Degraded").last_transition_time, format_time(clock.t));
  EXPECT_EQ(cond(third, "Ready").last_transition_time, format_time(clock.t - 2min));
}

TEST(Status, ProxyUnavailableAndInvalidSpec) {
  ManualClock clock;
  auto s = desired_status(update(), nullptr, {}, clock.t);
  EXPECT_EQ(cond(s, "Ready").status, "Unknown");
  EXPECT_EQ(s.healthy_members, 0);
  auto u = update();
  u.balancer.clear();
  u.members.clear();
  u.invalid_spec = kube::Condition{"InvalidSpec", "True", "InvalidSpec", "spec.lbMethod: unknown", 3, ""};
  std::vector<kube::ProxyMemberStats> none;
  s = desired_status(u, &none, {}, clock.t);
  EXPECT_EQ(cond(s, "InvalidSpec").status, "True");
  EXPECT_EQ(cond(s, "InvalidSpec").message, "spec.lbMethod: unknown");
  EXPECT_EQ(cond(s, "Ready").status, "False");
  EXPECT_EQ(cond(s, "Ready").reason, "InvalidSpec");
}

TEST(Status, CountersAreNotSignificant) {
  ManualClock clock;
  auto a_live = live(true, 5);
  auto b_live = live(true, 9);
  auto a = desired_status(update(), &a_live, {}, clock.t);
  auto b = desired_status(update(), &b_live, a, clock.t + 5s);
  EXPECT_FALSE(a == b);
  EXPECT_FALSE(significant_change(a, b));
  auto c_live = live(false, 9);
  auto c = desired_status(update(), &c_live, a, clock.t);
  EXPECT_TRUE(significant_change(a, c));
}

struct WriterHarness {
  kube::testing::FakeKubeApi api;
  ManualClock clock;
  StatusWriter writer{api, clock, StatusWriterOptions{30s, "kb", "me", 1000ms}};
  std::map<std::string, kube::BalancerCluster> stored;
  kube::ProxyStats proxy;
  WriterHarness() {
    stored["ns/web"].metadata.name = "web";
    api.put(kr::balancer_clusters(), "ns", "web", R"({"metadata":{"name":"web","namespace":"ns"}})");
  }
  int write() { return writer.write_balancer_clusters({update()}, stored, &proxy); }
};

TEST(StatusWriter, WritesOnlyWhatChangedAndRateLimitsCounters) {
  WriterHarness h;
  h.proxy["ns/web"] = live(true, 1);
  EXPECT_EQ(h.write(), 1);
  ASSERT_EQ(h.api.calls.back().path, "/apis/kubebalancer.io/v1alpha1/namespaces/ns/balancerclusters/web/status");
  EXPECT_EQ(h.write(), 0);  // nothing changed (our write not yet seen through the watch)
  h.proxy["ns/web"] = live(true, 2);
  h.clock.t += 10s;
  EXPECT_EQ(h.write(), 0);  // counters only, inside the interval
  h.clock.t += 25s;
  EXPECT_EQ(h.write(), 1);  // interval passed
  h.proxy["ns/web"] = live(false, 2);
  h.clock.t += 1s;
  EXPECT_EQ(h.write(), 1);  // a member went unhealthy: at once
  EXPECT_EQ(h.api.count("patch_status"), 3u);
}

TEST(StatusWriter, AnotherWritersChangeIsCorrected) {
  WriterHarness h;
  h.proxy["ns/web"] = live(true);
  h.stored["ns/web"].metadata.resource_version = "1";
  EXPECT_EQ(h.write(), 1);
  EXPECT_EQ(h.write(), 0);  // pending: the store still has version 1
  // Someone else rewrote the status (say, a deposed leader with older data): version 2 arrives.
  h.stored["ns/web"].metadata.resource_version = "2";
  h.stored["ns/web"].status.observed_generation = 1;
  h.stored["ns/web"].status.healthy_members = 0;
  h.clock.t += 1s;
  EXPECT_EQ(h.write(), 1);
}

// A flapping member: every flip is significant, but one BalancerCluster's status is written at
// most once per second; the held-back write says when to come back, and then carries the latest.
TEST(StatusWriter, CoalescesFlipsToOneWritePerSecond) {
  WriterHarness h;
  h.proxy["ns/web"] = live(true);
  EXPECT_EQ(h.write(), 1);
  EXPECT_FALSE(h.writer.deferred());
  h.clock.t += 300ms;
  h.proxy["ns/web"] = live(false);
  EXPECT_EQ(h.write(), 0);
  ASSERT_TRUE(h.writer.deferred());
  EXPECT_EQ(*h.writer.deferred(), 700ms);
  h.clock.t += 300ms;
  EXPECT_EQ(h.write(), 0);
  EXPECT_EQ(*h.writer.deferred(), 400ms);
  h.clock.t += 400ms;
  EXPECT_EQ(h.write(), 1);
  EXPECT_FALSE(h.writer.deferred());
  EXPECT_NE(h.api.calls.back().body.find("\"healthy\":false"), std::string::npos) << h.api.calls.back().body;
  EXPECT_EQ(h.api.count("patch_status"), 2u);
}

TEST(StatusWriter, SkipsWhenTheStoredStatusAlreadyMatches) {
  WriterHarness h;
  h.proxy["ns/web"] = live(true);
  h.stored["ns/web"].status = desired_status(update(), &h.proxy["ns/web"], {}, h.clock.t);
  EXPECT_EQ(h.write(), 0);
  // Time alone moves lastHealthCheck: the stored copy (written by an earlier leader) is refreshed.
  h.clock.t += 1h;
  EXPECT_EQ(h.write(), 1);
}

TEST(StatusWriter, FailedWriteIsRetriedNextTimeAndDeletedObjectsIgnored) {
  WriterHarness h;
  h.proxy["ns/web"] = live(true);
  h.api.fail_next_writes = 1;
  EXPECT_EQ(h.write(), 0);
  EXPECT_EQ(h.write(), 1);
  h.stored.clear();
  EXPECT_EQ(h.write(), 0);
}

TEST(StatusWriter, IngressStatusAndEventsOncePerProblem) {
  WriterHarness h;
  std::map<std::string, kube::Ingress> ingresses;
  ingresses["ns/ing"].metadata.name = "ing";
  h.api.put(kr::ingresses(), "ns", "ing", R"({"metadata":{"name":"ing","namespace":"ns"}})");
  reconcile::IngressStatusUpdate iu{"ns", "ing", kube::IngressStatus{{kube::LoadBalancerIngress{"10.0.0.9", ""}}}};
  EXPECT_EQ(h.writer.write_ingresses({iu}, ingresses), 1);
  EXPECT_EQ(h.writer.write_ingresses({iu}, ingresses), 0);
  ingresses["ns/ing"].status = iu.status;
  ingresses["ns/ing"].metadata.resource_version = "7";
  EXPECT_EQ(h.writer.write_ingresses({iu}, ingresses), 0);
  ingresses["ns/ing"].status.load_balancer.clear();  // someone else cleared it
  ingresses["ns/ing"].metadata.resource_version = "8";
  EXPECT_EQ(h.writer.write_ingresses({iu}, ingresses), 1);

  reconcile::Event e;
  e.object = reconcile::ObjectRef{"kubebalancer.io/v1alpha1", "BalancerCluster", "ns", "web", "uid-1"};
  e.reason = "InvalidSpec";
  e.message = "spec.lbMethod: unknown lbmethod \"rr\"";
  EXPECT_EQ(h.writer.write_events({e}), 1);
  EXPECT_EQ(h.writer.write_events({e}), 0);  // still the same problem: no repeat
  EXPECT_EQ(h.writer.write_events({}), 0);   // fixed
  EXPECT_EQ(h.writer.write_events({e}), 1);  // broken again: reported again
  const auto& body = h.api.calls.back().body;
  EXPECT_NE(body.find("\"involvedObject\""), std::string::npos);
  EXPECT_NE(body.find("InvalidSpec"), std::string::npos);
  EXPECT_EQ(h.api.calls.back().path, "/api/v1/namespaces/ns/events");
}

}  // namespace
}  // namespace kb::controller::runtime
