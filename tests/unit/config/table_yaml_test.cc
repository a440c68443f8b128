#include "proxy/config/table_yaml.h"

#include <gtest/gtest.h>

namespace kb::proxy::config {
namespace {

constexpr const char* kFull = R"(
balancers:
  - name: shop
    lbmethod: bybusyness
    stickysession: JSESSIONID|jsessionid
    stickysessionsep: "."
    scolonpathdelim: On
    nofailover: false
    maxattempts: 2
    timeout: 5
    failonstatus: 502, 503
    failontimeout: true
    forcerecovery: Off
    proxytimeout: 30s
    connectiontimeout: 500ms
    preservehost: true
    routecookie: {name: ROUTEID, path: /shop, secure: true, samesite: Lax, maxage: 3600}
    hcmethod: GET
    hcuri: /healthz
    hcinterval: 10s
    hcfails: 3
    hcexpect: {status: "200-299", body: ok}
    members:
      - url: http://10.0.0.1:8080
        route: r1
        loadfactor: 2.5
      - url: http://10.0.0.2:8080/base
        name: pod-b
        route: r2
        redirect: r1
        lbset: 1
        status: +H-E
        retry: 10
        timeout: 2s
        hcuri: /other
  - name: api
    lbmethod: heartbeat
    heartbeat: {path: /hb, interval: 2s, maxage: 20s}
    members:
      - url: http://127.0.0.1:9000
routes:
  - host: "*.example.com"
    path: /shop
    pathtype: Prefix
    balancer: shop
  - path: /api/v1
    pathtype: Exact
    balancer: api
defaultbackend: shop
)";

TEST(TableYaml, ParsesEveryKey) {
  const auto r = parse_table(kFull, "full.yaml");
  ASSERT_TRUE(r.ok()) << r.errors.front().to_string();
  ASSERT_EQ(r.table.balancers.size(), 2u);
  const Balancer& b = r.table.balancers[0];
  EXPECT_EQ(b.name, "shop");
  EXPECT_EQ(b.lbmethod, LbMethod::kByBusyness);
  EXPECT_EQ(b.sticky.cookie, "JSESSIONID");
  EXPECT_EQ(b.sticky.url_param, "jsessionid");
  EXPECT_EQ(b.sticky.separator, '.');
  EXPECT_TRUE(b.sticky.scolon_path_delim);
  EXPECT_EQ(b.maxattempts, 2);
  EXPECT_EQ(b.timeout, Duration(5000));
  EXPECT_EQ(b.failonstatus, (std::vector<int>{502, 503}));
  EXPECT_TRUE(b.failontimeout);
  EXPECT_FALSE(b.forcerecovery);
  EXPECT_EQ(b.member_timeout, Duration(30000));
  EXPECT_EQ(b.connection_timeout, Duration(500));
  EXPECT_TRUE(b.preserve_host);
  EXPECT_EQ(b.sticky.route_cookie.name, "ROUTEID");
  EXPECT_EQ(b.sticky.route_cookie.path, "/shop");
  EXPECT_TRUE(b.sticky.route_cookie.secure);
  EXPECT_TRUE(b.sticky.route_cookie.http_only);
  EXPECT_EQ(b.sticky.route_cookie.same_site, "Lax");
  EXPECT_EQ(b.sticky.route_cookie.max_age, 3600);
  EXPECT_EQ(b.health_check.method, HcMethod::kGet);
  EXPECT_EQ(b.health_check.fails, 3);
  EXPECT_EQ(b.health_check.expect_status_max, 299);
  EXPECT_EQ(b.health_check.expect_body, "ok");
  ASSERT_EQ(b.members.size(), 2u);
  EXPECT_EQ(b.members[0].name, "http://10.0.0.1:8080");  // name defaults to the URL
  EXPECT_DOUBLE_EQ(b.members[0].loadfactor, 2.5);
  EXPECT_EQ(b.members[0].health_check, b.health_check);   // inherits the balancer's checks
  const Member& m = b.members[1];
  EXPECT_EQ(m.name, "pod-b");
  EXPECT_EQ(m.redirect, "r1");
  EXPECT_EQ(m.lbset, 1);
  EXPECT_TRUE(m.status.hot_standby);
  EXPECT_FALSE(m.status.in_error);
  EXPECT_EQ(m.retry, Duration(10000));
  EXPECT_EQ(m.timeout, Duration(2000));
  EXPECT_EQ(m.health_check.uri, "/other");
  EXPECT_EQ(m.health_check.fails, 3);
  EXPECT_EQ(r.table.balancers[1].heartbeat.path, "/hb");
  EXPECT_EQ(r.table.balancers[1].heartbeat.max_age, Duration(20000));
  ASSERT_EQ(r.table.routes.size(), 2u);
  EXPECT_EQ(r.table.routes[0].host, "*.example.com");
  EXPECT_EQ(r.table.routes[1].path_type, PathType::kExact);
  EXPECT_EQ(r.table.default_backend, "shop");
}

TEST(TableYaml, DefaultsMatchApache) {
  const auto r = parse_table("balancers: [{name: b, members: [{url: 'http://h'}]}]");
  ASSERT_TRUE(r.ok());
  const Balancer& b = r.table.balancers[0];
  EXPECT_EQ(b.lbmethod, LbMethod::kByRequests);
  EXPECT_FALSE(b.sticky.enabled());
  EXPECT_EQ(b.sticky.separator, '.');
  EXPECT_TRUE(b.forcerecovery);
  EXPECT_FALSE(b.maxattempts.has_value());
  EXPECT_EQ(b.member_timeout, Duration(60000));
  const Member& m = b.members[0];
  EXPECT_EQ(m.loadfactor, 1);
  EXPECT_EQ(m.lbset, 0);
  EXPECT_EQ(m.retry, Duration(60000));
  EXPECT_EQ(m.health_check.method, HcMethod::kNone);
  EXPECT_EQ(m.health_check.interval, Duration(30000));
  EXPECT_EQ(m.health_check.passes, 1);
  EXPECT_EQ(m.health_check.fails, 1);
}

TEST(TableYaml, EmitRoundTripsAndIsDeterministic) {
  const auto r = parse_table(kFull, "full.yaml");
  ASSERT_TRUE(r.ok());
  const std::string text = emit_table(r.table);
  const auto again = parse_table(text, "emitted");
  ASSERT_TRUE(again.ok()) << again.errors.front().to_string() << "\n" << text;
  EXPECT_EQ(again.table, r.table);
  EXPECT_EQ(emit_table(again.table), text);
}

TEST(TableYaml, EmptyDocumentIsAnEmptyTable) {
  const auto r = parse_table("");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.table.balancers.empty());
}

