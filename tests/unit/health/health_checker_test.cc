#include "proxy/health/health_checker.h"

#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "tests/unit/health/test_backend.h"

namespace kb::proxy::health {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::TestBackend;
using testing::Worker;

config::Table table_for(const std::string& url, config::HcMethod method, int fails, int passes) {
  config::Table t;
  config::Balancer b;
  b.name = "web";
  config::Member m;
  m.name = "m1";
  m.url = url;
  m.health_check.method = method;
  m.health_check.uri = "/healthz";
  m.health_check.interval = 100ms;
  m.health_check.fails = fails;
  m.health_check.passes = passes;
  b.members.push_back(m);
  t.balancers.push_back(b);
  return t;
}

struct Events {
  std::mutex mutex;
  std::vector<HealthEvent> list;
  HealthLog sink() {
    return [this](const HealthEvent& e) {
      std::lock_guard lock(mutex);
      list.push_back(e);
    };
  }
  std::vector<HealthEvent> get() {
    std::lock_guard lock(mutex);
    return list;
  }
};

// Fixture order matters: the worker outlives the checker, which stops its schedules first.
struct CheckerTest : ::testing::Test {
  TestBackend backend;
  Worker worker;
  Events events;
  core::StateRegistry registry;
  HealthChecker checker{{&worker.io()}, events.sink(), 42};

  std::shared_ptr<core::MemberState> state() { return registry.find("web", "m1"); }
};

TEST_F(CheckerTest, HttpCheckFailsAfterHcfailsAndRecoversAfterHcpasses) {
  auto snap = core::build_snapshot(table_for(backend.url(), config::HcMethod::kGet, 2, 2), registry, 1);
  checker.update(snap);
  EXPECT_EQ(checker.scheduled(), 1u);
  auto st = state();
  ASSERT_TRUE(eventually([&] { return st->hc_checks_passed.load() >= 1; }));
  EXPECT_FALSE(st->has(core::kHcFailed));
  EXPECT_EQ(st->hc_last_status.load(), 200);
  EXPECT_TRUE(backend.last_request().starts_with("GET /healthz HTTP/1.0\r\n"));
  EXPECT_NE(backend.last_request().find("Host: 127.0.0.1:" + std::to_string(backend.port())), std::string::npos);

  backend.respond(503, "down");
  ASSERT_TRUE(eventually([&] { return st->has(core::kHcFailed); }));
  EXPECT_GE(st->hc_checks_failed.load(), 2u);
  EXPECT_EQ(st->hc_last_status.load(), 503);

  backend.respond(200, "ok");
  ASSERT_TRUE(eventually([&] { return !st->has(core::kHcFailed); }));

  auto ev = events.get();
  ASSERT_EQ(ev.size(), 2u);  // only flips are logged
  EXPECT_EQ(ev[0].balancer, "web");
  EXPECT_EQ(ev[0].member, "m1");
  EXPECT_EQ(ev[0].from, "ok");
  EXPECT_EQ(ev[0].to, "failed");
  EXPECT_NE(ev[0].reason.find("HTTP 503"), std::string::npos) << ev[0].reason;
  EXPECT_EQ(ev[1].from, "failed");
  EXPECT_EQ(ev[1].to, "ok");
}

TEST_F(CheckerTest, RecoveryClearsAnErrorFromRequests) {
  auto snap = core::build_snapshot(table_for(backend.url(), config::HcMethod::kHead11, 1, 1), registry, 1);
  registry.find("web", "m1")->set(core::kInError);
  checker.update(snap);
  auto st = state();
  ASSERT_TRUE(eventually([&] { return !st->has(core::kInError); }));
  EXPECT_TRUE(backend.last_request().starts_with("HEAD /healthz HTTP/1.1\r\n"));
  EXPECT_NE(backend.last_request().find("Connection: close"), std::string::npos);
  auto ev = events.get();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].from, "error");
}

