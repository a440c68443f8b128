// Ingress -> routes: class selection, hosts, path types, default backend, conflicts, determinism.
#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include "controller/reconcile/reconcile.h"
#include "proxy/config/table_yaml.h"
#include "tests/unit/controller/reconcile_fixtures.h"

namespace kb::controller::reconcile {
namespace {

using namespace testing;  // NOLINT
namespace cfg = proxy::config;

Snapshot base() {
  Snapshot s;
  s.ingress_classes.push_back(our_class());
  s.services.push_back(service("shop", "web"));
  s.endpoint_slices.push_back(slice("shop", "web-1", "web", {endpoint("10.0.0.7", "web-a")}));
  return s;
}

kube::Ingress simple(const std::string& name, std::optional<std::string> class_name) {
  return ingress("shop", name, "shop.example.com", {path("/", "Prefix", service_backend("web", 80))}, std::move(class_name));
}

TEST(ReconcileIngress, IngressOfOurClassBecomesRoutes) {
  Snapshot s = base();
  s.ingresses.push_back(simple("web", "kube-balancer"));
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);
  ASSERT_EQ(out.table.routes.size(), 1u);
  EXPECT_EQ(out.table.routes[0], plain_route("shop.example.com", "/", cfg::PathType::kPrefix, "shop/web:80"));
  ASSERT_EQ(out.table.balancers.size(), 1u);
  EXPECT_EQ(out.table.balancers[0].name, "shop/web:80");
  EXPECT_TRUE(out.events.empty());
}

TEST(ReconcileIngress, OtherClassesAreIgnored) {
  Snapshot s = base();
  kube::IngressClass nginx;
  nginx.metadata = meta("", "nginx");
  nginx.controller = "k8s.io/ingress-nginx";
  s.ingress_classes.push_back(nginx);
  s.ingresses.push_back(simple("web", "nginx"));
  s.ingresses.push_back(simple("web2", "unknown-class"));
  const Output out = reconcile(s, Options{});
  EXPECT_TRUE(out.table.routes.empty());
  EXPECT_TRUE(out.table.balancers.empty());
  EXPECT_TRUE(out.ingress_statuses.empty());
}

TEST(ReconcileIngress, ClassNameMustBeBackedByOurController) {
  Snapshot s = base();
  s.ingress_classes[0].controller = "example.com/other";  // same name, other controller
  s.ingresses.push_back(simple("web", "kube-balancer"));
  EXPECT_TRUE(reconcile(s, Options{}).table.routes.empty());
}

TEST(ReconcileIngress, NoClassIsOursOnlyWhenOurClassIsDefault) {
  Snapshot s = base();
  s.ingresses.push_back(simple("web", std::nullopt));
  EXPECT_TRUE(reconcile(s, Options{}).table.routes.empty());

  s.ingress_classes[0] = our_class(/*is_default=*/true);
  const Output out = reconcile(s, Options{});
  ASSERT_EQ(out.table.routes.size(), 1u);
  ASSERT_EQ(out.ingress_statuses.size(), 1u);
}

TEST(ReconcileIngress, DefaultAnnotationMustBeExactlyTrue) {
  Snapshot s = base();
  s.ingress_classes[0].metadata.annotations[kube::kDefaultClassAnnotation] = "yes";
  s.ingresses.push_back(simple("web", std::nullopt));
  EXPECT_TRUE(reconcile(s, Options{}).table.routes.empty());
}

TEST(ReconcileIngress, LegacyClassAnnotation) {
  Snapshot s = base();
  kube::Ingress ing = simple("web", std::nullopt);
  ing.metadata.annotations["kubernetes.io/ingress.class"] = "kube-balancer";
  s.ingresses.push_back(ing);
  EXPECT_EQ(reconcile(s, Options{}).table.routes.size(), 1u);
}

TEST(ReconcileIngress, ConfiguredClassNameSelectsAmongOurClasses) {
  Snapshot s = base();
  s.ingress_classes.push_back(our_class(false, "kb-internal"));
  s.ingresses.push_back(simple("web", "kb-internal"));
  s.ingresses.push_back(ingress("shop", "other", "other.example.com", {path("/", "Prefix", service_backend("web", 80))}));
  Options o;
  o.ingress_class_name = "kb-internal";
  const Output out = reconcile(s, o);
  ASSERT_EQ(out.table.routes.size(), 1u);
  EXPECT_EQ(out.table.routes[0].host, "shop.example.com");
  o.ingress_class_name.clear();  // any class of our controller
  EXPECT_EQ(reconcile(s, o).table.routes.size(), 2u);
}

TEST(ReconcileIngress, PathTypes) {
  Snapshot s = base();
  s.ingresses.push_back(ingress("shop", "web", "",
                                {path("/exact", "Exact", service_backend("web", 80)),
                                 path("/prefix/", "Prefix", service_backend("web", 80)),
                                 path("/impl", "ImplementationSpecific", service_backend("web", 80)),
                                 path("", "Prefix", service_backend("web", 80))}));
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);
  ASSERT_EQ(out.table.routes.size(), 4u);
  // Sorted by host, then path.
  EXPECT_EQ(out.table.routes[0], plain_route("", "/", cfg::PathType::kPrefix, "shop/web:80"));
  EXPECT_EQ(out.table.routes[1], plain_route("", "/exact", cfg::PathType::kExact, "shop/web:80"));
  EXPECT_EQ(out.table.routes[2], plain_route("", "/impl", cfg::PathType::kPrefix, "shop/web:80"));
  EXPECT_EQ(out.table.routes[3], plain_route("", "/prefix", cfg::PathType::kPrefix, "shop/web:80"));
}

