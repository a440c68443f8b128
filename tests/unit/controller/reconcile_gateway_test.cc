// Gateway API -> table routes and statuses: class and listener acceptance, hostname intersection,
// allowedRoutes, matches, filters, weighted backends (Service, BalancerCluster), ReferenceGrant,
// HTTPS listeners through the Secret path, and the reasons of the spec.
#include <gtest/gtest.h>

#include "controller/reconcile/gateway_api.h"
#include "controller/reconcile/reconcile.h"
#include "tests/unit/controller/reconcile_fixtures.h"

namespace kb::controller::reconcile {
namespace {

using namespace testing;  // NOLINT
namespace cfg = proxy::config;

kube::GatewayClass gw_class(const std::string& controller = kube::kGatewayControllerName) {
  kube::GatewayClass c;
  c.metadata = meta("", "kb");
  c.controller_name = controller;
  return c;
}

kube::GwListener http_listener(const std::string& name, std::optional<std::string> host = std::nullopt,
                               const std::string& from = "Same") {
  kube::GwListener l;
  l.name = name;
  l.hostname = std::move(host);
  l.port = 80;
  l.protocol = "HTTP";
  l.allowed_from = from;
  return l;
}

kube::Gateway gateway(std::vector<kube::GwListener> listeners, const std::string& ns = "infra") {
  kube::Gateway g;
  g.metadata = meta(ns, "gw");
  g.gateway_class_name = "kb";
  g.listeners = std::move(listeners);
  return g;
}

kube::GwBackendRef svc_ref(const std::string& name, int32_t port, int32_t weight = 1,
                           std::optional<std::string> ns = std::nullopt) {
  kube::GwBackendRef b;
  b.ref = {"", "Service", name, std::move(ns)};
  b.port = port;
  b.weight = weight;
  return b;
}

kube::HttpRoute http_route(const std::string& ns, const std::string& name, std::vector<std::string> hosts,
                           std::vector<kube::GwRouteRule> rules, const std::string& gw_ns = "infra") {
  kube::HttpRoute r;
  r.metadata = meta(ns, name);
  r.metadata.generation = 3;
  kube::GwParentRef p;
  p.name = "gw";
  p.namespace_name = gw_ns;
  r.parent_refs.push_back(p);
  r.hostnames = std::move(hosts);
  r.rules = std::move(rules);
  return r;
}

kube::GwRouteRule rule_to(std::vector<kube::GwBackendRef> refs, std::vector<kube::GwRouteMatch> matches = {}) {
  kube::GwRouteRule r;
  r.backend_refs = std::move(refs);
  r.matches = std::move(matches);
  return r;
}

Snapshot base() {
  Snapshot s;
  s.gateway_classes.push_back(gw_class());
  s.services.push_back(service("infra", "web"));
  s.services.push_back(service("app", "web"));
  s.services.push_back(service("app", "v2"));
  return s;
}

const kube::Condition* find_cond(const std::vector<kube::Condition>& cs, const std::string& type) {
  for (const auto& c : cs)
    if (c.type == type) return &c;
  return nullptr;
}

TEST(ReconcileGateway, ClassGatewayAndRouteAreAcceptedAndRendered) {
  Snapshot s = base();
  s.gateways.push_back(gateway({http_listener("http", std::nullopt, "All")}));
  s.http_routes.push_back(http_route("app", "shop", {"shop.example.com"}, {rule_to({svc_ref("web", 80)})}));
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);
  ASSERT_EQ(out.table.routes.size(), 1u);
  EXPECT_EQ(out.table.routes[0], plain_route("shop.example.com", "/", cfg::PathType::kPrefix, "app/web:80"));
  ASSERT_EQ(out.gateway_class_statuses.size(), 1u);
  EXPECT_EQ(find_cond(out.gateway_class_statuses[0].status.conditions, "Accepted")->status, "True");
  EXPECT_FALSE(out.gateway_class_statuses[0].status.supported_features.empty());
  ASSERT_EQ(out.gateway_statuses.size(), 1u);
  const kube::GatewayStatus& gs = out.gateway_statuses[0].status;
  EXPECT_EQ(find_cond(gs.conditions, "Accepted")->status, "True");
  EXPECT_EQ(find_cond(gs.conditions, "Programmed")->status, "True");
  ASSERT_EQ(gs.listeners.size(), 1u);
  EXPECT_EQ(gs.listeners[0].attached_routes, 1);
  EXPECT_EQ(gs.listeners[0].supported_kinds[0].second, "HTTPRoute");
  ASSERT_EQ(out.http_route_statuses.size(), 1u);
  const auto& parent = out.http_route_statuses[0].parents.at(0);
  EXPECT_EQ(parent.controller_name, kube::kGatewayControllerName);
  const kube::Condition* accepted = find_cond(parent.conditions, "Accepted");
  EXPECT_EQ(accepted->status, "True");
  EXPECT_EQ(accepted->observed_generation, 3);
  EXPECT_EQ(find_cond(parent.conditions, "ResolvedRefs")->reason, "ResolvedRefs");
}

TEST(ReconcileGateway, OtherControllersClassesAreIgnored) {
  Snapshot s = base();
  s.gateway_classes[0] = gw_class("example.com/other");
  s.gateways.push_back(gateway({http_listener("http", std::nullopt, "All")}));
  s.http_routes.push_back(http_route("app", "shop", {}, {rule_to({svc_ref("web", 80)})}));
  const Output out = reconcile(s, Options{});
  EXPECT_TRUE(out.table.routes.empty());
  EXPECT_TRUE(out.gateway_statuses.empty());
  EXPECT_TRUE(out.http_route_statuses.empty());
}

TEST(ReconcileGateway, SameNamespaceOnlyByDefault) {
  Snapshot s = base();
  s.gateways.push_back(gateway({http_listener("http")}));
  s.http_routes.push_back(http_route("app", "shop", {}, {rule_to({svc_ref("web", 80)})}));
  const Output out = reconcile(s, Options{});
  EXPECT_TRUE(out.table.routes.empty());
  EXPECT_EQ(find_cond(out.http_route_statuses[0].parents[0].conditions, "Accepted")->reason, "NotAllowedByListeners");
  EXPECT_EQ(out.gateway_statuses[0].status.listeners[0].attached_routes, 0);
}

TEST(ReconcileGateway, HostnameIntersection) {
  EXPECT_EQ(intersect_hostnames(std::nullopt, {}), (std::vector<std::string>{""}));
  EXPECT_EQ(intersect_hostnames(std::string("*.example.com"), {}), (std::vector<std::string>{"*.example.com"}));
  EXPECT_EQ(intersect_hostnames(std::string("*.example.com"), {"a.example.com", "b.other.org"}),
            (std::vector<std::string>{"a.example.com"}));
  EXPECT_EQ(intersect_hostnames(std::string("a.example.com"), {"*.example.com"}),
            (std::vector<std::string>{"a.example.com"}));
  EXPECT_EQ(intersect_hostnames(std::string("*.example.com"), {"*.a.example.com"}),
            (std::vector<std::string>{"*.a.example.com"}));
  EXPECT_TRUE(intersect_hostnames(std::string("a.example.com"), {"b.example.com"}).empty());
  EXPECT_TRUE(intersect_hostnames(std::string("*.example.com"), {"example.com"}).empty());

  Snapshot s = base();
  s.gateways.push_back(gateway({http_listener("http", "*.example.com", "All")}));
  s.http_routes.push_back(http_route("app", "other", {"shop.other.org"}, {rule_to({svc_ref("web", 80)})}));
  const Output out = reconcile(s, Options{});
  EXPECT_TRUE(out.table.routes.empty());
  EXPECT_EQ(find_cond(out.http_route_statuses[0].parents[0].conditions, "Accepted")->reason,
            "NoMatchingListenerHostname");
}

TEST(ReconcileGateway, SectionNameSelectsTheListener) {
  Snapshot s = base();
  s.gateways.push_back(gateway({http_listener("a", "a.example.com", "All"), http_listener("b", "b.example.com", "All")}));
  kube::HttpRoute r = http_route("app", "shop", {}, {rule_to({svc_ref("web", 80)})});
  r.parent_refs[0].section_name = "b";
  s.http_routes.push_back(r);
  r.metadata.name = "missing";
  r.parent_refs[0].section_name = "nope";
  s.http_routes.push_back(r);
  const Output out = reconcile(s, Options{});
  ASSERT_EQ(out.table.routes.size(), 1u);
  EXPECT_EQ(out.table.routes[0].host, "b.example.com");
  EXPECT_EQ(out.gateway_statuses[0].status.listeners[0].attached_routes, 0);
  EXPECT_EQ(out.gateway_statuses[0].status.listeners[1].attached_routes, 1);
  EXPECT_EQ(find_cond(out.http_route_statuses[0].parents[0].conditions, "Accepted")->reason, "NoMatchingParent");
}

TEST(ReconcileGateway, MatchesFiltersAndWeights) {
  Snapshot s = base();
  s.gateways.push_back(gateway({http_listener("http", std::nullopt, "All")}));
  kube::GwRouteMatch m;
  m.path_type = "Exact";
  m.path_value = "/api";
  m.method = "POST";
  m.headers = {{"Exact", "X-Version", "2"}};
  m.query_params = {{"RegularExpression", "tenant", "^a.*"}};
  kube::GwRouteRule rule = rule_to({svc_ref("web", 80, 90), svc_ref("v2", 80, 10)}, {m});
  kube::GwFilter req;
  req.type = "RequestHeaderModifier";
  req.headers.set = {{"X-A", "1"}};
  req.headers.remove = {"X-B"};
  kube::GwFilter rewrite;
  rewrite.type = "URLRewrite";
  rewrite.hostname = "internal";
  rewrite.path = kube::GwPathModifier{"ReplacePrefixMatch", "", "/v2"};
  rule.filters = {req, rewrite};
  kube::GwRouteRule redirect_rule;
  kube::GwFilter redirect;
  redirect.type = "RequestRedirect";
  redirect.scheme = "https";
  redirect.status_code = 301;
  redirect_rule.filters = {redirect};
  redirect_rule.matches = {kube::GwRouteMatch{"PathPrefix", "/old/", {}, {}, ""}};
  s.http_routes.push_back(http_route("app", "shop", {"shop.example.com"}, {rule, redirect_rule}));
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);
  ASSERT_EQ(out.table.routes.size(), 2u);
  const cfg::Route& api = out.table.routes[0];
  EXPECT_EQ(api.path, "/api");
  EXPECT_EQ(api.path_type, cfg::PathType::kExact);
  EXPECT_EQ(api.methods, (std::vector<std::string>{"POST"}));
  EXPECT_EQ(api.headers, (std::vector<cfg::ValueMatch>{{"X-Version", "2", cfg::MatchType::kExact}}));
  EXPECT_EQ(api.query_params, (std::vector<cfg::ValueMatch>{{"tenant", "^a.*", cfg::MatchType::kRegex}}));
  EXPECT_EQ(api.backends, (std::vector<cfg::WeightedBackend>{{"app/web:80", 90}, {"app/v2:80", 10}}));
  EXPECT_TRUE(api.balancer.empty());
  EXPECT_EQ(api.request_headers.set, (std::vector<std::pair<std::string, std::string>>{{"X-A", "1"}}));
  EXPECT_EQ(api.request_headers.remove, (std::vector<std::string>{"X-B"}));
  EXPECT_EQ(api.rewrite.hostname, "internal");
  EXPECT_EQ(api.rewrite.replace_prefix, "/v2");
  const cfg::Route& old = out.table.routes[1];
  EXPECT_EQ(old.path, "/old");
  EXPECT_EQ(old.redirect.scheme, "https");
  EXPECT_EQ(old.redirect.status, 301);
  EXPECT_TRUE(old.balancer.empty());
}

