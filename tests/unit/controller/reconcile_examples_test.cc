// The example manifests (examples/kubernetes/) decode cleanly and render without InvalidSpec:
// YAML -> API JSON -> objects.h -> reconcile, the path the controller takes.
#include <gtest/gtest.h>  // before cpprestsdk, whose U() macro breaks gtest

#include <yaml-cpp/yaml.h>

#include "controller/reconcile/reconcile.h"
#include "tests/unit/controller/manifests.h"
#include "tests/unit/controller/reconcile_fixtures.h"

namespace kb::controller::reconcile {
namespace {

Snapshot load_examples(std::vector<kube::DecodeError>& errors) {
  Snapshot s;
  for (const char* file : {"ingressclass.yaml", "shop-app.yaml", "ingress.yaml", "balancercluster.yaml"})
    testing::add_manifests(YAML::LoadAllFromFile(std::string(KB_SOURCE_DIR) + "/examples/kubernetes/" + file), s, errors);
  return s;
}

TEST(ReconcileExamples, ManifestsDecodeAndRenderWithoutErrors) {
  std::vector<kube::DecodeError> errors;
  Snapshot s = load_examples(errors);
  for (const auto& e : errors) ADD_FAILURE() << e.to_string();
  ASSERT_EQ(s.ingress_classes.size(), 1u);
  ASSERT_EQ(s.services.size(), 1u);
  ASSERT_EQ(s.ingresses.size(), 1u);
  ASSERT_EQ(s.balancer_clusters.size(), 2u);
  EXPECT_EQ(s.services[0].metadata.annotations.at("kubebalancer.io/scolonpathdelim"), "On");

  // The Deployment's three pods, one of them terminating (a rollout in progress).
  using testing::endpoint;
  s.endpoint_slices.push_back(testing::slice("shop", "shop-abcde", "shop",
                                             {endpoint("10.244.1.7", "shop-7d9f-aaaaa"),
                                              endpoint("10.244.2.7", "shop-7d9f-bbbbb"),
                                              endpoint("10.244.3.7", "shop-6c8e-ccccc", false, true, true)}));
  const Output out = reconcile(s, Options{});
  for (const auto& e : out.events) ADD_FAILURE() << e.object.kind << " " << e.object.name << ": " << e.message;
  testing::expect_valid_table(out.table);

  const auto* shop = testing::find_balancer(out.table, "shop/shop-cluster");
  ASSERT_NE(shop, nullptr);
  EXPECT_EQ(shop->lbmethod, proxy::config::LbMethod::kByBusyness);
  EXPECT_EQ(shop->sticky.cookie, "JSESSIONID");
  ASSERT_EQ(shop->members.size(), 3u);
  EXPECT_TRUE(testing::find_member(*shop, "shop-6c8e-ccccc")->status.drain);
  const auto* legacy = testing::find_balancer(out.table, "shop/legacy-tomcats");
  ASSERT_NE(legacy, nullptr);
  ASSERT_EQ(legacy->members.size(), 3u);
  EXPECT_EQ(legacy->sticky.route_cookie.name, "ROUTEID");
  EXPECT_EQ(out.table.balancers.size(), 2u);  // the Service route goes to shop-cluster

  ASSERT_EQ(out.table.routes.size(), 2u);
  EXPECT_EQ(out.table.routes[0].path, "/");
  EXPECT_EQ(out.table.routes[0].balancer, "shop/shop-cluster");
  EXPECT_EQ(out.table.routes[1].path, "/legacy");
  EXPECT_EQ(out.table.routes[1].balancer, "shop/legacy-tomcats");
  for (const auto& st : out.balancer_cluster_statuses) EXPECT_EQ(st.invalid_spec.status, "False") << st.name;
}

}  // namespace
}  // namespace kb::controller::reconcile
