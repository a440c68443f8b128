#pragma once
// Balancer parameters from their two sources, applied in order onto a Balancer that starts with
// the table's defaults: first the Service's kubebalancer.io/<key> annotations, then (when a
// BalancerCluster names the Service) its spec, so the BalancerCluster wins. A bad value is
// reported as a FieldError and leaves the field as it was (the default or the annotation's
// value): the balancer is still rendered.
#include <map>
#include <string>

#include "controller/kube/objects/objects.h"
#include "controller/reconcile/field_errors.h"
#include "proxy/config/table.h"

namespace kb::controller::reconcile {

enum class RouteFrom { kPodName, kAddress, kHostname, kAnnotation };

// Per-member values that come from the balancer level (annotations or the spec) and apply to every
// member built from endpoints.
struct MemberDefaults {
  double loadfactor = 1;
  int lbset = 0;
  proxy::config::Duration retry{60000};
  RouteFrom route_from = RouteFrom::kPodName;
  // kubebalancer.io/routes "pod-a=r1,10.0.0.7=r2": used with RouteFrom::kAnnotation.
  std::map<std::string, std::string> routes;
};

// Service annotations. Unknown kubebalancer.io/ keys are reported (typos would otherwise be
// silently ignored); other annotations are not looked at.
void apply_annotations(const std::map<std::string, std::string>& annotations, proxy::config::Balancer& balancer,
                       MemberDefaults& defaults, FieldErrors& errors);

// BalancerCluster spec (everything except service, members and memberOverrides, which
// balancer_clusters.cc handles).
void apply_cluster_spec(const kube::BalancerClusterSpec& spec, proxy::config::Balancer& balancer,
                        MemberDefaults& defaults, FieldErrors& errors);

bool parse_route_from(std::string_view text, RouteFrom& out);

}  // namespace kb::controller::reconcile
