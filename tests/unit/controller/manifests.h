#pragma once
// Kubernetes manifests as people write them (YAML) -> API JSON -> objects.h, the path the
// controller takes: for tests that start from a manifest rather than from builders.
#include <gtest/gtest.h>  // before cpprestsdk, whose U() macro breaks gtest

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "controller/kube/objects/decode.h"
#include "controller/reconcile/reconcile.h"

namespace kb::controller::reconcile::testing {

using web::json::value;

// YAML -> JSON with YAML 1.1-ish scalar typing for plain scalars; quoted scalars stay strings.
inline value to_json(const YAML::Node& n) {
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

// Decodes every document into the snapshot by its kind (IngressClass, Service, Ingress,
// BalancerCluster; others are skipped); a document that does not decode is a test failure.
inline void add_manifests(const std::vector<YAML::Node>& docs, Snapshot& s, std::vector<kube::DecodeError>& errors) {
  for (const YAML::Node& doc : docs) {
    if (!doc.IsMap()) continue;
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
    }  // other kinds (Deployments ...) are not the reconciler's
  }
}

}  // namespace kb::controller::reconcile::testing
