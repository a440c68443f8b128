#pragma once
// Gateway API status patches against the stored object (JSON stays in controller/kube). Each
// returns the merge patch ({"status": ...}) or nothing when the stored status already says the same
// (no-op writes are skipped). A condition keeps its stored lastTransitionTime while its status does
// not change, else gets `now`. HTTPRoute status.parents entries of other controllers are kept.
#include <optional>
#include <string>
#include <vector>

#include "controller/kube/kube_api.h"
#include "controller/kube/objects/gateway.h"

namespace kb::controller::kube {

std::optional<std::string> gateway_class_status_patch(const RawObject& stored, const GatewayClassStatus& desired,
                                                      const std::string& now);
std::optional<std::string> gateway_status_patch(const RawObject& stored, const GatewayStatus& desired,
                                                const std::string& now);
std::optional<std::string> http_route_status_patch(const RawObject& stored,
                                                   const std::vector<GwRouteParentStatus>& ours,
                                                   const std::string& now);

}  // namespace kb::controller::kube
