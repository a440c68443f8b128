// Route keys beyond host + path: parse, emit, the incremental parser, and errors with line and field.
#include <gtest/gtest.h>

#include "proxy/config/table_cache.h"
#include "proxy/config/table_yaml.h"

namespace kb::proxy::config {
namespace {

constexpr const char* kRoutes = R"yaml(
balancers:
  - {name: stable, members: [{url: "http://10.0.0.1"}]}
  - {name: canary, members: [{url: "http://10.0.0.2"}], stickysession: INGRESSCOOKIE,
     routecookie: {name: INGRESSCOOKIE, domain: example.com, maxage: 172800, samesite: None, secure: true}}
routes:
  - host: shop.example.com
    path: /api
    balancer: stable
    methods: [GET, POST]
    headers:
      - {name: X-Version, value: "2"}
      - {name: X-Tenant, value: "^a.*$", type: RegularExpression}
    queryparams: [{name: debug, value: "on"}]
    allow: "10.0.0.0/8, 192.168.1.7"
    rewrite: {regex: "/api(/|$)(.*)", replacement: "/$2", hostname: internal.local}
    requestheaders: {set: {X-A: "1"}, add: {X-B: "2"}, remove: [X-C]}
    responseheaders: {remove: [Server]}
    maxbodysize: 10m
    connecttimeout: 2s
    timeout: 90s
    sendtimeout: 30s
    maxattempts: 2
  - path: /old
    pathtype: Exact
    redirect: {scheme: https, hostname: new.example.com, port: 8443, replacefull: /new, status: 301}
  - path: /split
    backends: [{balancer: stable, weight: 90}, {balancer: canary, weight: 10}]
    canary: {balancer: canary, header: X-Canary, headervalue: yes-please, cookie: canary}
  - path: /moved
    redirect: {url: "https://www.example.org/", status: 308}
  - path: /pre
    rewrite: {replaceprefix: /v2}
    balancer: stable
)yaml";

TEST(RouteYaml, ReadsEveryKey) {
  const TableResult r = parse_table(kRoutes, "t.yaml");
  ASSERT_TRUE(r.ok()) << r.errors.front().to_string();
  ASSERT_EQ(r.table.routes.size(), 5u);
  const Route& api = r.table.routes[0];
  EXPECT_EQ(api.methods, (std::vector<std::string>{"GET", "POST"}));
  ASSERT_EQ(api.headers.size(), 2u);
  EXPECT_EQ(api.headers[0], (ValueMatch{"X-Version", "2", MatchType::kExact}));
  EXPECT_EQ(api.headers[1].type, MatchType::kRegex);
  EXPECT_EQ(api.query_params[0].name, "debug");
  EXPECT_EQ(api.allow, (std::vector<std::string>{"10.0.0.0/8", "192.168.1.7"}));
  EXPECT_EQ(api.rewrite.regex, "/api(/|$)(.*)");
  EXPECT_EQ(api.rewrite.replacement, "/$2");
  EXPECT_EQ(api.rewrite.hostname, "internal.local");
  EXPECT_EQ(api.request_headers.set, (std::vector<std::pair<std::string, std::string>>{{"X-A", "1"}}));
  EXPECT_EQ(api.request_headers.add, (std::vector<std::pair<std::string, std::string>>{{"X-B", "2"}}));
  EXPECT_EQ(api.request_headers.remove, (std::vector<std::string>{"X-C"}));
  EXPECT_EQ(api.response_headers.remove, (std::vector<std::string>{"Server"}));
  EXPECT_EQ(api.max_body_size, 10u << 20);
  EXPECT_EQ(api.connect_timeout, Duration(2000));
  EXPECT_EQ(api.timeout, Duration(90000));
  EXPECT_EQ(api.send_timeout, Duration(30000));
  EXPECT_EQ(api.maxattempts, 2);
  const Route& old = r.table.routes[1];
  EXPECT_TRUE(old.balancer.empty());
  EXPECT_EQ(old.redirect.scheme, "https");
  EXPECT_EQ(old.redirect.port, 8443);
  EXPECT_EQ(old.redirect.status, 301);
  const Route& split = r.table.routes[2];
  EXPECT_EQ(split.backends, (std::vector<WeightedBackend>{{"stable", 90}, {"canary", 10}}));
  EXPECT_EQ(split.canary, (Canary{"canary", "X-Canary", "yes-please", "canary"}));
  EXPECT_EQ(r.table.routes[3].redirect.url, "https://www.example.org/");
  EXPECT_EQ(r.table.routes[4].rewrite.replace_prefix, "/v2");
  EXPECT_EQ(r.table.balancers[1].sticky.route_cookie.domain, "example.com");
}

TEST(RouteYaml, EmitRoundTripsAndTheIncrementalParserAgrees) {
  const TableResult r = parse_table(kRoutes, "t.yaml");
  ASSERT_TRUE(r.ok());
  const std::string text = emit_table(r.table);
  const TableResult again = parse_table(text, "t.yaml");
  ASSERT_TRUE(again.ok()) << again.errors.front().to_string() << "\n" << text;
  EXPECT_EQ(again.table, r.table);
  TableEmitter emitter;
  EXPECT_EQ(emitter.emit(r.table), text);
  TableParser parser;
  const TableResult split = parser.parse(text, "t.yaml");
  EXPECT_TRUE(parser.last().rendered_form);
  ASSERT_TRUE(split.ok());
  EXPECT_EQ(split.table, r.table);
  // A change in one route's actions is seen by both the emitter cache and the parser cache.
  Table changed = r.table;
  changed.routes[0].request_headers.set[0].second = "changed";
  const std::string text2 = emitter.emit(changed);
  EXPECT_EQ(text2, emit_table(changed));
  EXPECT_EQ(parser.parse(text2, "t.yaml").table, changed);
}

struct BadCase {
  std::string route;  // YAML of one route item, indented under "routes:"
  std::string want;   // expected error text
};

TEST(RouteYaml, ErrorsNameLineAndField) {
  const std::string head = "balancers:\n  - {name: a, members: []}\nroutes:\n";
  const std::vector<BadCase> cases = {
      {"  - {path: /, balancer: a, headers: [{name: X, value: '(', type: RegularExpression}]}",
       "t.yaml:4:"},
      {"  - {path: /, balancer: a, headers: [{name: X, value: '(', type: RegularExpression}]}",
       "routes[0].headers[0].value: is not a valid regular expression"},
      {"  - {path: /, balancer: a, headers: [{name: X, value: v, type: Prefix}]}",
       "routes[0].headers[0].type: must be Exact or RegularExpression; got 'Prefix'"},
      {"  - {path: /, balancer: a, allow: [10.0.0.0/33]}", "routes[0].allow: has an invalid prefix length (0-32)"},
      {"  - {path: /, balancer: a, allow: nonsense}", "routes[0].allow: must be an IP address or CIDR"},
      {"  - {path: /, redirect: {status: 304, scheme: https}}", "routes[0].redirect.status: must be 301, 302, 303, 307 or 308"},
      {"  - {path: /, redirect: {url: 'https://x/', scheme: https}}", "routes[0].redirect: url is a whole Location"},
      {"  - {path: /, balancer: a, rewrite: {regex: '/x(.*)'}}", "routes[0].rewrite.replacement: is required with regex"},
      {"  - {path: /, balancer: a, rewrite: {replacefull: /a, replaceprefix: /b}}",
       "routes[0].rewrite: replacefull, replaceprefix and regex exclude each other"},
      {"  - {path: /, balancer: a, maxbodysize: 10x}", "routes[0].maxbodysize: must be a size like"},
      {"  - {path: /, balancer: a, backends: [{balancer: a}]}", "routes[0].backends: excludes 'balancer'"},
      {"  - {path: /}", "routes[0].balancer: is required (or backends, or a redirect)"},
      {"  - {path: /, backends: [{balancer: nope, weight: 1}]}", "routes[0].backends[0].balancer: names no balancer: 'nope'"},
      {"  - {path: /, backends: [{balancer: a, weight: -1}]}", "routes[0].backends[0].weight: must be between 0 and 1000000"},
      {"  - {path: /, backends: [{balancer: a}], canary: {balancer: b}}",
       "routes[0].canary.balancer: must be one of the route's backends"},
      {"  - {path: /, balancer: a, requestheaders: {set: {'bad name': v}}}", "'bad name' is not a header name"},
      {"  - {path: /, balancer: a, methods: [GET], extra: 1}", "routes[0].extra: unknown key"},
      // Text written onto the wire as it is: CR/LF would split the head (header injection).
      {"  - {path: /, balancer: a, requestheaders: {set: {X-A: \"v\\r\\nX-Evil: 1\"}}}",
       "routes[0].requestheaders.set.X-A: must not contain control characters"},
      {"  - {path: /, balancer: a, responseheaders: {add: {X-A: \"v\\n\"}}}",
       "routes[0].responseheaders.add.X-A: must not contain control characters"},
      {"  - {path: /, redirect: {url: \"https://x/\\r\\nSet-Cookie: a=b\"}}",
       "routes[0].redirect.url: must not contain spaces or control characters"},
      {"  - {path: /, balancer: a, rewrite: {replacefull: \"/a b\"}}",
       "routes[0].rewrite.replacefull: must not contain spaces or control characters"},
      {"  - {path: /, balancer: a, rewrite: {hostname: \"h\\r\\n\"}}",
       "routes[0].rewrite.hostname: must not contain spaces or control characters"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.route);
    const TableResult r = parse_table(head + c.route + "\n", "t.yaml");
    ASSERT_FALSE(r.ok());
    bool found = false;
    for (const ConfigError& e : r.errors) found = found || e.to_string().find(c.want) != std::string::npos;
    EXPECT_TRUE(found) << r.errors.front().to_string();
  }
}

TEST(Scalars, SizesAndCidrs) {
  uint64_t size = 0;
  std::string error;
  EXPECT_TRUE(parse_size("0", size, error));
  EXPECT_EQ(size, 0u);
  EXPECT_TRUE(parse_size("512k", size, error));
  EXPECT_EQ(size, 512u * 1024);
  EXPECT_TRUE(parse_size("1g", size, error));
  EXPECT_EQ(size, uint64_t{1} << 30);
  EXPECT_FALSE(parse_size("1t", size, error));
  EXPECT_FALSE(parse_size("", size, error));
  Cidr c;
  ASSERT_TRUE(parse_cidr("10.1.2.3/8", c, error));
  EXPECT_EQ(c.prefix, 96 + 8);
  EXPECT_EQ(c.address[10], 0xff);
  EXPECT_EQ(c.address[12], 10);
  ASSERT_TRUE(parse_cidr("::1", c, error));
  EXPECT_EQ(c.prefix, 128);
  EXPECT_EQ(c.address[15], 1);
  EXPECT_FALSE(parse_cidr("10.0.0.0/", c, error));
  EXPECT_FALSE(parse_cidr("fd00::/129", c, error));
}

}  // namespace
}  // namespace kb::proxy::config
