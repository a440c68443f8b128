#include "controller/reconcile/gateway_api.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <tuple>

namespace kb::controller::reconcile {
namespace {

namespace cfg = proxy::config;
using kube::Condition;

constexpr const char* kHttpRoute = "HTTPRoute";

// What the features list says we support (GatewayClass status.supportedFeatures), sorted.
const std::vector<std::string>& supported_features() {
  static const std::vector<std::string> features = {
      "Gateway",  "HTTPRoute", "HTTPRouteHostRewrite", "HTTPRouteMethodMatching", "HTTPRoutePathRedirect",
      "HTTPRoutePathRewrite", "HTTPRoutePortRedirect", "HTTPRouteQueryParamMatching",
      "HTTPRouteResponseHeaderModification", "HTTPRouteSchemeRedirect", "ReferenceGrant"};
  return features;
}

Condition cond(const char* type, bool ok, const std::string& reason, const std::string& message, int64_t generation) {
  return Condition{type, ok ? "True" : "False", reason, message, generation, ""};
}

// "*.example.com" covers "a.example.com" and "a.b.example.com" (Gateway API wildcards match one
// or more labels), never "example.com".
bool covers(const std::string& wildcard, const std::string& host) {
  const std::string suffix = wildcard.substr(1);
  return host.size() > suffix.size() && host.ends_with(suffix);
}

std::string rule_field(size_t i) { return "spec.rules[" + std::to_string(i) + "]"; }

struct ListenerState {
  const kube::GwListener* listener = nullptr;
  bool valid = false;
  kube::GwListenerStatus status;
};

struct GatewayState {
  const kube::Gateway* gateway = nullptr;
  std::vector<ListenerState> listeners;
};

// One HTTPRoute's verdict on one parent.
struct Attachment {
  std::string reason = "Accepted";
  std::string message;
  std::set<std::string> hosts;
  bool accepted() const { return reason == "Accepted"; }
};

class GatewayApi {
 public:
  GatewayApi(const Snapshot& s, const Options& o, TlsCertificates& tls, const GwBackendResolver& resolve, Output& out)
      : snapshot_(s), options_(o), tls_(tls), resolve_(resolve), out_(out) {}

  GatewayRender run() {
    classes();
    gateways();
    std::vector<const kube::HttpRoute*> routes;
    for (const kube::HttpRoute& r : snapshot_.http_routes) routes.push_back(&r);
    // Conflicts go to the oldest route, then by namespace/name (the spec's tie-break).
    std::sort(routes.begin(), routes.end(), [](const kube::HttpRoute* a, const kube::HttpRoute* b) {
      return std::tie(a->metadata.creation_timestamp, a->metadata.namespace_name, a->metadata.name) <
             std::tie(b->metadata.creation_timestamp, b->metadata.namespace_name, b->metadata.name);
    });
    for (const kube::HttpRoute* r : routes) route(*r);
    finish();
    return std::move(render_);
  }

 private:
  bool in_scope(const kube::ObjectMeta& m) const {
    return options_.watch_all_namespaces || m.namespace_name == options_.watch_namespace;
  }

  void classes() {
    for (const kube::GatewayClass& c : snapshot_.gateway_classes) {
      if (c.controller_name != kube::kGatewayControllerName) continue;
      our_classes_.insert(c.metadata.name);
      GatewayClassStatusUpdate u{c.metadata.name, {}};
      u.status.conditions.push_back(
          cond("Accepted", true, "Accepted", "handled by kube-balancer", c.metadata.generation));
      u.status.supported_features = supported_features();
      out_.gateway_class_statuses.push_back(std::move(u));
    }
  }

