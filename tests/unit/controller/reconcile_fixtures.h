#pragma once
// Small builders for the objects the reconciler reads, so each test states only what matters.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "controller/kube/objects/objects.h"
#include "controller/reconcile/reconcile.h"
#include "proxy/config/validate.h"

namespace kb::controller::reconcile::testing {

inline kube::ObjectMeta meta(const std::string& ns, const std::string& name) {
  kube::ObjectMeta m;
  m.namespace_name = ns;
  m.name = name;
  m.uid = "uid-" + ns + "-" + name;
  m.generation = 1;
  return m;
}

inline kube::IngressClass our_class(bool is_default = false, const std::string& name = "kube-balancer") {
  kube::IngressClass c;
  c.metadata = meta("", name);
  c.controller = kControllerName;
  if (is_default) c.metadata.annotations[kube::kDefaultClassAnnotation] = "true";
  return c;
}

inline kube::Service service(const std::string& ns, const std::string& name, int32_t port = 80,
                             const std::string& port_name = "http", int64_t target_port = 8080) {
  kube::Service s;
  s.metadata = meta(ns, name);
  s.type = "ClusterIP";
  kube::ServicePort p;
  p.name = port_name;
  p.port = port;
  p.target_port.int_value = target_port;
  s.ports.push_back(p);
  return s;
}

inline kube::Endpoint endpoint(const std::string& address, const std::string& pod, bool ready = true,
                               std::optional<bool> terminating = std::nullopt, std::optional<bool> serving = std::nullopt) {
  kube::Endpoint e;
  e.addresses = {address};
  e.conditions.ready = ready;
  e.conditions.serving = serving;
  e.conditions.terminating = terminating;
  if (!pod.empty()) e.target_ref = kube::ObjectReference{"Pod", "", pod, "uid-" + pod};
  e.node_name = "node-1";
  return e;
}

inline kube::EndpointSlice slice(const std::string& ns, const std::string& name, const std::string& service,
                                 std::vector<kube::Endpoint> endpoints, int32_t port = 8080,
                                 const std::string& port_name = "http") {
  kube::EndpointSlice s;
  s.metadata = meta(ns, name);
  s.metadata.labels[kube::kServiceNameLabel] = service;
  s.address_type = "IPv4";
  s.ports.push_back({port_name, port, "TCP"});
  s.endpoints = std::move(endpoints);
  return s;
}

inline kube::IngressBackend service_backend(const std::string& name, int32_t number, const std::string& port_name = "") {
  kube::IngressBackend b;
  b.service = kube::IngressServiceBackend{name, {number, port_name}};
  return b;
}

inline kube::IngressBackend cluster_backend(const std::string& name) {
  kube::IngressBackend b;
  b.resource = kube::TypedLocalObjectReference{"kubebalancer.io", "BalancerCluster", name};
  return b;
}

inline kube::HttpIngressPath path(const std::string& p, const std::string& type, kube::IngressBackend backend) {
  return {p, type, std::move(backend)};
}

inline kube::Ingress ingress(const std::string& ns, const std::string& name, const std::string& host,
                             std::vector<kube::HttpIngressPath> paths,
                             std::optional<std::string> class_name = std::string("kube-balancer")) {
  kube::Ingress i;
  i.metadata = meta(ns, name);
  i.ingress_class_name = std::move(class_name);
  kube::IngressRule rule;
  rule.host = host;
  rule.has_http = true;
  rule.paths = std::move(paths);
  i.rules.push_back(std::move(rule));
  return i;
}

inline kube::BalancerCluster cluster_for_service(const std::string& ns, const std::string& name,
                                                 const std::string& service, int64_t port) {
  kube::BalancerCluster c;
  c.metadata = meta(ns, name);
  c.spec.service = kube::BcServiceRef{service, kube::IntOrString{true, port, ""}};
  return c;
}

// A route with host, path, type and balancer only (no matches or actions).
inline proxy::config::Route plain_route(const std::string& host, const std::string& path, proxy::config::PathType type,
                                        const std::string& balancer) {
  proxy::config::Route r;
  r.host = host;
  r.path = path;
  r.path_type = type;
  r.balancer = balancer;
  return r;
}

inline const proxy::config::Balancer* find_balancer(const proxy::config::Table& t, const std::string& name) {
  for (const auto& b : t.balancers)
    if (b.name == name) return &b;
  return nullptr;
}

inline const proxy::config::Member* find_member(const proxy::config::Balancer& b, const std::string& name) {
  for (const auto& m : b.members)
    if (m.name == name) return &m;
  return nullptr;
}

// Every table the reconciler renders must pass the proxy's own validation.
inline void expect_valid_table(const proxy::config::Table& table) {
  std::vector<proxy::config::ConfigError> errors;
  proxy::config::validate_table(table, YAML::Node(), "<reconciled>", errors);
  for (const auto& e : errors) ADD_FAILURE() << e.to_string();
}

inline bool has_event(const Output& out, const std::string& kind, const std::string& name, const std::string& needle) {
  for (const auto& e : out.events)
    if (e.object.kind == kind && e.object.name == name && e.message.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace kb::controller::reconcile::testing
