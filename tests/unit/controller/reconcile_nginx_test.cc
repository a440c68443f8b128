// ingress-nginx users' Ingresses, written as they write them (the ingress-nginx docs' affinity,
// rewrite, canary and redirect examples in spirit), through decode and the reconciler.
#include <gtest/gtest.h>  // before cpprestsdk, whose U() macro breaks gtest

#include <yaml-cpp/yaml.h>

#include "controller/reconcile/nginx_annotations.h"
#include "controller/reconcile/reconcile.h"
#include "proxy/config/table_yaml.h"
#include "tests/unit/controller/manifests.h"
#include "tests/unit/controller/reconcile_fixtures.h"

namespace kb::controller::reconcile {
namespace {

using namespace testing;  // NOLINT
namespace cfg = proxy::config;

constexpr const char* kServices = R"yaml(
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-canary, namespace: shop}
spec:
  ports: [{name: http, port: 80, targetPort: 8080}]
)yaml";

Snapshot load(const std::string& manifests) {
  Snapshot s;
  std::vector<kube::DecodeError> errors;
  add_manifests(YAML::LoadAll(std::string(kServices) + "\n---\n" + manifests), s, errors);
  for (const auto& e : errors) ADD_FAILURE() << e.to_string();
  s.ingress_classes.push_back(our_class());
  s.endpoint_slices.push_back(slice("shop", "web-1", "web", {endpoint("10.0.0.1", "web-a"), endpoint("10.0.0.2", "web-b")}));
  s.endpoint_slices.push_back(slice("shop", "canary-1", "web-canary", {endpoint("10.0.1.1", "web-canary-a")}));
  return s;
}

Options nginx_too() {
  Options o;
  o.also_serve_ingress_class = "nginx";
  return o;
}

int count_events(const Output& out, const std::string& reason, const std::string& needle) {
  int n = 0;
  for (const Event& e : out.events) n += e.reason == reason && e.message.find(needle) != std::string::npos;
  return n;
}

TEST(NginxAnnotations, CookieAffinityBecomesARouteCookieWithItsAttributes) {
  const Output out = reconcile(load(R"yaml(
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: cookie-affinity
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/affinity: "cookie"
    nginx.ingress.kubernetes.io/affinity-mode: "persistent"
    nginx.ingress.kubernetes.io/session-cookie-name: "route"
    nginx.ingress.kubernetes.io/session-cookie-path: "/shop"
    nginx.ingress.kubernetes.io/session-cookie-domain: "example.com"
    nginx.ingress.kubernetes.io/session-cookie-samesite: "None"
    nginx.ingress.kubernetes.io/session-cookie-secure: "true"
    nginx.ingress.kubernetes.io/session-cookie-expires: "172800"
    nginx.ingress.kubernetes.io/session-cookie-max-age: "172800"
    nginx.ingress.kubernetes.io/load-balance: "ewma"
spec:
  ingressClassName: nginx
  rules:
  - host: stickyingress.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: web, port: {number: 80}}}
)yaml"), nginx_too());
  for (const Event& e : out.events) ADD_FAILURE() << e.reason << ": " << e.message;
  expect_valid_table(out.table);
  const cfg::Balancer* b = find_balancer(out.table, "shop/web:80");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->lbmethod, cfg::LbMethod::kByBusyness);  // ewma -> bybusyness
  EXPECT_EQ(b->sticky.cookie, "route");
  const cfg::RouteCookie& rc = b->sticky.route_cookie;
  EXPECT_EQ(rc.name, "route");
  EXPECT_EQ(rc.path, "/shop");
  EXPECT_EQ(rc.domain, "example.com");
  EXPECT_EQ(rc.same_site, "None");
  EXPECT_TRUE(rc.secure);
  EXPECT_EQ(rc.max_age, 172800);
  EXPECT_EQ(b->members.size(), 2u);
  // The rendered table carries it to the proxy.
  const cfg::TableResult again = cfg::parse_table(cfg::emit_table(out.table));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.table, out.table);
}

TEST(NginxAnnotations, DefaultCookieNameAndOurServiceAnnotationsWin) {
  Snapshot s = load(R"yaml(
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/affinity: cookie
    nginx.ingress.kubernetes.io/load-balance: round_robin
spec:
  ingressClassName: nginx
  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
)yaml");
  Output out = reconcile(s, nginx_too());
  const cfg::Balancer* b = find_balancer(out.table, "shop/web:80");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->sticky.cookie, "INGRESSCOOKIE");
  EXPECT_EQ(b->sticky.route_cookie.name, "INGRESSCOOKIE");
  EXPECT_EQ(b->lbmethod, cfg::LbMethod::kByRequests);
  // kubebalancer.io/ on the Service wins over the Ingress's nginx annotations.
  s.services[0].metadata.annotations["kubebalancer.io/stickysession"] = "JSESSIONID|jsessionid";
  s.services[0].metadata.annotations["kubebalancer.io/lbmethod"] = "bytraffic";
  out = reconcile(s, nginx_too());
  b = find_balancer(out.table, "shop/web:80");
  EXPECT_EQ(b->sticky.cookie, "JSESSIONID");
  EXPECT_EQ(b->lbmethod, cfg::LbMethod::kByTraffic);
}

