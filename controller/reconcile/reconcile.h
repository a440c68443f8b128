#pragma once
// The reconciler: a pure function from a snapshot of the object stores to the balancer table the
// proxy serves plus the statuses and events the controller should write. No I/O, no clock, no
// randomness: the same snapshot always gives an identical Output (everything sorted), so the
// runtime can compare outputs and skip no-op publishes and status writes.
//
// The work is split like Contour's DAG builder, one processor per source kind:
//   ingress_class.h     which Ingresses are ours
//   service_members.h   Service + EndpointSlices -> members (drain of terminating endpoints)
//   annotations.h       Service annotations kubebalancer.io/<key> -> balancer parameters
//   balancer_cluster.h  BalancerCluster spec -> balancer (overrides annotations)
//   ingress_routes.h    Ingress rules/default backend -> routes
//   tls_certificates.h  spec.tls -> kubernetes.io/tls Secrets -> `tls` entries + files (docs/tls.md)
// Naming and rules are documented in docs/balancercluster.md ("How the controller renders").
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "controller/kube/objects/gateway.h"
#include "controller/kube/objects/objects.h"
#include "proxy/config/table.h"

namespace kb::controller::reconcile {

inline constexpr const char* kControllerName = "kubebalancer.io/ingress-controller";
inline constexpr const char* kAnnotationPrefix = "kubebalancer.io/";

// A certificate and key taken from a kubernetes.io/tls Secret, with the leaf's validity window
// (Unix seconds).
struct TlsMaterial {
  std::string certificate;
  std::string key;
  int64_t not_before = 0;
  int64_t not_after = 0;
  friend bool operator==(const TlsMaterial&, const TlsMaterial&) = default;
};

// A file the runtime writes (mode 0600, atomically) before it publishes the table naming it.
struct TlsFile {
  std::string path;
  std::string content;
  friend bool operator==(const TlsFile&, const TlsFile&) = default;
};

// What the object stores hold at one moment. Order does not matter: the reconciler sorts.
struct Snapshot {
  std::vector<kube::Ingress> ingresses;
  std::vector<kube::IngressClass> ingress_classes;
  std::vector<kube::Service> services;
  std::vector<kube::EndpointSlice> endpoint_slices;
  std::vector<kube::BalancerCluster> balancer_clusters;
  std::vector<kube::Secret> secrets;  // only those named by spec.tls (the store admits no others)
  // Gateway API (gateway_api.h); empty when the CRDs are not installed.
  std::vector<kube::GatewayClass> gateway_classes;
  std::vector<kube::Gateway> gateways;
  std::vector<kube::HttpRoute> http_routes;
  std::vector<kube::ReferenceGrant> reference_grants;
  // Secret "namespace/name" -> the material the previous reconcile served (Output::tls_in_use):
  // a Secret that turns bad or disappears keeps serving it while it is still valid.
  std::map<std::string, TlsMaterial> previous_tls;
};

struct Options {
  // The IngressClass name this controller serves. An Ingress is ours when its
  // spec.ingressClassName (or legacy kubernetes.io/ingress.class annotation) names it and that
  // IngressClass's spec.controller is controller_name, or when it names no class and that class
  // is marked default. Empty: every IngressClass whose controller is controller_name.
  std::string ingress_class_name = "kube-balancer";
  std::string controller_name = kControllerName;
  // Also serve Ingresses whose class (spec.ingressClassName or the legacy annotation) is this
  // name, whatever IngressClass object exists: "nginx" makes a migration from ingress-nginx a
  // zero-edit switch (--also-serve-ingress-class). Empty: off.
  std::string also_serve_ingress_class;
  bool watch_all_namespaces = true;
  std::string watch_namespace;  // used when !watch_all_namespaces
  // Written to status.loadBalancer.ingress of every Ingress we serve.
  std::vector<kube::LoadBalancerIngress> status_addresses;
  // Where the certificate and key files of spec.tls Secrets go (--tls-dir); "" = spec.tls is not
  // rendered (the table gets no `tls` entries).
  std::string tls_dir;
  // The clock, Unix seconds, for certificate validity windows (the reconciler reads no clock).
  int64_t now_unix = 0;
};

// A reference to the object an event or status is about.
struct ObjectRef {
  std::string api_version;  // "v1", "networking.k8s.io/v1", "kubebalancer.io/v1alpha1"
  std::string kind;
  std::string namespace_name;
  std::string name;
  std::string uid;
  friend bool operator==(const ObjectRef&, const ObjectRef&) = default;
};

// A Kubernetes Event to emit. Events repeat on every reconcile while the problem lasts: the
// runtime dedupes them (same object, reason, message) before writing.
struct Event {
  ObjectRef object;
  std::string type = "Warning";  // "Normal" or "Warning"
  std::string reason;            // "InvalidSpec", "InvalidAnnotation", "InvalidIngress"
  std::string message;           // names the field: "spec.lbMethod: unknown lbmethod \"rr\""
  friend bool operator==(const Event&, const Event&) = default;
};

// The structural part of a BalancerCluster's status: what the reconciler knows from the objects.
// The runtime merges in live parts (healthy, elected, busy, bytes, Ready/Degraded) from the proxy.
struct BalancerClusterStatusUpdate {
  std::string namespace_name;
  std::string name;
  int64_t observed_generation = 0;
  std::string balancer;  // the table's balancer name; "" when the spec was skipped
  // The InvalidSpec condition (True with reason/message listing every problem, or False with
  // reason "Valid"). last_transition_time is left empty: the status writer keeps the old one when
  // the status does not change.
  kube::Condition invalid_spec;
  int64_t total_members = 0;
  std::vector<kube::BcMemberStatus> members;  // name, route, address, status flags
  friend bool operator==(const BalancerClusterStatusUpdate&, const BalancerClusterStatusUpdate&) = default;
};

struct IngressStatusUpdate {
  std::string namespace_name;
  std::string name;
  kube::IngressStatus status;
  friend bool operator==(const IngressStatusUpdate&, const IngressStatusUpdate&) = default;
};

// Gateway API statuses (gateway_api.h). Conditions carry observedGeneration; lastTransitionTime
// is left empty for the status writer.
struct GatewayClassStatusUpdate {
  std::string name;
  kube::GatewayClassStatus status;
  friend bool operator==(const GatewayClassStatusUpdate&, const GatewayClassStatusUpdate&) = default;
};
struct GatewayStatusUpdate {
  std::string namespace_name;
  std::string name;
  kube::GatewayStatus status;
  friend bool operator==(const GatewayStatusUpdate&, const GatewayStatusUpdate&) = default;
};
struct HttpRouteStatusUpdate {
  std::string namespace_name;
  std::string name;
  std::vector<kube::GwRouteParentStatus> parents;  // ours only; others' entries are kept by the writer
  friend bool operator==(const HttpRouteStatusUpdate&, const HttpRouteStatusUpdate&) = default;
};

struct Output {
  proxy::config::Table table;  // sorted, deterministic
  std::vector<BalancerClusterStatusUpdate> balancer_cluster_statuses;  // sorted by namespace/name
  std::vector<IngressStatusUpdate> ingress_statuses;                   // sorted by namespace/name
  std::vector<Event> events;                                           // sorted by object, message
  std::vector<TlsFile> tls_files;                   // the files the table's `tls` entries name, by path
  std::map<std::string, TlsMaterial> tls_in_use;    // Secret key -> what the table serves from it
  std::set<std::string> tls_secrets;                // every Secret key spec.tls names (store admission)
  std::vector<GatewayClassStatusUpdate> gateway_class_statuses;  // sorted by name
  std::vector<GatewayStatusUpdate> gateway_statuses;             // sorted by namespace/name
  std::vector<HttpRouteStatusUpdate> http_route_statuses;        // sorted by namespace/name
  friend bool operator==(const Output&, const Output&) = default;
};

Output reconcile(const Snapshot& snapshot, const Options& options);

// Balancer names (documented in docs/balancercluster.md):
//   Service backend:        "<namespace>/<service>:<port>"  (port = the Service port number when
//                           the Service and port are known, else the port as the Ingress gave it)
//   BalancerCluster:        "<namespace>/<name>"            (no ':', so it never clashes)
std::string service_balancer_name(const std::string& ns, const std::string& service, const std::string& port);
std::string cluster_balancer_name(const std::string& ns, const std::string& name);

}  // namespace kb::controller::reconcile