  // HTTPS: the certificate Secrets, through the same path as Ingress spec.tls.
  void certificates(const kube::Gateway& gw, const kube::GwListener& l, const std::string& field,
                    std::string& reason, std::string& message) {
    if (l.certificate_refs.empty()) {
      reason = "InvalidCertificateRef";
      message = field + ".tls.certificateRefs: an HTTPS listener needs a certificate";
      return;
    }
    for (size_t i = 0; i < l.certificate_refs.size(); ++i) {
      const kube::GwRef& ref = l.certificate_refs[i];
      const std::string f = field + ".tls.certificateRefs[" + std::to_string(i) + "]";
      const std::string ns = ref.namespace_name.value_or(gw.metadata.namespace_name);
      if (!ref.group.empty() || ref.kind != "Secret") {
        reason = "InvalidCertificateRef";
        message = f + ": only core Secrets are supported, got " + ref.group + "/" + ref.kind;
      } else if (ns != gw.metadata.namespace_name &&
                 !reference_granted(snapshot_.reference_grants, "Gateway", gw.metadata.namespace_name, "", "Secret",
                                    ns, ref.name)) {
        reason = "RefNotPermitted";
        message = f + ": Secret " + ns + "/" + ref.name + " is in another namespace and no ReferenceGrant allows it";
      } else if (!tls_.enabled()) {
        reason = "InvalidCertificateRef";
        message = f + ": the controller runs without --tls-dir";
      } else {
        FieldErrors errors;
        std::vector<std::string> hosts;
        if (l.hostname) hosts.push_back(*l.hostname);
        tls_.add(ns, ref.name, hosts, f, field + ".hostname", errors);
        if (!errors.empty()) {
          reason = "InvalidCertificateRef";
          message = errors.front().to_string();
        }
      }
      if (!reason.empty()) return;
    }
  }

  ListenerState listener(const kube::Gateway& gw, size_t i) {
    const kube::GwListener& l = gw.listeners[i];
    const int64_t gen = gw.metadata.generation;
    const std::string field = "spec.listeners[" + std::to_string(i) + "]";
    ListenerState st;
    st.listener = &l;
    st.status.name = l.name;
    std::string accepted_reason = "Accepted", accepted_message;
    if (l.protocol != "HTTP" && l.protocol != "HTTPS") {
      accepted_reason = "UnsupportedProtocol";
      accepted_message = field + ".protocol: only HTTP and HTTPS are supported, got " + l.protocol;
    } else if (l.protocol == "HTTPS" && l.tls_mode != "Terminate") {
      accepted_reason = "UnsupportedValue";
      accepted_message = field + ".tls.mode: only Terminate is supported";
    }
    std::string refs_reason, refs_message;
    const bool http_route_ok =
        l.allowed_kinds.empty() ||
        std::find(l.allowed_kinds.begin(), l.allowed_kinds.end(), std::pair<std::string, std::string>{
                                                                      kube::kGatewayGroup, kHttpRoute}) !=
            l.allowed_kinds.end();
    if (http_route_ok) st.status.supported_kinds.emplace_back(kube::kGatewayGroup, kHttpRoute);
    else {
      refs_reason = "InvalidRouteKinds";
      refs_message = field + ".allowedRoutes.kinds: only HTTPRoute is supported";
    }
    if (accepted_reason == "Accepted" && refs_reason.empty() && l.protocol == "HTTPS")
      certificates(gw, l, field, refs_reason, refs_message);
    const bool accepted = accepted_reason == "Accepted";
    st.valid = accepted && refs_reason.empty();
    st.status.conditions = {
        cond("Accepted", accepted, accepted_reason, accepted_message, gen),
        cond("Conflicted", false, "NoConflicts", "", gen),
        cond("Programmed", st.valid, st.valid ? "Programmed" : "Invalid", "", gen),
        cond("ResolvedRefs", refs_reason.empty(), refs_reason.empty() ? "ResolvedRefs" : refs_reason, refs_message, gen)};
    return st;
  }

  void gateways() {
    for (const kube::Gateway& gw : snapshot_.gateways) {
      if (!in_scope(gw.metadata) || !our_classes_.contains(gw.gateway_class_name)) continue;
      GatewayState& state = gateways_[gw.metadata.key()];
      state.gateway = &gw;
      for (size_t i = 0; i < gw.listeners.size(); ++i) state.listeners.push_back(listener(gw, i));
    }
  }

