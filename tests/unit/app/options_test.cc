#include "proxy/app/options.h"

#include <gtest/gtest.h>

namespace kb::proxy::app {
namespace {

TEST(Options, DefaultsNeedOnlyTheTable) {
  auto r = parse_options({"--table", "t.yaml"});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.options.table, "t.yaml");
  EXPECT_EQ(r.options.listen.host, "127.0.0.1");
  EXPECT_EQ(r.options.listen.port, 8080);
  EXPECT_EQ(r.options.admin.port, 9901);
  EXPECT_EQ(r.options.access_log, "-");
  EXPECT_EQ(r.options.shutdown_grace, std::chrono::seconds(10));
}

TEST(Options, EveryFlagBothSpellings) {
  auto r = parse_options({"--table=t.yaml", "--listen", "0.0.0.0:0", "--admin=[::1]:9000", "--workers", "3",
                          "--access-log", "off", "--error-log", "/tmp/e.log", "--log-level", "debug",
                          "--port-file", "/tmp/p", "--shutdown-grace", "500ms", "--reload-debounce=2s",
                          "--max-body-bytes", "1024", "--max-header-bytes=4096", "--max-header-count", "20",
                          "--max-request-line", "512", "--header-timeout", "3s", "--idle-timeout=700ms"});
  ASSERT_TRUE(r.ok()) << r.error;
  const Options& o = r.options;
  EXPECT_EQ(o.listen.host, "0.0.0.0");
  EXPECT_EQ(o.listen.port, 0);
  EXPECT_EQ(o.admin.host, "::1");
  EXPECT_EQ(o.admin.port, 9000);
  EXPECT_EQ(o.workers, 3);
  EXPECT_EQ(o.access_log, "off");
  EXPECT_EQ(o.error_log, "/tmp/e.log");
  EXPECT_EQ(o.log_level, LogLevel::kDebug);
  EXPECT_EQ(o.port_file, "/tmp/p");
  EXPECT_EQ(o.shutdown_grace, std::chrono::milliseconds(500));
  EXPECT_EQ(o.reload_debounce, std::chrono::seconds(2));
  EXPECT_EQ(o.max_body_bytes, 1024u);
  EXPECT_EQ(o.max_header_bytes, 4096u);
  EXPECT_EQ(o.max_header_count, 20u);
  EXPECT_EQ(o.max_request_line, 512u);
  EXPECT_EQ(o.header_timeout, std::chrono::seconds(3));
  EXPECT_EQ(o.idle_timeout, std::chrono::milliseconds(700));
}

TEST(Options, LimitsAreChecked) {
  EXPECT_FALSE(parse_options({"--table=t", "--max-header-count=0"}).ok());
  EXPECT_FALSE(parse_options({"--table=t", "--max-request-line=10"}).ok());
  EXPECT_FALSE(parse_options({"--table=t", "--max-header-bytes=x"}).ok());
  EXPECT_FALSE(parse_options({"--table=t", "--idle-timeout=0"}).ok());
  EXPECT_TRUE(parse_options({"--table=t", "--max-header-count=1"}).ok());
}

TEST(Options, HttpsListenAndTrustedProxies) {
  auto r = parse_options({"--table", "t"});
  EXPECT_FALSE(r.options.https_listen.has_value());  // off when absent
  EXPECT_EQ(r.options.trusted_proxies, "");           // nobody trusted
  r = parse_options({"--table", "t", "--https-listen", "0.0.0.0:8443", "--trusted-proxies=10.0.0.0/8, ::1/128"});
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_TRUE(r.options.https_listen.has_value());
  EXPECT_EQ(r.options.https_listen->host, "0.0.0.0");
  EXPECT_EQ(r.options.https_listen->port, 8443);
  EXPECT_EQ(r.options.trusted_proxies, "10.0.0.0/8, ::1/128");
  EXPECT_EQ(parse_options({"--table", "t", "--https-listen", "443"}).error,
            "--https-listen wants ADDR:PORT, got '443'");
  EXPECT_EQ(parse_options({"--table", "t", "--trusted-proxies", "10.0.0.0/8,everyone"}).error,
            "--trusted-proxies: not an IP address or CIDR: 'everyone'");
}

TEST(Options, ClearErrors) {
  EXPECT_EQ(parse_options({}).error, "--table FILE is required");
  EXPECT_EQ(parse_options({"--table"}).error, "--table needs a value");
  EXPECT_EQ(parse_options({"--table", "t", "--bogus"}).error, "unknown option '--bogus'");
  EXPECT_EQ(parse_options({"--table", "t", "--listen", "8080"}).error, "--listen wants ADDR:PORT, got '8080'");
  EXPECT_EQ(parse_options({"--table", "t", "--listen", "a:70000"}).error, "--listen wants ADDR:PORT, got 'a:70000'");
  EXPECT_EQ(parse_options({"--table", "t", "--workers", "0"}).error,
            "--workers wants a number from 1 to 1024, got '0'");
  EXPECT_FALSE(parse_options({"--table", "t", "--shutdown-grace", "soon"}).ok());
  EXPECT_TRUE(parse_options({"--help"}).options.help);
}

TEST(Options, ConnectionAndBodyRateLimits) {
  auto r = parse_options({"--table", "t"});
  EXPECT_EQ(r.options.max_connections, 0u);  // unlimited
  EXPECT_EQ(r.options.min_body_rate, 500u);  // Apache mod_reqtimeout's MinRate
  EXPECT_EQ(r.options.body_timeout, std::chrono::milliseconds(60000));
  r = parse_options({"--table", "t", "--max-connections", "2", "--min-body-rate=0", "--body-timeout", "1500ms"});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.options.max_connections, 2u);
  EXPECT_EQ(r.options.min_body_rate, 0u);
  EXPECT_EQ(r.options.body_timeout, std::chrono::milliseconds(1500));
  EXPECT_FALSE(parse_options({"--table=t", "--max-connections=-1"}).ok());
  EXPECT_FALSE(parse_options({"--table=t", "--min-body-rate=fast"}).ok());
  EXPECT_FALSE(parse_options({"--table=t", "--body-timeout=0"}).ok());
}

}  // namespace
}  // namespace kb::proxy::app
