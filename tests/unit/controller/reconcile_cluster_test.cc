// BalancerCluster -> balancer and desired status.
#include <gtest/gtest.h>

#include "controller/reconcile/reconcile.h"
#include "proxy/config/table_yaml.h"
#include "tests/unit/controller/reconcile_fixtures.h"

namespace kb::controller::reconcile {
namespace {

using namespace testing;  // NOLINT
namespace cfg = proxy::config;
using std::chrono::milliseconds;

Snapshot with_service() {
  Snapshot s;
  kube::Service svc = service("shop", "web");
  svc.metadata.annotations["kubebalancer.io/lbmethod"] = "bytraffic";
  svc.metadata.annotations["kubebalancer.io/stickysession"] = "SESSION";
  s.services.push_back(svc);
  s.endpoint_slices.push_back(slice("shop", "web-1", "web",
                                    {endpoint("10.0.0.7", "web-a"), endpoint("10.0.0.8", "web-b", false, true, true),
                                     endpoint("10.0.0.9", "web-c", false, false, false)}));
  return s;
}

const BalancerClusterStatusUpdate& status_of(const Output& out, const std::string& name) {
  for (const auto& s : out.balancer_cluster_statuses)
    if (s.name == name) return s;
  ADD_FAILURE() << "no status for " << name;
  static const BalancerClusterStatusUpdate kNone;
  return kNone;
}

kube::BcMember static_member(const std::string& url, const std::string& name, const std::string& route) {
  kube::BcMember m;
  m.url = url;
  m.name = name;
  m.route = route;
  return m;
}

TEST(ReconcileCluster, ServiceClusterSpecOverridesAnnotations) {
  Snapshot s = with_service();
  kube::BalancerCluster c = cluster_for_service("shop", "web", "web", 80);
  c.metadata.generation = 7;
  c.spec.lb_method = "byrequests";
  c.spec.proxy_timeout = "90";
  c.spec.fail_on_status = std::vector<int64_t>{503};
  s.balancer_clusters.push_back(c);
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);
  const cfg::Balancer* b = find_balancer(out.table, "shop/web");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->lbmethod, cfg::LbMethod::kByRequests);  // the spec wins over the annotation
  EXPECT_EQ(b->sticky.cookie, "SESSION");               // the annotation still applies where the spec is silent
  EXPECT_EQ(b->member_timeout, milliseconds(90000));
  EXPECT_EQ(b->failonstatus, (std::vector<int>{503}));
  ASSERT_EQ(b->members.size(), 2u);
  EXPECT_TRUE(find_member(*b, "web-b")->status.drain);

  const auto& st = status_of(out, "web");
  EXPECT_EQ(st.namespace_name, "shop");
  EXPECT_EQ(st.observed_generation, 7);
  EXPECT_EQ(st.balancer, "shop/web");
  EXPECT_EQ(st.invalid_spec.type, "InvalidSpec");
  EXPECT_EQ(st.invalid_spec.status, "False");
  EXPECT_EQ(st.invalid_spec.observed_generation, 7);
  EXPECT_EQ(st.total_members, 2);
  ASSERT_EQ(st.members.size(), 2u);
  EXPECT_EQ(st.members[0].name, "web-a");
  EXPECT_EQ(st.members[0].address, "http://10.0.0.7:8080");
  EXPECT_EQ(st.members[0].status, "");
  EXPECT_EQ(st.members[1].name, "web-b");
  EXPECT_EQ(st.members[1].route, "web-b");
  EXPECT_EQ(st.members[1].status, "+N");
  EXPECT_TRUE(out.events.empty());
}

TEST(ReconcileCluster, EveryUnreferencedClusterIsStillRendered) {
  Snapshot s = with_service();
  s.balancer_clusters.push_back(cluster_for_service("shop", "web", "web", 80));
  const Output out = reconcile(s, Options{});
  EXPECT_TRUE(out.table.routes.empty());
  ASSERT_EQ(out.table.balancers.size(), 1u);
}