  Attachment attach(const kube::HttpRoute& route, const kube::GwParentRef& parent, GatewayState& gw) {
    Attachment a;
    bool candidate = false, allowed = false;
    for (ListenerState& ls : gw.listeners) {
      const kube::GwListener& l = *ls.listener;
      if ((parent.section_name && *parent.section_name != l.name) || (parent.port && *parent.port != l.port)) continue;
      candidate = true;
      if (!ls.valid) continue;
      const bool same = route.metadata.namespace_name == gw.gateway->metadata.namespace_name;
      if (!(l.allowed_from == "All" || (l.allowed_from == "Same" && same))) continue;
      allowed = true;
      const std::vector<std::string> hosts = intersect_hostnames(l.hostname, route.hostnames);
      if (hosts.empty()) continue;
      ls.status.attached_routes++;
      a.hosts.insert(hosts.begin(), hosts.end());
    }
    if (!candidate) {
      a.reason = "NoMatchingParent";
      a.message = "no listener matches the parentRef's sectionName/port";
    } else if (!allowed) {
      a.reason = "NotAllowedByListeners";
      a.message = "no valid listener allows routes from namespace " + route.metadata.namespace_name;
    } else if (a.hosts.empty()) {
      a.reason = "NoMatchingListenerHostname";
      a.message = "no hostname of the route matches a listener's hostname";
    }
    return a;
  }

  static void path_modifier(const std::optional<kube::GwPathModifier>& m, std::string& full, std::string& prefix) {
    if (!m) return;
    if (m->type == "ReplaceFullPath") full = m->replace_full_path;
    else if (m->type == "ReplacePrefixMatch") prefix = m->replace_prefix_match.empty() ? "/" : m->replace_prefix_match;
  }

  // Filters -> actions of `tmpl`; "" or the problem with the first unsupported one.
  static std::string filters(const kube::GwRouteRule& rule, const std::string& field, cfg::Route& tmpl) {
    for (size_t i = 0; i < rule.filters.size(); ++i) {
      const kube::GwFilter& f = rule.filters[i];
      const cfg::HeaderModifier headers{f.headers.set, f.headers.add, f.headers.remove};
      if (f.type == "RequestHeaderModifier") {
        tmpl.request_headers = headers;
      } else if (f.type == "ResponseHeaderModifier") {
        tmpl.response_headers = headers;
      } else if (f.type == "RequestRedirect") {
        tmpl.redirect.scheme = f.scheme;
        tmpl.redirect.hostname = f.hostname;
        if (f.port) tmpl.redirect.port = static_cast<uint16_t>(*f.port);
        tmpl.redirect.status = f.status_code;
        path_modifier(f.path, tmpl.redirect.replace_full, tmpl.redirect.replace_prefix);
      } else if (f.type == "URLRewrite") {
        tmpl.rewrite.hostname = f.hostname;
        path_modifier(f.path, tmpl.rewrite.replace_full, tmpl.rewrite.replace_prefix);
      } else {
        return field + ".filters[" + std::to_string(i) + "].type: " + f.type + " is not supported";
      }
    }
    return "";
  }

  // backendRefs -> the balancer or weighted backends of `tmpl`; the first problem in refs_*.
  void backends(const kube::HttpRoute& route, const kube::GwRouteRule& rule, const std::string& field,
                cfg::Route& tmpl, std::string& refs_reason, std::string& refs_message) {
    std::vector<cfg::WeightedBackend> out;
    for (size_t j = 0; j < rule.backend_refs.size(); ++j) {
      const GwBackend b = resolve_(route.metadata.namespace_name, rule.backend_refs[j]);
      if (!b.reason.empty() && refs_reason.empty()) {
        refs_reason = b.reason;
        refs_message = field + ".backendRefs[" + std::to_string(j) + "]: " + b.message;
      }
      if (!b.balancer.empty()) out.push_back({b.balancer, rule.backend_refs[j].weight});
    }
    if (tmpl.redirect.enabled()) return;
    if (out.empty()) {  // the spec: requests to a rule without a usable backend get an error (503 here)
      tmpl.balancer = route.metadata.namespace_name + "/" + route.metadata.name + ":unresolved";
      render_.empty_balancers.insert(tmpl.balancer);
    } else if (out.size() == 1) {
      tmpl.balancer = out[0].balancer;
    } else {
      tmpl.backends = std::move(out);
    }
  }

