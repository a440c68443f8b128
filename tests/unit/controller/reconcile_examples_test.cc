// The example manifests (examples/kubernetes/) decode cleanly and render without InvalidSpec:
// YAML -> API JSON -> objects.h -> reconcile, the path the controller takes.
#include <gtest/gtest.h>  // before cpprestsdk, whose U() macro breaks gtest

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "controller/kube/objects/decode.h"
#include "controller/reconcile/reconcile.h"
#include "tests/unit/controller/reconcile_fixtures.h"

namespace kb::controller::reconcile {
namespace {

using web::json::value;

// YAML -> JSON with YAML 1.1-ish scalar typing for plain scalars; quoted scalars stay strings.
value to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      value o = value::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = to_json(kv.second);
      return o;
    }
    case YAML::NodeType::Sequence: {
      value a = value::array();
      size_t i = 0;
      for (const auto& item : n) a[i++] = to_json(item);
      return a;
    }
    case YAML::NodeType::Scalar: {
      const std::string s = n.Scalar();
      if (n.Tag() == "!") return value::string(s);
      if (s == "true") return value::boolean(true);
      if (s == "false") return value::boolean(false);
      int64_t i = 0;
      double d = 0;
      if (YAML::convert<int64_t>::decode(n, i) && s.find_first_not_of("-0123456789") == std::string::npos)
        return value::number(i);
      if (YAML::convert<double>::decode(n, d) && s.find_first_not_of("-0123456789.") == std::string::npos)
        return value::number(d);
      return value::string(s);
    }
    default:
      return value::null();
  }
}

Snapshot load_examples(std::vector<kube::DecodeError>& errors) {
  Snapshot s;
  for (const char* file : {"ingressclass.yaml", "shop-app.yaml", "ingress.yaml", "balancercluster.yaml"}) {
    const std::string path = std::string(KB_SOURCE_DIR) + "/examples/kubernetes/" + file;
    for (const YAML::Node& doc : YAML::LoadAllFromFile(path)) {
      const value json = to_json(doc);
      const std::string kind = doc["kind"].as<std::string>();
      if (kind == "IngressClass") {
        s.ingress_classes.emplace_back();
        EXPECT_TRUE(kube::decode_ingress_class(json, s.ingress_classes.back(), errors));
      } else if (kind == "Service") {
        s.services.emplace_back();
        EXPECT_TRUE(kube::decode_service(json, s.services.back(), errors));
      } else if (kind == "Ingress") {
        s.ingresses.emplace_back();
        EXPECT_TRUE(kube::decode_ingress(json, s.ingresses.back(), errors));
      } else if (kind == "BalancerCluster") {
        s.balancer_clusters.emplace_back();
        EXPECT_TRUE(kube::decode_balancer_cluster(json, s.balancer_clusters.back(), errors));
      }
    }
  }
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