TEST(ReconcileGateway, BackendProblemsUseTheSpecsReasons) {
  Snapshot s = base();
  s.gateways.push_back(gateway({http_listener("http", std::nullopt, "All")}));
  kube::GwBackendRef bad_kind;
  bad_kind.ref = {"example.com", "Bucket", "b", std::nullopt};
  s.http_routes.push_back(http_route("app", "kind", {"k.example.com"}, {rule_to({bad_kind})}));
  s.http_routes.push_back(http_route("app", "missing", {"m.example.com"}, {rule_to({svc_ref("nope", 80)})}));
  s.http_routes.push_back(http_route("app", "cross", {"c.example.com"}, {rule_to({svc_ref("web", 80, 1, "infra")})}));
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);
  auto reason = [&](const std::string& name) {
    for (const auto& u : out.http_route_statuses)
      if (u.name == name) return find_cond(u.parents[0].conditions, "ResolvedRefs")->reason;
    return std::string("none");
  };
  EXPECT_EQ(reason("kind"), "InvalidKind");
  EXPECT_EQ(reason("missing"), "BackendNotFound");
  EXPECT_EQ(reason("cross"), "RefNotPermitted");
  // Still Accepted, and requests get 503 from a memberless balancer rather than another backend.
  for (const auto& r : out.table.routes) {
    const cfg::Balancer* b = find_balancer(out.table, r.balancer);
    ASSERT_NE(b, nullptr) << r.host;
    EXPECT_TRUE(b->members.empty()) << r.host;
  }
  // A ReferenceGrant in the backend's namespace lets the cross-namespace one through.
  kube::ReferenceGrant grant;
  grant.metadata = meta("infra", "allow-app");
  grant.from = {{kube::kGatewayGroup, "HTTPRoute", "app"}};
  grant.to = {{"", "Service", std::nullopt}};
  s.reference_grants.push_back(grant);
  const Output granted = reconcile(s, Options{});
  for (const auto& u : granted.http_route_statuses)
    if (u.name == "cross") {
      EXPECT_EQ(find_cond(u.parents[0].conditions, "ResolvedRefs")->status, "True");
    }
}

