#include "controller/runtime/snapshot_builder.h"

#include <set>

namespace kb::controller::runtime {

template <typename T>
std::vector<T> SnapshotBuilder::decode_all(const kube::Store& store, Cache<T>& cache) {
  std::vector<T> out;
  std::set<std::string> seen;
  for (const auto& raw : store.list()) {
    const std::string key = raw.meta.key();
    seen.insert(key);
    auto& entry = cache.entries[key];
    if (entry.resource_version.empty() || entry.resource_version != raw.meta.resource_version) {
      std::vector<std::string> errors;
      T value{};
      entry.ok = kube::decode_typed(raw, value, errors);
      entry.value = std::move(value);
      entry.resource_version = raw.meta.resource_version;
      if (log_) {
        for (const auto& e : errors) log_("decode: " + e);
      }
    }
    if (entry.ok) out.push_back(entry.value);
  }
  for (auto it = cache.entries.begin(); it != cache.entries.end();) {
    it = seen.count(it->first) ? std::next(it) : cache.entries.erase(it);
  }
  return out;
}

reconcile::Snapshot SnapshotBuilder::build(const Stores& stores) {
  reconcile::Snapshot snapshot;
  snapshot.ingresses = decode_all(stores.ingresses, ingresses_);
  snapshot.ingress_classes = decode_all(stores.ingress_classes, ingress_classes_);
  snapshot.services = decode_all(stores.services, services_);
  snapshot.endpoint_slices = decode_all(stores.endpoint_slices, endpoint_slices_);
  snapshot.balancer_clusters = decode_all(stores.balancer_clusters, balancer_clusters_);
  snapshot.secrets = decode_all(stores.secrets, secrets_);
  snapshot.gateway_classes = decode_all(stores.gateway_classes, gateway_classes_);
  snapshot.gateways = decode_all(stores.gateways, gateways_);
  snapshot.http_routes = decode_all(stores.http_routes, http_routes_);
  snapshot.reference_grants = decode_all(stores.reference_grants, reference_grants_);
  return snapshot;
}

}  // namespace kb::controller::runtime