TEST(ReconcileCluster, ServicePortByName) {
  Snapshot s = with_service();
  kube::BalancerCluster c = cluster_for_service("shop", "web", "web", 0);
  c.spec.service->port = kube::IntOrString{false, 0, "http"};
  s.balancer_clusters.push_back(c);
  s.ingress_classes.push_back(our_class());
  s.ingresses.push_back(ingress("shop", "web", "", {path("/", "Prefix", service_backend("web", 80))}));
  const Output out = reconcile(s, Options{});
  ASSERT_EQ(out.table.balancers.size(), 1u);  // the Ingress's web:80 is the cluster's web:http
  EXPECT_EQ(out.table.routes[0].balancer, "shop/web");
  EXPECT_EQ(out.table.balancers[0].members.size(), 2u);
}

TEST(ReconcileCluster, TwoClustersForOneServicePortFirstByNameTakesTheIngressRoutes) {
  Snapshot s = with_service();
  s.balancer_clusters.push_back(cluster_for_service("shop", "zeta", "web", 80));
  s.balancer_clusters.push_back(cluster_for_service("shop", "alpha", "web", 80));
  s.ingress_classes.push_back(our_class());
  s.ingresses.push_back(ingress("shop", "web", "", {path("/", "Prefix", service_backend("web", 80))}));
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);
  EXPECT_EQ(out.table.routes[0].balancer, "shop/alpha");
  EXPECT_EQ(out.table.balancers.size(), 2u);  // both rendered
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].object.name, "zeta");
  EXPECT_EQ(out.events[0].reason, "ServiceClaimed");
  EXPECT_NE(out.events[0].message.find("already taken by balancer shop/alpha"), std::string::npos);
}

TEST(ReconcileCluster, MissingServiceRendersNoMembersWithoutInvalidSpec) {
  Snapshot s;
  s.balancer_clusters.push_back(cluster_for_service("shop", "web", "web", 80));
  const Output out = reconcile(s, Options{});
  ASSERT_EQ(out.table.balancers.size(), 1u);
  EXPECT_TRUE(out.table.balancers[0].members.empty());
  EXPECT_EQ(status_of(out, "web").invalid_spec.status, "False");
  EXPECT_EQ(status_of(out, "web").total_members, 0);
}

TEST(ReconcileCluster, PortRequiredWhenTheServiceHasSeveral) {
  Snapshot s = with_service();
  s.services[0].ports.push_back({"admin", "TCP", 9000, kube::IntOrString{true, 9000, ""}});
  kube::BalancerCluster c = cluster_for_service("shop", "web", "web", 0);
  s.balancer_clusters.push_back(c);
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);
  const auto& st = status_of(out, "web");
  EXPECT_EQ(st.invalid_spec.status, "True");
  EXPECT_NE(st.invalid_spec.message.find("spec.service.port: names no port of Service web, which has 2 ports"),
            std::string::npos);
  ASSERT_NE(find_balancer(out.table, "shop/web"), nullptr);
  EXPECT_TRUE(find_balancer(out.table, "shop/web")->members.empty());
}

TEST(ReconcileCluster, LongInvalidSpecMessageIsCapped) {
  Snapshot s;
  kube::BalancerCluster c;
  c.metadata = meta("legacy", "many");
  c.spec.members.emplace();
  for (int i = 0; i < 200; ++i) c.spec.members->push_back(static_member("ftp://host-" + std::to_string(i), "", ""));
  s.balancer_clusters.push_back(c);
  const Output out = reconcile(s, Options{});
  EXPECT_LE(status_of(out, "many").invalid_spec.message.size(), 4096u);
  EXPECT_EQ(out.events.size(), 200u);
}

