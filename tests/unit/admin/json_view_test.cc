#include "proxy/admin/json_view.h"

#include <gtest/gtest.h>

#include "proxy/core/snapshot.h"
#include "proxy/core/state_registry.h"

namespace kb::proxy::admin {
namespace {

config::Table table() {
  config::Table t;
  config::Balancer b;
  b.name = "web";
  b.sticky.cookie = "JSESSIONID";
  b.sticky.url_param = "jsessionid";
  b.failonstatus = {502, 503};
  config::Member m1;
  m1.url = m1.name = "http://127.0.0.1:9001";
  m1.route = "r1";
  m1.health_check.method = config::HcMethod::kGet;
  m1.health_check.uri = "/healthz";
  config::Member m2;
  m2.url = m2.name = "http://127.0.0.1:9002";
  m2.route = "r\"2";
  m2.loadfactor = 1.5;
  m2.status.hot_standby = true;
  b.members = {m1, m2};
  t.balancers = {b};
  return t;
}

TEST(JsonView, OnlyTheNamedBalancers) {
  config::Table t = table();
  t.balancers.push_back(t.balancers[0]);
  t.balancers[1].name = "ns/api:80";
  core::StateRegistry registry;
  auto snap = core::build_snapshot(t, registry, 1);
  const TableInfo info{1, "t.yaml", {}};
  const std::set<std::string, std::less<>> only = {"ns/api:80", "absent"};
  const std::string doc = balancers_json(snap->balancers, info, core::Clock::now(), &only);
  EXPECT_NE(doc.find("\"name\":\"ns/api:80\""), std::string::npos) << doc;
  EXPECT_EQ(doc.find("\"name\":\"web\""), std::string::npos) << doc;
  const std::string all = balancers_json(snap->balancers, info, core::Clock::now());
  EXPECT_NE(all.find("\"name\":\"web\""), std::string::npos);
  EXPECT_NE(all.find("\"name\":\"ns/api:80\""), std::string::npos);
}

TEST(JsonView, StatusLetters) {
  EXPECT_EQ(status_letters(0), "Ok");
  EXPECT_EQ(status_letters(core::kDisabled | core::kInError), "+D+E");
  EXPECT_TRUE(member_usable(core::kHotStandby));
  EXPECT_FALSE(member_usable(core::kHcFailed));
}

TEST(JsonView, BalancersDocument) {
  core::StateRegistry registry;
  auto snap = core::build_snapshot(table(), registry, 7);
  auto now = core::Clock::now();
  auto& s1 = *snap->balancers[0]->members()[0].state;
  s1.elected = 42;
  s1.busy = 1;
  s1.transferred = 100;
  s1.read = 2000;
  s1.sticky_hits = 5;
  s1.hc_last_check_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            (now - std::chrono::milliseconds(250)).time_since_epoch())
                            .count();
  s1.hc_last_status = 200;
  s1.hc_last_ok = true;
  TableInfo info{7, "/etc/kb/table.yaml", std::chrono::system_clock::time_point(std::chrono::seconds(1700000000))};
  std::string doc = balancers_json(snap->balancers, info, now);

  EXPECT_EQ(doc.rfind("{\"generation\":7,\"source\":\"/etc/kb/table.yaml\",\"loaded_at\":\"2023-11-14T22:13:20Z\","
                      "\"balancers\":[{\"name\":\"web\",\"lbmethod\":\"byrequests\","
                      "\"stickysession\":{\"cookie\":\"JSESSIONID\",\"url_param\":\"jsessionid\","
                      "\"separator\":\".\",\"route_cookie\":\"\"},\"nofailover\":false,\"maxattempts\":1,",
                      0),
            0u)
      << doc;
  EXPECT_NE(doc.find("\"failonstatus\":[502,503]"), std::string::npos) << doc;
  EXPECT_NE(doc.find("{\"name\":\"http://127.0.0.1:9001\",\"url\":\"http://127.0.0.1:9001\",\"route\":\"r1\","
                     "\"redirect\":\"\",\"loadfactor\":1,\"lbset\":0,\"status\":\"Ok\","),
            std::string::npos)
      << doc;
  EXPECT_NE(doc.find("\"usable\":true,\"elected\":42,\"busy\":1,\"lbstatus\":0,\"transferred\":100,\"read\":2000,"
                     "\"retries\":0,\"sticky_hits\":5,\"sticky_failovers\":0,\"error_ms_ago\":-1,"
                     "\"health_check\":{\"method\":\"GET\",\"uri\":\"/healthz\",\"interval_ms\":30000,"
                     "\"passes\":1,\"fails\":1,\"state\":\"passing\",\"last_check_ms_ago\":250,"
                     "\"last_status\":200,\"last_ok\":true,"),
            std::string::npos)
      << doc;
  // Second member: escaped route, decimal factor, H flag, never checked.
  EXPECT_NE(doc.find("\"route\":\"r\\\"2\""), std::string::npos) << doc;
  EXPECT_NE(doc.find("\"loadfactor\":1.5,\"lbset\":0,\"status\":\"+H\""), std::string::npos) << doc;
  EXPECT_NE(doc.find("\"state\":\"disabled\",\"last_check_ms_ago\":-1"), std::string::npos) << doc;
  EXPECT_EQ(doc.back(), '\n');
}

TEST(JsonView, OneBalancerOrNone) {
  core::StateRegistry registry;
  auto snap = core::build_snapshot(table(), registry, 1);
  TableInfo info{1, "t.yaml", {}};
  std::string one = balancer_json(snap->balancers, "web", info, core::Clock::now());
  EXPECT_EQ(one.rfind("{\"generation\":1,\"source\":\"t.yaml\",\"balancer\":{\"name\":\"web\"", 0), 0u) << one;
  EXPECT_EQ(balancer_json(snap->balancers, "nope", info, core::Clock::now()), "");
}

}  // namespace
}  // namespace kb::proxy::admin
