#pragma once
// Ingress -> routes. Each rules[].http.paths[] entry becomes a route {host, path, pathType,
// balancer}; ImplementationSpecific is treated as Prefix, a missing path as "/", and a Prefix path's
// trailing '/' is dropped (Ingress prefix matching is per path element, so "/app/" == "/app").
// A rule with a host and no http section sends that host to the Ingress's default backend.
// spec.defaultBackend becomes the table's default backend (the first Ingress by namespace/name
// wins). Entries with bad hosts, paths or backends are skipped and reported.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "controller/kube/objects/objects.h"
#include "controller/reconcile/field_errors.h"
#include "proxy/config/table.h"

namespace kb::controller::reconcile {

// Maps a backend to a balancer name, or "" (with an error in `errors`) when it cannot be used.
using BackendResolver =
    std::function<std::string(const kube::IngressBackend& backend, const std::string& field, FieldErrors& errors)>;

struct IngressRoutes {
  std::vector<proxy::config::Route> routes;  // in the Ingress's order
  std::vector<std::string> route_fields;     // the spec path of each route, for conflict reports
  std::string default_backend;               // balancer name or ""
  FieldErrors errors;
};

// "" (any host), a lowercase DNS name or "*." + one; else false with the reason in `error`.
bool valid_host(const std::string& host, std::string& error);

IngressRoutes ingress_routes(const kube::Ingress& ingress, const BackendResolver& resolve);

}  // namespace kb::controller::reconcile
