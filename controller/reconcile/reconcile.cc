// Orchestrates the processors over one snapshot: BalancerClusters first (they claim Service
// ports), then Ingresses (routes; each backend resolved to a balancer name), then the Service
// balancers the routes need, then the table is sorted. See reconcile.h.
#include "controller/reconcile/reconcile.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "controller/reconcile/balancers.h"
#include "controller/reconcile/gateway_api.h"
#include "controller/reconcile/indexes.h"
#include "controller/reconcile/ingress_class.h"
#include "controller/reconcile/ingress_routes.h"
#include "controller/reconcile/nginx_annotations.h"
#include "controller/reconcile/tls_certificates.h"
#include "controller/reconcile/values.h"

namespace kb::controller::reconcile {
namespace {

namespace cfg = proxy::config;

constexpr const char* kReasonInvalidSpec = "InvalidSpec";
constexpr const char* kReasonRouteConflict = "RouteConflict";
constexpr const char* kReasonServiceClaimed = "ServiceClaimed";
constexpr const char* kReasonUnsupportedAnnotation = "UnsupportedAnnotation";
constexpr const char* kReasonInvalidAnnotation = "InvalidAnnotation";
constexpr const char* kReasonCanary = "CanaryWithoutMain";
constexpr const char* kReasonInvalidTlsSecret = "InvalidTLSSecret";
constexpr const char* kSslRedirectAnnotation = "kubebalancer.io/ssl-redirect";

template <typename T>
std::vector<const T*> in_scope_sorted(const std::vector<T>& objects, const Options& options) {
  std::vector<const T*> out;
  for (const T& o : objects)
    if (options.watch_all_namespaces || o.metadata.namespace_name == options.watch_namespace) out.push_back(&o);
  std::sort(out.begin(), out.end(), [](const T* a, const T* b) {
    return std::tie(a->metadata.namespace_name, a->metadata.name, a->metadata.uid) <
           std::tie(b->metadata.namespace_name, b->metadata.name, b->metadata.uid);
  });
  return out;
}

ObjectRef ref_of(const kube::ObjectMeta& meta, const char* api_version, const char* kind) {
  return {api_version, kind, meta.namespace_name, meta.name, meta.uid};
}

void report(std::vector<Event>& events, const ObjectRef& object, const char* reason, const FieldErrors& errors) {
  for (const FieldError& e : errors) events.push_back({object, "Warning", reason, e.to_string()});
}

struct NeededService {
  const kube::Service* service = nullptr;
  const kube::ServicePort* port = nullptr;
  NginxBalancerSettings nginx;  // of the first Ingress (by namespace/name) that routes here
};

class Builder {
 public:
  Builder(const Snapshot& snapshot, const Options& options)
      : snapshot_(snapshot), options_(options), tls_(snapshot, options) {}

  Output build() {
    index();
    clusters();
    ingresses();
    gateway_api();
    services();
    session_balancers();
    finish();
    return std::move(out_);
  }

 private:
  void index() {
    for (const kube::Service* s : in_scope_sorted(snapshot_.services, options_)) indexes_.services.emplace(s->metadata.key(), s);
    for (const kube::EndpointSlice* s : in_scope_sorted(snapshot_.endpoint_slices, options_)) {
      const std::string service = s->service_name();
      if (!service.empty()) indexes_.slices[s->metadata.namespace_name + "/" + service].push_back(s);
    }
    for (const kube::BalancerCluster* c : in_scope_sorted(snapshot_.balancer_clusters, options_))
      indexes_.clusters.emplace(c->metadata.key(), c);
  }

  void clusters() {
    for (const auto& [key, cluster] : indexes_.clusters) {
      ClusterResult r = render_cluster(*cluster, indexes_);
      report(out_.events, ref_of(cluster->metadata, "kubebalancer.io/v1alpha1", kube::kBalancerClusterKind),
             kReasonInvalidSpec, r.errors);
      if (!r.service_errors.empty()) {
        const std::string svc_name = cluster->spec.service->name;
        if (const kube::Service* svc = indexes_.service(cluster->metadata.namespace_name, svc_name))
          report(out_.events, ref_of(svc->metadata, "v1", "Service"), kReasonInvalidSpec, r.service_errors);
      }
      if (r.balancer) {
        if (!r.service_key.empty()) {
          auto [it, inserted] = claims_.try_emplace(r.service_key, r.balancer->name);  // first by name wins
          if (!inserted)
            out_.events.push_back({ref_of(cluster->metadata, "kubebalancer.io/v1alpha1", kube::kBalancerClusterKind),
                                   "Warning", kReasonServiceClaimed,
                                   "spec.service: Service port " + r.service_key + " is already taken by balancer " +
                                       it->second + "; Ingress routes to the Service use that one"});
        }
        balancers_.emplace(r.balancer->name, std::move(*r.balancer));
      }
      out_.balancer_cluster_statuses.push_back(std::move(r.status));
    }
  }

