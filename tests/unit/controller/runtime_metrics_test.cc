// The controller's metrics: the KubeApi wrapper counts every call by verb, resource and status,
// the --metrics-listen flag is validated, and the HTTP server answers /metrics and /healthz.
#include "controller/runtime/metrics.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "controller/kube/testing/fake_kube_api.h"
#include "controller/runtime/flags.h"

namespace kb::controller::runtime {
namespace {

namespace kr = kube::resources;

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

TEST(ControllerMetrics, CountsApiCallsByVerbResourceAndCode) {
  kube::testing::FakeKubeApi fake;
  ControllerMetrics metrics;
  auto api = instrument(fake, metrics);
  EXPECT_THROW(api->get(kr::services(), "default", "missing"), kube::ApiError);  // 404
  api->create(kr::events(), "default", R"({"metadata":{"name":"e1","namespace":"default"}})");
  api->list(kr::services(), "", {});
  api->list(kr::services(), "", {});
  fake.fail_next_writes = 1;
  EXPECT_THROW(api->create(kr::events(), "default", R"({"metadata":{"name":"e2","namespace":"default"}})"),
               kube::ApiError);
  const std::string text = metrics.render();
  EXPECT_TRUE(has_line(text, R"(kubebalancer_controller_api_requests_total{code="404",resource="services",verb="get"} 1)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(kubebalancer_controller_api_requests_total{code="200",resource="services",verb="list"} 2)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(kubebalancer_controller_api_requests_total{code="200",resource="events",verb="create"} 1)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(kubebalancer_controller_api_requests_total{code="500",resource="events",verb="create"} 1)"))
      << text;
  EXPECT_TRUE(has_line(text, "kubebalancer_controller_status_writes_total 0")) << text;
}

TEST(ControllerMetrics, SuccessfulStatusPatchIsAStatusWrite) {
  kube::testing::FakeKubeApi fake;
  ControllerMetrics metrics;
  auto api = instrument(fake, metrics);
  api->create(kr::ingresses(), "default", R"({"metadata":{"name":"web","namespace":"default"}})");
  api->patch_status(kr::ingresses(), "default", "web", R"({"status":{}})");
  fake.fail_next_writes = 1;
  EXPECT_THROW(api->patch_status(kr::ingresses(), "default", "web", R"({"status":{}})"), kube::ApiError);
  const std::string text = metrics.render();
  EXPECT_TRUE(has_line(text, "kubebalancer_controller_status_writes_total 1")) << text;
  EXPECT_TRUE(has_line(text, R"(kubebalancer_controller_api_requests_total{code="500",resource="ingresses",verb="patch"} 1)"))
      << text;
}

TEST(ControllerMetrics, ReconcileHistogramPublishesRestartsAndLeader) {
  ControllerMetrics metrics;
  metrics.reconcile_duration(0.003);
  metrics.reconcile_duration(2.0);
  metrics.table_published();
  metrics.watch_restart("ingresses", "expired");
  metrics.set_leader(true);
  const std::string text = metrics.render();
  EXPECT_TRUE(has_line(text, "# TYPE kubebalancer_controller_reconcile_duration_seconds histogram")) << text;
  EXPECT_TRUE(has_line(text, R"(kubebalancer_controller_reconcile_duration_seconds_bucket{le="0.005"} 1)")) << text;
  EXPECT_TRUE(has_line(text, R"(kubebalancer_controller_reconcile_duration_seconds_bucket{le="+Inf"} 2)")) << text;
  EXPECT_TRUE(has_line(text, "kubebalancer_controller_reconcile_duration_seconds_count 2")) << text;
  EXPECT_TRUE(has_line(text, "kubebalancer_controller_table_publishes_total 1")) << text;
  EXPECT_TRUE(has_line(text, R"(kubebalancer_controller_watch_restarts_total{reason="expired",resource="ingresses"} 1)"))
      << text;
  EXPECT_TRUE(has_line(text, "kubebalancer_controller_leader 1")) << text;
  metrics.set_leader(false);
  EXPECT_TRUE(has_line(metrics.render(), "kubebalancer_controller_leader 0"));
}

TEST(ControllerMetrics, MetricsListenFlag) {
  Flags flags;
  std::string error;
  ASSERT_TRUE(parse_flags({"--table-out", "/tmp/t.yaml", "--metrics-listen", "127.0.0.1:0"}, flags, error)) << error;
  EXPECT_EQ(flags.metrics_listen, "127.0.0.1:0");
  Flags off;
  ASSERT_TRUE(parse_flags({"--table-out", "/tmp/t.yaml"}, off, error)) << error;
  EXPECT_EQ(off.metrics_listen, "");  // off unless asked for
  for (const std::string bad : {"9902", "127.0.0.1:", ":9902", "127.0.0.1:99999", "127.0.0.1:http"}) {
    Flags f;
    EXPECT_FALSE(parse_flags({"--table-out", "/tmp/t.yaml", "--metrics-listen=" + bad}, f, error)) << bad;
    EXPECT_NE(error.find("--metrics-listen"), std::string::npos) << error;
  }
}

std::string http_get(int port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "";
  }
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return "";
  }
  std::string response;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) response.append(buf, static_cast<size_t>(n));
  close(fd);
  return response;
}

TEST(ControllerMetrics, ServerAnswersMetricsAndHealthz) {
  ControllerMetrics metrics;
  metrics.table_published();
  MetricsServer server("127.0.0.1:0", metrics);
  ASSERT_GT(server.port(), 0);
  const std::string scrape = http_get(server.port(), "/metrics");
  EXPECT_EQ(scrape.rfind("HTTP/1.0 200", 0), 0u) << scrape;
  EXPECT_NE(scrape.find("\nkubebalancer_controller_table_publishes_total 1\n"), std::string::npos) << scrape;
  const std::string health = http_get(server.port(), "/healthz");
  EXPECT_EQ(health.rfind("HTTP/1.0 200", 0), 0u) << health;
  EXPECT_NE(health.find("\r\n\r\nok\n"), std::string::npos) << health;
  const std::string other = http_get(server.port(), "/other");
  EXPECT_EQ(other.rfind("HTTP/1.0 404", 0), 0u) << other;
}

TEST(ControllerMetrics, ServerThatCannotBindIsAClearError) {
  ControllerMetrics metrics;
  EXPECT_THROW(MetricsServer("localhost:0", metrics), std::runtime_error);  // an IP address, not a name
  MetricsServer first("127.0.0.1:0", metrics);
  const std::string taken = "127.0.0.1:" + std::to_string(first.port());
  try {
    MetricsServer second(taken, metrics);
    FAIL() << "a second server bound " << taken;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("--metrics-listen"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kb::controller::runtime
