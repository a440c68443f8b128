#include "controller/kube/kube_api.h"

namespace kb::controller::kube {

std::string Resource::path(const std::string& ns, const std::string& name,
                           const std::string& subresource) const {
  std::string p = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (namespaced && !ns.empty()) p += "/namespaces/" + ns;
  p += "/" + resource;
  if (!name.empty()) {
    p += "/" + name;
    if (!subresource.empty()) p += "/" + subresource;
  }
  return p;
}

std::string Resource::to_string() const {
  return group.empty() ? resource + "." + version : resource + "." + version + "." + group;
}

namespace resources {
Resource ingresses() { return {"networking.k8s.io", "v1", "ingresses", true}; }
Resource ingress_classes() { return {"networking.k8s.io", "v1", "ingressclasses", false}; }
Resource services() { return {"", "v1", "services", true}; }
Resource endpoint_slices() { return {"discovery.k8s.io", "v1", "endpointslices", true}; }
Resource balancer_clusters() { return {"kubebalancer.io", "v1alpha1", "balancerclusters", true}; }
Resource gateway_classes() { return {"gateway.networking.k8s.io", "v1", "gatewayclasses", false}; }
Resource gateways() { return {"gateway.networking.k8s.io", "v1", "gateways", true}; }
Resource http_routes() { return {"gateway.networking.k8s.io", "v1", "httproutes", true}; }
Resource reference_grants() { return {"gateway.networking.k8s.io", "v1beta1", "referencegrants", true}; }
Resource secrets() { return {"", "v1", "secrets", true}; }
Resource leases() { return {"coordination.k8s.io", "v1", "leases", true}; }
Resource events() { return {"", "v1", "events", true}; }
}  // namespace resources

const char* to_string(EventType type) {
  switch (type) {
    case EventType::kAdded: return "ADDED";
    case EventType::kModified: return "MODIFIED";
    case EventType::kDeleted: return "DELETED";
    case EventType::kBookmark: return "BOOKMARK";
    case EventType::kError: return "ERROR";
  }
  return "?";
}

}  // namespace kb::controller::kube
