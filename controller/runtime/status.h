#pragma once
// BalancerCluster status: the reconciler's structural part merged with the proxy's live member
// state into the status to write, and the comparison that decides whether to write it. Pure
// functions, so every rule is unit-tested without an API server.
//
// Conditions (metav1.Condition; lastTransitionTime kept while the condition's status is unchanged):
//   InvalidSpec  from the reconciler: True with the problems, False "Valid".
//   Ready        True "MembersAvailable" when at least one member is usable; False
//                "InvalidSpec" / "NoMembers" / "NoHealthyMembers"; Unknown "ProxyUnavailable" when
//                the proxy's admin API could not be read.
//   Degraded     True "MembersUnhealthy" when any member is not usable; False
//                "AllMembersHealthy"; Unknown with Ready.
#include <chrono>

#include "controller/kube/objects/objects.h"
#include "controller/kube/proxy_admin.h"
#include "controller/reconcile/reconcile.h"

namespace kb::controller::runtime {

// `live` is the proxy's members of update.balancer (nullptr when the proxy could not be read).
kube::BalancerClusterStatus desired_status(const reconcile::BalancerClusterStatusUpdate& update,
                                           const std::vector<kube::ProxyMemberStats>* live,
                                           const kube::BalancerClusterStatus& current,
                                           std::chrono::system_clock::time_point now);

// True when a and b differ in more than the ever-moving counters (elected, busy, bytes,
// lastHealthCheck): such changes are written at once, counters only at a limited rate.
bool significant_change(const kube::BalancerClusterStatus& a, const kube::BalancerClusterStatus& b);

}  // namespace kb::controller::runtime