TEST(ReconcileCluster, StaticMembers) {
  Snapshot s;
  kube::BalancerCluster c;
  c.metadata = meta("legacy", "tomcats");
  c.spec.members.emplace();
  kube::BcMember a = static_member("http://192.0.2.1:8080", "tc1", "node1");
  a.load_factor = 70;
  a.redirect = "node2";
  kube::BcMember b = static_member("http://192.0.2.2:8080", "tc2", "node2");
  b.load_factor = 30;
  b.lb_set = 1;
  b.status = "+H";
  b.retry = "10";
  b.timeout = "2s";
  b.connection_timeout = "250ms";
  c.spec.members->push_back(a);
  c.spec.members->push_back(b);
  c.spec.sticky_session = "JSESSIONID|jsessionid";
  c.spec.scolon_path_delim = true;
  c.spec.health_check = kube::BcHealthCheck{"GET", "/health", "5s", 2, 3, "200-299", "UP"};
  s.balancer_clusters.push_back(c);
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);
  const cfg::Balancer* bal = find_balancer(out.table, "legacy/tomcats");
  ASSERT_NE(bal, nullptr);
  ASSERT_EQ(bal->members.size(), 2u);
  const cfg::Member& m1 = bal->members[0];
  const cfg::Member& m2 = bal->members[1];
  EXPECT_EQ(m1.url, "http://192.0.2.1:8080");
  EXPECT_EQ(m1.route, "node1");
  EXPECT_EQ(m1.redirect, "node2");
  EXPECT_DOUBLE_EQ(m1.loadfactor, 70);
  EXPECT_EQ(m2.lbset, 1);
  EXPECT_TRUE(m2.status.hot_standby);
  EXPECT_EQ(m2.retry, milliseconds(10000));
  EXPECT_EQ(m2.timeout, milliseconds(2000));
  EXPECT_EQ(m2.connection_timeout, milliseconds(250));
  EXPECT_EQ(m2.health_check.method, cfg::HcMethod::kGet);
  EXPECT_EQ(m2.health_check.uri, "/health");
  EXPECT_EQ(bal->health_check.expect_status_max, 299);
  EXPECT_EQ(bal->health_check.expect_body, "UP");
  EXPECT_TRUE(bal->sticky.scolon_path_delim);
  EXPECT_EQ(status_of(out, "tomcats").total_members, 2);
  EXPECT_EQ(status_of(out, "tomcats").members[1].status, "+H");
}

TEST(ReconcileCluster, BadStaticMembersAreSkippedOrDefaulted) {
  Snapshot s;
  kube::BalancerCluster c;
  c.metadata = meta("legacy", "tomcats");
  c.spec.members.emplace();
  c.spec.members->push_back(static_member("https://192.0.2.1:8443", "tls", "r0"));
  kube::BcMember bad_lf = static_member("http://192.0.2.2:8080", "tc2", "node2");
  bad_lf.load_factor = 500;
  bad_lf.status = "+X";
  bad_lf.redirect = "nowhere";
  c.spec.members->push_back(bad_lf);
  c.spec.members->push_back(static_member("http://192.0.2.3:8080", "tc2", "node3"));  // duplicate name
  s.balancer_clusters.push_back(c);
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);
  const cfg::Balancer* bal = find_balancer(out.table, "legacy/tomcats");
  ASSERT_NE(bal, nullptr);
  ASSERT_EQ(bal->members.size(), 1u);
  EXPECT_DOUBLE_EQ(bal->members[0].loadfactor, 1);
  EXPECT_EQ(bal->members[0].redirect, "");
  const auto& st = status_of(out, "tomcats");
  EXPECT_EQ(st.invalid_spec.status, "True");
  EXPECT_EQ(st.invalid_spec.reason, "InvalidSpec");
  EXPECT_NE(st.invalid_spec.message.find("spec.members[0].url: must start with http://"), std::string::npos);
  EXPECT_NE(st.invalid_spec.message.find("spec.members[1].loadFactor"), std::string::npos);
  EXPECT_NE(st.invalid_spec.message.find("spec.members[1].status"), std::string::npos);
  EXPECT_NE(st.invalid_spec.message.find("spec.members[2].name: duplicate"), std::string::npos);
  EXPECT_NE(st.invalid_spec.message.find("unknown route 'nowhere'"), std::string::npos);
  EXPECT_TRUE(has_event(out, "BalancerCluster", "tomcats", "spec.members[0].url"));
  for (const auto& e : out.events) {
    EXPECT_EQ(e.object.api_version, "kubebalancer.io/v1alpha1");
    EXPECT_EQ(e.reason, "InvalidSpec");
  }
}

