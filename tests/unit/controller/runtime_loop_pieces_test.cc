#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "controller/runtime/clock.h"
#include "controller/runtime/debouncer.h"
#include "controller/runtime/flags.h"
#include "controller/runtime/table_publisher.h"

namespace kb::controller::runtime {
namespace {
using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST(Debouncer, WaitsForQuietButNotBeyondTheCeiling) {
  Debouncer d(100ms, 1000ms);
  const auto t0 = std::chrono::steady_clock::time_point(10s);
  EXPECT_FALSE(d.deadline());
  d.on_change(t0);
  EXPECT_EQ(*d.deadline(), t0 + 100ms);
  EXPECT_FALSE(d.due(t0 + 99ms));
  // A change every 50 ms keeps postponing, up to the ceiling.
  for (int i = 1; i <= 30; ++i) d.on_change(t0 + i * 50ms);
  EXPECT_EQ(*d.deadline(), t0 + 1000ms);
  EXPECT_TRUE(d.due(t0 + 1000ms));
  EXPECT_FALSE(d.deadline());
  EXPECT_FALSE(d.due(t0 + 2000ms));
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(TablePublisher, AtomicReplaceOnlyWhenBytesChange) {
  std::string tmpl = (fs::temp_directory_path() / "kbpub-XXXXXX").string();
  const fs::path dir = mkdtemp(tmpl.data());
  const std::string path = (dir / "table.yaml").string();
  {
    TablePublisher p(path);
    EXPECT_TRUE(p.publish("a: 1\n"));
    EXPECT_FALSE(p.publish("a: 1\n"));
    const auto inode = fs::status(path).permissions();
    (void)inode;
    EXPECT_TRUE(p.publish("a: 2\n"));
    EXPECT_EQ(slurp(path), "a: 2\n");
    EXPECT_EQ(p.writes(), 2);
  }
  // A restarted controller does not rewrite an identical table.
  TablePublisher again(path);
  EXPECT_FALSE(again.publish("a: 2\n"));
  // No temp files are left behind.
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1);
  TablePublisher bad((dir / "missing-dir" / "t.yaml").string());
  EXPECT_THROW(bad.publish("x"), std::runtime_error);
  fs::remove_all(dir);
}

TEST(Flags, ParsesEveryFlag) {
  Flags f;
  std::string error;
  ASSERT_TRUE(parse_flags({"--kubeconfig=/k", "--namespaces", "a,b", "--ingress-class", "x", "--also-serve-ingress-class", "nginx", "--table-out",
                           "/t", "--proxy-admin", "http://127.0.0.1:1/", "--publish-address=1.2.3.4",
                           "--leader-elect=false", "--lease-namespace", "ln", "--lease-name", "lease",
                           "--debounce", "50ms", "--debounce-ceiling", "2s", "--status-interval", "1s",
                           "--watch-timeout", "30s", "--identity", "me"},
                          f, error))
      << error;
  EXPECT_EQ(f.kubeconfig, "/k");
  EXPECT_EQ(f.controller.namespaces, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(f.controller.ingress_class, "x");
  EXPECT_EQ(f.controller.also_serve_ingress_class, "nginx");
  EXPECT_EQ(f.controller.table_out, "/t");
  EXPECT_EQ(f.controller.proxy_admin, "http://127.0.0.1:1");
  EXPECT_EQ(f.controller.publish_address, "1.2.3.4");
  EXPECT_FALSE(f.controller.leader_elect);
  EXPECT_EQ(f.controller.lease.lease_namespace, "ln");
  EXPECT_EQ(f.controller.lease.lease_name, "lease");
  EXPECT_EQ(f.controller.lease.identity, "me");
  EXPECT_EQ(f.controller.debounce, 50ms);
  EXPECT_EQ(f.controller.debounce_ceiling, 2000ms);
  EXPECT_EQ(f.controller.status_interval, 1000ms);
  EXPECT_EQ(f.controller.watch_timeout_seconds, 30);
}

TEST(Flags, DefaultsAndErrors) {
  Flags f;
  std::string error;
  ASSERT_TRUE(parse_flags({"--table-out", "/t", "--leader-elect"}, f, error)) << error;
  EXPECT_TRUE(f.controller.leader_elect);
  EXPECT_TRUE(f.controller.namespaces.empty());
  EXPECT_EQ(f.controller.ingress_class, "kube-balancer");
  EXPECT_EQ(f.controller.debounce, 100ms);
  EXPECT_EQ(f.controller.debounce_ceiling, 1000ms);
  Flags g;
  EXPECT_FALSE(parse_flags({}, g, error));
  EXPECT_NE(error.find("--table-out"), std::string::npos);
  EXPECT_FALSE(parse_flags({"--table-out", "/t", "--bogus", "1"}, g, error));
  EXPECT_NE(error.find("bogus"), std::string::npos);
  EXPECT_FALSE(parse_flags({"--table-out", "/t", "--debounce", "soon"}, g, error));
  EXPECT_FALSE(parse_flags({"--table-out", "/t", "--leader-elect=maybe"}, g, error));
  EXPECT_FALSE(parse_flags({"--table-out"}, g, error));
}

TEST(Flags, PublishService) {
  Flags f;
  std::string error;
  ASSERT_TRUE(parse_flags({"--table-out", "/t", "--publish-service", "kb-system/kube-balancer"}, f, error)) << error;
  EXPECT_EQ(f.controller.publish_service, "kb-system/kube-balancer");
  for (const char* bad : {"kube-balancer", "/name", "ns/", "a/b/c"}) {
    Flags g;
    EXPECT_FALSE(parse_flags({"--table-out", "/t", "--publish-service", bad}, g, error)) << bad;
    EXPECT_NE(error.find("NAMESPACE/NAME"), std::string::npos) << error;
  }
}

TEST(Flags, LeaseTimings) {
  Flags f;
  std::string error;
  EXPECT_EQ(f.controller.lease.lease_duration, 15s);  // client-go's defaults
  EXPECT_EQ(f.controller.lease.renew_deadline, 10s);
  EXPECT_EQ(f.controller.lease.retry_period, 2s);
  ASSERT_TRUE(parse_flags({"--table-out=/t", "--lease-duration=60s", "--renew-deadline", "40", "--retry-period=5s"},
                          f, error))
      << error;
  EXPECT_EQ(f.controller.lease.lease_duration, 60s);
  EXPECT_EQ(f.controller.lease.renew_deadline, 40s);
  EXPECT_EQ(f.controller.lease.retry_period, 5s);
  Flags g;
  EXPECT_FALSE(parse_flags({"--table-out=/t", "--lease-duration=1500ms"}, g, error));
  EXPECT_NE(error.find("whole number of seconds"), std::string::npos) << error;
  EXPECT_FALSE(parse_flags({"--table-out=/t", "--lease-duration=10s"}, g, error));  // = renew deadline
  EXPECT_NE(error.find("greater than --renew-deadline"), std::string::npos) << error;
  Flags h;
  EXPECT_FALSE(parse_flags({"--table-out=/t", "--retry-period=9s"}, h, error));  // 10 <= 1.2 x 9
  EXPECT_NE(error.find("1.2 x --retry-period"), std::string::npos) << error;
  Flags k;
  EXPECT_FALSE(parse_flags({"--table-out=/t", "--retry-period=0"}, k, error));
}

TEST(Clock, FormatAndParse) {
  const auto t = std::chrono::system_clock::time_point(std::chrono::seconds(1795960526)) + 123456us;
  EXPECT_EQ(format_time(t), "2026-11-29T13:55:26Z");
  EXPECT_EQ(format_time(t, true), "2026-11-29T13:55:26.123456Z");
  std::chrono::system_clock::time_point back;
  ASSERT_TRUE(parse_time("2026-11-29T13:55:26.123456Z", back));
  EXPECT_EQ(back, t);
  ASSERT_TRUE(parse_time("2026-11-29T13:55:26Z", back));
  EXPECT_EQ(back, t - 123456us);
  EXPECT_FALSE(parse_time("yesterday", back));
  EXPECT_FALSE(parse_time("2026-11-29T13:55:26+01:00", back));
}

}  // namespace
}  // namespace kb::controller::runtime
