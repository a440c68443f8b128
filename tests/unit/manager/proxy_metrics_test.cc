#include "proxy/admin/metrics/proxy_metrics.h"

#include <gtest/gtest.h>

#include <fstream>

#include "proxy/config/table_yaml.h"

namespace kb::proxy::admin {
namespace {

struct Fixture {
  core::StateRegistry registry;
  std::shared_ptr<const core::Snapshot> current;
  ProxyMetrics metrics{[this] { return current; }};
  Fixture() {
    auto r = config::parse_table(
        "balancers: [{name: shop, members: [{url: 'http://127.0.0.1:9001', name: a}, {url: 'http://127.0.0.1:9002', name: b}]}]");
    current = core::build_snapshot(r.table, registry, 1);
  }
};

double sample(const std::string& text, const std::string& series) {
  const auto p = text.find("\n" + series + " ");
  if (p == std::string::npos) return -1;
  return std::stod(text.substr(p + series.size() + 2));
}

TEST(ProxyMetrics, MembersMoveAsRequestsFlow) {
  Fixture f;
  auto before = f.metrics.scrape();
  EXPECT_EQ(sample(before, "kubebalancer_member_responses_total{balancer=\"shop\",code=\"2xx\",member=\"a\"}"), 0);
  auto& a = *f.registry.find("shop", "a");
  a.record_response(200, std::chrono::microseconds(3000));
  a.record_response(503, std::chrono::microseconds(2'000'000));
  a.transferred += 100;
  a.read += 2000;
  a.set(core::kDrain);
  f.metrics.table_reloaded(true, 1);
  f.metrics.table_reloaded(false, 1);
  const auto after = f.metrics.scrape();
  EXPECT_EQ(sample(after, "kubebalancer_member_responses_total{balancer=\"shop\",code=\"2xx\",member=\"a\"}"), 1);
  EXPECT_EQ(sample(after, "kubebalancer_member_responses_total{balancer=\"shop\",code=\"5xx\",member=\"a\"}"), 1);
  EXPECT_EQ(sample(after, "kubebalancer_member_upstream_response_seconds_bucket{balancer=\"shop\",member=\"a\",le=\"0.005\"}"), 1);
  EXPECT_EQ(sample(after, "kubebalancer_member_upstream_response_seconds_bucket{balancer=\"shop\",member=\"a\",le=\"+Inf\"}"), 2);
  EXPECT_DOUBLE_EQ(sample(after, "kubebalancer_member_upstream_response_seconds_sum{balancer=\"shop\",member=\"a\"}"), 2.003);
  EXPECT_EQ(sample(after, "kubebalancer_member_sent_bytes_total{balancer=\"shop\",member=\"a\"}"), 100);
  EXPECT_EQ(sample(after, "kubebalancer_member_received_bytes_total{balancer=\"shop\",member=\"a\"}"), 2000);
  EXPECT_EQ(sample(after, "kubebalancer_member_status_flag{balancer=\"shop\",flag=\"N\",member=\"a\"}"), 1);
  EXPECT_EQ(sample(after, "kubebalancer_member_usable{balancer=\"shop\",member=\"a\"}"), 1);  // drain stays usable
  EXPECT_EQ(sample(after, "kubebalancer_table_reloads_total{result=\"success\"}"), 1);
  EXPECT_EQ(sample(after, "kubebalancer_table_reloads_total{result=\"failure\"}"), 1);
}

TEST(ProxyMetrics, TlsHandshakesFromTheDataPlaneCounters) {
  Fixture f;
  EXPECT_EQ(f.metrics.scrape().find("kubebalancer_tls_handshakes_total"), std::string::npos);  // none given
  const ServerCounters s{10, 4, 3};
  const auto text = f.metrics.scrape(&s);
  EXPECT_NE(text.find("# TYPE kubebalancer_tls_handshakes_total counter"), std::string::npos);
  EXPECT_EQ(sample(text, "kubebalancer_tls_handshakes_total{result=\"full\"}"), 6);
  EXPECT_EQ(sample(text, "kubebalancer_tls_handshakes_total{result=\"resumed\"}"), 4);
  EXPECT_EQ(sample(text, "kubebalancer_tls_handshakes_total{result=\"failure\"}"), 3);
}

// Writes metrics.txt for the promtool check registered in CMakeLists.txt.
TEST(ProxyMetrics, WriteExposition) {
  Fixture f;
  f.registry.find("shop", "b")->record_response(200, std::chrono::microseconds(150));
  const ServerCounters s{2, 1, 0};
  const std::string text = f.metrics.scrape(&s);
  std::ofstream out("metrics.txt");
  out << text;
  ASSERT_TRUE(out.good());
  EXPECT_NE(text.find("# TYPE kubebalancer_member_upstream_response_seconds histogram"), std::string::npos);
}

}  // namespace
}  // namespace kb::proxy::admin
