#include "controller/runtime/gateway_status_writer.h"

#include "controller/kube/gateway_status.h"

namespace kb::controller::runtime {
namespace kr = kb::controller::kube::resources;

namespace {

// One status: the stored object, the patch if any, the write.
template <typename Patch>
int write_one(const kube::Store& store, const std::string& key, const char* kind,
              const std::function<void(const std::string&)>& log, Patch patch_of, const std::function<void(const std::string&)>& send) {
  const std::optional<kube::RawObject> stored = store.get(key);
  if (!stored) return 0;  // deleted meanwhile
  const std::optional<std::string> patch = patch_of(*stored);
  if (!patch) return 0;
  try {
    send(*patch);
    return 1;
  } catch (const kube::ApiError& e) {
    if (!e.not_found() && log) log(std::string("status of ") + kind + " " + key + ": " + e.what());
    return 0;
  }
}

}  // namespace

int write_gateway_statuses(kube::KubeApi& api, const GatewayStores& stores, const reconcile::Output& output,
                           const Clock& clock, const std::function<void(const std::string&)>& log) {
  const std::string now = format_time(clock.now());
  int patches = 0;
  for (const auto& u : output.gateway_class_statuses)
    patches += write_one(
        stores.gateway_classes, u.name, "GatewayClass", log,
        [&](const kube::RawObject& raw) { return kube::gateway_class_status_patch(raw, u.status, now); },
        [&](const std::string& patch) { api.patch_status(kr::gateway_classes(), "", u.name, patch); });
  for (const auto& u : output.gateway_statuses)
    patches += write_one(
        stores.gateways, u.namespace_name + "/" + u.name, "Gateway", log,
        [&](const kube::RawObject& raw) { return kube::gateway_status_patch(raw, u.status, now); },
        [&](const std::string& patch) { api.patch_status(kr::gateways(), u.namespace_name, u.name, patch); });
  for (const auto& u : output.http_route_statuses)
    patches += write_one(
        stores.http_routes, u.namespace_name + "/" + u.name, "HTTPRoute", log,
        [&](const kube::RawObject& raw) { return kube::http_route_status_patch(raw, u.parents, now); },
        [&](const std::string& patch) { api.patch_status(kr::http_routes(), u.namespace_name, u.name, patch); });
  return patches;
}

}  // namespace kb::controller::runtime
