// nginx.ingress.kubernetes.io/<key> -> our balancer settings and route keys. One parser per key,
// each on its own copy so a bad value leaves the default; see nginx_annotations.h for the rules
// and docs/migrate-from-ingress-nginx.md for the table users read.
#include "controller/reconcile/nginx_annotations.h"

#include <functional>
#include <string_view>
#include <unordered_map>

#include "controller/reconcile/values.h"
#include "proxy/config/table_yaml.h"

namespace kb::controller::reconcile {
namespace {

namespace cfg = proxy::config;

// What the annotations say before they are put together (cookie attributes need `affinity`).
struct Draft {
  NginxIngress out;
  bool affinity_cookie = false;
  std::string cookie_name = "INGRESSCOOKIE";  // ingress-nginx's default
  cfg::RouteCookie cookie;
  std::optional<int64_t> expires;  // session-cookie-expires (seconds)
  std::string permanent_redirect;
  int permanent_code = 301;
  std::string temporal_redirect;
};

using Parser = std::function<bool(std::string_view, Draft&, std::string&)>;

bool one_of(std::string_view v, std::initializer_list<std::string_view> allowed, std::string& error) {
  for (std::string_view a : allowed)
    if (v == a) return true;
  error = "must be one of";
  for (std::string_view a : allowed) error.append(" ").append(a);
  return false;
}

bool duration(std::string_view v, std::optional<cfg::Duration>& out, std::string& error) {
  cfg::Duration d{};
  if (!cfg::parse_duration(v, d, error)) return false;  // nginx writes plain seconds: "60"
  out = d;
  return true;
}

bool flag(std::string_view v, std::optional<bool>& out, std::string& error) {
  bool b = false;
  if (!parse_bool(v, b, error)) return false;
  out = b;
  return true;
}

bool cidrs(std::string_view v, std::vector<std::string>& out, std::string& error) {
  std::vector<std::string> list;
  for (std::size_t start = 0; start <= v.size();) {
    const std::size_t end = std::min(v.find(',', start), v.size());
    std::string item(v.substr(start, end - start));
    start = end + 1;
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (item.empty()) continue;
    cfg::Cidr c;
    if (!cfg::parse_cidr(item, c, error)) return false;
    list.push_back(item);
  }
  out = std::move(list);
  return true;
}

// A URL or path the proxy writes onto the wire as it is (route rewrite and redirect keys, which the
// table parser holds to config::wire_safe_uri too).
bool uri(std::string_view v, std::string& out, std::string& error) {
  if (v.empty() || !cfg::wire_safe_uri(v)) {
    error = "must be a URL or path without spaces or control characters";
    return false;
  }
  out = std::string(v);
  return true;
}

bool integer(std::string_view v, int64_t min, int64_t max, int& out, std::string& error) {
  int64_t n = 0;
  if (!parse_int(v, min, max, n, error)) return false;
  out = static_cast<int>(n);
  return true;
}

const std::unordered_map<std::string_view, Parser>& parsers() {
  static const std::unordered_map<std::string_view, Parser> kParsers = {
      // --- stickiness ---
      {"affinity",
       [](std::string_view v, Draft& d, std::string& e) {
         if (!one_of(v, {"cookie"}, e)) return false;
         d.affinity_cookie = true;
         return true;
       }},
      {"affinity-mode",  // persistent: exact; balanced: sessions are never moved to rebalance
       [](std::string_view v, Draft&, std::string& e) { return one_of(v, {"balanced", "persistent"}, e); }},
      {"affinity-canary-behavior",  // sticky: an existing session beats the canary weights
       [](std::string_view v, Draft&, std::string& e) {
         if (v == "legacy") {
           e = "legacy is not supported (sessions always stay on their version, as sticky)";
           return false;
         }
         return one_of(v, {"sticky"}, e);
       }},
      {"session-cookie-name",
       [](std::string_view v, Draft& d, std::string& e) {
         cfg::StickySession probe;
         if (v.find('|') != std::string_view::npos || !cfg::parse_sticky_session(v, probe, e)) {
           e = "must be a cookie name";
           return false;
         }
         d.cookie_name = std::string(v);
         return true;
       }},
      {"session-cookie-path",
       [](std::string_view v, Draft& d, std::string& e) {
         if (!v.starts_with('/')) {
           e = "must start with '/'";
           return false;
         }
         d.cookie.path = std::string(v);
         return true;
       }},
      {"session-cookie-domain",
       [](std::string_view v, Draft& d, std::string& e) {
         if (v.empty() || v.find_first_of(" ;,") != std::string_view::npos) {
           e = "must be a domain";
           return false;
         }
         d.cookie.domain = std::string(v);
         return true;
       }},
      {"session-cookie-samesite",
       [](std::string_view v, Draft& d, std::string& e) {
         if (!one_of(v, {"None", "Lax", "Strict"}, e)) return false;
         d.cookie.same_site = std::string(v);
         return true;
       }},
      {"session-cookie-conditional-samesite-none",  // approximate: SameSite=None is sent to every browser
       [](std::string_view v, Draft&, std::string& e) {
         std::optional<bool> b;
         return flag(v, b, e);
       }},
      {"session-cookie-secure",
       [](std::string_view v, Draft& d, std::string& e) { return parse_bool(v, d.cookie.secure, e); }},
      {"session-cookie-max-age",
       [](std::string_view v, Draft& d, std::string& e) {
         int64_t n = 0;
         if (!parse_int(v, 0, 400LL * 24 * 3600, n, e)) return false;
         d.cookie.max_age = n;
         return true;
       }},
      {"session-cookie-expires",  // approximate: becomes Max-Age when max-age is not set
       [](std::string_view v, Draft& d, std::string& e) {
         int64_t n = 0;
         if (!parse_int(v, 0, 400LL * 24 * 3600, n, e)) return false;
         d.expires = n;
         return true;
       }},
      {"session-cookie-change-on-failure",  // approximate: a failed-over session always moves (Apache)
       [](std::string_view v, Draft&, std::string& e) {
         std::optional<bool> b;
         return flag(v, b, e);
       }},
      {"load-balance",
       [](std::string_view v, Draft& d, std::string& e) {
         if (!one_of(v, {"round_robin", "ewma"}, e)) return false;
         d.out.balancer.lbmethod = v == "ewma" ? cfg::LbMethod::kByBusyness : cfg::LbMethod::kByRequests;
         return true;
       }},
      {"backend-protocol",  // members are plain HTTP until members over TLS exist
       [](std::string_view v, Draft&, std::string& e) {
         if (v == "HTTP" || v == "http") return true;
         e = "only HTTP is supported (members over TLS are not yet)";
         return false;
       }},
      // --- routing ---
      {"use-regex",
       [](std::string_view v, Draft& d, std::string& e) { return parse_bool(v, d.out.regex_paths, e); }},
      {"rewrite-target",
       [](std::string_view v, Draft& d, std::string& e) { return uri(v, d.out.rewrite_target, e); }},
      {"app-root",
       [](std::string_view v, Draft& d, std::string& e) {
         if (!v.starts_with('/') || v == "/") {
           e = "must be a path other than '/'";
           return false;
         }
         return uri(v, d.out.app_root, e);
       }},
      {"permanent-redirect",
       [](std::string_view v, Draft& d, std::string& e) { return uri(v, d.permanent_redirect, e); }},
      {"permanent-redirect-code",
       [](std::string_view v, Draft& d, std::string& e) {
         if (!one_of(v, {"301", "302", "303", "307", "308"}, e)) return false;
         return integer(v, 301, 308, d.permanent_code, e);
       }},
      {"temporal-redirect",
       [](std::string_view v, Draft& d, std::string& e) { return uri(v, d.temporal_redirect, e); }},
      {"ssl-redirect", [](std::string_view v, Draft& d, std::string& e) { return flag(v, d.out.ssl_redirect, e); }},
      {"force-ssl-redirect",
       [](std::string_view v, Draft& d, std::string& e) {
         std::optional<bool> on;
         if (!flag(v, on, e)) return false;
         if (*on) d.out.ssl_redirect = true;
         return true;
       }},
      {"proxy-body-size",
       [](std::string_view v, Draft& d, std::string& e) {
         uint64_t size = 0;
         if (!cfg::parse_size(v, size, e)) return false;
         d.out.actions.max_body_size = size;  // 0: unlimited, as nginx
         return true;
       }},
      {"proxy-connect-timeout",
       [](std::string_view v, Draft& d, std::string& e) { return duration(v, d.out.actions.connect_timeout, e); }},
      {"proxy-read-timeout",
       [](std::string_view v, Draft& d, std::string& e) { return duration(v, d.out.actions.timeout, e); }},
      {"proxy-send-timeout",
       [](std::string_view v, Draft& d, std::string& e) { return duration(v, d.out.actions.send_timeout, e); }},
      {"proxy-next-upstream-tries",  // tries count the first attempt; 0 = unlimited (the balancer's)
       [](std::string_view v, Draft& d, std::string& e) {
         int tries = 0;
         if (!integer(v, 0, 1000, tries, e)) return false;
         if (tries > 0) d.out.actions.maxattempts = tries - 1;
         return true;
       }},
      {"whitelist-source-range",
       [](std::string_view v, Draft& d, std::string& e) { return cidrs(v, d.out.actions.allow, e); }},
      {"allowlist-source-range",
       [](std::string_view v, Draft& d, std::string& e) { return cidrs(v, d.out.actions.allow, e); }},
      {"upstream-vhost",
       [](std::string_view v, Draft& d, std::string& e) {
         if (v.empty() || v.find('/') != std::string_view::npos || !cfg::wire_safe_uri(v)) {
           e = "must be a host name";
           return false;
         }
         d.out.actions.rewrite.hostname = std::string(v);
         return true;
       }},
      // --- canary ---
      {"canary", [](std::string_view v, Draft& d, std::string& e) { return parse_bool(v, d.out.canary.enabled, e); }},
      {"canary-weight",
       [](std::string_view v, Draft& d, std::string& e) { return integer(v, 0, 1000000, d.out.canary.weight, e); }},
      {"canary-weight-total",
       [](std::string_view v, Draft& d, std::string& e) { return integer(v, 1, 1000000, d.out.canary.weight_total, e); }},
      {"canary-by-header",
       [](std::string_view v, Draft& d, std::string& e) {
         if (v.empty() || v.find_first_of(" :;,") != std::string_view::npos) {
           e = "must be a header name";
           return false;
         }
         d.out.canary.header = std::string(v);
         return true;
       }},
      {"canary-by-header-value",
       [](std::string_view v, Draft& d, std::string&) {
         d.out.canary.header_value = std::string(v);
         return true;
       }},
      {"canary-by-cookie",
       [](std::string_view v, Draft& d, std::string& e) {
         if (v.empty() || v.find_first_of(" =;,") != std::string_view::npos) {
           e = "must be a cookie name";
           return false;
         }
         d.out.canary.cookie = std::string(v);
         return true;
       }},
  };
  return kParsers;
}

}  // namespace

NginxIngress read_nginx_annotations(const std::map<std::string, std::string>& annotations) {
  Draft d;
  const std::string_view prefix = kNginxAnnotationPrefix;
  for (const auto& [key, value] : annotations) {  // std::map: in key order, so warnings are sorted
    if (!std::string_view(key).starts_with(prefix)) continue;
    const std::string field = "metadata.annotations[" + key + "]";
    const auto it = parsers().find(std::string_view(key).substr(prefix.size()));
    if (it == parsers().end()) {
      d.out.unsupported.push_back(
          {field, "ingress-nginx annotation not supported by kube-balancer; ignored (docs/migrate-from-ingress-nginx.md)"});
      continue;
    }
    Draft attempt = d;
    std::string error;
    if (!it->second(value, attempt, error)) {
      d.out.invalid.push_back({field, "invalid value '" + value + "': " + error + "; the default is kept"});
      continue;
    }
    d = std::move(attempt);
  }
  NginxIngress out = std::move(d.out);
  if (!d.permanent_redirect.empty()) out.actions.redirect = {d.permanent_redirect, "", "", {}, "", "", d.permanent_code};
  else if (!d.temporal_redirect.empty()) out.actions.redirect = {d.temporal_redirect, "", "", {}, "", "", 302};
  if (!out.rewrite_target.empty()) out.regex_paths = true;  // ingress-nginx: rewrite-target implies use-regex
  if (d.affinity_cookie) {
    cfg::StickySession sticky;
    sticky.cookie = sticky.url_param = d.cookie_name;  // the proxy issues NAME=.<route> and reads it back
    sticky.route_cookie = d.cookie;
    sticky.route_cookie.name = d.cookie_name;
    if (!sticky.route_cookie.max_age && d.expires) sticky.route_cookie.max_age = d.expires;
    out.balancer.sticky = std::move(sticky);
  }
  return out;
}

std::string regex_path_prefix(const std::string& path) {
  const std::size_t meta = path.find_first_of(".^$*+?()[]{}|\\");
  if (meta == std::string::npos) return path;
  std::string literal = path.substr(0, meta);
  const std::string_view rest = std::string_view(path).substr(meta);
  // "(/|$)" or "($|/)" after the literal ends it at a path element, as our Prefix does.
  const bool element_end = rest.starts_with("(/|$)") || rest.starts_with("($|/)");
  if (!element_end || literal.ends_with('/')) literal.erase(literal.rfind('/') == std::string::npos ? 0 : literal.rfind('/'));
  return literal.empty() ? "/" : literal;
}

void apply_nginx_route(const NginxIngress& nginx, cfg::Route& route) {
  const cfg::Route& a = nginx.actions;
  if (nginx.regex_paths) {
    const std::string regex = route.path;
    route.path = regex_path_prefix(regex);
    route.path_type = cfg::PathType::kPrefix;
    if (!nginx.rewrite_target.empty()) {
      route.rewrite.regex = regex;
      route.rewrite.replacement = nginx.rewrite_target;
    }
  }
  route.rewrite.hostname = a.rewrite.hostname;
  route.allow = a.allow;
  route.redirect = a.redirect;
  route.max_body_size = a.max_body_size;
  route.connect_timeout = a.connect_timeout;
  route.timeout = a.timeout;
  route.send_timeout = a.send_timeout;
  route.maxattempts = a.maxattempts;
}

void apply_nginx_balancer(const NginxBalancerSettings& settings, cfg::Balancer& balancer) {
  if (settings.lbmethod) balancer.lbmethod = *settings.lbmethod;
  if (settings.sticky) balancer.sticky = *settings.sticky;
}

}  // namespace kb::controller::reconcile
