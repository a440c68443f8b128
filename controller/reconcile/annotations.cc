// Service annotations kubebalancer.io/<key> -> balancer parameters. The keys are the lowercase
// Apache parameter names, as in the table's YAML (docs/table-format.md), so an Apache
// `ProxySet lbmethod=bybusyness` becomes `kubebalancer.io/lbmethod: bybusyness`.
#include <functional>
#include <string_view>
#include <unordered_map>

#include "controller/reconcile/balancer_settings.h"
#include "controller/reconcile/reconcile.h"
#include "controller/reconcile/values.h"
#include "proxy/config/table_yaml.h"

namespace kb::controller::reconcile {
namespace {

namespace cfg = proxy::config;
using Setter = std::function<bool(std::string_view, cfg::Balancer&, MemberDefaults&, std::string&)>;

bool set_duration(std::string_view v, cfg::Duration& out, std::string& error) {
  cfg::Duration d{};
  if (!cfg::parse_duration(v, d, error)) return false;
  out = d;
  return true;
}

bool set_bool(std::string_view v, bool& out, std::string& error) { return parse_bool(v, out, error); }

bool set_int(std::string_view v, int64_t min, int64_t max, int& out, std::string& error) {
  int64_t n = 0;
  if (!parse_int(v, min, max, n, error)) return false;
  out = static_cast<int>(n);
  return true;
}

// "pod-a=r1, 10.0.0.7=r2"
bool parse_routes(std::string_view v, std::map<std::string, std::string>& out, std::string& error) {
  std::map<std::string, std::string> routes;
  size_t start = 0;
  while (start <= v.size()) {
    const size_t end = std::min(v.find(',', start), v.size());
    std::string_view item = v.substr(start, end - start);
    start = end + 1;
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      error = "must be a list of pod-or-address=route pairs; got '" + std::string(item) + "'";
      return false;
    }
    const std::string_view route = item.substr(eq + 1);
    if (!valid_route(route, error)) return false;
    routes[std::string(item.substr(0, eq))] = std::string(route);
  }
  out = std::move(routes);
  return true;
}

const std::unordered_map<std::string_view, Setter>& setters() {
  static const std::unordered_map<std::string_view, Setter> kSetters = {
      {"lbmethod",
       [](std::string_view v, cfg::Balancer& b, MemberDefaults&, std::string& e) {
         if (cfg::parse_lbmethod(v, b.lbmethod)) return true;
         e = "unknown lbmethod '" + std::string(v) + "' (byrequests, bytraffic, bybusyness, heartbeat)";
         return false;
       }},
      {"stickysession",
       [](std::string_view v, cfg::Balancer& b, MemberDefaults&, std::string& e) {
         return cfg::parse_sticky_session(v, b.sticky, e);
       }},
      {"stickysessionsep",
       [](std::string_view v, cfg::Balancer& b, MemberDefaults&, std::string& e) {
         return parse_separator(v, b.sticky.separator, e);
       }},
      {"scolonpathdelim",
       [](std::string_view v, cfg::Balancer& b, MemberDefaults&, std::string& e) {
         return set_bool(v, b.sticky.scolon_path_delim, e);
       }},
      {"nofailover",
       [](std::string_view v, cfg::Balancer& b, MemberDefaults&, std::string& e) { return set_bool(v, b.nofailover, e); }},
      {"maxattempts",
       [](std::string_view v, cfg::Balancer& b, MemberDefaults&, std::string& e) {
         int n = 0;
         if (!set_int(v, 0, 1000, n, e)) return false;
         b.maxattempts = n;
         return true;
       }},
      {"timeout",
       [](std::string_view v, cfg::Balancer& b, MemberDefaults&, std::string& e) { return set_duration(v, b.timeout, e); }},
      {"failonstatus",
       [](std::string_view v, cfg::Balancer& b, MemberDefaults&, std::string& e) {
         return parse_status_list(v, b.failonstatus, e);
       }},
      {"failontimeout",
       [](std::string_view v, cfg::Balancer& b, MemberDefaults&, std::string& e) { return set_bool(v, b.failontimeout, e); }},
      {"forcerecovery",
       [](std::string_view v, cfg::Balancer& b, MemberDefaults&, std::string& e) { return set_bool(v, b.forcerecovery, e); }},
      {"proxytimeout",
       [](std::string_view v, cfg::Balancer& b, MemberDefaults&, std::string& e) {
         return set_duration(v, b.member_timeout, e);
       }},
      {"connectiontimeout",
       [](std::string_view v, cfg::Balancer& b, MemberDefaults&, std::string& e) {
         return set_duration(v, b.connection_timeout, e);
       }},
      {"preservehost",
       [](std::string_view v, cfg::Balancer& b, MemberDefaults&, std::string& e) { return set_bool(v, b.preserve_host, e); }},
      {"routecookie",
       [](std::string_view v, cfg::Balancer& b, MemberDefaults&, std::string& e) {
         return parse_route_cookie(v, b.sticky.route_cookie, e);
       }},
      {"hcmethod",
       [](std::string_view v, cfg::Balancer& b, MemberDefaults&, std::string& e) {
         if (cfg::parse_hcmethod(v, b.health_check.method)) return true;
         e = "unknown hcmethod '" + std::string(v) + "' (None, TCP, OPTIONS, HEAD, GET, OPTIONS11, HEAD11, GET11)";
         return false;
       }},
      {"hcuri",
       [](std::string_view v, cfg::Balancer& b, MemberDefaults&, std::string& e) {
         if (!v.empty() && v.front() != '/') {
           e = "must start with '/'";
           return false;
         }
         b.health_check.uri = std::string(v);
         return true;
       }},
      {"hcinterval",
       [](std::string_view v, cfg::Balancer& b, MemberDefaults&, std::string& e) {
         return parse_duration_min(v, cfg::Duration(100), b.health_check.interval, e);
       }},
      {"hcpasses",
       [](std::string_view v, cfg::Balancer& b, MemberDefaults&, std::string& e) {
         return set_int(v, 1, 1000, b.health_check.passes, e);
       }},
      {"hcfails",
       [](std::string_view v, cfg::Balancer& b, MemberDefaults&, std::string& e) {
         return set_int(v, 1, 1000, b.health_check.fails, e);
       }},
      {"hcexpect-status",
       [](std::string_view v, cfg::Balancer& b, MemberDefaults&, std::string& e) {
         return parse_status_range(v, b.health_check.expect_status_min, b.health_check.expect_status_max, e);
       }},
      {"hcexpect-body",
       [](std::string_view v, cfg::Balancer& b, MemberDefaults&, std::string&) {
         b.health_check.expect_body = std::string(v);
         return true;
       }},
      {"hbpath",
       [](std::string_view v, cfg::Balancer& b, MemberDefaults&, std::string& e) {
         if (v.empty() || v.front() != '/') {
           e = "must start with '/'";
           return false;
         }
         b.heartbeat.path = std::string(v);
         return true;
       }},
      {"hbinterval",
       [](std::string_view v, cfg::Balancer& b, MemberDefaults&, std::string& e) {
         return parse_duration_min(v, cfg::Duration(100), b.heartbeat.interval, e);
       }},
      {"hbmaxage",
       [](std::string_view v, cfg::Balancer& b, MemberDefaults&, std::string& e) {
         return parse_duration_min(v, cfg::Duration(100), b.heartbeat.max_age, e);
       }},
      {"loadfactor",
       [](std::string_view v, cfg::Balancer&, MemberDefaults& d, std::string& e) {
         return parse_number(v, 1, 100, d.loadfactor, e);
       }},
      {"lbset",
       [](std::string_view v, cfg::Balancer&, MemberDefaults& d, std::string& e) { return set_int(v, 0, 99, d.lbset, e); }},
      {"retry",
       [](std::string_view v, cfg::Balancer&, MemberDefaults& d, std::string& e) { return set_duration(v, d.retry, e); }},
      {"routefrom",
       [](std::string_view v, cfg::Balancer&, MemberDefaults& d, std::string& e) {
         if (parse_route_from(v, d.route_from)) return true;
         e = "must be podName, address, hostname or annotation; got '" + std::string(v) + "'";
         return false;
       }},
      {"routes",
       [](std::string_view v, cfg::Balancer&, MemberDefaults& d, std::string& e) { return parse_routes(v, d.routes, e); }},
  };
  return kSetters;
}

}  // namespace