TEST(NginxAnnotations, RewriteTargetWithCaptureGroupsAndRoutingKeys) {
  const Output out = reconcile(load(R"yaml(
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: rewrite
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/use-regex: "true"
    nginx.ingress.kubernetes.io/rewrite-target: /$2
    nginx.ingress.kubernetes.io/proxy-body-size: 8m
    nginx.ingress.kubernetes.io/proxy-connect-timeout: "10"
    nginx.ingress.kubernetes.io/proxy-read-timeout: "120"
    nginx.ingress.kubernetes.io/proxy-send-timeout: "30"
    nginx.ingress.kubernetes.io/proxy-next-upstream-tries: "3"
    nginx.ingress.kubernetes.io/whitelist-source-range: 10.0.0.0/24,172.10.0.1
    nginx.ingress.kubernetes.io/upstream-vhost: internal.example.com
spec:
  ingressClassName: nginx
  rules:
  - host: rewrite.bar.com
    http:
      paths:
      - path: /something(/|$)(.*)
        pathType: ImplementationSpecific
        backend: {service: {name: web, port: {number: 80}}}
)yaml"), nginx_too());
  for (const Event& e : out.events) ADD_FAILURE() << e.reason << ": " << e.message;
  expect_valid_table(out.table);
  ASSERT_EQ(out.table.routes.size(), 1u);
  const cfg::Route& r = out.table.routes[0];
  EXPECT_EQ(r.path, "/something");
  EXPECT_EQ(r.path_type, cfg::PathType::kPrefix);
  EXPECT_EQ(r.rewrite.regex, "/something(/|$)(.*)");
  EXPECT_EQ(r.rewrite.replacement, "/$2");
  EXPECT_EQ(r.rewrite.hostname, "internal.example.com");
  EXPECT_EQ(r.max_body_size, 8u << 20);
  EXPECT_EQ(r.connect_timeout, cfg::Duration(10000));
  EXPECT_EQ(r.timeout, cfg::Duration(120000));
  EXPECT_EQ(r.send_timeout, cfg::Duration(30000));
  EXPECT_EQ(r.maxattempts, 2);  // 3 tries = the first + 2 failovers
  EXPECT_EQ(r.allow, (std::vector<std::string>{"10.0.0.0/24", "172.10.0.1"}));
  const cfg::TableResult again = cfg::parse_table(cfg::emit_table(out.table));
  ASSERT_TRUE(again.ok()) << again.errors.front().to_string();
}

TEST(NginxAnnotations, RegexPathPrefixes) {
  EXPECT_EQ(regex_path_prefix("/something(/|$)(.*)"), "/something");
  EXPECT_EQ(regex_path_prefix("/api/v[0-9]+/(.*)"), "/api");
  EXPECT_EQ(regex_path_prefix("/api/(.*)"), "/api");
  EXPECT_EQ(regex_path_prefix("/.*"), "/");
  EXPECT_EQ(regex_path_prefix("/plain"), "/plain");
}

TEST(NginxAnnotations, AppRootAndPermanentRedirect) {
  const Output out = reconcile(load(R"yaml(
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: approot
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/app-root: /app1
spec:
  ingressClassName: nginx
  rules:
  - host: approot.bar.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: moved
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/permanent-redirect: https://www.example.org/
    nginx.ingress.kubernetes.io/permanent-redirect-code: "308"
spec:
  ingressClassName: nginx
  rules:
  - host: old.bar.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
)yaml"), nginx_too());
  for (const Event& e : out.events) ADD_FAILURE() << e.reason << ": " << e.message;
  expect_valid_table(out.table);
  ASSERT_EQ(out.table.routes.size(), 3u);
  // Sorted by host, path, type: approot "/" Exact (the redirect), approot "/" Prefix, old.
  const cfg::Route& root = out.table.routes[0];
  EXPECT_EQ(root.host, "approot.bar.com");
  EXPECT_EQ(root.path_type, cfg::PathType::kExact);
  EXPECT_EQ(root.redirect.replace_full, "/app1");
  EXPECT_EQ(root.redirect.status, 302);
  EXPECT_TRUE(root.balancer.empty());
  EXPECT_FALSE(out.table.routes[1].redirect.enabled());
  EXPECT_EQ(out.table.routes[2].redirect.url, "https://www.example.org/");
  EXPECT_EQ(out.table.routes[2].redirect.status, 308);
}

TEST(NginxAnnotations, CanaryIngressSplitsTheMainRoute) {
  const std::string main_ingress = R"yaml(
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: production
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/affinity: cookie
spec:
  ingressClassName: nginx
  rules:
  - host: echo.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
)yaml";
  const Output out = reconcile(load(main_ingress + R"yaml(
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: canary
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/canary: "true"
    nginx.ingress.kubernetes.io/canary-weight: "10"
    nginx.ingress.kubernetes.io/canary-by-header: X-Canary
    nginx.ingress.kubernetes.io/canary-by-cookie: canary
spec:
  ingressClassName: nginx
  rules:
  - host: echo.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web-canary, port: {number: 80}}}}
)yaml"), nginx_too());
  for (const Event& e : out.events) ADD_FAILURE() << e.reason << ": " << e.message;
  expect_valid_table(out.table);
  ASSERT_EQ(out.table.routes.size(), 1u);
  const cfg::Route& r = out.table.routes[0];
  EXPECT_TRUE(r.balancer.empty());
  EXPECT_EQ(r.backends, (std::vector<cfg::WeightedBackend>{{"shop/web:80", 90}, {"shop/web-canary:80", 10}}));
  EXPECT_EQ(r.canary, (cfg::Canary{"shop/web-canary:80", "X-Canary", "", "canary"}));
  EXPECT_EQ(out.ingress_statuses.size(), 2u);
  // The main Ingress's affinity reaches the stable balancer; the canary's sessions are its own.
  EXPECT_EQ(find_balancer(out.table, "shop/web:80")->sticky.cookie, "INGRESSCOOKIE");

  // A canary without a main Ingress: one Warning, nothing routed.
  const Output lonely = reconcile(load(R"yaml(
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: canary
  namespace: shop
  annotations: {nginx.ingress.kubernetes.io/canary: "true"}
spec:
  ingressClassName: nginx
  rules:
  - host: echo.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web-canary, port: {number: 80}}}}
)yaml"), nginx_too());
  EXPECT_TRUE(lonely.table.routes.empty());
  EXPECT_EQ(count_events(lonely, "CanaryWithoutMain", "no main Ingress routes host 'echo.example.com'"), 1);
}

