#pragma once
// Decodes the raw stores into the reconciler's Snapshot. Decoded objects are cached by key and
// resourceVersion, so a reconcile after one EndpointSlice change decodes one object, not all.
// Decode problems of a field are logged once per object version.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "controller/kube/store.h"
#include "controller/kube/typed.h"
#include "controller/reconcile/reconcile.h"

namespace kb::controller::runtime {

struct Stores {
  kube::Store ingresses;
  kube::Store ingress_classes;
  kube::Store services;
  kube::Store endpoint_slices;
  kube::Store balancer_clusters;
  kube::Store secrets;  // kubernetes.io/tls Secrets named by spec.tls only (Store::admit_only)
  // Gateway API (--gateway-api); stay empty otherwise.
  kube::Store gateway_classes;
  kube::Store gateways;
  kube::Store http_routes;
  kube::Store reference_grants;
};

class SnapshotBuilder {
 public:
  using Logger = std::function<void(const std::string&)>;
  explicit SnapshotBuilder(Logger log = {}) : log_(std::move(log)) {}

  reconcile::Snapshot build(const Stores& stores);

 private:
  template <typename T>
  struct Cache {
    struct Entry {
      std::string resource_version;
      bool ok = false;
      T value;
    };
    std::map<std::string, Entry> entries;
  };
  template <typename T>
  std::vector<T> decode_all(const kube::Store& store, Cache<T>& cache);

  Logger log_;
  Cache<kube::Ingress> ingresses_;
  Cache<kube::IngressClass> ingress_classes_;
  Cache<kube::Service> services_;
  Cache<kube::EndpointSlice> endpoint_slices_;
  Cache<kube::BalancerCluster> balancer_clusters_;
  Cache<kube::Secret> secrets_;  // decoded and checked once per resourceVersion
  Cache<kube::GatewayClass> gateway_classes_;
  Cache<kube::Gateway> gateways_;
  Cache<kube::HttpRoute> http_routes_;
  Cache<kube::ReferenceGrant> reference_grants_;
};

}  // namespace kb::controller::runtime