  std::string resolve(const std::string& ns, const kube::IngressBackend& backend, const std::string& field,
                      FieldErrors& errors) {
    if (backend.service.has_value() == backend.resource.has_value()) {
      errors.push_back({field, "must set exactly one of service and resource; skipped"});
      return "";
    }
    if (backend.resource) {
      const kube::TypedLocalObjectReference& res = *backend.resource;
      if (res.api_group != kube::kBalancerClusterApiGroup || res.kind != kube::kBalancerClusterKind || res.name.empty()) {
        errors.push_back({field + ".resource", "only kubebalancer.io BalancerCluster resources are supported; got " +
                                                   (res.api_group.empty() ? "core" : res.api_group) + " " + res.kind +
                                                   "; skipped"});
        return "";
      }
      const std::string name = cluster_balancer_name(ns, res.name);
      // A missing or unrendered cluster still gets a (memberless) balancer: requests get 503, not
      // another route's backend, until it exists.
      if (!balancers_.contains(name)) empty_.insert(name);
      return name;
    }
    const kube::IngressServiceBackend& sb = *backend.service;
    if (sb.name.empty()) {
      errors.push_back({field + ".service.name", "must name a Service; skipped"});
      return "";
    }
    const kube::Service* svc = indexes_.service(ns, sb.name);
    const ResolvedPort port = resolve_service_port(svc, sb.port.number, sb.port.name);
    if (!port.error.empty()) errors.push_back({field + ".service.port", port.error});
    const std::string key = ns + "/" + sb.name + ":" + port.key;
    if (auto it = claims_.find(key); it != claims_.end()) return it->second;
    const std::string name = service_balancer_name(ns, sb.name, port.key);
    needed_.try_emplace(name, NeededService{svc, port.port, nginx_balancer_});
    return name;
  }

  void ingresses() {
    const IngressClassFilter filter(snapshot_.ingress_classes, options_);
    std::vector<const kube::Ingress*> canaries;  // ingress-nginx canary Ingresses: after every main one
    for (const kube::Ingress* ing : in_scope_sorted(snapshot_.ingresses, options_)) {
      if (!filter.is_ours(*ing)) continue;
      const NginxIngress nginx = read_nginx_annotations(ing->metadata.annotations);
      if (nginx.canary.enabled) canaries.push_back(ing);
      else ingress(*ing, nginx);
    }
    for (const kube::Ingress* ing : canaries) ingress(*ing, read_nginx_annotations(ing->metadata.annotations));
  }

  // The routes of one Ingress (ingress_routes.h) with its ingress-nginx annotations applied.
  IngressRoutes routes_of(const kube::Ingress& ing, const NginxIngress& nginx, const ObjectRef& ref) {
    report(out_.events, ref, kReasonUnsupportedAnnotation, nginx.unsupported);
    report(out_.events, ref, kReasonInvalidAnnotation, nginx.invalid);
    nginx_balancer_ = nginx.balancer;
    const std::string& ns = ing.metadata.namespace_name;
    IngressRoutes r = ingress_routes(ing, [&](const kube::IngressBackend& b, const std::string& f, FieldErrors& e) {
      return resolve(ns, b, f, e);
    });
    nginx_balancer_ = {};
    const std::optional<bool> ssl_redirect = ssl_redirect_of(ing, nginx, ref);
    std::set<std::string> hosts;
    for (cfg::Route& route : r.routes) {
      apply_nginx_route(nginx, route);
      route.ssl_redirect = ssl_redirect;
      hosts.insert(route.host);
    }
    if (!nginx.app_root.empty()) {  // ingress-nginx app-root: "/" of each host answers 302 to it
      for (const std::string& host : hosts) {
        cfg::Route root;
        root.host = host;
        root.path_type = cfg::PathType::kExact;
        root.redirect.replace_full = nginx.app_root;
        r.routes.push_back(std::move(root));
        r.route_fields.push_back(std::string("metadata.annotations[") + kNginxAnnotationPrefix + "app-root]");
      }
    }
    return r;
  }

  // kubebalancer.io/ssl-redirect beats ingress-nginx's ssl-redirect / force-ssl-redirect; unset:
  // the proxy's default (on for hosts with a certificate).
  std::optional<bool> ssl_redirect_of(const kube::Ingress& ing, const NginxIngress& nginx, const ObjectRef& ref) {
    auto it = ing.metadata.annotations.find(kSslRedirectAnnotation);
    if (it == ing.metadata.annotations.end()) return nginx.ssl_redirect;
    bool on = false;
    std::string error;
    if (parse_bool(it->second, on, error)) return on;
    report(out_.events, ref, kReasonInvalidAnnotation,
           {{std::string("metadata.annotations[") + kSslRedirectAnnotation + "]", error + "; ignored"}});
    return nginx.ssl_redirect;
  }