TEST_F(CheckerTest, TcpCheck) {
  // A port that was just free: connections are refused.
  uint16_t dead_port;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    dead_port = a.local_endpoint().port();
  }
  auto t = table_for(backend.url(), config::HcMethod::kTcp, 1, 1);
  config::Member dead = t.balancers[0].members[0];
  dead.name = "dead";
  dead.url = "http://127.0.0.1:" + std::to_string(dead_port);
  t.balancers[0].members.push_back(dead);
  checker.update(core::build_snapshot(std::move(t), registry, 1));
  EXPECT_EQ(checker.scheduled(), 2u);

  auto live = state();
  auto down = registry.find("web", "dead");
  ASSERT_TRUE(eventually([&] { return down->has(core::kHcFailed); }));
  ASSERT_TRUE(eventually([&] { return live->hc_checks_passed.load() >= 2; }));
  EXPECT_FALSE(live->has(core::kHcFailed));
  EXPECT_EQ(down->hc_last_status.load(), -1);
  EXPECT_EQ(live->hc_last_status.load(), 0);
  auto ev = events.get();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].member, "dead");
  EXPECT_NE(ev[0].reason.find("connect"), std::string::npos) << ev[0].reason;
}

TEST_F(CheckerTest, BodyExpectation) {
  auto t = table_for(backend.url(), config::HcMethod::kGet11, 1, 1);
  t.balancers[0].members[0].health_check.expect_body = "status: ok";
  backend.respond(200, "status: degraded");
  checker.update(core::build_snapshot(std::move(t), registry, 1));
  auto st = state();
  ASSERT_TRUE(eventually([&] { return st->has(core::kHcFailed); }));
  backend.respond(200, "{\"x\":1} status: ok\n");
  ASSERT_TRUE(eventually([&] { return !st->has(core::kHcFailed); }));
  auto ev = events.get();
  ASSERT_GE(ev.size(), 1u);
  EXPECT_NE(ev[0].reason.find("body does not contain"), std::string::npos) << ev[0].reason;
}

TEST_F(CheckerTest, TimeoutCountsAsFailure) {
  auto t = table_for(backend.url(), config::HcMethod::kGet, 1, 1);
  t.balancers[0].members[0].connection_timeout = 200ms;
  backend.set_silent(true);
  checker.update(core::build_snapshot(std::move(t), registry, 1));
  auto st = state();
  ASSERT_TRUE(eventually([&] { return st->has(core::kHcFailed); }));
  auto ev = events.get();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_NE(ev[0].reason.find("timeout"), std::string::npos) << ev[0].reason;
}

TEST_F(CheckerTest, FollowsReloadsKeyedByMemberState) {
  auto t = table_for(backend.url(), config::HcMethod::kGet, 1, 1);
  config::Member other = t.balancers[0].members[0];
  other.name = "m2";
  t.balancers[0].members.push_back(other);
  checker.update(core::build_snapshot(t, registry, 1));
  EXPECT_EQ(checker.scheduled(), 2u);
  auto st = state();
  ASSERT_TRUE(eventually([&] { return st->hc_checks_passed.load() >= 1; }));

  // Same table again: same states, same schedules, the checks continue.
  checker.update(core::build_snapshot(t, registry, 2));
  EXPECT_EQ(checker.scheduled(), 2u);
  EXPECT_EQ(state(), st);
  const auto before = st->hc_checks_passed.load();
  ASSERT_TRUE(eventually([&] { return st->hc_checks_passed.load() > before; }));

  // m2 leaves; m1 turns its checks off: its C (set by the checker) is cleared.
  backend.respond(500, "");
  ASSERT_TRUE(eventually([&] { return st->has(core::kHcFailed); }));
  t.balancers[0].members.pop_back();
  t.balancers[0].members[0].health_check.method = config::HcMethod::kNone;
  checker.update(core::build_snapshot(t, registry, 3));
  EXPECT_EQ(checker.scheduled(), 0u);
  EXPECT_FALSE(st->has(core::kHcFailed));

  checker.update(nullptr);
  EXPECT_EQ(checker.scheduled(), 0u);
}

TEST(CheckTimeoutTest, Rule) {
  config::Balancer b;
  config::Member m;
  m.health_check.interval = 30000ms;
  EXPECT_EQ(check_timeout(b, m), 5000ms);  // balancer connection timeout 5 s
  m.timeout = 2000ms;
  EXPECT_EQ(check_timeout(b, m), 2000ms);
  m.connection_timeout = 300ms;
  EXPECT_EQ(check_timeout(b, m), 300ms);
  m.connection_timeout = 4000ms;
  m.health_check.interval = 100ms;
  EXPECT_EQ(check_timeout(b, m), 1000ms);  // never below 1 s by way of a short interval
  m.connection_timeout = 60000ms;
  m.health_check.interval = 60000ms;
  EXPECT_EQ(check_timeout(b, m), 5000ms);
}

}  // namespace
}  // namespace kb::proxy::health