TEST(ReconcileCluster, DuplicateStaticRoutesAreCleared) {
  Snapshot s;
  kube::BalancerCluster c;
  c.metadata = meta("legacy", "tomcats");
  c.spec.members = std::vector<kube::BcMember>{static_member("http://192.0.2.1:8080", "tc1", "node"),
                                               static_member("http://192.0.2.2:8080", "tc2", "node")};
  s.balancer_clusters.push_back(c);
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);
  const cfg::Balancer* bal = find_balancer(out.table, "legacy/tomcats");
  ASSERT_NE(bal, nullptr);
  ASSERT_EQ(bal->members.size(), 2u);
  EXPECT_EQ(bal->members[0].route, "node");
  EXPECT_EQ(bal->members[1].route, "");
  EXPECT_TRUE(has_event(out, "BalancerCluster", "tomcats", "spec.members: member tc2 has the same route 'node'"));
}

TEST(ReconcileCluster, ServiceAndMembersTogetherIsSkipped) {
  Snapshot s = with_service();
  kube::BalancerCluster c = cluster_for_service("shop", "web", "web", 80);
  c.spec.members.emplace();
  s.balancer_clusters.push_back(c);
  kube::BalancerCluster none;
  none.metadata = meta("shop", "empty");
  s.balancer_clusters.push_back(none);
  const Output out = reconcile(s, Options{});
  EXPECT_TRUE(out.table.balancers.empty());
  EXPECT_EQ(status_of(out, "web").invalid_spec.status, "True");
  EXPECT_EQ(status_of(out, "web").balancer, "");
  EXPECT_EQ(status_of(out, "empty").invalid_spec.status, "True");
  EXPECT_TRUE(has_event(out, "BalancerCluster", "web", "not both"));
  EXPECT_TRUE(has_event(out, "BalancerCluster", "empty", "needs service or members"));
}

TEST(ReconcileCluster, SkippedClusterReachedByIngressGives503NotAnotherBackend) {
  Snapshot s = with_service();
  kube::BalancerCluster c;
  c.metadata = meta("shop", "broken");
  s.balancer_clusters.push_back(c);
  s.ingress_classes.push_back(our_class());
  s.ingresses.push_back(ingress("shop", "web", "", {path("/", "Prefix", cluster_backend("broken"))}));
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);
  ASSERT_NE(find_balancer(out.table, "shop/broken"), nullptr);
  EXPECT_TRUE(find_balancer(out.table, "shop/broken")->members.empty());
}

TEST(ReconcileCluster, BadSpecFieldsKeepDefaultsAndAreAllReported) {
  Snapshot s = with_service();
  kube::BalancerCluster c = cluster_for_service("shop", "web", "web", 80);
  c.spec.lb_method = "random";
  c.spec.timeout = "forever";
  c.spec.max_attempts = -2;
  c.spec.route_from = "label";
  c.spec.health_check = kube::BcHealthCheck{};
  c.spec.health_check->interval = "10ms";
  c.spec.fail_on_status = std::vector<int64_t>{503, 42};
  s.balancer_clusters.push_back(c);
  const Output out = reconcile(s, Options{});
  const cfg::Balancer* b = find_balancer(out.table, "shop/web");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->lbmethod, cfg::LbMethod::kByTraffic);  // the annotation's value stays
  EXPECT_EQ(b->timeout, milliseconds(0));
  EXPECT_EQ(b->maxattempts, std::nullopt);
  EXPECT_TRUE(b->failonstatus.empty());
  EXPECT_EQ(b->health_check.interval, milliseconds(30000));
  const auto& st = status_of(out, "web");
  EXPECT_EQ(st.invalid_spec.status, "True");
  for (const char* field : {"spec.lbMethod", "spec.timeout", "spec.maxAttempts", "spec.routeFrom",
                            "spec.healthCheck.interval", "spec.failOnStatus[1]"}) {
    EXPECT_NE(st.invalid_spec.message.find(field), std::string::npos) << field;
    EXPECT_TRUE(has_event(out, "BalancerCluster", "web", field)) << field;
  }
}

