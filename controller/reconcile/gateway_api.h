#pragma once
// Gateway API -> the same table the Ingress path renders (docs/gateway-api.md).
//   GatewayClass   ours when spec.controllerName is kubebalancer.io/gateway-controller
//   Gateway        of one of our classes: HTTP and HTTPS listeners (HTTPS certificates through
//                  TlsCertificates, cross-namespace only with a ReferenceGrant)
//   HTTPRoute      attached to listeners (sectionName/port, allowedRoutes, hostname intersection);
//                  each rule x match x hostname becomes one table route with matches, filters as
//                  route actions and weighted backendRefs (Service or BalancerCluster)
// plus the statuses the spec asks for. Pure, like the rest of the reconciler.
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "controller/kube/objects/gateway.h"
#include "controller/reconcile/reconcile.h"
#include "controller/reconcile/tls_certificates.h"

namespace kb::controller::reconcile {

// A backendRef resolved to a balancer name, or the Gateway API reason it cannot be
// ("BackendNotFound": still rendered, as a balancer without members, so requests get 503).
struct GwBackend {
  std::string balancer;
  std::string reason;  // "" = resolved
  std::string message;
};
using GwBackendResolver = std::function<GwBackend(const std::string& ns, const kube::GwBackendRef& ref)>;

// A rule with sessionPersistence gets its own copy of each backend's balancer (sessions scoped
// per rule, GEP-1619) with the rule's cookie as stickysession + routecookie.
struct SessionBalancer {
  std::string name;  // "<base>@<ns>/<route>/<rule index>"
  std::string base;  // the balancer it copies
  proxy::config::RouteCookie cookie;
};

struct GatewayRender {
  std::vector<proxy::config::Route> routes;
  std::set<std::string> empty_balancers;  // memberless balancers for rules with no usable backend
  std::vector<SessionBalancer> session_balancers;
};

// A Gateway API duration ("1h", "30m", "10s", "500ms", "1h30m") in whole seconds (ms rounded up);
// false when malformed.
bool parse_gateway_duration(const std::string& text, int64_t& seconds);

// Fills out.gateway_class_statuses, gateway_statuses and http_route_statuses; returns the routes.
GatewayRender render_gateway_api(const Snapshot& snapshot, const Options& options, TlsCertificates& tls,
                                 const GwBackendResolver& resolve, Output& out);

// The hostnames a route with `route_hosts` serves on a listener with `listener_host` (Gateway API
// intersection; "" = any host). Empty: no intersection.
std::vector<std::string> intersect_hostnames(const std::optional<std::string>& listener_host,
                                             const std::vector<std::string>& route_hosts);

// Whether a ReferenceGrant in `to_ns` lets a `from_kind` in `from_ns` refer to `to_group`/`to_kind` `to_name`.
bool reference_granted(const std::vector<kube::ReferenceGrant>& grants, const std::string& from_kind,
                       const std::string& from_ns, const std::string& to_group, const std::string& to_kind,
                       const std::string& to_ns, const std::string& to_name);

}  // namespace kb::controller::reconcile
