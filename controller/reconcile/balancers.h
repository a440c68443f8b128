#pragma once
// The two balancer processors:
//   render_service_balancer: a Service port an Ingress routes to, with no BalancerCluster naming
//     it: annotations + endpoint members.
//   render_cluster: a BalancerCluster: the named Service's annotations, then the spec, members from
//     the Service's endpoints or the static spec.members; plus its desired status.
#include <optional>
#include <string>
#include <vector>

#include "controller/kube/objects/objects.h"
#include "controller/reconcile/field_errors.h"
#include "controller/reconcile/indexes.h"
#include "controller/reconcile/nginx_annotations.h"
#include "controller/reconcile/reconcile.h"
#include "proxy/config/table.h"

namespace kb::controller::reconcile {

// `port` null = the Service or port is missing: the balancer has no members (requests get 503).
// Problems with the Service's annotations land in `errors` (fields under metadata.annotations).
// `nginx`: balancer settings from the ingress-nginx annotations of the Ingress that routes here
// first (nginx_annotations.h), applied before the Service's own annotations, which win.
proxy::config::Balancer render_service_balancer(const std::string& name, const kube::Service* service,
                                                const kube::ServicePort* port, const Indexes& indexes,
                                                FieldErrors& errors, const NginxBalancerSettings& nginx = {});

struct ClusterResult {
  std::optional<proxy::config::Balancer> balancer;  // nullopt: skipped (service/members not exactly one)
  BalancerClusterStatusUpdate status;
  FieldErrors errors;              // InvalidSpec problems of the BalancerCluster
  FieldErrors service_errors;      // problems with the named Service's annotations
  std::string service_key;         // "ns/service:port" this cluster claims, "" for static members
};

ClusterResult render_cluster(const kube::BalancerCluster& cluster, const Indexes& indexes);

}  // namespace kb::controller::reconcile