TEST(ReconcileCluster, MemberOverrides) {
  Snapshot s = with_service();
  kube::BalancerCluster c = cluster_for_service("shop", "web", "web", 80);
  kube::BcMemberOverride by_pod;
  by_pod.pod_name = "web-a";
  by_pod.route = "node-a";
  by_pod.lb_set = 2;
  kube::BcMemberOverride by_address;
  by_address.address = "10.0.0.8";
  by_address.load_factor = 40;
  by_address.status = "+H";
  c.spec.member_overrides = {by_pod, by_address};
  s.balancer_clusters.push_back(c);
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);
  const cfg::Balancer* b = find_balancer(out.table, "shop/web");
  ASSERT_NE(b, nullptr);
  const cfg::Member* a = find_member(*b, "web-a");
  const cfg::Member* d = find_member(*b, "web-b");
  EXPECT_EQ(a->route, "node-a");
  EXPECT_EQ(a->lbset, 2);
  EXPECT_DOUBLE_EQ(d->loadfactor, 40);
  EXPECT_TRUE(d->status.hot_standby);
  EXPECT_TRUE(d->status.drain);  // the override adds to the drain flag, it does not reset it
  EXPECT_EQ(status_of(out, "web").invalid_spec.status, "False");
}

TEST(ReconcileCluster, OverrideErrorsAndDuplicateRoutes) {
  Snapshot s = with_service();
  kube::BalancerCluster c = cluster_for_service("shop", "web", "web", 80);
  kube::BcMemberOverride both;
  both.pod_name = "web-a";
  both.address = "10.0.0.7";
  kube::BcMemberOverride dup;
  dup.pod_name = "web-b";
  dup.route = "web-a";  // clashes with web-a's route
  c.spec.member_overrides = {both, dup};
  s.balancer_clusters.push_back(c);
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);
  const std::string& msg = status_of(out, "web").invalid_spec.message;
  EXPECT_NE(msg.find("spec.memberOverrides[0].selector: must set exactly one"), std::string::npos);
  EXPECT_NE(msg.find("same route 'web-a'"), std::string::npos);
}

TEST(ReconcileCluster, RouteCookieFromSpec) {
  Snapshot s = with_service();
  kube::BalancerCluster c = cluster_for_service("shop", "web", "web", 80);
  c.spec.route_cookie = kube::BcRouteCookie{"ROUTEID", "/shop", false, true, "Strict", 600};
  c.spec.sticky_session_sep = ".";
  s.balancer_clusters.push_back(c);
  const Output out = reconcile(s, Options{});
  const cfg::Balancer* b = find_balancer(out.table, "shop/web");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->sticky.route_cookie, (cfg::RouteCookie{"ROUTEID", "/shop", false, true, "Strict", 600, ""}));
  EXPECT_EQ(b->sticky.separator, '.');
}

TEST(ReconcileCluster, ServiceAnnotationErrorsSeenThroughAClusterAreReportedOnce) {
  Snapshot s = with_service();
  s.services[0].metadata.annotations["kubebalancer.io/hcfails"] = "zero";
  s.balancer_clusters.push_back(cluster_for_service("shop", "web", "web", 80));
  s.balancer_clusters.push_back(cluster_for_service("shop", "web2", "web", 80));
  const Output out = reconcile(s, Options{});
  int service_events = 0;
  for (const auto& e : out.events) service_events += e.object.kind == "Service";
  EXPECT_EQ(service_events, 1);
  EXPECT_EQ(status_of(out, "web").invalid_spec.status, "False");  // the cluster's own spec is fine
}

}  // namespace
}  // namespace kb::controller::reconcile
