// Service endpoints -> members, above all the drain of terminating endpoints.
#include <gtest/gtest.h>

#include "controller/reconcile/reconcile.h"
#include "proxy/config/table_yaml.h"
#include "tests/unit/controller/reconcile_fixtures.h"

namespace kb::controller::reconcile {
namespace {

using namespace testing;  // NOLINT
namespace cfg = proxy::config;

constexpr const char* kBalancer = "shop/web:80";

Snapshot shop(std::vector<kube::Endpoint> endpoints) {
  Snapshot s;
  s.ingress_classes.push_back(our_class());
  s.services.push_back(service("shop", "web"));
  s.endpoint_slices.push_back(slice("shop", "web-abc12", "web", std::move(endpoints)));
  s.ingresses.push_back(ingress("shop", "web", "shop.example.com", {path("/", "Prefix", service_backend("web", 80))}));
  return s;
}

const cfg::Balancer& balancer(const Output& out) {
  const cfg::Balancer* b = find_balancer(out.table, kBalancer);
  EXPECT_NE(b, nullptr);
  static const cfg::Balancer kEmpty;
  return b != nullptr ? *b : kEmpty;
}

TEST(ReconcileMembers, ReadyEndpointsBecomeNormalMembersNamedAndRoutedByPod) {
  const Output out = reconcile(shop({endpoint("10.0.0.7", "web-7d9f-abcde"), endpoint("10.0.0.8", "web-7d9f-fghij")}),
                               Options{});
  expect_valid_table(out.table);
  const cfg::Balancer& b = balancer(out);
  ASSERT_EQ(b.members.size(), 2u);
  EXPECT_EQ(b.members[0].name, "web-7d9f-abcde");
  EXPECT_EQ(b.members[0].route, "web-7d9f-abcde");
  EXPECT_EQ(b.members[0].url, "http://10.0.0.7:8080");  // the EndpointSlice port: the resolved targetPort
  EXPECT_EQ(b.members[0].status, cfg::StatusFlags{});
  EXPECT_EQ(b.members[1].url, "http://10.0.0.8:8080");
}

TEST(ReconcileMembers, TerminatingServingEndpointBecomesDrainMember) {
  const Output out = reconcile(shop({endpoint("10.0.0.7", "web-a"),
                                     endpoint("10.0.0.8", "web-b", /*ready=*/false, /*terminating=*/true, /*serving=*/true)}),
                               Options{});
  expect_valid_table(out.table);
  const cfg::Balancer& b = balancer(out);
  ASSERT_EQ(b.members.size(), 2u);
  const cfg::Member* a = find_member(b, "web-a");
  const cfg::Member* d = find_member(b, "web-b");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(d, nullptr);
  EXPECT_FALSE(a->status.drain);
  EXPECT_TRUE(d->status.drain);
  // The drained member keeps its route so sticky requests for "web-b" still reach it.
  EXPECT_EQ(d->route, "web-b");
  EXPECT_EQ(cfg::format_status_flags(d->status), "+N");
}

TEST(ReconcileMembers, TerminatingNotServingEndpointIsStillDrained) {
  const Output out = reconcile(shop({endpoint("10.0.0.8", "web-b", false, true, false)}), Options{});
  const cfg::Balancer& b = balancer(out);
  ASSERT_EQ(b.members.size(), 1u);
  EXPECT_TRUE(b.members[0].status.drain);
  EXPECT_EQ(b.members[0].route, "web-b");
}

TEST(ReconcileMembers, NotReadyNonTerminatingEndpointIsLeftOut) {
  const Output out = reconcile(shop({endpoint("10.0.0.7", "web-a"), endpoint("10.0.0.9", "web-c", false, false, false)}),
                               Options{});
  const cfg::Balancer& b = balancer(out);
  ASSERT_EQ(b.members.size(), 1u);
  EXPECT_EQ(b.members[0].name, "web-a");
}

TEST(ReconcileMembers, AbsentConditionsMeanReadyAndNotTerminating) {
  kube::Endpoint e = endpoint("10.0.0.7", "web-a");
  e.conditions = {};
  const Output out = reconcile(shop({e}), Options{});
  ASSERT_EQ(balancer(out).members.size(), 1u);
  EXPECT_FALSE(balancer(out).members[0].status.drain);
}

TEST(ReconcileMembers, DrainLifecycleAcrossARollingUpdate) {
  // 1: two ready pods. 2: web-a terminates (drain) while web-c starts (not ready: left out).
  // 3: web-c ready. 4: web-a's endpoint is gone: it leaves the table.
  Output s1 = reconcile(shop({endpoint("10.0.0.7", "web-a"), endpoint("10.0.0.8", "web-b")}), Options{});
  ASSERT_EQ(balancer(s1).members.size(), 2u);

  Output s2 = reconcile(shop({endpoint("10.0.0.7", "web-a", false, true, true), endpoint("10.0.0.8", "web-b"),
                              endpoint("10.0.0.9", "web-c", false, false, false)}),
                        Options{});
  ASSERT_EQ(balancer(s2).members.size(), 2u);
  EXPECT_TRUE(find_member(balancer(s2), "web-a")->status.drain);
  EXPECT_EQ(find_member(balancer(s2), "web-c"), nullptr);

  Output s3 = reconcile(shop({endpoint("10.0.0.7", "web-a", false, true, false), endpoint("10.0.0.8", "web-b"),
                              endpoint("10.0.0.9", "web-c")}),
                        Options{});
  ASSERT_EQ(balancer(s3).members.size(), 3u);
  EXPECT_TRUE(find_member(balancer(s3), "web-a")->status.drain);
  EXPECT_FALSE(find_member(balancer(s3), "web-c")->status.drain);

  Output s4 = reconcile(shop({endpoint("10.0.0.8", "web-b"), endpoint("10.0.0.9", "web-c")}), Options{});
  ASSERT_EQ(balancer(s4).members.size(), 2u);
  EXPECT_EQ(find_member(balancer(s4), "web-a"), nullptr);
  for (const Output* o : {&s1, &s2, &s3, &s4}) expect_valid_table(o->table);
}

TEST(ReconcileMembers, AllEndpointsTerminatingAreAllDrained) {
  const Output out = reconcile(shop({endpoint("10.0.0.7", "web-a", false, true, true),
                                     endpoint("10.0.0.8", "web-b", false, true, false)}),
                               Options{});
  const cfg::Balancer& b = balancer(out);
  ASSERT_EQ(b.members.size(), 2u);
  EXPECT_TRUE(b.members[0].status.drain);
  EXPECT_TRUE(b.members[1].status.drain);
}

TEST(ReconcileMembers, EndpointInTwoSlicesReadyCopyWins) {
  Snapshot s = shop({endpoint("10.0.0.7", "web-a", false, true, true)});
  s.endpoint_slices.push_back(slice("shop", "web-zzz99", "web", {endpoint("10.0.0.7", "web-a")}));
  const Output out = reconcile(s, Options{});
  ASSERT_EQ(balancer(out).members.size(), 1u);
  EXPECT_FALSE(balancer(out).members[0].status.drain);
}

TEST(ReconcileMembers, MembersFromSeveralSlicesAreSortedByName) {
  Snapshot s = shop({endpoint("10.0.0.9", "web-z")});
  s.endpoint_slices.push_back(slice("shop", "web-second", "web", {endpoint("10.0.0.3", "web-b"), endpoint("10.0.0.2", "web-a")}));
  const Output out = reconcile(s, Options{});
  const cfg::Balancer& b = balancer(out);
  ASSERT_EQ(b.members.size(), 3u);
  EXPECT_EQ(b.members[0].name, "web-a");
  EXPECT_EQ(b.members[1].name, "web-b");
  EXPECT_EQ(b.members[2].name, "web-z");
}

TEST(ReconcileMembers, SlicesOfOtherServicesAndNamespacesAreIgnored) {
  Snapshot s = shop({endpoint("10.0.0.7", "web-a")});
  s.endpoint_slices.push_back(slice("shop", "api-1", "api", {endpoint("10.0.1.1", "api-a")}));
  s.endpoint_slices.push_back(slice("other", "web-1", "web", {endpoint("10.0.2.1", "web-x")}));
  const Output out = reconcile(s, Options{});
  ASSERT_EQ(balancer(out).members.size(), 1u);
  EXPECT_EQ(balancer(out).members[0].name, "web-a");
}

TEST(ReconcileMembers, PortChosenByServicePortName) {
  Snapshot s;
  s.ingress_classes.push_back(our_class());
  kube::Service svc = service("shop", "web", 80, "http", 8080);
  svc.ports.push_back({"admin", "TCP", 9000, kube::IntOrString{false, 0, "admin-port"}});
  s.services.push_back(svc);
  kube::EndpointSlice sl = slice("shop", "web-1", "web", {endpoint("10.0.0.7", "web-a")}, 8080, "http");
  sl.ports.push_back({"admin", 9090, "TCP"});
  s.endpoint_slices.push_back(sl);
  s.ingresses.push_back(ingress("shop", "web", "", {path("/admin", "Prefix", service_backend("web", 0, "admin")),
                                                    path("/", "Prefix", service_backend("web", 80))}));
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);
  const cfg::Balancer* admin = find_balancer(out.table, "shop/web:9000");
  const cfg::Balancer* http = find_balancer(out.table, "shop/web:80");
  ASSERT_NE(admin, nullptr);
  ASSERT_NE(http, nullptr);
  ASSERT_EQ(admin->members.size(), 1u);
  EXPECT_EQ(admin->members[0].url, "http://10.0.0.7:9090");
  EXPECT_EQ(http->members[0].url, "http://10.0.0.7:8080");
}

TEST(ReconcileMembers, UnnamedSinglePortService) {
  Snapshot s;
  s.ingress_classes.push_back(our_class());
  s.services.push_back(service("shop", "web", 80, ""));
  s.endpoint_slices.push_back(slice("shop", "web-1", "web", {endpoint("10.0.0.7", "web-a")}, 8080, ""));
  s.ingresses.push_back(ingress("shop", "web", "", {path("/", "Prefix", service_backend("web", 80))}));
  const Output out = reconcile(s, Options{});
  ASSERT_NE(find_balancer(out.table, "shop/web:80"), nullptr);
  EXPECT_EQ(find_balancer(out.table, "shop/web:80")->members.size(), 1u);
}

TEST(ReconcileMembers, LongPodNameRouteIsTheKubeletHostname) {
  const std::string pod = std::string(62, 'a') + "-bcdef";  // 68 chars; cut at 63 leaves a trailing '-'
  const Output out = reconcile(shop({endpoint("10.0.0.7", pod)}), Options{});
  expect_valid_table(out.table);
  const cfg::Balancer& b = balancer(out);
  ASSERT_EQ(b.members.size(), 1u);
  EXPECT_EQ(b.members[0].name, pod);
  EXPECT_EQ(b.members[0].route, std::string(62, 'a'));
}

TEST(ReconcileMembers, EndpointWithoutTargetRefIsNamedByAddress) {
  const Output out = reconcile(shop({endpoint("10.0.0.7", "")}), Options{});
  const cfg::Balancer& b = balancer(out);
  ASSERT_EQ(b.members.size(), 1u);
  EXPECT_EQ(b.members[0].name, "10.0.0.7");
  EXPECT_EQ(b.members[0].route, "10.0.0.7");
}

TEST(ReconcileMembers, Ipv6AddressIsBracketed) {
  Snapshot s = shop({endpoint("fd00::7", "web-a")});
  s.endpoint_slices[0].address_type = "IPv6";
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);
  EXPECT_EQ(balancer(out).members[0].url, "http://[fd00::7]:8080");
}