bool parse_route_from(std::string_view text, RouteFrom& out) {
  if (text == "podName") out = RouteFrom::kPodName;
  else if (text == "address") out = RouteFrom::kAddress;
  else if (text == "hostname") out = RouteFrom::kHostname;
  else if (text == "annotation") out = RouteFrom::kAnnotation;
  else return false;
  return true;
}

void apply_annotations(const std::map<std::string, std::string>& annotations, cfg::Balancer& balancer,
                       MemberDefaults& defaults, FieldErrors& errors) {
  const std::string_view prefix = kAnnotationPrefix;
  // std::map iterates in key order, so errors come out sorted.
  for (const auto& [key, text] : annotations) {
    if (!std::string_view(key).starts_with(prefix)) continue;
    const std::string_view name = std::string_view(key).substr(prefix.size());
    const std::string field = "metadata.annotations[" + key + "]";
    auto it = setters().find(name);
    if (it == setters().end()) {
      errors.push_back({field, "unknown kube-balancer annotation (see docs/balancercluster.md)"});
      continue;
    }
    // Parse into copies so a bad value leaves the previous one untouched.
    cfg::Balancer b = balancer;
    MemberDefaults d = defaults;
    std::string error;
    if (!it->second(text, b, d, error)) {
      errors.push_back({field, error});
      continue;
    }
    balancer = std::move(b);
    defaults = std::move(d);
  }
}

}  // namespace kb::controller::reconcile