TEST(ReconcileIngress, BadPathsAreSkippedAndReported) {
  Snapshot s = base();
  s.ingresses.push_back(ingress("shop", "web", "",
                                {path("relative", "Prefix", service_backend("web", 80)),
                                 path("/x", "Regex", service_backend("web", 80)),
                                 path("/ok", "Exact", service_backend("web", 80))}));
  const Output out = reconcile(s, Options{});
  ASSERT_EQ(out.table.routes.size(), 1u);
  EXPECT_EQ(out.table.routes[0].path, "/ok");
  EXPECT_TRUE(has_event(out, "Ingress", "web", "spec.rules[0].http.paths[0].path: must start with '/'"));
  EXPECT_TRUE(has_event(out, "Ingress", "web", "spec.rules[0].http.paths[1].pathType"));
  for (const Event& e : out.events) EXPECT_EQ(e.reason, "InvalidSpec");
}

TEST(ReconcileIngress, WildcardHosts) {
  Snapshot s = base();
  s.ingresses.push_back(ingress("shop", "wild", "*.example.com", {path("/", "Prefix", service_backend("web", 80))}));
  s.ingresses.push_back(ingress("shop", "bad", "a.*.example.com", {path("/", "Prefix", service_backend("web", 80))}));
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);
  ASSERT_EQ(out.table.routes.size(), 1u);
  EXPECT_EQ(out.table.routes[0].host, "*.example.com");
  EXPECT_TRUE(has_event(out, "Ingress", "bad", "spec.rules[0].host"));
}

TEST(ReconcileIngress, DefaultBackendAndHostOnlyRule) {
  Snapshot s = base();
  kube::Ingress ing;
  ing.metadata = meta("shop", "web");
  ing.ingress_class_name = "kube-balancer";
  ing.default_backend = service_backend("web", 80);
  kube::IngressRule host_only;
  host_only.host = "www.example.com";
  ing.rules.push_back(host_only);
  s.ingresses.push_back(ing);
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);
  EXPECT_EQ(out.table.default_backend, "shop/web:80");
  ASSERT_EQ(out.table.routes.size(), 1u);
  EXPECT_EQ(out.table.routes[0], plain_route("www.example.com", "/", cfg::PathType::kPrefix, "shop/web:80"));
}

