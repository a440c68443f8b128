#include "controller/reconcile/indexes.h"

namespace kb::controller::reconcile {

const kube::Service* Indexes::service(const std::string& ns, const std::string& name) const {
  auto it = services.find(ns + "/" + name);
  return it == services.end() ? nullptr : it->second;
}

const std::vector<const kube::EndpointSlice*>& Indexes::slices_of(const std::string& ns,
                                                                  const std::string& service) const {
  static const std::vector<const kube::EndpointSlice*> kNone;
  auto it = slices.find(ns + "/" + service);
  return it == slices.end() ? kNone : it->second;
}

ResolvedPort resolve_service_port(const kube::Service* service, int64_t number, const std::string& name) {
  ResolvedPort r;
  r.key = number != 0 ? std::to_string(number) : name;
  if (service == nullptr) return r;
  for (const kube::ServicePort& p : service->ports) {
    if ((number != 0 && p.port == number) || (number == 0 && !name.empty() && p.name == name)) {
      r.port = &p;
      break;
    }
  }
  if (number == 0 && name.empty()) {
    if (service->ports.size() == 1) r.port = &service->ports.front();
    else r.error = "names no port of Service " + service->metadata.name + ", which has " +
                   std::to_string(service->ports.size()) + " ports";
  } else if (r.port == nullptr) {
    r.error = "Service " + service->metadata.name + " has no port " + (number != 0 ? std::to_string(number) : "'" + name + "'");
  }
  if (r.port != nullptr) r.key = std::to_string(r.port->port);
  return r;
}

}  // namespace kb::controller::reconcile