TEST(NginxAnnotations, OneWarningPerUnsupportedAnnotationAndPerInvalidValue) {
  const Output out = reconcile(load(R"yaml(
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/configuration-snippet: "more_set_headers X: y;"
    nginx.ingress.kubernetes.io/upstream-hash-by: "$request_uri"
    nginx.ingress.kubernetes.io/load-balance: "least_conn"
    nginx.ingress.kubernetes.io/proxy-body-size: "lots"
    nginx.ingress.kubernetes.io/backend-protocol: "GRPC"
    nginx.ingress.kubernetes.io/whitelist-source-range: "10.0.0.0/40"
    nginx.ingress.kubernetes.io/ssl-redirect: "false"
    nginx.ingress.kubernetes.io/permanent-redirect: "https://x.example/\r\nSet-Cookie: a=b"
spec:
  ingressClassName: nginx
  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
)yaml"), nginx_too());
  EXPECT_EQ(count_events(out, "UnsupportedAnnotation", "nginx.ingress.kubernetes.io/configuration-snippet"), 1);
  EXPECT_EQ(count_events(out, "UnsupportedAnnotation", "nginx.ingress.kubernetes.io/upstream-hash-by"), 1);
  EXPECT_EQ(count_events(out, "InvalidAnnotation", "load-balance]: invalid value 'least_conn'"), 1);
  EXPECT_EQ(count_events(out, "InvalidAnnotation", "proxy-body-size]: invalid value 'lots'"), 1);
  EXPECT_EQ(count_events(out, "InvalidAnnotation", "backend-protocol]: invalid value 'GRPC'"), 1);
  EXPECT_EQ(count_events(out, "InvalidAnnotation", "whitelist-source-range]: invalid value '10.0.0.0/40'"), 1);
  // A CR/LF would split the Location head the proxy writes: refused, so the table stays valid.
  EXPECT_EQ(count_events(out, "InvalidAnnotation", "permanent-redirect]: invalid value"), 1);
  EXPECT_EQ(out.events.size(), 7u);  // ssl-redirect is supported: no event
  expect_valid_table(out.table);
  EXPECT_FALSE(out.table.routes.empty() || out.table.routes[0].redirect.enabled());
  for (const Event& e : out.events) EXPECT_EQ(e.object.kind, "Ingress");
  // Defaults kept: the route still serves, unlimited, open to all.
  ASSERT_EQ(out.table.routes.size(), 1u);
  EXPECT_FALSE(out.table.routes[0].max_body_size);
  EXPECT_TRUE(out.table.routes[0].allow.empty());
  EXPECT_EQ(find_balancer(out.table, "shop/web:80")->lbmethod, cfg::LbMethod::kByRequests);
}

TEST(NginxAnnotations, AlsoServeIngressClassIsOffByDefault) {
  const std::string manifest = R"yaml(
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: by-field
  namespace: shop
spec:
  ingressClassName: nginx
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: by-annotation
  namespace: shop
  annotations: {kubernetes.io/ingress.class: nginx}
spec:
  rules:
  - host: b.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
)yaml";
  EXPECT_TRUE(reconcile(load(manifest), Options{}).table.routes.empty());
  EXPECT_TRUE(reconcile(load(manifest), Options{}).ingress_statuses.empty());
  const Output on = reconcile(load(manifest), nginx_too());
  ASSERT_EQ(on.table.routes.size(), 2u);
  EXPECT_EQ(on.table.routes[0].host, "a.example.com");
  EXPECT_EQ(on.table.routes[1].host, "b.example.com");
}

}  // namespace
}  // namespace kb::controller::reconcile
