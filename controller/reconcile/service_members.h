#pragma once
// Service + EndpointSlices -> balancer members, the part users care most about:
//   ready endpoints                          -> normal members
//   terminating endpoints (serving or not)   -> drain members (status +N): Apache sends them no new
//                                               sessions, but requests that carry their route still
//                                               reach them, so logged-in users finish their work
//                                               while new users go elsewhere; the member leaves the
//                                               table when its endpoint leaves the slice
//   not ready and not terminating            -> left out (starting up, or failing readiness)
// Member name = pod name (targetRef), route = the pod's $HOSTNAME (Tomcat jvmRoute=$HOSTNAME);
// see RouteFrom for the alternatives. Overrides (BalancerCluster spec.memberOverrides) apply last.
#include <string>
#include <vector>

#include "controller/kube/objects/objects.h"
#include "controller/reconcile/balancer_settings.h"
#include "controller/reconcile/field_errors.h"
#include "proxy/config/table.h"

namespace kb::controller::reconcile {

// A member plus what overrides select it by.
struct SelectableMember {
  proxy::config::Member member;
  std::string pod_name;  // targetRef name; for static members, the member name
  std::string address;   // IP (or host for static members)
};

// The members for one port of a Service, from the EndpointSlices labelled with the Service's name
// (the caller passes only those). Sorted by name, then URL.
std::vector<SelectableMember> endpoint_members(const kube::ServicePort& port,
                                               const std::vector<const kube::EndpointSlice*>& slices,
                                               const MemberDefaults& defaults,
                                               const proxy::config::HealthCheck& health_check);

// Applies spec.memberOverrides: the first override whose selector matches (podName or address)
// sets route, loadFactor, lbSet and status flags on top of the member's own (a drain member stays
// draining unless the override says "-N"). Bad override values are reported and skipped.
void apply_member_overrides(const std::vector<kube::BcMemberOverride>& overrides,
                            std::vector<SelectableMember>& members, FieldErrors& errors);

// Routes must be unique within a balancer (sticky sessions could not tell members apart): a later
// duplicate loses its route and is reported under `field`.
void dedupe_routes(std::vector<SelectableMember>& members, const std::string& field, FieldErrors& errors);

std::string member_url(const std::string& address, int32_t port);

}  // namespace kb::controller::reconcile
