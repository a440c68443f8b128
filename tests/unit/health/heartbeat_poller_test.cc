#include "proxy/health/heartbeat_poller.h"

#include <gtest/gtest.h>

#include "tests/unit/health/test_backend.h"

namespace kb::proxy::health {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::TestBackend;
using testing::Worker;

TEST(ParseHeartbeatTest, QueryStringStyle) {
  EXPECT_EQ(parse_heartbeat("ready=8&busy=2"), (HeartbeatReport{8, 2}));
  EXPECT_EQ(parse_heartbeat("busy=2&ready=8\n"), (HeartbeatReport{8, 2}));
  EXPECT_EQ(parse_heartbeat("ready=8 busy=2"), (HeartbeatReport{8, 2}));
  EXPECT_EQ(parse_heartbeat("ready=5"), (HeartbeatReport{5, 0}));
  EXPECT_EQ(parse_heartbeat("v=1&ready=0&busy=0"), (HeartbeatReport{0, 0}));
  EXPECT_FALSE(parse_heartbeat(""));
  EXPECT_FALSE(parse_heartbeat("busy=2"));
  EXPECT_FALSE(parse_heartbeat("ready=-1"));
  EXPECT_FALSE(parse_heartbeat("ready=x"));
  EXPECT_FALSE(parse_heartbeat("ready=99999999999"));
  EXPECT_FALSE(parse_heartbeat("hello"));
}

TEST(ParseHeartbeatTest, Json) {
  EXPECT_EQ(parse_heartbeat("{\"ready\":8,\"busy\":2}"), (HeartbeatReport{8, 2}));
  EXPECT_EQ(parse_heartbeat(" { \"busy\" : 1 , \"ready\" : 3 }\n"), (HeartbeatReport{3, 1}));
  EXPECT_EQ(parse_heartbeat("{\"ready\": 4}"), (HeartbeatReport{4, 0}));
  EXPECT_FALSE(parse_heartbeat("{\"busy\": 4}"));
  EXPECT_FALSE(parse_heartbeat("{\"ready\": \"4\"}"));
  EXPECT_FALSE(parse_heartbeat("{\"ready\": 4, \"busy\": -2}"));
  EXPECT_FALSE(parse_heartbeat("{\"ready\": 4"));
}

config::Table heartbeat_table(const std::string& url, config::LbMethod method = config::LbMethod::kHeartbeat) {
  config::Table t;
  config::Balancer b;
  b.name = "hb";
  b.lbmethod = method;
  b.heartbeat.path = "/heartbeat";
  b.heartbeat.interval = 100ms;
  config::Member m;
  m.name = "m1";
  m.url = url + "/base";
  b.members.push_back(m);
  t.balancers.push_back(b);
  return t;
}

TEST(HeartbeatPollerTest, ReadsReportsFromTheMember) {
  TestBackend backend;
  Worker worker;
  core::StateRegistry registry;
  HeartbeatPoller poller({&worker.io()}, 7);
  backend.respond(200, "ready=8&busy=2");
  poller.update(core::build_snapshot(heartbeat_table(backend.url()), registry, 1));
  EXPECT_EQ(poller.scheduled(), 1u);
  auto st = registry.find("hb", "m1");
  ASSERT_TRUE(eventually([&] { return st->hb_ready.load() == 8; }));
  EXPECT_EQ(st->hb_busy.load(), 2);
  EXPECT_GT(st->hb_seen_ns.load(), 0);
  EXPECT_TRUE(backend.last_request().starts_with("GET /base/heartbeat HTTP/1.0\r\n"));

  backend.respond(200, "{\"ready\": 3, \"busy\": 1}");
  ASSERT_TRUE(eventually([&] { return st->hb_ready.load() == 3; }));
  EXPECT_EQ(st->hb_busy.load(), 1);

  // A bad answer changes nothing: the last report just ages.
  backend.respond(500, "ready=99");
  const int seen = backend.requests();
  ASSERT_TRUE(eventually([&] { return backend.requests() >= seen + 2; }));
  EXPECT_EQ(st->hb_ready.load(), 3);

  // Another lbmethod: no polling.
  poller.update(core::build_snapshot(heartbeat_table(backend.url(), config::LbMethod::kByRequests), registry, 2));
  EXPECT_EQ(poller.scheduled(), 0u);
  poller.stop();
}

}  // namespace
}  // namespace kb::proxy::health
