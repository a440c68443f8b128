#include "controller/kube/objects/decode.h"

#include <cmath>
#include <limits>

#include <cpprest/asyncrt_utils.h>

namespace kb::controller::kube {
namespace {

using web::json::value;

// Walks one object, collecting errors that name the object and the field path.
class Reader {
 public:
  Reader(std::string object, std::vector<DecodeError>& errors) : object_(std::move(object)), errors_(errors) {}

  void error(const std::string& path, const std::string& message) { errors_.push_back({object_, path, message}); }

  // The member `key` of `obj`, or nullptr when obj is not an object, the key is absent or null.
  static const value* child(const value& obj, const char* key) {
    if (!obj.is_object()) return nullptr;
    const auto& o = obj.as_object();
    auto it = o.find(key);
    if (it == o.end() || it->second.is_null()) return nullptr;
    return &it->second;
  }

  // An object-valued member; reports a wrong type.
  const value* object(const value& obj, const char* key, const std::string& path) {
    const value* v = child(obj, key);
    if (v != nullptr && !v->is_object()) {
      error(path, "expected an object");
      return nullptr;
    }
    return v;
  }

  const value* array(const value& obj, const char* key, const std::string& path) {
    const value* v = child(obj, key);
    if (v != nullptr && !v->is_array()) {
      error(path, "expected a list");
      return nullptr;
    }
    return v;
  }

  bool string(const value& obj, const char* key, const std::string& path, std::string& out) {
    const value* v = child(obj, key);
    if (v == nullptr) return false;
    if (!v->is_string()) {
      error(path, "expected a string");
      return false;
    }
    out = v->as_string();
    return true;
  }

  void string(const value& obj, const char* key, const std::string& path, std::optional<std::string>& out) {
    std::string s;
    if (string(obj, key, path, s)) out = std::move(s);
  }

  bool boolean(const value& obj, const char* key, const std::string& path, bool& out) {
    const value* v = child(obj, key);
    if (v == nullptr) return false;
    if (!v->is_boolean()) {
      error(path, "expected true or false");
      return false;
    }
    out = v->as_bool();
    return true;
  }

  void boolean(const value& obj, const char* key, const std::string& path, std::optional<bool>& out) {
    bool b = false;
    if (boolean(obj, key, path, b)) out = b;
  }

  bool integer(const value& v, const std::string& path, int64_t& out, int64_t min, int64_t max) {
    if (!v.is_number() || !v.as_number().is_int64()) {
      error(path, "expected an integer");
      return false;
    }
    int64_t n = v.as_number().to_int64();
    if (n < min || n > max) {
      error(path, "must be between " + std::to_string(min) + " and " + std::to_string(max));
      return false;
    }
    out = n;
    return true;
  }

  bool integer(const value& obj, const char* key, const std::string& path, int64_t& out,
               int64_t min = std::numeric_limits<int64_t>::min(), int64_t max = std::numeric_limits<int64_t>::max()) {
    const value* v = child(obj, key);
    return v != nullptr && integer(*v, path, out, min, max);
  }

  void integer(const value& obj, const char* key, const std::string& path, std::optional<int64_t>& out) {
    int64_t n = 0;
    if (integer(obj, key, path, n)) out = n;
  }

  void int32(const value& obj, const char* key, const std::string& path, int32_t& out) {
    int64_t n = 0;
    if (integer(obj, key, path, n, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max())) {
      out = static_cast<int32_t>(n);
    }
  }

  void number(const value& obj, const char* key, const std::string& path, std::optional<double>& out) {
    const value* v = child(obj, key);
    if (v == nullptr) return;
    if (!v->is_number() || !std::isfinite(v->as_double())) {
      error(path, "expected a number");
      return;
    }
    out = v->as_double();
  }

  // A duration: "5s", "500ms", or an integer number of seconds (kept as text; parsed later).
  void duration(const value& obj, const char* key, const std::string& path, std::optional<std::string>& out) {
    const value* v = child(obj, key);
    if (v == nullptr) return;
    if (v->is_string()) {
      out = v->as_string();
    } else if (v->is_number() && v->as_number().is_int64()) {
      out = std::to_string(v->as_number().to_int64());
    } else {
      error(path, "expected a duration (\"5s\", \"500ms\" or integer seconds)");
    }
  }

  void int_or_string(const value& obj, const char* key, const std::string& path, IntOrString& out) {
    const value* v = child(obj, key);
    if (v == nullptr) return;
    if (v->is_string()) {
      out.is_int = false;
      out.str_value = v->as_string();
    } else if (v->is_number() && v->as_number().is_int64()) {
      out.is_int = true;
      out.int_value = v->as_number().to_int64();
    } else {
      error(path, "expected an integer or a string");
    }
  }

  void string_map(const value& obj, const char* key, const std::string& path, std::map<std::string, std::string>& out) {
    const value* m = object(obj, key, path);
    if (m == nullptr) return;
    for (const auto& [k, v] : m->as_object()) {
      if (v.is_string()) {
        out[k] = v.as_string();
      } else {
        error(path + "[" + k + "]", "expected a string");
      }
    }
  }

