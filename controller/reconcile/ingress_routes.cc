#include "controller/reconcile/ingress_routes.h"

#include <cctype>

namespace kb::controller::reconcile {
namespace {

namespace cfg = proxy::config;

}  // namespace

bool valid_host(const std::string& host, std::string& error) {
  std::string_view h(host);
  if (h.starts_with("*.")) h.remove_prefix(2);
  if (!host.empty() && (h.empty() || h.find('*') != std::string_view::npos)) {
    error = "a wildcard host must be '*.' followed by a domain; got '" + host + "'";
    return false;
  }
  for (char c : h) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' ||
          c == '.')) {
      error = "must be a lowercase DNS name; got '" + host + "'";
      return false;
    }
  }
  return true;
}

namespace {

bool route_path(const kube::HttpIngressPath& p, cfg::Route& route, std::string& field, std::string& error) {
  if (p.path_type == "Exact") {
    route.path_type = cfg::PathType::kExact;
  } else if (p.path_type == "Prefix" || p.path_type == "ImplementationSpecific" || p.path_type.empty()) {
    route.path_type = cfg::PathType::kPrefix;
  } else {
    field = ".pathType";
    error = "must be Exact, Prefix or ImplementationSpecific; got '" + p.path_type + "'";
    return false;
  }
  std::string path = p.path.empty() ? "/" : p.path;
  if (path.front() != '/') {
    field = ".path";
    error = "must start with '/'; got '" + p.path + "'";
    return false;
  }
  if (route.path_type == cfg::PathType::kPrefix)
    while (path.size() > 1 && path.back() == '/') path.pop_back();
  route.path = path;
  return true;
}

}  // namespace

IngressRoutes ingress_routes(const kube::Ingress& ingress, const BackendResolver& resolve) {
  IngressRoutes out;
  if (ingress.default_backend) out.default_backend = resolve(*ingress.default_backend, "spec.defaultBackend", out.errors);
  for (size_t i = 0; i < ingress.rules.size(); ++i) {
    const kube::IngressRule& rule = ingress.rules[i];
    const std::string rpath = "spec.rules[" + std::to_string(i) + "]";
    std::string error;
    if (!valid_host(rule.host, error)) {
      out.errors.push_back({rpath + ".host", error + "; rule skipped"});
      continue;
    }
    if (!rule.has_http) {
      // Host-only rule: the host is served by the default backend.
      if (!out.default_backend.empty() && !rule.host.empty()) {
        cfg::Route route;
        route.host = rule.host;
        route.balancer = out.default_backend;
        out.routes.push_back(std::move(route));
        out.route_fields.push_back(rpath);
      }
      continue;
    }
    for (size_t j = 0; j < rule.paths.size(); ++j) {
      const kube::HttpIngressPath& p = rule.paths[j];
      const std::string ppath = rpath + ".http.paths[" + std::to_string(j) + "]";
      cfg::Route route;
      route.host = rule.host;
      std::string field;
      if (!route_path(p, route, field, error)) {
        out.errors.push_back({ppath + field, error + "; path skipped"});
        continue;
      }
      route.balancer = resolve(p.backend, ppath + ".backend", out.errors);
      if (route.balancer.empty()) continue;
      out.routes.push_back(std::move(route));
      out.route_fields.push_back(ppath);
    }
  }
  return out;
}

}  // namespace kb::controller::reconcile
