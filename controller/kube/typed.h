#pragma once
// The bridge between raw API objects (JSON text) and the plain structs of objects/objects.h, plus
// the few request bodies the runtime writes (status patches, Leases, Events). Everything JSON stays
// inside controller/kube: the runtime and the reconciler only see structs and strings.
#include <optional>
#include <string>
#include <vector>

#include "controller/kube/kube_api.h"
#include "controller/kube/objects/gateway.h"
#include "controller/kube/objects/objects.h"

namespace kb::controller::kube {

// Each returns false when the object cannot be keyed (not an object, no name); `errors` collects
// "Kind ns/name: field: problem" lines for fields that were skipped.
bool decode_typed(const RawObject& raw, Ingress& out, std::vector<std::string>& errors);
bool decode_typed(const RawObject& raw, IngressClass& out, std::vector<std::string>& errors);
bool decode_typed(const RawObject& raw, Service& out, std::vector<std::string>& errors);
bool decode_typed(const RawObject& raw, EndpointSlice& out, std::vector<std::string>& errors);
bool decode_typed(const RawObject& raw, BalancerCluster& out, std::vector<std::string>& errors);
// Also checks the certificate and key (tls_check.h).
bool decode_typed(const RawObject& raw, Secret& out, std::vector<std::string>& errors);
bool decode_typed(const RawObject& raw, GatewayClass& out, std::vector<std::string>& errors);
bool decode_typed(const RawObject& raw, Gateway& out, std::vector<std::string>& errors);
bool decode_typed(const RawObject& raw, HttpRoute& out, std::vector<std::string>& errors);
bool decode_typed(const RawObject& raw, ReferenceGrant& out, std::vector<std::string>& errors);

// {"status": {...}}: a merge patch that replaces the whole status (lists are replaced by a merge
// patch, so a member that left disappears).
std::string balancer_cluster_status_patch(const BalancerClusterStatus& status);
std::string ingress_status_patch(const IngressStatus& status);

// coordination.k8s.io/v1 Lease, the fields leader election uses.
struct LeaseRecord {
  std::string holder_identity;
  int64_t lease_duration_seconds = 0;
  std::string acquire_time;  // RFC 3339 with microseconds (MicroTime)
  std::string renew_time;
  int64_t lease_transitions = 0;
  friend bool operator==(const LeaseRecord&, const LeaseRecord&) = default;
};
LeaseRecord decode_lease(const RawObject& raw);  // missing spec fields keep their defaults
// A whole Lease; resource_version non-empty makes an update conditional on it.
std::string encode_lease(const std::string& ns, const std::string& name,
                         const std::string& resource_version, const LeaseRecord& record);

// A core/v1 Event about `involved`.
struct EventRecord {
  std::string involved_api_version;
  std::string involved_kind;
  std::string involved_namespace;
  std::string involved_name;
  std::string involved_uid;
  std::string type;  // "Normal" / "Warning"
  std::string reason;
  std::string message;
  std::string time;  // RFC 3339
  std::string component;
  std::string instance;
};
std::string encode_event(const EventRecord& event);

}  // namespace kb::controller::kube