TEST(ReconcileGateway, BalancerClusterBackendRef) {
  Snapshot s = base();
  s.balancer_clusters.push_back(cluster_for_service("app", "shop-bc", "web", 80));
  s.gateways.push_back(gateway({http_listener("http", std::nullopt, "All")}));
  kube::GwBackendRef bc;
  bc.ref = {"kubebalancer.io", "BalancerCluster", "shop-bc", std::nullopt};
  s.http_routes.push_back(http_route("app", "shop", {}, {rule_to({bc})}));
  const Output out = reconcile(s, Options{});
  ASSERT_EQ(out.table.routes.size(), 1u);
  EXPECT_EQ(out.table.routes[0].balancer, "app/shop-bc");
  EXPECT_EQ(find_cond(out.http_route_statuses[0].parents[0].conditions, "ResolvedRefs")->status, "True");
}

TEST(ReconcileGateway, UnsupportedValuesAreReported) {
  Snapshot s = base();
  kube::GwListener tcp = http_listener("tcp");
  tcp.protocol = "TCP";
  s.gateways.push_back(gateway({http_listener("http", std::nullopt, "All"), tcp}));
  kube::GwRouteRule rule = rule_to({svc_ref("web", 80)});
  kube::GwFilter mirror;
  mirror.type = "RequestMirror";
  rule.filters = {mirror};
  s.http_routes.push_back(http_route("app", "shop", {}, {rule}));
  const Output out = reconcile(s, Options{});
  EXPECT_TRUE(out.table.routes.empty());
  const kube::Condition* accepted = find_cond(out.http_route_statuses[0].parents[0].conditions, "Accepted");
  EXPECT_EQ(accepted->status, "False");
  EXPECT_EQ(accepted->reason, "UnsupportedValue");
  EXPECT_NE(accepted->message.find("RequestMirror"), std::string::npos);
  const auto& listeners = out.gateway_statuses[0].status.listeners;
  EXPECT_EQ(find_cond(listeners[1].conditions, "Accepted")->reason, "UnsupportedProtocol");
}

