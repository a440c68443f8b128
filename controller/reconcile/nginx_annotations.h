#pragma once
// ingress-nginx's annotations (nginx.ingress.kubernetes.io/<key>) on an Ingress we serve, mapped
// onto our own table keys: balancer settings (cookie affinity -> stickysession + a proxy-inserted
// route cookie; load-balance -> lbmethod) and route keys (rewrite, redirect, allow, body limit,
// timeouts, maxattempts, canary -> weighted backends). The mapping table, exact / approximate /
// not supported, is docs/migrate-from-ingress-nginx.md.
//
// Rules (issue 13): every nginx annotation we do not support gets one Warning (reason
// UnsupportedAnnotation) naming it; an invalid value gets one Warning (reason InvalidAnnotation)
// naming annotation and value, and the default is kept. Our kubebalancer.io/ annotations win:
// the Service's kubebalancer.io/<key> annotations are applied after these balancer settings.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "controller/reconcile/field_errors.h"
#include "proxy/config/table.h"

namespace kb::controller::reconcile {

inline constexpr const char* kNginxAnnotationPrefix = "nginx.ingress.kubernetes.io/";

// Balancer parameters an Ingress asks for; applied to the Service balancers its routes use (not to
// BalancerClusters, whose spec is ours and wins), before the Service's own annotations.
struct NginxBalancerSettings {
  std::optional<proxy::config::LbMethod> lbmethod;    // load-balance
  std::optional<proxy::config::StickySession> sticky;  // affinity: cookie (+ session-cookie-*)
  bool empty() const { return !lbmethod && !sticky; }
  friend bool operator==(const NginxBalancerSettings&, const NginxBalancerSettings&) = default;
};

struct NginxCanary {
  bool enabled = false;  // canary: "true": this Ingress's paths are the canary of another's
  int weight = 0;        // canary-weight, of weight_total
  int weight_total = 100;  // canary-weight-total
  std::string header;      // canary-by-header
  std::string header_value;  // canary-by-header-value
  std::string cookie;        // canary-by-cookie
};

struct NginxIngress {
  NginxBalancerSettings balancer;
  proxy::config::Route actions;  // only the action keys are used (allow, redirect, rewrite, limits, maxattempts)
  bool regex_paths = false;      // use-regex, or rewrite-target (which implies it in ingress-nginx)
  std::string rewrite_target;    // with regex_paths: the replacement for each path's regex
  std::string app_root;          // "/app1": "/" of each host redirects there (302)
  // ssl-redirect / force-ssl-redirect -> every route's `sslredirect` (kubebalancer.io/ssl-redirect
  // beats it; reconcile.cc).
  std::optional<bool> ssl_redirect;
  NginxCanary canary;
  FieldErrors unsupported;  // one per unsupported annotation
  FieldErrors invalid;      // one per annotation with a bad value (its default kept)
};

NginxIngress read_nginx_annotations(const std::map<std::string, std::string>& annotations);

// Applies the Ingress-wide actions to a route built from one of its paths. With regex paths the
// path (a regex) becomes its literal prefix (ImplementationSpecific = Prefix) and, with a
// rewrite-target, the rewrite {regex: path, replacement: target}.
void apply_nginx_route(const NginxIngress& nginx, proxy::config::Route& route);

// The literal prefix our router matches for an ingress-nginx regex path:
// "/something(/|$)(.*)" -> "/something", "/api/v[0-9]+/(.*)" -> "/api", "/.*" -> "/".
std::string regex_path_prefix(const std::string& path);

// Onto a Service balancer before its kubebalancer.io/ annotations.
void apply_nginx_balancer(const NginxBalancerSettings& settings, proxy::config::Balancer& balancer);

}  // namespace kb::controller::reconcile