  // sessionPersistence -> per-rule copies of the rule's backend balancers; "" or the unsupported value.
  std::string session(const kube::HttpRoute& route, size_t index, const kube::GwRouteRule& rule, cfg::Route& tmpl) {
    if (!rule.session) return "";
    const kube::GwSessionPersistence& sp = *rule.session;
    const std::string field = rule_field(index) + ".sessionPersistence";
    if (sp.type != "Cookie")
      return field + ".type: " + sp.type + " is not supported (sessions travel in cookies or URL parameters)";
    cfg::RouteCookie cookie;
    const std::string scope = route.metadata.namespace_name + "/" + route.metadata.name + "/" + std::to_string(index);
    cookie.name = sp.name.empty() ? "kb-session-" + std::to_string(std::hash<std::string>{}(scope) % 1000000) : sp.name;
    cookie.path = sp.path.empty() ? "/" : sp.path;
    if (sp.lifetime == "Permanent") {
      int64_t seconds = 0;
      if (sp.absolute_timeout.empty() || !parse_gateway_duration(sp.absolute_timeout, seconds))
        return field + ".absoluteTimeout: a Permanent cookie needs a duration like \"1h\"";
      cookie.max_age = seconds;
    } else if (sp.lifetime != "Session") {
      return field + ".lifetimeType: " + sp.lifetime + " is not supported";
    }
    auto scoped = [&](const std::string& base) {
      if (base.empty()) return base;
      const std::string name = base + "@" + scope;
      render_.session_balancers.push_back({name, base, cookie});
      return name;
    };
    tmpl.balancer = scoped(tmpl.balancer);
    for (cfg::WeightedBackend& b : tmpl.backends) b.balancer = scoped(b.balancer);
    return "";
  }

  static bool value_matches(const std::vector<kube::GwValueMatch>& in, std::vector<cfg::ValueMatch>& out) {
    for (const kube::GwValueMatch& m : in) {
      if (m.type != "Exact" && m.type != "RegularExpression") return false;
      out.push_back({m.name, m.value, m.type == "Exact" ? cfg::MatchType::kExact : cfg::MatchType::kRegex});
    }
    return true;
  }

  // One match of a rule -> `route` (from the rule's template); "" or the unsupported value.
  static std::string match(const kube::GwRouteMatch& m, const std::string& field, cfg::Route& route) {
    if (m.path_type == "Exact") route.path_type = cfg::PathType::kExact;
    else if (m.path_type == "PathPrefix") route.path_type = cfg::PathType::kPrefix;
    else return field + ".path.type: " + m.path_type + " is not supported";
    std::string path = m.path_value.empty() ? "/" : m.path_value;
    if (path.front() != '/') return field + ".path.value: must start with '/'";
    if (route.path_type == cfg::PathType::kPrefix)
      while (path.size() > 1 && path.back() == '/') path.pop_back();
    route.path = path;
    if (!m.method.empty()) route.methods = {m.method};
    if (!value_matches(m.headers, route.headers)) return field + ".headers: only Exact and RegularExpression";
    if (!value_matches(m.query_params, route.query_params))
      return field + ".queryParams: only Exact and RegularExpression";
    return "";
  }