TEST(ReconcileGateway, HttpsListenerTakesItsCertificateFromASecret) {
  Snapshot s = base();
  kube::GwListener https = http_listener("https", "shop.example.com", "All");
  https.protocol = "HTTPS";
  https.port = 443;
  https.certificate_refs = {{"", "Secret", "shop-tls", std::nullopt}};
  kube::GwListener cross = https;
  cross.name = "cross";
  cross.hostname = "other.example.com";
  cross.certificate_refs = {{"", "Secret", "other-tls", std::string("certs")}};
  s.gateways.push_back(gateway({https, cross}));
  kube::Secret secret;
  secret.metadata = meta("infra", "shop-tls");
  secret.type = kube::kTlsSecretType;
  secret.certificate = "C";
  secret.key = "K";
  secret.not_after = 4'000'000'000;
  s.secrets.push_back(secret);
  s.http_routes.push_back(http_route("app", "shop", {}, {rule_to({svc_ref("web", 80)})}));
  Options o;
  o.tls_dir = "/tls";
  o.now_unix = 1'800'000'000;
  const Output out = reconcile(s, o);
  expect_valid_table(out.table);
  ASSERT_EQ(out.table.tls.size(), 1u);
  EXPECT_EQ(out.table.tls[0].hosts, (std::vector<std::string>{"shop.example.com"}));
  EXPECT_TRUE(out.tls_secrets.contains("infra/shop-tls"));
  const auto& listeners = out.gateway_statuses[0].status.listeners;
  EXPECT_EQ(find_cond(listeners[0].conditions, "ResolvedRefs")->status, "True");
  EXPECT_EQ(find_cond(listeners[1].conditions, "ResolvedRefs")->reason, "RefNotPermitted");
  EXPECT_EQ(find_cond(listeners[1].conditions, "Programmed")->status, "False");
  ASSERT_EQ(out.table.routes.size(), 1u);
  EXPECT_EQ(out.table.routes[0].host, "shop.example.com");
}

