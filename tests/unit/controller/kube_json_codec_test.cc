#include "controller/kube/json_codec.h"

#include <gtest/gtest.h>

#include "controller/kube/proxy_admin.h"
#include "controller/kube/typed.h"

namespace kb::controller::kube {
namespace {

TEST(KubeJson, ResourcePaths) {
  EXPECT_EQ(resources::services().path("ns"), "/api/v1/namespaces/ns/services");
  EXPECT_EQ(resources::services().path(""), "/api/v1/services");
  EXPECT_EQ(resources::ingress_classes().path("ignored", "kb"), "/apis/networking.k8s.io/v1/ingressclasses/kb");
  EXPECT_EQ(resources::balancer_clusters().path("a", "web", "status"),
            "/apis/kubebalancer.io/v1alpha1/namespaces/a/balancerclusters/web/status");
  EXPECT_EQ(resources::endpoint_slices().to_string(), "endpointslices.v1.discovery.k8s.io");
}

TEST(KubeJson, ListKeepsItemsVersionAndContinue) {
  ListPage page = decode_raw_list(R"({"kind":"ServiceList","metadata":{"resourceVersion":"42","continue":"tok"},
    "items":[{"metadata":{"name":"a","namespace":"x","resourceVersion":"7","uid":"u","generation":3}}]})");
  EXPECT_EQ(page.resource_version, "42");
  EXPECT_EQ(page.continue_token, "tok");
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].meta.key(), "x/a");
  EXPECT_EQ(page.items[0].meta.generation, 3);
  EXPECT_EQ(decode_raw_object(page.items[0].json).meta.resource_version, "7");
}

TEST(KubeJson, WatchEvents) {
  WatchEvent e = decode_watch_event(R"({"type":"MODIFIED","object":{"metadata":{"name":"a","resourceVersion":"9"}}})");
  EXPECT_EQ(e.type, EventType::kModified);
  EXPECT_EQ(e.object.meta.resource_version, "9");
  e = decode_watch_event(R"({"type":"BOOKMARK","object":{"kind":"Service","metadata":{"resourceVersion":"12"}}})");
  EXPECT_EQ(e.type, EventType::kBookmark);
  EXPECT_EQ(e.object.meta.resource_version, "12");
  e = decode_watch_event(R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old"}})");
  EXPECT_EQ(e.type, EventType::kError);
  EXPECT_EQ(e.error_code, 410);
  EXPECT_EQ(e.error_reason, "Expired");
  EXPECT_THROW(decode_watch_event("{not json"), ApiError);
  EXPECT_THROW(decode_watch_event(R"({"type":"WHAT","object":{}})"), ApiError);
  EXPECT_THROW(decode_watch_event(R"({"type":"ADDED"})"), ApiError);
}

TEST(KubeJson, LeaseRoundTrip) {
  LeaseRecord r{"me", 15, "2026-01-01T00:00:00.000000Z", "2026-01-01T00:00:05.000000Z", 3};
  RawObject raw = decode_raw_object(encode_lease("ns", "lease", "77", r));
  EXPECT_EQ(raw.meta.resource_version, "77");
  EXPECT_EQ(decode_lease(raw), r);
  r.holder_identity.clear();
  EXPECT_EQ(decode_lease(decode_raw_object(encode_lease("ns", "lease", "", r))).holder_identity, "");
}

TEST(KubeJson, StatusPatchIsAMergePatchOfStatus) {
  BalancerClusterStatus status;
  status.observed_generation = 4;
  status.total_members = 1;
  status.members.push_back(BcMemberStatus{"m", "r1", "http://127.0.0.1:1", "", true, 5, 0, 10, 20, ""});
  const std::string patch = balancer_cluster_status_patch(status);
  EXPECT_EQ(patch.rfind("{\"status\":{", 0), 0u) << patch;
  EXPECT_NE(patch.find("\"bytesIn\":10"), std::string::npos) << patch;
  IngressStatus ing;
  ing.load_balancer.push_back({"10.0.0.1", ""});
  EXPECT_EQ(ingress_status_patch(ing), R"({"status":{"loadBalancer":{"ingress":[{"ip":"10.0.0.1"}]}}})");
}

TEST(KubeJson, ProxyStatsTarget) {
  EXPECT_EQ(proxy_stats_target({"ns/web:80", "ns/api"}), "/api/balancers?name=ns%2Fweb%3A80&name=ns%2Fapi");
  // Too many names for a request line: ask for every balancer instead.
  const std::vector<std::string> many(1000, "some-namespace/some-balancer-cluster");
  EXPECT_EQ(proxy_stats_target(many), "/api/balancers");
}

TEST(KubeJson, ProxyStats) {
  ProxyStats s = decode_proxy_stats(R"({"generation":1,"balancers":[{"name":"ns/web:80","members":[
    {"name":"m1","url":"http://127.0.0.1:9","route":"a","status":"Ok","usable":true,"elected":3,"busy":1,
     "transferred":100,"read":200,"health_check":{"last_check_ms_ago":-1}}]}]})");
  ASSERT_EQ(s["ns/web:80"].size(), 1u);
  const auto& m = s["ns/web:80"][0];
  EXPECT_TRUE(m.usable);
  EXPECT_EQ(m.elected, 3);
  EXPECT_EQ(m.bytes_in, 200);
  EXPECT_EQ(m.bytes_out, 100);
  EXPECT_EQ(m.last_check_ms_ago, -1);
  EXPECT_THROW(decode_proxy_stats("{}"), std::runtime_error);
  EXPECT_THROW(decode_proxy_stats("nope"), std::runtime_error);
}

}  // namespace
}  // namespace kb::controller::kube