  void ingress(const kube::Ingress& ing, const NginxIngress& nginx) {
    const ObjectRef ref = ref_of(ing.metadata, "networking.k8s.io/v1", "Ingress");
    IngressRoutes r = routes_of(ing, nginx, ref);
    report(out_.events, ref, kReasonInvalidSpec, r.errors);
    if (tls_.enabled()) {
      FieldErrors tls_errors;
      tls_.add_ingress(ing, tls_errors);
      report(out_.events, ref, kReasonInvalidTlsSecret, tls_errors);
    }
    FieldErrors conflicts;
    if (nginx.canary.enabled) {
      add_canary(nginx.canary, r, conflicts);
      report(out_.events, ref, kReasonCanary, conflicts);
    } else {
      for (size_t i = 0; i < r.routes.size(); ++i) {
        cfg::Route& route = r.routes[i];
        auto [it, inserted] = owners_.try_emplace({route.host, route.path, route.path_type}, ing.metadata.key());
        if (!inserted) {
          if (it->second != ing.metadata.key())
            conflicts.push_back({r.route_fields[i], "host '" + route.host + "' path '" + route.path +
                                                        "' is already routed by Ingress " + it->second + "; ignored"});
          continue;
        }
        out_.table.routes.push_back(std::move(route));
      }
      if (!r.default_backend.empty()) {
        if (out_.table.default_backend.empty()) {
          out_.table.default_backend = r.default_backend;
          default_owner_ = ing.metadata.key();
        } else if (out_.table.default_backend != r.default_backend) {
          conflicts.push_back({"spec.defaultBackend", "the default backend is already set by Ingress " + default_owner_ +
                                                          "; ignored"});
        }
      }
      report(out_.events, ref, kReasonRouteConflict, conflicts);
    }
    out_.ingress_statuses.push_back(
        {ing.metadata.namespace_name, ing.metadata.name, kube::IngressStatus{options_.status_addresses}});
  }

  // ingress-nginx canary: each path of the canary Ingress turns the main Ingress's route for the
  // same host and path into a weighted split (the canary's balancer gets weight of weight_total).
  void add_canary(const NginxCanary& canary, const IngressRoutes& r, FieldErrors& problems) {
    for (size_t i = 0; i < r.routes.size(); ++i) {
      const cfg::Route& c = r.routes[i];
      cfg::Route* main = nullptr;
      for (cfg::Route& m : out_.table.routes)
        if (m.host == c.host && m.path == c.path && m.path_type == c.path_type) main = &m;
      const std::string where = "host '" + c.host + "' path '" + c.path + "'";
      if (main == nullptr || main->balancer.empty()) {
        problems.push_back({r.route_fields[i], "no main Ingress routes " + where + " to a backend; the canary is ignored"});
      } else if (main->balancer == c.balancer) {
        problems.push_back({r.route_fields[i], "the canary's backend is the main one for " + where + "; ignored"});
      } else if (!main->backends.empty()) {
        problems.push_back({r.route_fields[i], where + " already has a canary; ignored"});
      } else {
        const int weight = std::min(canary.weight, canary.weight_total);
        main->backends = {{main->balancer, canary.weight_total - weight}, {c.balancer, weight}};
        main->canary = {c.balancer, canary.header, canary.header.empty() ? "" : canary.header_value, canary.cookie};
        main->balancer.clear();
      }
    }
  }