  void string_list(const value& obj, const char* key, const std::string& path, std::vector<std::string>& out) {
    const value* a = array(obj, key, path);
    if (a == nullptr) return;
    size_t i = 0;
    for (const auto& item : a->as_array()) {
      if (item.is_string()) {
        out.push_back(item.as_string());
      } else {
        error(path + "[" + std::to_string(i) + "]", "expected a string");
      }
      ++i;
    }
  }

 private:
  std::string object_;
  std::vector<DecodeError>& errors_;
};

std::string idx(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

// Reads metadata; the object name for errors is "<Kind> <namespace>/<name>".
bool read_meta(const value& json, const char* kind, ObjectMeta& out, std::vector<DecodeError>& errors,
               std::string& object_name) {
  object_name = kind;
  if (!json.is_object()) {
    errors.push_back({object_name, "", "expected a JSON object"});
    return false;
  }
  if (!decode_object_meta(json, out, errors)) {
    errors.back().object = object_name;
    return false;
  }
  object_name = std::string(kind) + " " + out.key();
  return true;
}

void read_backend(Reader& r, const value& b, const std::string& path, IngressBackend& out) {
  if (const value* s = r.object(b, "service", path + ".service")) {
    IngressServiceBackend svc;
    r.string(*s, "name", path + ".service.name", svc.name);
    if (const value* p = r.object(*s, "port", path + ".service.port")) {
      r.int32(*p, "number", path + ".service.port.number", svc.port.number);
      r.string(*p, "name", path + ".service.port.name", svc.port.name);
    }
    out.service = std::move(svc);
  }
  if (const value* res = r.object(b, "resource", path + ".resource")) {
    TypedLocalObjectReference ref;
    r.string(*res, "apiGroup", path + ".resource.apiGroup", ref.api_group);
    r.string(*res, "kind", path + ".resource.kind", ref.kind);
    r.string(*res, "name", path + ".resource.name", ref.name);
    out.resource = std::move(ref);
  }
}

void read_condition(Reader& r, const value& c, const std::string& path, Condition& out) {
  r.string(c, "type", path + ".type", out.type);
  r.string(c, "status", path + ".status", out.status);
  r.string(c, "reason", path + ".reason", out.reason);
  r.string(c, "message", path + ".message", out.message);
  r.integer(c, "observedGeneration", path + ".observedGeneration", out.observed_generation);
  r.string(c, "lastTransitionTime", path + ".lastTransitionTime", out.last_transition_time);
}

// Member status flags: a string ("+H") or a list of flags (["H", "-E"]) folded into one string.
void read_status_flags(Reader& r, const value& obj, const std::string& path, std::optional<std::string>& out) {
  const value* v = Reader::child(obj, "status");
  if (v == nullptr) return;
  if (v->is_string()) {
    out = v->as_string();
    return;
  }
  if (!v->is_array()) {
    r.error(path, "expected a string (\"+H\") or a list of flags");
    return;
  }
  std::string text;
  size_t i = 0;
  for (const auto& item : v->as_array()) {
    if (!item.is_string()) {
      r.error(idx(path, i), "expected a string");
    } else {
      std::string flag = item.as_string();
      if (!flag.empty() && flag[0] != '+' && flag[0] != '-') text += '+';
      text += flag;
    }
    ++i;
  }
  out = text;
}

void read_spec_members(Reader& r, const value& spec, BalancerClusterSpec& out) {
  const value* members = r.array(spec, "members", "spec.members");
  if (members == nullptr) return;
  out.members.emplace();
  size_t i = 0;
  for (const auto& m : members->as_array()) {
    const std::string path = idx("spec.members", i++);
    if (!m.is_object()) {
      r.error(path, "expected an object");
      continue;
    }
    BcMember member;
    r.string(m, "url", path + ".url", member.url);
    r.string(m, "name", path + ".name", member.name);
    r.string(m, "route", path + ".route", member.route);
    r.string(m, "redirect", path + ".redirect", member.redirect);
    r.number(m, "loadFactor", path + ".loadFactor", member.load_factor);
    r.integer(m, "lbSet", path + ".lbSet", member.lb_set);
    read_status_flags(r, m, path + ".status", member.status);
    r.duration(m, "retry", path + ".retry", member.retry);
    r.duration(m, "timeout", path + ".timeout", member.timeout);
    r.duration(m, "connectionTimeout", path + ".connectionTimeout", member.connection_timeout);
    out.members->push_back(std::move(member));
  }
}

void read_spec_overrides(Reader& r, const value& spec, BalancerClusterSpec& out) {
  const value* overrides = r.array(spec, "memberOverrides", "spec.memberOverrides");
  if (overrides == nullptr) return;
  size_t i = 0;
  for (const auto& o : overrides->as_array()) {
    const std::string path = idx("spec.memberOverrides", i++);
    if (!o.is_object()) {
      r.error(path, "expected an object");
      continue;
    }
    BcMemberOverride ov;
    if (const value* sel = r.object(o, "selector", path + ".selector")) {
      r.string(*sel, "podName", path + ".selector.podName", ov.pod_name);
      r.string(*sel, "address", path + ".selector.address", ov.address);
    }
    r.string(o, "route", path + ".route", ov.route);
    r.number(o, "loadFactor", path + ".loadFactor", ov.load_factor);
    r.integer(o, "lbSet", path + ".lbSet", ov.lb_set);
    read_status_flags(r, o, path + ".status", ov.status);
    out.member_overrides.push_back(std::move(ov));
  }
}

void read_spec(Reader& r, const value& spec, BalancerClusterSpec& out) {
  if (const value* s = r.object(spec, "service", "spec.service")) {
    BcServiceRef ref;
    r.string(*s, "name", "spec.service.name", ref.name);
    r.int_or_string(*s, "port", "spec.service.port", ref.port);
    out.service = std::move(ref);
  }
  read_spec_members(r, spec, out);
  r.string(spec, "lbMethod", "spec.lbMethod", out.lb_method);
  r.string(spec, "stickySession", "spec.stickySession", out.sticky_session);
  r.string(spec, "stickySessionSep", "spec.stickySessionSep", out.sticky_session_sep);
  r.boolean(spec, "scolonPathDelim", "spec.scolonPathDelim", out.scolon_path_delim);
  r.boolean(spec, "noFailover", "spec.noFailover", out.no_failover);
  r.integer(spec, "maxAttempts", "spec.maxAttempts", out.max_attempts);
  r.duration(spec, "timeout", "spec.timeout", out.timeout);
  if (const value* f = r.array(spec, "failOnStatus", "spec.failOnStatus")) {
    out.fail_on_status.emplace();
    size_t i = 0;
    for (const auto& code : f->as_array()) {
      int64_t n = 0;
      if (r.integer(code, idx("spec.failOnStatus", i), n, 100, 599)) out.fail_on_status->push_back(n);
      ++i;
    }
  }
  r.boolean(spec, "failOnTimeout", "spec.failOnTimeout", out.fail_on_timeout);
  r.boolean(spec, "forceRecovery", "spec.forceRecovery", out.force_recovery);
  r.duration(spec, "proxyTimeout", "spec.proxyTimeout", out.proxy_timeout);
  r.duration(spec, "connectionTimeout", "spec.connectionTimeout", out.connection_timeout);
  r.boolean(spec, "preserveHost", "spec.preserveHost", out.preserve_host);
  if (const value* c = r.object(spec, "routeCookie", "spec.routeCookie")) {
    BcRouteCookie rc;
    r.string(*c, "name", "spec.routeCookie.name", rc.name);
    r.string(*c, "path", "spec.routeCookie.path", rc.path);
    r.boolean(*c, "httpOnly", "spec.routeCookie.httpOnly", rc.http_only);
    r.boolean(*c, "secure", "spec.routeCookie.secure", rc.secure);
    r.string(*c, "sameSite", "spec.routeCookie.sameSite", rc.same_site);
    r.integer(*c, "maxAge", "spec.routeCookie.maxAge", rc.max_age);
    out.route_cookie = std::move(rc);
  }
  if (const value* h = r.object(spec, "healthCheck", "spec.healthCheck")) {
    BcHealthCheck hc;
    r.string(*h, "method", "spec.healthCheck.method", hc.method);
    r.string(*h, "uri", "spec.healthCheck.uri", hc.uri);
    r.duration(*h, "interval", "spec.healthCheck.interval", hc.interval);
    r.integer(*h, "passes", "spec.healthCheck.passes", hc.passes);
    r.integer(*h, "fails", "spec.healthCheck.fails", hc.fails);
    r.string(*h, "expectStatus", "spec.healthCheck.expectStatus", hc.expect_status);
    r.string(*h, "expectBody", "spec.healthCheck.expectBody", hc.expect_body);
    out.health_check = std::move(hc);
  }
  if (const value* h = r.object(spec, "heartbeat", "spec.heartbeat")) {
    BcHeartbeat hb;
    r.string(*h, "path", "spec.heartbeat.path", hb.path);
    r.duration(*h, "interval", "spec.heartbeat.interval", hb.interval);
    r.duration(*h, "maxAge", "spec.heartbeat.maxAge", hb.max_age);
    out.heartbeat = std::move(hb);
  }
  read_spec_overrides(r, spec, out);
  r.string(spec, "routeFrom", "spec.routeFrom", out.route_from);
}

void read_bc_status(Reader& r, const value& status, BalancerClusterStatus& out) {
  r.integer(status, "observedGeneration", "status.observedGeneration", out.observed_generation);
  if (const value* conds = r.array(status, "conditions", "status.conditions")) {
    size_t i = 0;
    for (const auto& c : conds->as_array()) {
      Condition cond;
      read_condition(r, c, idx("status.conditions", i++), cond);
      out.conditions.push_back(std::move(cond));
    }
  }
  if (const value* members = r.array(status, "members", "status.members")) {
    size_t i = 0;
    for (const auto& m : members->as_array()) {
      const std::string path = idx("status.members", i++);
      BcMemberStatus ms;
      r.string(m, "name", path + ".name", ms.name);
      r.string(m, "route", path + ".route", ms.route);
      r.string(m, "address", path + ".address", ms.address);
      r.string(m, "status", path + ".status", ms.status);
      r.boolean(m, "healthy", path + ".healthy", ms.healthy);
      r.integer(m, "elected", path + ".elected", ms.elected);
      r.integer(m, "busy", path + ".busy", ms.busy);
      r.integer(m, "bytesIn", path + ".bytesIn", ms.bytes_in);
      r.integer(m, "bytesOut", path + ".bytesOut", ms.bytes_out);
      r.string(m, "lastHealthCheck", path + ".lastHealthCheck", ms.last_health_check);
      out.members.push_back(std::move(ms));
    }
  }
  r.integer(status, "healthyMembers", "status.healthyMembers", out.healthy_members);
  r.integer(status, "totalMembers", "status.totalMembers", out.total_members);
  r.string(status, "healthSummary", "status.healthSummary", out.health_summary);
}

}  // namespace

std::string DecodeError::to_string() const {
  std::string s = object;
  if (!field.empty()) s += ": " + field;
  return s + ": " + message;
}

bool decode_object_meta(const value& json, ObjectMeta& out, std::vector<DecodeError>& errors) {
  Reader r("object", errors);
  const value* meta = r.object(json, "metadata", "metadata");
  if (meta == nullptr || !r.string(*meta, "name", "metadata.name", out.name) || out.name.empty()) {
    errors.push_back({"object", "metadata.name", "missing"});
    return false;
  }
  r.string(*meta, "namespace", "metadata.namespace", out.namespace_name);
  r.string(*meta, "uid", "metadata.uid", out.uid);
  r.integer(*meta, "generation", "metadata.generation", out.generation);
  r.string(*meta, "resourceVersion", "metadata.resourceVersion", out.resource_version);
  r.string(*meta, "creationTimestamp", "metadata.creationTimestamp", out.creation_timestamp);
  r.string_map(*meta, "annotations", "metadata.annotations", out.annotations);
  r.string_map(*meta, "labels", "metadata.labels", out.labels);
  return true;
}

bool decode_ingress(const value& json, Ingress& out, std::vector<DecodeError>& errors) {
  std::string name;
  if (!read_meta(json, "Ingress", out.metadata, errors, name)) return false;
  Reader r(name, errors);
  if (const value* spec = r.object(json, "spec", "spec")) {
    r.string(*spec, "ingressClassName", "spec.ingressClassName", out.ingress_class_name);
    if (const value* b = r.object(*spec, "defaultBackend", "spec.defaultBackend")) {
      IngressBackend backend;
      read_backend(r, *b, "spec.defaultBackend", backend);
      out.default_backend = std::move(backend);
    }
    if (const value* rules = r.array(*spec, "rules", "spec.rules")) {
      size_t i = 0;
      for (const auto& rule_json : rules->as_array()) {
        const std::string path = idx("spec.rules", i++);
        if (!rule_json.is_object()) {
          r.error(path, "expected an object");
          continue;
        }
        IngressRule rule;
        r.string(rule_json, "host", path + ".host", rule.host);
        if (const value* http = r.object(rule_json, "http", path + ".http")) {
          rule.has_http = true;
          if (const value* paths = r.array(*http, "paths", path + ".http.paths")) {
            size_t j = 0;
            for (const auto& p : paths->as_array()) {
              const std::string ppath = idx(path + ".http.paths", j++);
              if (!p.is_object()) {
                r.error(ppath, "expected an object");
                continue;
              }
              HttpIngressPath hp;
              r.string(p, "path", ppath + ".path", hp.path);
              r.string(p, "pathType", ppath + ".pathType", hp.path_type);
              if (const value* b = r.object(p, "backend", ppath + ".backend")) read_backend(r, *b, ppath + ".backend", hp.backend);
              rule.paths.push_back(std::move(hp));
            }
          }
        }
        out.rules.push_back(std::move(rule));
      }
    }
    if (const value* tls = r.array(*spec, "tls", "spec.tls")) {
      size_t i = 0;
      for (const auto& t : tls->as_array()) {
        const std::string path = idx("spec.tls", i++);
        IngressTls entry;
        r.string_list(t, "hosts", path + ".hosts", entry.hosts);
        r.string(t, "secretName", path + ".secretName", entry.secret_name);
        out.tls.push_back(std::move(entry));
      }
    }
  }
  if (const value* status = r.object(json, "status", "status")) {
    if (const value* lb = r.object(*status, "loadBalancer", "status.loadBalancer")) {
      if (const value* ing = r.array(*lb, "ingress", "status.loadBalancer.ingress")) {
        size_t i = 0;
        for (const auto& e : ing->as_array()) {
          const std::string path = idx("status.loadBalancer.ingress", i++);
          LoadBalancerIngress lbi;
          r.string(e, "ip", path + ".ip", lbi.ip);
          r.string(e, "hostname", path + ".hostname", lbi.hostname);
          out.status.load_balancer.push_back(std::move(lbi));
        }
      }
    }
  }
  return true;
}

bool decode_ingress_class(const value& json, IngressClass& out, std::vector<DecodeError>& errors) {
  std::string name;
  if (!read_meta(json, "IngressClass", out.metadata, errors, name)) return false;
  Reader r(name, errors);
  if (const value* spec = r.object(json, "spec", "spec")) r.string(*spec, "controller", "spec.controller", out.controller);
  return true;
}

bool decode_service(const value& json, Service& out, std::vector<DecodeError>& errors) {
  std::string name;
  if (!read_meta(json, "Service", out.metadata, errors, name)) return false;
  Reader r(name, errors);
  if (const value* spec = r.object(json, "spec", "spec")) {
    r.string(*spec, "type", "spec.type", out.type);
    r.string_map(*spec, "selector", "spec.selector", out.selector);
    if (const value* ports = r.array(*spec, "ports", "spec.ports")) {
      size_t i = 0;
      for (const auto& p : ports->as_array()) {
        const std::string path = idx("spec.ports", i++);
        if (!p.is_object()) {
          r.error(path, "expected an object");
          continue;
        }
        ServicePort port;
        r.string(p, "name", path + ".name", port.name);
        r.string(p, "protocol", path + ".protocol", port.protocol);
        r.int32(p, "port", path + ".port", port.port);
        r.int_or_string(p, "targetPort", path + ".targetPort", port.target_port);
        out.ports.push_back(std::move(port));
      }
    }
  }
  return true;
}

bool decode_endpoint_slice(const value& json, EndpointSlice& out, std::vector<DecodeError>& errors) {
  std::string name;
  if (!read_meta(json, "EndpointSlice", out.metadata, errors, name)) return false;
  Reader r(name, errors);
  r.string(json, "addressType", "addressType", out.address_type);
  if (const value* ports = r.array(json, "ports", "ports")) {
    size_t i = 0;
    for (const auto& p : ports->as_array()) {
      const std::string path = idx("ports", i++);
      if (!p.is_object()) {
        r.error(path, "expected an object");
        continue;
      }
      EndpointPort port;
      r.string(p, "name", path + ".name", port.name);
      r.string(p, "protocol", path + ".protocol", port.protocol);
      int64_t n = 0;
      if (r.integer(p, "port", path + ".port", n, 0, 65535)) port.port = static_cast<int32_t>(n);
      out.ports.push_back(std::move(port));
    }
  }
  if (const value* endpoints = r.array(json, "endpoints", "endpoints")) {
    size_t i = 0;
    for (const auto& e : endpoints->as_array()) {
      const std::string path = idx("endpoints", i++);
      if (!e.is_object()) {
        r.error(path, "expected an object");
        continue;
      }
      Endpoint ep;
      r.string_list(e, "addresses", path + ".addresses", ep.addresses);
      if (const value* c = r.object(e, "conditions", path + ".conditions")) {
        r.boolean(*c, "ready", path + ".conditions.ready", ep.conditions.ready);
        r.boolean(*c, "serving", path + ".conditions.serving", ep.conditions.serving);
        r.boolean(*c, "terminating", path + ".conditions.terminating", ep.conditions.terminating);
      }
      if (const value* t = r.object(e, "targetRef", path + ".targetRef")) {
        ObjectReference ref;
        r.string(*t, "kind", path + ".targetRef.kind", ref.kind);
        r.string(*t, "namespace", path + ".targetRef.namespace", ref.namespace_name);
        r.string(*t, "name", path + ".targetRef.name", ref.name);
        r.string(*t, "uid", path + ".targetRef.uid", ref.uid);
        ep.target_ref = std::move(ref);
      }
      r.string(e, "nodeName", path + ".nodeName", ep.node_name);
      r.string(e, "hostname", path + ".hostname", ep.hostname);
      out.endpoints.push_back(std::move(ep));
    }
  }
  return true;
}

bool decode_secret(const value& json, Secret& out, std::vector<DecodeError>& errors) {
  std::string name;
  if (!read_meta(json, "Secret", out.metadata, errors, name)) return false;
  Reader r(name, errors);
  r.string(json, "type", "type", out.type);
  std::map<std::string, std::string> data;
  r.string_map(json, "data", "data", data);
  for (auto [key, target] : {std::pair{"tls.crt", &out.certificate}, std::pair{"tls.key", &out.key}}) {
    auto it = data.find(key);
    if (it == data.end()) continue;
    try {
      const std::vector<unsigned char> bytes = utility::conversions::from_base64(it->second);
      target->assign(bytes.begin(), bytes.end());
    } catch (const std::exception&) {
      r.error(std::string("data[") + key + "]", "not valid base64");
    }
  }
  return true;
}

bool decode_balancer_cluster(const value& json, BalancerCluster& out, std::vector<DecodeError>& errors) {
  std::string name;
  if (!read_meta(json, "BalancerCluster", out.metadata, errors, name)) return false;
  Reader r(name, errors);
  if (const value* spec = r.object(json, "spec", "spec")) read_spec(r, *spec, out.spec);
  if (const value* status = r.object(json, "status", "status")) read_bc_status(r, *status, out.status);
  return true;
}

web::json::value encode_balancer_cluster_status(const BalancerClusterStatus& status) {
  value out = value::object();
  out["observedGeneration"] = value::number(status.observed_generation);
  value conditions = value::array();
  size_t i = 0;
  for (const auto& c : status.conditions) {
    value cj = value::object();
    cj["type"] = value::string(c.type);
    cj["status"] = value::string(c.status);
    cj["reason"] = value::string(c.reason);
    cj["message"] = value::string(c.message);
    cj["observedGeneration"] = value::number(c.observed_generation);
    // The status writer stamps the time; an empty one is left out rather than sent invalid.
    if (!c.last_transition_time.empty()) cj["lastTransitionTime"] = value::string(c.last_transition_time);
    conditions[i++] = cj;
  }
  out["conditions"] = conditions;
  value members = value::array();
  i = 0;
  for (const auto& m : status.members) {
    value mj = value::object();
    mj["name"] = value::string(m.name);
    mj["route"] = value::string(m.route);
    mj["address"] = value::string(m.address);
    mj["status"] = value::string(m.status);
    mj["healthy"] = value::boolean(m.healthy);
    mj["elected"] = value::number(m.elected);
    mj["busy"] = value::number(m.busy);
    mj["bytesIn"] = value::number(m.bytes_in);
    mj["bytesOut"] = value::number(m.bytes_out);
    if (!m.last_health_check.empty()) mj["lastHealthCheck"] = value::string(m.last_health_check);
    members[i++] = mj;
  }
  out["members"] = members;
  out["healthyMembers"] = value::number(status.healthy_members);
  out["totalMembers"] = value::number(status.total_members);
  out["healthSummary"] = value::string(status.health_summary);
  return out;
}

web::json::value encode_ingress_status(const IngressStatus& status) {
  value ingress = value::array();
  size_t i = 0;
  for (const auto& lb : status.load_balancer) {
    value e = value::object();
    if (!lb.ip.empty()) e["ip"] = value::string(lb.ip);
    if (!lb.hostname.empty()) e["hostname"] = value::string(lb.hostname);
    ingress[i++] = e;
  }
  value lb = value::object();
  lb["ingress"] = ingress;
  value out = value::object();
  out["loadBalancer"] = lb;
  return out;
}

// ---- Gateway API ------------------------------------------------------------------------------

namespace {

void read_gw_ref(Reader& r, const value& v, const std::string& path, GwRef& out) {
  r.string(v, "group", path + ".group", out.group);
  r.string(v, "kind", path + ".kind", out.kind);
  r.string(v, "name", path + ".name", out.name);
  r.string(v, "namespace", path + ".namespace", out.namespace_name);
}

// For each object of the list `key`, calls fn(item, "path[i]").
template <typename Fn>
void each(Reader& r, const value& obj, const char* key, const std::string& path, Fn fn) {
  const value* a = r.array(obj, key, path);
  if (a == nullptr) return;
  size_t i = 0;
  for (const auto& item : a->as_array()) {
    const std::string p = idx(path, i++);
    if (!item.is_object()) {
      r.error(p, "expected an object");
      continue;
    }
    fn(item, p);
  }
}

void read_listener(Reader& r, const value& l, const std::string& path, GwListener& out) {
  r.string(l, "name", path + ".name", out.name);
  r.string(l, "hostname", path + ".hostname", out.hostname);
  r.int32(l, "port", path + ".port", out.port);
  r.string(l, "protocol", path + ".protocol", out.protocol);
  if (const value* tls = r.object(l, "tls", path + ".tls")) {
    r.string(*tls, "mode", path + ".tls.mode", out.tls_mode);
    each(r, *tls, "certificateRefs", path + ".tls.certificateRefs", [&](const value& c, const std::string& p) {
      GwRef ref{"", "Secret", "", std::nullopt};
      read_gw_ref(r, c, p, ref);
      out.certificate_refs.push_back(std::move(ref));
    });
  }
  if (const value* ar = r.object(l, "allowedRoutes", path + ".allowedRoutes")) {
    if (const value* ns = r.object(*ar, "namespaces", path + ".allowedRoutes.namespaces"))
      r.string(*ns, "from", path + ".allowedRoutes.namespaces.from", out.allowed_from);
    each(r, *ar, "kinds", path + ".allowedRoutes.kinds", [&](const value& k, const std::string& p) {
      std::string group = kGatewayGroup, kind;
      r.string(k, "group", p + ".group", group);
      r.string(k, "kind", p + ".kind", kind);
      out.allowed_kinds.emplace_back(group, kind);
    });
  }
}

void read_value_matches(Reader& r, const value& m, const char* key, const std::string& path,
                        std::vector<GwValueMatch>& out) {
  each(r, m, key, path, [&](const value& v, const std::string& p) {
    GwValueMatch vm;
    r.string(v, "type", p + ".type", vm.type);
    r.string(v, "name", p + ".name", vm.name);
    r.string(v, "value", p + ".value", vm.value);
    out.push_back(std::move(vm));
  });
}

void read_header_filter(Reader& r, const value& f, const std::string& path, GwHeaderFilter& out) {
  for (auto [key, list] : {std::pair{"set", &out.set}, std::pair{"add", &out.add}}) {
    each(r, f, key, path + "." + key, [&](const value& v, const std::string& p) {
      std::string name, val;
      r.string(v, "name", p + ".name", name);
      r.string(v, "value", p + ".value", val);
      list->emplace_back(name, val);
    });
  }
  r.string_list(f, "remove", path + ".remove", out.remove);
}

void read_path_modifier(Reader& r, const value& f, const std::string& path, std::optional<GwPathModifier>& out) {
  const value* p = r.object(f, "path", path + ".path");
  if (p == nullptr) return;
  GwPathModifier m;
  r.string(*p, "type", path + ".path.type", m.type);
  r.string(*p, "replaceFullPath", path + ".path.replaceFullPath", m.replace_full_path);
  r.string(*p, "replacePrefixMatch", path + ".path.replacePrefixMatch", m.replace_prefix_match);
  out = std::move(m);
}

void read_filter(Reader& r, const value& f, const std::string& path, GwFilter& out) {
  r.string(f, "type", path + ".type", out.type);
  if (const value* h = r.object(f, "requestHeaderModifier", path + ".requestHeaderModifier"))
    read_header_filter(r, *h, path + ".requestHeaderModifier", out.headers);
  if (const value* h = r.object(f, "responseHeaderModifier", path + ".responseHeaderModifier"))
    read_header_filter(r, *h, path + ".responseHeaderModifier", out.headers);
  if (const value* rr = r.object(f, "requestRedirect", path + ".requestRedirect")) {
    const std::string p = path + ".requestRedirect";
    r.string(*rr, "scheme", p + ".scheme", out.scheme);
    r.string(*rr, "hostname", p + ".hostname", out.hostname);
    int32_t port = 0;
    r.int32(*rr, "port", p + ".port", port);
    if (port != 0) out.port = port;
    r.int32(*rr, "statusCode", p + ".statusCode", out.status_code);
    read_path_modifier(r, *rr, p, out.path);
  }
  if (const value* rw = r.object(f, "urlRewrite", path + ".urlRewrite")) {
    r.string(*rw, "hostname", path + ".urlRewrite.hostname", out.hostname);
    read_path_modifier(r, *rw, path + ".urlRewrite", out.path);
  }
}

void read_session(Reader& r, const value& sp, const std::string& path, GwSessionPersistence& out) {
  r.string(sp, "type", path + ".type", out.type);
  r.string(sp, "sessionName", path + ".sessionName", out.name);
  r.string(sp, "absoluteTimeout", path + ".absoluteTimeout", out.absolute_timeout);
  if (const value* cc = r.object(sp, "cookieConfig", path + ".cookieConfig"))
    r.string(*cc, "lifetimeType", path + ".cookieConfig.lifetimeType", out.lifetime);
  if (const value* c = r.object(sp, "cookie", path + ".cookie")) {
    r.string(*c, "name", path + ".cookie.name", out.name);
    r.string(*c, "lifetimeType", path + ".cookie.lifetimeType", out.lifetime);
    r.string(*c, "path", path + ".cookie.path", out.path);
  }
  if (const value* h = r.object(sp, "header", path + ".header")) r.string(*h, "name", path + ".header.name", out.name);
}

void read_rule(Reader& r, const value& rule, const std::string& path, GwRouteRule& out) {
  if (const value* sp = r.object(rule, "sessionPersistence", path + ".sessionPersistence")) {
    GwSessionPersistence session;
    read_session(r, *sp, path + ".sessionPersistence", session);
    out.session = std::move(session);
  }
  each(r, rule, "matches", path + ".matches", [&](const value& m, const std::string& p) {
    GwRouteMatch match;
    if (const value* pm = r.object(m, "path", p + ".path")) {
      r.string(*pm, "type", p + ".path.type", match.path_type);
      r.string(*pm, "value", p + ".path.value", match.path_value);
    }
    read_value_matches(r, m, "headers", p + ".headers", match.headers);
    read_value_matches(r, m, "queryParams", p + ".queryParams", match.query_params);
    r.string(m, "method", p + ".method", match.method);
    out.matches.push_back(std::move(match));
  });
  each(r, rule, "filters", path + ".filters", [&](const value& f, const std::string& p) {
    GwFilter filter;
    read_filter(r, f, p, filter);
    out.filters.push_back(std::move(filter));
  });
  each(r, rule, "backendRefs", path + ".backendRefs", [&](const value& b, const std::string& p) {
    GwBackendRef ref;
    ref.ref.kind = "Service";
    read_gw_ref(r, b, p, ref.ref);
    int32_t port = 0;
    r.int32(b, "port", p + ".port", port);
    if (port != 0) ref.port = port;
    r.int32(b, "weight", p + ".weight", ref.weight);
    out.backend_refs.push_back(std::move(ref));
  });
}

void conditions_json(value& out, const std::vector<Condition>& conditions) {
  value list = value::array();
  size_t i = 0;
  for (const auto& c : conditions) {
    value cj = value::object();
    cj["type"] = value::string(c.type);
    cj["status"] = value::string(c.status);
    cj["reason"] = value::string(c.reason);
    cj["message"] = value::string(c.message);
    cj["observedGeneration"] = value::number(c.observed_generation);
    if (!c.last_transition_time.empty()) cj["lastTransitionTime"] = value::string(c.last_transition_time);
    list[i++] = cj;
  }
  out["conditions"] = list;
}

}  // namespace

bool decode_gateway_class(const value& json, GatewayClass& out, std::vector<DecodeError>& errors) {
  std::string name;
  if (!read_meta(json, "GatewayClass", out.metadata, errors, name)) return false;
  Reader r(name, errors);
  if (const value* spec = r.object(json, "spec", "spec"))
    r.string(*spec, "controllerName", "spec.controllerName", out.controller_name);
  return true;
}

bool decode_gateway(const value& json, Gateway& out, std::vector<DecodeError>& errors) {
  std::string name;
  if (!read_meta(json, "Gateway", out.metadata, errors, name)) return false;
  Reader r(name, errors);
  if (const value* spec = r.object(json, "spec", "spec")) {
    r.string(*spec, "gatewayClassName", "spec.gatewayClassName", out.gateway_class_name);
    each(r, *spec, "listeners", "spec.listeners", [&](const value& l, const std::string& p) {
      GwListener listener;
      read_listener(r, l, p, listener);
      out.listeners.push_back(std::move(listener));
    });
  }
  return true;
}

bool decode_http_route(const value& json, HttpRoute& out, std::vector<DecodeError>& errors) {
  std::string name;
  if (!read_meta(json, "HTTPRoute", out.metadata, errors, name)) return false;
  Reader r(name, errors);
  const value* spec = r.object(json, "spec", "spec");
  if (spec == nullptr) return true;
  each(r, *spec, "parentRefs", "spec.parentRefs", [&](const value& v, const std::string& p) {
    GwParentRef ref;
    r.string(v, "group", p + ".group", ref.group);
    r.string(v, "kind", p + ".kind", ref.kind);
    r.string(v, "name", p + ".name", ref.name);
    r.string(v, "namespace", p + ".namespace", ref.namespace_name);
    r.string(v, "sectionName", p + ".sectionName", ref.section_name);
    int32_t port = 0;
    r.int32(v, "port", p + ".port", port);
    if (port != 0) ref.port = port;
    out.parent_refs.push_back(std::move(ref));
  });
  r.string_list(*spec, "hostnames", "spec.hostnames", out.hostnames);
  each(r, *spec, "rules", "spec.rules", [&](const value& v, const std::string& p) {
    GwRouteRule rule;
    read_rule(r, v, p, rule);
    out.rules.push_back(std::move(rule));
  });
  return true;
}

bool decode_reference_grant(const value& json, ReferenceGrant& out, std::vector<DecodeError>& errors) {
  std::string name;
  if (!read_meta(json, "ReferenceGrant", out.metadata, errors, name)) return false;
  Reader r(name, errors);
  const value* spec = r.object(json, "spec", "spec");
  if (spec == nullptr) return true;
  each(r, *spec, "from", "spec.from", [&](const value& v, const std::string& p) {
    ReferenceGrant::From f;
    r.string(v, "group", p + ".group", f.group);
    r.string(v, "kind", p + ".kind", f.kind);
    r.string(v, "namespace", p + ".namespace", f.namespace_name);
    out.from.push_back(std::move(f));
  });
  each(r, *spec, "to", "spec.to", [&](const value& v, const std::string& p) {
    ReferenceGrant::To t;
    r.string(v, "group", p + ".group", t.group);
    r.string(v, "kind", p + ".kind", t.kind);
    r.string(v, "name", p + ".name", t.name);
    out.to.push_back(std::move(t));
  });
  return true;
}

web::json::value encode_gateway_class_status(const GatewayClassStatus& status) {
  value out = value::object();
  conditions_json(out, status.conditions);
  value features = value::array();
  size_t i = 0;
  for (const auto& f : status.supported_features) {
    value fj = value::object();
    fj["name"] = value::string(f);
    features[i++] = fj;
  }
  out["supportedFeatures"] = features;
  return out;
}

web::json::value encode_gateway_status(const GatewayStatus& status) {
  value out = value::object();
  value addresses = value::array();
  size_t i = 0;
  for (const auto& [type, v] : status.addresses) {
    value a = value::object();
    a["type"] = value::string(type);
    a["value"] = value::string(v);
    addresses[i++] = a;
  }
  out["addresses"] = addresses;
  conditions_json(out, status.conditions);
  value listeners = value::array();
  i = 0;
  for (const auto& l : status.listeners) {
    value lj = value::object();
    lj["name"] = value::string(l.name);
    value kinds = value::array();
    size_t k = 0;
    for (const auto& [group, kind] : l.supported_kinds) {
      value kj = value::object();
      kj["group"] = value::string(group);
      kj["kind"] = value::string(kind);
      kinds[k++] = kj;
    }
    lj["supportedKinds"] = kinds;
    lj["attachedRoutes"] = value::number(l.attached_routes);
    conditions_json(lj, l.conditions);
    listeners[i++] = lj;
  }
  out["listeners"] = listeners;
  return out;
}

web::json::value encode_route_parent_status(const GwRouteParentStatus& status) {
  value out = value::object();
  value ref = value::object();
  ref["group"] = value::string(status.parent_ref.group);
  ref["kind"] = value::string(status.parent_ref.kind);
  ref["name"] = value::string(status.parent_ref.name);
  if (status.parent_ref.namespace_name) ref["namespace"] = value::string(*status.parent_ref.namespace_name);
  if (status.parent_ref.section_name) ref["sectionName"] = value::string(*status.parent_ref.section_name);
  if (status.parent_ref.port) ref["port"] = value::number(*status.parent_ref.port);
  out["parentRef"] = ref;
  out["controllerName"] = value::string(status.controller_name);
  conditions_json(out, status.conditions);
  return out;
}

}  // namespace kb::controller::kube
