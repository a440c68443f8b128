// BalancerCluster spec -> balancer parameters. Each field that is set replaces the default or the
// Service annotation's value; a bad field is reported with its spec path and left as it was.
#include "controller/reconcile/balancer_settings.h"
#include "controller/reconcile/values.h"
#include "proxy/config/table_yaml.h"

namespace kb::controller::reconcile {
namespace {

namespace cfg = proxy::config;

// Applies an optional duration text to `out`, reporting `field` on error.
void duration(const std::optional<std::string>& text, const char* field, cfg::Duration min, cfg::Duration& out,
              FieldErrors& errors) {
  if (!text) return;
  std::string error;
  if (!parse_duration_min(*text, min, out, error)) errors.push_back({field, error});
}

void integer(const std::optional<int64_t>& value, const char* field, int64_t min, int64_t max, int& out,
             FieldErrors& errors) {
  if (!value) return;
  if (*value < min || *value > max) {
    errors.push_back({field, "must be between " + std::to_string(min) + " and " + std::to_string(max) + "; got " +
                                 std::to_string(*value)});
    return;
  }
  out = static_cast<int>(*value);
}

void sticky(const kube::BalancerClusterSpec& spec, cfg::StickySession& out, FieldErrors& errors) {
  std::string error;
  if (spec.sticky_session) {
    cfg::StickySession s = out;
    if (spec.sticky_session->empty()) {
      s.cookie.clear();  // an explicit "" turns off stickiness set by an annotation
      s.url_param.clear();
      out = s;
    } else if (cfg::parse_sticky_session(*spec.sticky_session, s, error)) {
      out = s;
    } else {
      errors.push_back({"spec.stickySession", error});
    }
  }
  if (spec.sticky_session_sep && !parse_separator(*spec.sticky_session_sep, out.separator, error))
    errors.push_back({"spec.stickySessionSep", error});
  if (spec.scolon_path_delim) out.scolon_path_delim = *spec.scolon_path_delim;
  if (spec.route_cookie) {
    const kube::BcRouteCookie& c = *spec.route_cookie;
    cfg::RouteCookie rc;
    if (!valid_route(c.name, error) || c.name.empty()) {
      errors.push_back({"spec.routeCookie.name", "must be a cookie name (token characters)"});
      return;
    }
    rc.name = c.name;
    if (c.path) {
      if (c.path->empty() || c.path->front() != '/') errors.push_back({"spec.routeCookie.path", "must start with '/'"});
      else rc.path = *c.path;
    }
    if (c.http_only) rc.http_only = *c.http_only;
    if (c.secure) rc.secure = *c.secure;
    if (c.same_site) {
      if (*c.same_site == "Lax" || *c.same_site == "Strict" || *c.same_site == "None" || c.same_site->empty())
        rc.same_site = *c.same_site;
      else
        errors.push_back({"spec.routeCookie.sameSite", "must be Lax, Strict or None; got '" + *c.same_site + "'"});
    }
    if (c.max_age) {
      if (*c.max_age < 0) errors.push_back({"spec.routeCookie.maxAge", "must not be negative"});
      else rc.max_age = *c.max_age;
    }
    out.route_cookie = rc;
  }
}

void health_check(const kube::BcHealthCheck& hc, cfg::HealthCheck& out, FieldErrors& errors) {
  if (hc.method && !cfg::parse_hcmethod(*hc.method, out.method))
    errors.push_back({"spec.healthCheck.method",
                      "unknown method '" + *hc.method + "' (None, TCP, OPTIONS, HEAD, GET, OPTIONS11, HEAD11, GET11)"});
  if (hc.uri) {
    if (!hc.uri->empty() && hc.uri->front() != '/') errors.push_back({"spec.healthCheck.uri", "must start with '/'"});
    else out.uri = *hc.uri;
  }
  duration(hc.interval, "spec.healthCheck.interval", cfg::Duration(100), out.interval, errors);
  integer(hc.passes, "spec.healthCheck.passes", 1, 1000, out.passes, errors);
  integer(hc.fails, "spec.healthCheck.fails", 1, 1000, out.fails, errors);
  std::string error;
  if (hc.expect_status && !parse_status_range(*hc.expect_status, out.expect_status_min, out.expect_status_max, error))
    errors.push_back({"spec.healthCheck.expectStatus", error});
  if (hc.expect_body) out.expect_body = *hc.expect_body;
}

}  // namespace

void apply_cluster_spec(const kube::BalancerClusterSpec& spec, cfg::Balancer& b, MemberDefaults& defaults,
                        FieldErrors& errors) {
  if (spec.lb_method && !cfg::parse_lbmethod(*spec.lb_method, b.lbmethod))
    errors.push_back({"spec.lbMethod",
                      "unknown lbmethod '" + *spec.lb_method + "' (byrequests, bytraffic, bybusyness, heartbeat)"});
  sticky(spec, b.sticky, errors);
  if (spec.no_failover) b.nofailover = *spec.no_failover;
  if (spec.max_attempts) {
    int n = 0;
    integer(spec.max_attempts, "spec.maxAttempts", 0, 1000, n, errors);
    if (*spec.max_attempts >= 0 && *spec.max_attempts <= 1000) b.maxattempts = n;
  }
  duration(spec.timeout, "spec.timeout", cfg::Duration(0), b.timeout, errors);
  if (spec.fail_on_status) {
    std::vector<int> codes;
    bool ok = true;
    for (size_t i = 0; i < spec.fail_on_status->size(); ++i) {
      const int64_t code = (*spec.fail_on_status)[i];
      if (code < 100 || code > 599) {
        errors.push_back({"spec.failOnStatus[" + std::to_string(i) + "]", "must be an HTTP status (100-599)"});
        ok = false;
      }
      codes.push_back(static_cast<int>(code));
    }
    if (ok) b.failonstatus = codes;
  }
  if (spec.fail_on_timeout) b.failontimeout = *spec.fail_on_timeout;
  if (spec.force_recovery) b.forcerecovery = *spec.force_recovery;
  duration(spec.proxy_timeout, "spec.proxyTimeout", cfg::Duration(0), b.member_timeout, errors);
  duration(spec.connection_timeout, "spec.connectionTimeout", cfg::Duration(0), b.connection_timeout, errors);
  if (spec.preserve_host) b.preserve_host = *spec.preserve_host;
  if (spec.health_check) health_check(*spec.health_check, b.health_check, errors);
  if (spec.heartbeat) {
    const kube::BcHeartbeat& hb = *spec.heartbeat;
    if (hb.path) {
      if (hb.path->empty() || hb.path->front() != '/') errors.push_back({"spec.heartbeat.path", "must start with '/'"});
      else b.heartbeat.path = *hb.path;
    }
    duration(hb.interval, "spec.heartbeat.interval", cfg::Duration(100), b.heartbeat.interval, errors);
    duration(hb.max_age, "spec.heartbeat.maxAge", cfg::Duration(100), b.heartbeat.max_age, errors);
  }
  if (spec.route_from && !parse_route_from(*spec.route_from, defaults.route_from))
    errors.push_back({"spec.routeFrom", "must be podName, address, hostname or annotation; got '" + *spec.route_from + "'"});
}

}  // namespace kb::controller::reconcile