TEST(TableYaml, ErrorsNameSourceLineColumnAndField) {
  const auto r = parse_table(
      "balancers:\n"
      "  - name: b\n"
      "    members:\n"
      "      - url: http://h:1\n"
      "        loadfactor: 150\n",
      "t.yaml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].to_string(),
            "t.yaml:5:21: balancers[0].members[0].loadfactor: must be a number between 1 and 100, got '150'");
}

TEST(TableYaml, ReportsEveryErrorAtOnce) {
  const auto r = parse_table(
      "balancers:\n"
      "  - name: b\n"
      "    lbmethod: roundrobin\n"
      "    stickysessionsep: ab\n"
      "    members:\n"
      "      - url: http://h:1\n"
      "        lbset: 100\n"
      "        status: +X\n"
      "        retry: soon\n"
      "        lodfactor: 2\n");
  std::vector<std::string> fields;
  for (const auto& e : r.errors) fields.push_back(e.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"balancers[0].lbmethod", "balancers[0].stickysessionsep",
                                              "balancers[0].members[0].lbset", "balancers[0].members[0].status",
                                              "balancers[0].members[0].retry", "balancers[0].members[0].lodfactor"}));
}

TEST(TableYaml, MalformedYamlIsAnErrorNotACrash) {
  for (const char* text : {"balancers: [", "balancers: {a: b}", "- just\n- a list", "balancers:\n  - [1, 2]",
                           "routes: [{path: [x]}]", "balancers: [{name: b, members: 3}]", "\t\tbad: :"}) {
    const auto r = parse_table(text, "bad.yaml");
    EXPECT_FALSE(r.ok()) << text;
    EXPECT_FALSE(r.errors.front().to_string().empty());
  }
}

TEST(TableYaml, UnreadableFileIsAnError) {
  const auto r = load_table_file("/nonexistent/table.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors[0].to_string(), "/nonexistent/table.yaml: cannot open the file");
}

}  // namespace
}  // namespace kb::proxy::config