TEST(ReconcileGateway, OlderRouteWinsTheSameMatch) {
  Snapshot s = base();
  s.gateways.push_back(gateway({http_listener("http", std::nullopt, "All")}));
  kube::HttpRoute newer = http_route("app", "a-newer", {"x.example.com"}, {rule_to({svc_ref("v2", 80)})});
  newer.metadata.creation_timestamp = "2026-02-01T00:00:00Z";
  kube::HttpRoute older = http_route("app", "b-older", {"x.example.com"}, {rule_to({svc_ref("web", 80)})});
  older.metadata.creation_timestamp = "2026-01-01T00:00:00Z";
  s.http_routes = {newer, older};
  const Output out = reconcile(s, Options{});
  ASSERT_EQ(out.table.routes.size(), 1u);
  EXPECT_EQ(out.table.routes[0].balancer, "app/web:80");
}

TEST(ReconcileGateway, SessionPersistenceIsScopedPerRule) {
  Snapshot s = base();
  s.endpoint_slices.push_back(slice("app", "web-1", "web", {endpoint("10.0.0.7", "web-a")}));
  s.gateways.push_back(gateway({http_listener("http", std::nullopt, "All")}));
  kube::GwRouteRule a = rule_to({svc_ref("web", 80, 70), svc_ref("v2", 80, 30)},
                                {kube::GwRouteMatch{"PathPrefix", "/a", {}, {}, ""}});
  a.session = kube::GwSessionPersistence{"Cookie", "shop-session", "", "Permanent", "1h30m"};
  kube::GwRouteRule b = rule_to({svc_ref("web", 80)}, {kube::GwRouteMatch{"PathPrefix", "/b", {}, {}, ""}});
  b.session = kube::GwSessionPersistence{};  // Cookie, Session lifetime, our name
  kube::GwRouteRule header = rule_to({svc_ref("web", 80)}, {kube::GwRouteMatch{"PathPrefix", "/h", {}, {}, ""}});
  header.session = kube::GwSessionPersistence{"Header", "X-Session", "", "Session", ""};
  s.http_routes.push_back(http_route("app", "shop", {}, {a, b, header}));
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);
  ASSERT_EQ(out.table.routes.size(), 2u);
  const cfg::Route& ra = out.table.routes[0];
  ASSERT_EQ(ra.backends.size(), 2u);
  EXPECT_EQ(ra.backends[0].balancer, "app/web:80@app/shop/0");
  EXPECT_EQ(ra.backends[0].weight, 70);
  const cfg::Balancer* ba = find_balancer(out.table, "app/web:80@app/shop/0");
  ASSERT_NE(ba, nullptr);
  EXPECT_EQ(ba->sticky.cookie, "shop-session");
  EXPECT_EQ(ba->sticky.route_cookie.name, "shop-session");
  EXPECT_EQ(ba->sticky.route_cookie.max_age, std::optional<int64_t>(5400));
  EXPECT_EQ(ba->members.size(), 1u);  // the Service's members
  const cfg::Balancer* bb = find_balancer(out.table, out.table.routes[1].balancer);
  ASSERT_NE(bb, nullptr);
  EXPECT_EQ(out.table.routes[1].balancer, "app/web:80@app/shop/1");  // another rule: another balancer
  EXPECT_EQ(bb->sticky.route_cookie.max_age, std::nullopt);          // Session: no Max-Age
  EXPECT_NE(bb->sticky.cookie, "shop-session");
  const kube::Condition* accepted = find_cond(out.http_route_statuses[0].parents[0].conditions, "Accepted");
  EXPECT_EQ(accepted->reason, "UnsupportedValue");
  EXPECT_NE(accepted->message.find("spec.rules[2].sessionPersistence.type"), std::string::npos);
  int64_t secs = 0;
  EXPECT_TRUE(parse_gateway_duration("500ms", secs));
  EXPECT_EQ(secs, 1);
  EXPECT_FALSE(parse_gateway_duration("1d", secs));
  EXPECT_FALSE(parse_gateway_duration("", secs));
}

TEST(ReconcileGateway, StatusAddressesFromThePublishAddress) {
  Snapshot s = base();
  s.gateways.push_back(gateway({http_listener("http")}));
  Options o;
  o.status_addresses = {{"10.0.0.9", ""}};
  const Output out = reconcile(s, o);
  EXPECT_EQ(out.gateway_statuses[0].status.addresses,
            (std::vector<std::pair<std::string, std::string>>{{"IPAddress", "10.0.0.9"}}));
}

}  // namespace
}  // namespace kb::controller::reconcile
