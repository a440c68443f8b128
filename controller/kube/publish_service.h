#pragma once
// --publish-service NAMESPACE/NAME (ingress-nginx's flag): the addresses written to every served
// Ingress's status.loadBalancer come from that Service, the one in front of the proxies. Like
// ingress-nginx: its status.loadBalancer.ingress when it has one (type LoadBalancer); otherwise its
// spec.externalIPs; otherwise its spec.clusterIP (not "None").
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "controller/kube/objects/objects.h"

namespace kb::controller::kube {

// "ns/name" -> {ns, name}; nullopt unless both parts are non-empty and there is exactly one '/'.
std::optional<std::pair<std::string, std::string>> parse_publish_service(const std::string& text);

// The addresses of a Service object (its JSON), in the order above; empty when it has none yet.
// Throws std::runtime_error on undecodable JSON.
std::vector<LoadBalancerIngress> publish_addresses(const std::string& service_json);

}  // namespace kb::controller::kube