TEST(ReconcileIngress, FirstIngressByNameWinsConflicts) {
  Snapshot s = base();
  s.services.push_back(service("shop", "api"));
  kube::Ingress b = ingress("shop", "b-ingress", "x.example.com", {path("/", "Prefix", service_backend("api", 80))});
  b.default_backend = service_backend("api", 80);
  kube::Ingress a = ingress("shop", "a-ingress", "x.example.com", {path("/", "Prefix", service_backend("web", 80))});
  a.default_backend = service_backend("web", 80);
  s.ingresses = {b, a};
  const Output out = reconcile(s, Options{});
  ASSERT_EQ(out.table.routes.size(), 1u);
  EXPECT_EQ(out.table.routes[0].balancer, "shop/web:80");
  EXPECT_EQ(out.table.default_backend, "shop/web:80");
  EXPECT_TRUE(has_event(out, "Ingress", "b-ingress", "already routed by Ingress shop/a-ingress"));
  EXPECT_TRUE(has_event(out, "Ingress", "b-ingress", "default backend is already set"));
}

TEST(ReconcileIngress, ResourceBackendToBalancerCluster) {
  Snapshot s = base();
  s.balancer_clusters.push_back(cluster_for_service("shop", "web-cluster", "web", 80));
  s.ingresses.push_back(ingress("shop", "web", "", {path("/", "Prefix", cluster_backend("web-cluster"))}));
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);
  ASSERT_EQ(out.table.routes.size(), 1u);
  EXPECT_EQ(out.table.routes[0].balancer, "shop/web-cluster");
  ASSERT_NE(find_balancer(out.table, "shop/web-cluster"), nullptr);
  EXPECT_EQ(find_balancer(out.table, "shop/web-cluster")->members.size(), 1u);
}

TEST(ReconcileIngress, ResourceBackendToMissingClusterGetsEmptyBalancer) {
  Snapshot s = base();
  s.ingresses.push_back(ingress("shop", "web", "", {path("/", "Prefix", cluster_backend("nope"))}));
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);
  ASSERT_NE(find_balancer(out.table, "shop/nope"), nullptr);
  EXPECT_TRUE(find_balancer(out.table, "shop/nope")->members.empty());
}

TEST(ReconcileIngress, UnsupportedResourceBackendIsReported) {
  Snapshot s = base();
  kube::IngressBackend b;
  b.resource = kube::TypedLocalObjectReference{"storage.k8s.io", "StorageBucket", "static"};
  s.ingresses.push_back(ingress("shop", "web", "", {path("/", "Prefix", b)}));
  const Output out = reconcile(s, Options{});
  EXPECT_TRUE(out.table.routes.empty());
  EXPECT_TRUE(has_event(out, "Ingress", "web", "only kubebalancer.io BalancerCluster"));
}

TEST(ReconcileIngress, ServiceReachedThroughItsBalancerCluster) {
  Snapshot s = base();
  kube::BalancerCluster c = cluster_for_service("shop", "web-cluster", "web", 80);
  c.spec.lb_method = "bybusyness";
  s.balancer_clusters.push_back(c);
  s.ingresses.push_back(simple("web", "kube-balancer"));
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);
  ASSERT_EQ(out.table.routes.size(), 1u);
  EXPECT_EQ(out.table.routes[0].balancer, "shop/web-cluster");
  ASSERT_EQ(out.table.balancers.size(), 1u);  // no separate shop/web:80 balancer
  EXPECT_EQ(out.table.balancers[0].lbmethod, cfg::LbMethod::kByBusyness);
}

TEST(ReconcileIngress, BackendPortNotInServiceIsReported) {
  Snapshot s = base();
  s.ingresses.push_back(ingress("shop", "web", "", {path("/", "Prefix", service_backend("web", 81))}));
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);
  EXPECT_TRUE(has_event(out, "Ingress", "web", "has no port 81"));
  ASSERT_NE(find_balancer(out.table, "shop/web:81"), nullptr);
  EXPECT_TRUE(find_balancer(out.table, "shop/web:81")->members.empty());
}

