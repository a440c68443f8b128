#include "proxy/config/table_yaml.h"
#include "proxy/config/validate.h"

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

TEST(TableYaml, TlsKeys) {
  const auto r = parse_table(R"(
balancers:
  - name: shop
    members: [{url: "http://10.0.0.1"}]
routes:
  - {host: shop.example.com, path: /, balancer: shop}
  - {host: shop.example.com, path: /plain, balancer: shop, sslredirect: false}
  - {host: a.example.com, path: /, balancer: shop, sslredirect: On}
tls:
  - hosts: [shop.example.com, "*.example.com"]
    certificate: /etc/kb/shop.crt
    key: /etc/kb/shop.key
    hsts: {maxage: 600, includesubdomains: true}
  - hosts: [other.example.org]
    certificate: /etc/kb/other.crt
    key: /etc/kb/other.key
defaultcertificate: {certificate: /etc/kb/default.crt, key: /etc/kb/default.key}
)",
                             "tls.yaml");
  ASSERT_TRUE(r.ok()) << r.errors.front().to_string();
  const Table& t = r.table;
  EXPECT_FALSE(t.routes[0].ssl_redirect.has_value());
  EXPECT_EQ(t.routes[1].ssl_redirect, std::optional<bool>(false));
  EXPECT_EQ(t.routes[2].ssl_redirect, std::optional<bool>(true));
  ASSERT_EQ(t.tls.size(), 2u);
  EXPECT_EQ(t.tls[0].hosts, (std::vector<std::string>{"shop.example.com", "*.example.com"}));
  EXPECT_EQ(t.tls[0].files, (CertificateFiles{"/etc/kb/shop.crt", "/etc/kb/shop.key"}));
  EXPECT_EQ(t.tls[0].hsts, (Hsts{600, true, false}));
  EXPECT_FALSE(t.tls[1].hsts.has_value());
  EXPECT_EQ(t.default_certificate, (CertificateFiles{"/etc/kb/default.crt", "/etc/kb/default.key"}));
  EXPECT_EQ(parse_table(emit_table(t)).table, t);
}

TEST(TableYaml, TlsErrorsNameLineAndField) {
  const auto r = parse_table(R"(tls:
  - hosts: [shop.example.com]
    certificate: /c
  - hosts: ["SHOP.example.com", "a.*.com", ""]
    certificate: /c
    key: /k
    hsts: {maxage: -1, preload: sometimes, nope: 1}
  - certificate: /c
    key: /k
defaultcertificate: {key: /k}
routes:
  - {path: /, balancer: b, sslredirect: maybe}
)",
                             "tls.yaml");
  std::vector<std::string> got;
  for (const auto& e : r.errors) got.push_back(e.to_string());
  EXPECT_EQ(got, (std::vector<std::string>{
                     "tls.yaml:2:5: tls[0].key: is required (a PEM private key file)",
                     "tls.yaml:7:20: tls[1].hsts.maxage: must be between 0 and 63072000",
                     "tls.yaml:7:33: tls[1].hsts.preload: must be true/false (or On/Off), got 'sometimes'",
                     "tls.yaml:7:44: tls[1].hsts.nope: unknown key",
                     "tls.yaml:8:5: tls[2].hosts: is required (a list of host names)",
                     "tls.yaml:10:21: defaultcertificate.certificate: is required (a PEM file, full chain)",
                     "tls.yaml:12:41: routes[0].sslredirect: must be true/false (or On/Off), got 'maybe'",
                 }));
  // Cross-field checks run once the keys decode.
  const auto v = parse_table(R"(tls:
  - hosts: [shop.example.com]
    certificate: /c
    key: /k
  - hosts: ["SHOP.example.com", "a.*.com", ""]
    certificate: /c
    key: /k
  - hosts: []
    certificate: /c
    key: /k
)",
                             "tls.yaml");
  got.clear();
  for (const auto& e : v.errors) got.push_back(e.to_string());
  EXPECT_EQ(got, (std::vector<std::string>{
                     "tls.yaml:5:13: tls[1].hosts[0]: host 'SHOP.example.com' already has a certificate in tls[0]",
                     "tls.yaml:5:33: tls[1].hosts[1]: a wildcard host must be '*.' followed by a domain, as in Ingress",
                     "tls.yaml:5:44: tls[1].hosts[2]: must not be empty (the default certificate is 'defaultcertificate')",
                     "tls.yaml:8:12: tls[2].hosts: must name at least one host",
                 }));
}

TEST(TableYaml, LocateFieldsGivesLinesToLaterErrors) {
  const std::string text = "tls:\n  - hosts: [a.example.com]\n    certificate: /c\n    key: /k\n"
                           "defaultcertificate: {certificate: /d, key: /dk}\n";
  std::vector<ConfigError> errors = {{"t.yaml", 0, 0, "tls[0].key", "/k: no such file"},
                                     {"t.yaml", 0, 0, "defaultcertificate.certificate", "x"},
                                     {"t.yaml", 0, 0, "tls[3].key", "not in the text"}};
  locate_fields(text, errors);
  EXPECT_EQ(errors[0].to_string(), "t.yaml:4:10: tls[0].key: /k: no such file");
  EXPECT_EQ(errors[1].to_string(), "t.yaml:5:35: defaultcertificate.certificate: x");
  EXPECT_EQ(errors[2].line, 0);
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
