#pragma once
// Lookup tables over one snapshot (pointers into it; the snapshot outlives them), and Service port
// resolution shared by the Ingress and BalancerCluster processors.
#include <map>
#include <string>
#include <vector>

#include "controller/kube/objects/objects.h"

namespace kb::controller::reconcile {

struct Indexes {
  std::map<std::string, const kube::Service*> services;                          // "ns/name"
  std::map<std::string, std::vector<const kube::EndpointSlice*>> slices;         // "ns/service", sorted
  std::map<std::string, const kube::BalancerCluster*> clusters;                  // "ns/name"

  const kube::Service* service(const std::string& ns, const std::string& name) const;
  const std::vector<const kube::EndpointSlice*>& slices_of(const std::string& ns, const std::string& service) const;
};

// A backend's Service port, resolved against the Service when it exists.
struct ResolvedPort {
  const kube::ServicePort* port = nullptr;  // null when the Service is missing or has no such port
  std::string key;    // the Service port number when resolved, else the port as referenced
  std::string error;  // set when the Service exists but the reference does not fit it
};

// number != 0: the port with that number; else name: the port with that name; neither: the
// Service's only port.
ResolvedPort resolve_service_port(const kube::Service* service, int64_t number, const std::string& name);

}  // namespace kb::controller::reconcile