TEST(ReconcileIngress, NamespaceScope) {
  Snapshot s = base();
  s.ingresses.push_back(simple("web", "kube-balancer"));
  kube::Ingress other = simple("web", "kube-balancer");
  other.metadata.namespace_name = "other";
  s.ingresses.push_back(other);
  Options o;
  o.watch_all_namespaces = false;
  o.watch_namespace = "other";
  const Output out = reconcile(s, o);
  ASSERT_EQ(out.ingress_statuses.size(), 1u);
  EXPECT_EQ(out.ingress_statuses[0].namespace_name, "other");
  // The Service lives in "shop", out of scope: the balancer has no members.
  ASSERT_EQ(out.table.balancers.size(), 1u);
  EXPECT_EQ(out.table.balancers[0].name, "other/web:80");
  EXPECT_TRUE(out.table.balancers[0].members.empty());
}

TEST(ReconcileIngress, IngressStatusCarriesTheConfiguredAddresses) {
  Snapshot s = base();
  s.ingresses.push_back(simple("web", "kube-balancer"));
  Options o;
  o.status_addresses = {{"192.0.2.10", ""}, {"", "lb.example.com"}};
  const Output out = reconcile(s, o);
  ASSERT_EQ(out.ingress_statuses.size(), 1u);
  EXPECT_EQ(out.ingress_statuses[0].name, "web");
  EXPECT_EQ(out.ingress_statuses[0].status.load_balancer, o.status_addresses);
}

TEST(ReconcileIngress, DeterministicWhateverTheInputOrder) {
  Snapshot s = base();
  s.services.push_back(service("shop", "api"));
  s.services.push_back(service("blog", "web"));
  s.endpoint_slices.push_back(slice("shop", "api-1", "api", {endpoint("10.0.1.2", "api-b"), endpoint("10.0.1.1", "api-a")}));
  s.endpoint_slices.push_back(slice("blog", "web-1", "web", {endpoint("10.0.2.1", "blog-a", false, true, true)}));
  s.ingresses.push_back(ingress("shop", "web", "shop.example.com",
                                {path("/api", "Prefix", service_backend("api", 80)), path("/", "Prefix", service_backend("web", 80))}));
  s.ingresses.push_back(ingress("blog", "web", "blog.example.com", {path("/", "Prefix", service_backend("web", 80))}));
  s.balancer_clusters.push_back(cluster_for_service("shop", "api-cluster", "api", 80));
  const Output first = reconcile(s, Options{});
  expect_valid_table(first.table);
  const std::string yaml = cfg::emit_table(first.table);
  std::mt19937 rng(42);
  for (int i = 0; i < 20; ++i) {
    Snapshot shuffled = s;
    std::shuffle(shuffled.ingresses.begin(), shuffled.ingresses.end(), rng);
    std::shuffle(shuffled.services.begin(), shuffled.services.end(), rng);
    std::shuffle(shuffled.endpoint_slices.begin(), shuffled.endpoint_slices.end(), rng);
    for (auto& sl : shuffled.endpoint_slices) std::shuffle(sl.endpoints.begin(), sl.endpoints.end(), rng);
    const Output again = reconcile(shuffled, Options{});
    EXPECT_EQ(again, first);
    EXPECT_EQ(cfg::emit_table(again.table), yaml);
  }
  // Balancers sorted by name.
  std::vector<std::string> names;
  for (const auto& b : first.table.balancers) names.push_back(b.name);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(names, (std::vector<std::string>{"blog/web:80", "shop/api-cluster", "shop/web:80"}));
}

TEST(ReconcileIngress, RenderedTableRoundTripsThroughTheYamlCodec) {
  Snapshot s = base();
  s.services[0].metadata.annotations["kubebalancer.io/stickysession"] = "JSESSIONID|jsessionid";
  s.endpoint_slices[0].endpoints.push_back(endpoint("10.0.0.8", "web-b", false, true, true));
  s.ingresses.push_back(simple("web", "kube-balancer"));
  const Output out = reconcile(s, Options{});
  const cfg::TableResult parsed = cfg::parse_table(cfg::emit_table(out.table));
  ASSERT_TRUE(parsed.ok()) << (parsed.errors.empty() ? "" : parsed.errors[0].to_string());
  EXPECT_EQ(parsed.table, out.table);
}

}  // namespace
}  // namespace kb::controller::reconcile