  // The rules of an accepted route -> table routes; "" or the first unsupported value.
  std::string rules(const kube::HttpRoute& route, const std::set<std::string>& hosts, std::string& refs_reason,
                    std::string& refs_message) {
    std::string unsupported;
    for (size_t i = 0; i < route.rules.size(); ++i) {
      const kube::GwRouteRule& rule = route.rules[i];
      const std::string field = rule_field(i);
      cfg::Route tmpl;
      if (std::string why = filters(rule, field, tmpl); !why.empty()) {
        if (unsupported.empty()) unsupported = why;
        continue;  // the rule is left out rather than served without its filter
      }
      backends(route, rule, field, tmpl, refs_reason, refs_message);
      if (std::string why = session(route, i, rule, tmpl); !why.empty()) {
        if (unsupported.empty()) unsupported = why;
        continue;
      }
      const std::vector<kube::GwRouteMatch> matches = rule.matches.empty() ? std::vector<kube::GwRouteMatch>{{}} : rule.matches;
      for (size_t k = 0; k < matches.size(); ++k) {
        cfg::Route r = tmpl;
        if (std::string why = match(matches[k], field + ".matches[" + std::to_string(k) + "]", r); !why.empty()) {
          if (unsupported.empty()) unsupported = why;
          continue;
        }
        for (const std::string& host : hosts) {
          r.host = host;
          add(r);
        }
      }
    }
    return unsupported;
  }

  // The oldest route wins a host + path + matches that another route also claims.
  void add(const cfg::Route& r) {
    std::string key = r.host + '\n' + r.path + '\n' + std::to_string(static_cast<int>(r.path_type)) + '\n';
    for (const auto& m : r.methods) key += m + ',';
    for (const auto& h : r.headers) key += '\n' + h.name + '=' + h.value + std::to_string(static_cast<int>(h.type));
    key += '\n';
    for (const auto& q : r.query_params) key += '\n' + q.name + '=' + q.value + std::to_string(static_cast<int>(q.type));
    if (seen_.insert(key).second) render_.routes.push_back(r);
  }

  void route(const kube::HttpRoute& route) {
    if (!in_scope(route.metadata)) return;
    const int64_t gen = route.metadata.generation;
    HttpRouteStatusUpdate update{route.metadata.namespace_name, route.metadata.name, {}};
    std::vector<std::pair<kube::GwParentRef, Attachment>> parents;
    std::set<std::string> hosts;
    for (const kube::GwParentRef& p : route.parent_refs) {
      if (p.group != kube::kGatewayGroup || p.kind != "Gateway") continue;
      auto it = gateways_.find(p.namespace_name.value_or(route.metadata.namespace_name) + "/" + p.name);
      if (it == gateways_.end()) continue;  // not one of our Gateways: not ours to report on
      Attachment a = attach(route, p, it->second);
      hosts.insert(a.hosts.begin(), a.hosts.end());
      parents.emplace_back(p, std::move(a));
    }
    if (parents.empty()) return;
    std::string refs_reason, refs_message, unsupported;
    if (!hosts.empty()) unsupported = rules(route, hosts, refs_reason, refs_message);
    for (auto& [ref, a] : parents) {
      if (a.accepted() && !unsupported.empty()) {
        a.reason = "UnsupportedValue";
        a.message = unsupported;
      }
      kube::GwRouteParentStatus ps;
      ps.parent_ref = ref;
      ps.conditions = {cond("Accepted", a.accepted(), a.reason, a.message, gen),
                       cond("ResolvedRefs", refs_reason.empty(), refs_reason.empty() ? "ResolvedRefs" : refs_reason,
                            refs_message, gen)};
      update.parents.push_back(std::move(ps));
    }
    out_.http_route_statuses.push_back(std::move(update));
  }

