#pragma once
// Writes Gateway API statuses (GatewayClass, Gateway, HTTPRoute status.parents) as merge patches
// of the status subresource, leader only, skipping writes the stored object already reflects
// (kube/gateway_status.h decides).
#include <functional>
#include <string>

#include "controller/kube/kube_api.h"
#include "controller/kube/store.h"
#include "controller/reconcile/reconcile.h"
#include "controller/runtime/clock.h"

namespace kb::controller::runtime {

struct GatewayStores {
  const kube::Store& gateway_classes;
  const kube::Store& gateways;
  const kube::Store& http_routes;
};

// Returns the number of patches sent; failures are logged (the next status round retries).
int write_gateway_statuses(kube::KubeApi& api, const GatewayStores& stores, const reconcile::Output& output,
                           const Clock& clock, const std::function<void(const std::string&)>& log);

}  // namespace kb::controller::runtime