TEST(ReconcileMembers, DualStackPodGetsDistinctMemberNames) {
  Snapshot s = shop({endpoint("10.0.0.7", "web-a")});
  kube::EndpointSlice v6 = slice("shop", "web-v6", "web", {endpoint("fd00::7", "web-a")});
  v6.address_type = "IPv6";
  s.endpoint_slices.push_back(v6);
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);  // names and routes stay unique
  ASSERT_EQ(balancer(out).members.size(), 2u);
  EXPECT_NE(balancer(out).members[0].name, balancer(out).members[1].name);
}

TEST(ReconcileMembers, RouteFromAddressAnnotation) {
  Snapshot s = shop({endpoint("10.0.0.7", "web-a")});
  s.services[0].metadata.annotations["kubebalancer.io/routefrom"] = "address";
  const Output out = reconcile(s, Options{});
  EXPECT_EQ(balancer(out).members[0].route, "10.0.0.7");
}

TEST(ReconcileMembers, RouteFromHostnameForStatefulSets) {
  kube::Endpoint with_hostname = endpoint("10.0.0.7", "db-0");
  with_hostname.hostname = "db-0";
  kube::Endpoint without = endpoint("10.0.0.8", "db-1");
  Snapshot s = shop({with_hostname, without});
  s.services[0].metadata.annotations["kubebalancer.io/routefrom"] = "hostname";
  s.endpoint_slices[0].endpoints[0].hostname = "node-zero";
  const Output out = reconcile(s, Options{});
  EXPECT_EQ(find_member(balancer(out), "db-0")->route, "node-zero");
  EXPECT_EQ(find_member(balancer(out), "db-1")->route, "db-1");  // falls back to the pod name
}

TEST(ReconcileMembers, RoutesFromRoutesAnnotation) {
  Snapshot s = shop({endpoint("10.0.0.7", "web-a"), endpoint("10.0.0.8", "web-b")});
  s.services[0].metadata.annotations["kubebalancer.io/routefrom"] = "annotation";
  s.services[0].metadata.annotations["kubebalancer.io/routes"] = "web-a=node1, 10.0.0.8=node2";
  const Output out = reconcile(s, Options{});
  EXPECT_EQ(find_member(balancer(out), "web-a")->route, "node1");
  EXPECT_EQ(find_member(balancer(out), "web-b")->route, "node2");
}

TEST(ReconcileMembers, MissingServiceGivesAnEmptyBalancer) {
  Snapshot s = shop({endpoint("10.0.0.7", "web-a")});
  s.services.clear();
  const Output out = reconcile(s, Options{});
  expect_valid_table(out.table);
  EXPECT_TRUE(balancer(out).members.empty());
  EXPECT_EQ(out.table.routes.size(), 1u);  // requests get 503 rather than another route's backend
}

}  // namespace
}  // namespace kb::controller::reconcile