  void finish() {
    for (auto& [key, state] : gateways_) {
      const kube::Gateway& gw = *state.gateway;
      GatewayStatusUpdate u{gw.metadata.namespace_name, gw.metadata.name, {}};
      for (const kube::LoadBalancerIngress& a : options_.status_addresses)
        u.status.addresses.emplace_back(a.ip.empty() ? "Hostname" : "IPAddress", a.ip.empty() ? a.hostname : a.ip);
      bool any_accepted = false, any_valid = false;
      for (ListenerState& ls : state.listeners) {
        any_accepted |= ls.status.conditions[0].status == "True";
        any_valid |= ls.valid;
        u.status.listeners.push_back(std::move(ls.status));
      }
      const int64_t gen = gw.metadata.generation;
      u.status.conditions = {
          cond("Accepted", any_accepted, any_accepted ? "Accepted" : "ListenersNotValid", "", gen),
          cond("Programmed", any_valid, any_valid ? "Programmed" : "Invalid", "", gen)};
      out_.gateway_statuses.push_back(std::move(u));
    }
    std::sort(out_.http_route_statuses.begin(), out_.http_route_statuses.end(), [](const auto& a, const auto& b) {
      return std::tie(a.namespace_name, a.name) < std::tie(b.namespace_name, b.name);
    });
    std::sort(out_.gateway_class_statuses.begin(), out_.gateway_class_statuses.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
  }

  const Snapshot& snapshot_;
  const Options& options_;
  TlsCertificates& tls_;
  const GwBackendResolver& resolve_;
  Output& out_;
  GatewayRender render_;
  std::set<std::string> our_classes_;
  std::map<std::string, GatewayState> gateways_;  // "ns/name", sorted
  std::set<std::string> seen_;
};

}  // namespace

std::vector<std::string> intersect_hostnames(const std::optional<std::string>& listener_host,
                                             const std::vector<std::string>& route_hosts) {
  if (!listener_host || listener_host->empty()) return route_hosts.empty() ? std::vector<std::string>{""} : route_hosts;
  const std::string& l = *listener_host;
  if (route_hosts.empty()) return {l};
  std::vector<std::string> out;
  for (const std::string& r : route_hosts) {
    if (r == l) out.push_back(r);
    else if (l.starts_with("*.") && !r.starts_with("*.") && covers(l, r)) out.push_back(r);
    else if (r.starts_with("*.") && !l.starts_with("*.") && covers(r, l)) out.push_back(l);
    else if (l.starts_with("*.") && r.starts_with("*.")) {
      if (covers(l, r.substr(2))) out.push_back(r);       // *.a.example.com within *.example.com
      else if (covers(r, l.substr(2))) out.push_back(l);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool parse_gateway_duration(const std::string& text, int64_t& seconds) {
  seconds = 0;
  size_t i = 0, parts = 0;
  int64_t millis = 0;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && j - i < 5 && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
    if (j == i) return false;
    const int64_t n = std::stoll(text.substr(i, j - i));
    if (text.compare(j, 2, "ms") == 0) millis += n, j += 2;
    else if (j < text.size() && text[j] == 'h') millis += n * 3600000, ++j;
    else if (j < text.size() && text[j] == 'm') millis += n * 60000, ++j;
    else if (j < text.size() && text[j] == 's') millis += n * 1000, ++j;
    else return false;
    if (++parts > 4) return false;
    i = j;
  }
  seconds = (millis + 999) / 1000;
  return parts > 0;
}

bool reference_granted(const std::vector<kube::ReferenceGrant>& grants, const std::string& from_kind,
                       const std::string& from_ns, const std::string& to_group, const std::string& to_kind,
                       const std::string& to_ns, const std::string& to_name) {
  for (const kube::ReferenceGrant& g : grants) {
    if (g.metadata.namespace_name != to_ns) continue;
    const bool from_ok = std::any_of(g.from.begin(), g.from.end(), [&](const kube::ReferenceGrant::From& f) {
      return f.group == kube::kGatewayGroup && f.kind == from_kind && f.namespace_name == from_ns;
    });
    const bool to_ok = std::any_of(g.to.begin(), g.to.end(), [&](const kube::ReferenceGrant::To& t) {
      return t.group == to_group && t.kind == to_kind && (!t.name || t.name->empty() || *t.name == to_name);
    });
    if (from_ok && to_ok) return true;
  }
  return false;
}

GatewayRender render_gateway_api(const Snapshot& snapshot, const Options& options, TlsCertificates& tls,
                                 const GwBackendResolver& resolve, Output& out) {
  return GatewayApi(snapshot, options, tls, resolve, out).run();
}

}  // namespace kb::controller::reconcile