  // A Gateway API backendRef -> a balancer (same naming as Ingress backends) or the spec's reason.
  GwBackend gw_backend(const std::string& route_ns, const kube::GwBackendRef& b) {
    const std::string ns = b.ref.namespace_name.value_or(route_ns);
    const std::string what = (b.ref.group.empty() ? "core" : b.ref.group) + " " + b.ref.kind + " " + ns + "/" + b.ref.name;
    const bool service = b.ref.group.empty() && b.ref.kind == "Service";
    const bool cluster = b.ref.group == kube::kBalancerClusterApiGroup && b.ref.kind == kube::kBalancerClusterKind;
    if (!service && !cluster) return {"", "InvalidKind", what + ": only Services and BalancerClusters are supported"};
    if (ns != route_ns && !reference_granted(snapshot_.reference_grants, "HTTPRoute", route_ns, b.ref.group,
                                             b.ref.kind, ns, b.ref.name))
      return {"", "RefNotPermitted", what + " is in another namespace and no ReferenceGrant allows it"};
    kube::IngressBackend backend;
    FieldErrors errors;
    if (cluster) {
      backend.resource = kube::TypedLocalObjectReference{b.ref.group, b.ref.kind, b.ref.name};
      const std::string name = resolve(ns, backend, "", errors);
      if (!indexes_.clusters.contains(ns + "/" + b.ref.name)) return {name, "BackendNotFound", what + " not found"};
      return {name, "", ""};
    }
    if (!b.port) return {"", "BackendNotFound", what + ": port is required for a Service"};
    backend.service = kube::IngressServiceBackend{b.ref.name, {*b.port, ""}};
    const std::string name = resolve(ns, backend, "", errors);
    if (indexes_.service(ns, b.ref.name) == nullptr) return {name, "BackendNotFound", what + " not found"};
    if (!errors.empty()) return {name, "BackendNotFound", what + ": " + errors.front().message};
    return {name, "", ""};
  }

  void gateway_api() {
    GatewayRender r = render_gateway_api(snapshot_, options_, tls_, [this](const std::string& ns, const kube::GwBackendRef& b) {
      return gw_backend(ns, b);
    }, out_);
    for (cfg::Route& route : r.routes) out_.table.routes.push_back(std::move(route));
    empty_.insert(r.empty_balancers.begin(), r.empty_balancers.end());
    sessions_ = std::move(r.session_balancers);
  }

  // After every other balancer exists: the per-rule session copies (gateway_api.h).
  void session_balancers() {
    for (const SessionBalancer& s : sessions_) {
      auto base = balancers_.find(s.base);
      if (base == balancers_.end() || balancers_.contains(s.name)) continue;
      cfg::Balancer b = base->second;
      b.name = s.name;
      b.sticky.cookie = s.cookie.name;
      b.sticky.url_param.clear();
      b.sticky.separator = '.';
      b.sticky.route_cookie = s.cookie;
      balancers_.emplace(s.name, std::move(b));
    }
  }

  void services() {
    for (const auto& [name, need] : needed_) {
      FieldErrors errors;
      balancers_.emplace(name, render_service_balancer(name, need.service, need.port, indexes_, errors, need.nginx));
      if (need.service != nullptr && reported_services_.insert(need.service).second)
        report(out_.events, ref_of(need.service->metadata, "v1", "Service"), kReasonInvalidSpec, errors);
    }
    for (const std::string& name : empty_) {
      cfg::Balancer b;
      b.name = name;
      balancers_.try_emplace(name, std::move(b));
    }
  }

  void finish() {
    tls_.finish(out_);
    for (auto& [name, b] : balancers_) out_.table.balancers.push_back(std::move(b));
    // Stable: routes that differ only in matches keep their order (the proxy's last tie-break).
    std::stable_sort(out_.table.routes.begin(), out_.table.routes.end(), [](const cfg::Route& a, const cfg::Route& b) {
      return std::tie(a.host, a.path, a.path_type, a.balancer) < std::tie(b.host, b.path, b.path_type, b.balancer);
    });
    auto key = [](const Event& e) {
      return std::tie(e.object.namespace_name, e.object.name, e.object.kind, e.object.uid, e.reason, e.message, e.type);
    };
    std::sort(out_.events.begin(), out_.events.end(), [&](const Event& a, const Event& b) { return key(a) < key(b); });
    out_.events.erase(std::unique(out_.events.begin(), out_.events.end()), out_.events.end());
  }

  const Snapshot& snapshot_;
  const Options& options_;
  Indexes indexes_;
  Output out_;
  std::map<std::string, cfg::Balancer> balancers_;  // by name: the table's order
  std::map<std::string, std::string> claims_;       // "ns/service:port" -> BalancerCluster balancer
  std::map<std::string, NeededService> needed_;     // Service balancers the routes use
  std::set<std::string> empty_;                     // balancers for missing BalancerClusters
  std::set<const kube::Service*> reported_services_;
  std::map<std::tuple<std::string, std::string, cfg::PathType>, std::string> owners_;  // route -> Ingress
  std::string default_owner_;
  NginxBalancerSettings nginx_balancer_;  // of the Ingress being resolved
  TlsCertificates tls_;
  std::vector<SessionBalancer> sessions_;
};

}  // namespace

std::string service_balancer_name(const std::string& ns, const std::string& service, const std::string& port) {
  return ns + "/" + service + ":" + port;
}

std::string cluster_balancer_name(const std::string& ns, const std::string& name) { return ns + "/" + name; }

Output reconcile(const Snapshot& snapshot, const Options& options) { return Builder(snapshot, options).build(); }

}  // namespace kb::controller::reconcile
