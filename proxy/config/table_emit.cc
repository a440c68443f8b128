// Table -> YAML. Only values that differ from the defaults are written, in a fixed key order, so
// the same table always yields the same bytes and parse_table(emit_table(t)) == t. The layout is
// the "rendered form" of table_cache.h: every balancer and the routes are separate texts, joined.
#include <yaml-cpp/yaml.h>

#include <sstream>
#include <unordered_map>

#include "proxy/config/table_cache.h"
#include "proxy/config/table_yaml.h"

namespace kb::proxy::config {
namespace {

std::string duration_text(Duration d) {
  const auto ms = d.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string number_text(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

void emit_health_check(YAML::Emitter& out, const HealthCheck& hc, const HealthCheck& base) {
  if (hc.method != base.method) out << YAML::Key << "hcmethod" << YAML::Value << to_string(hc.method);
  if (hc.uri != base.uri) out << YAML::Key << "hcuri" << YAML::Value << hc.uri;
  if (hc.interval != base.interval) out << YAML::Key << "hcinterval" << YAML::Value << duration_text(hc.interval);
  if (hc.passes != base.passes) out << YAML::Key << "hcpasses" << YAML::Value << hc.passes;
  if (hc.fails != base.fails) out << YAML::Key << "hcfails" << YAML::Value << hc.fails;
  const bool status_differs = hc.expect_status_min != base.expect_status_min || hc.expect_status_max != base.expect_status_max;
  if (status_differs || hc.expect_body != base.expect_body) {
    out << YAML::Key << "hcexpect" << YAML::Value << YAML::BeginMap;
    if (status_differs)
      out << YAML::Key << "status" << YAML::Value << YAML::DoubleQuoted
          << (std::to_string(hc.expect_status_min) + "-" + std::to_string(hc.expect_status_max));
    if (hc.expect_body != base.expect_body) out << YAML::Key << "body" << YAML::Value << YAML::DoubleQuoted << hc.expect_body;
    out << YAML::EndMap;
  }
}

void emit_member(YAML::Emitter& out, const Member& m, const Balancer& b) {
  const Member d;
  out << YAML::BeginMap << YAML::Key << "url" << YAML::Value << m.url;
  if (m.name != m.url) out << YAML::Key << "name" << YAML::Value << m.name;
  if (!m.route.empty()) out << YAML::Key << "route" << YAML::Value << YAML::DoubleQuoted << m.route;
  if (!m.redirect.empty()) out << YAML::Key << "redirect" << YAML::Value << YAML::DoubleQuoted << m.redirect;
  if (m.loadfactor != d.loadfactor) out << YAML::Key << "loadfactor" << YAML::Value << number_text(m.loadfactor);
  if (m.lbset != d.lbset) out << YAML::Key << "lbset" << YAML::Value << m.lbset;
  if (m.status != d.status) out << YAML::Key << "status" << YAML::Value << YAML::DoubleQuoted << format_status_flags(m.status);
  if (m.retry != d.retry) out << YAML::Key << "retry" << YAML::Value << duration_text(m.retry);
  if (m.timeout) out << YAML::Key << "timeout" << YAML::Value << duration_text(*m.timeout);
  if (m.connection_timeout) out << YAML::Key << "connectiontimeout" << YAML::Value << duration_text(*m.connection_timeout);
  emit_health_check(out, m.health_check, b.health_check);
  out << YAML::EndMap;
}

void emit_balancer(YAML::Emitter& out, const Balancer& b) {
  const Balancer d;
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << b.name;
  if (b.lbmethod != d.lbmethod) out << YAML::Key << "lbmethod" << YAML::Value << to_string(b.lbmethod);
  if (b.sticky.enabled()) {
    std::string s = b.sticky.cookie;
    if (b.sticky.url_param != b.sticky.cookie) s += "|" + b.sticky.url_param;
    out << YAML::Key << "stickysession" << YAML::Value << YAML::DoubleQuoted << s;
  }
  if (b.sticky.separator != d.sticky.separator)
    out << YAML::Key << "stickysessionsep" << YAML::Value << YAML::DoubleQuoted
        << (b.sticky.separator ? std::string(1, *b.sticky.separator) : std::string("Off"));
  if (b.sticky.scolon_path_delim) out << YAML::Key << "scolonpathdelim" << YAML::Value << true;
  if (b.nofailover) out << YAML::Key << "nofailover" << YAML::Value << true;
  if (b.maxattempts) out << YAML::Key << "maxattempts" << YAML::Value << *b.maxattempts;
  if (b.timeout != d.timeout) out << YAML::Key << "timeout" << YAML::Value << duration_text(b.timeout);
  if (!b.failonstatus.empty()) out << YAML::Key << "failonstatus" << YAML::Value << YAML::Flow << b.failonstatus;
  if (b.failontimeout) out << YAML::Key << "failontimeout" << YAML::Value << true;
  if (b.forcerecovery != d.forcerecovery) out << YAML::Key << "forcerecovery" << YAML::Value << b.forcerecovery;
  if (b.member_timeout != d.member_timeout) out << YAML::Key << "proxytimeout" << YAML::Value << duration_text(b.member_timeout);
  if (b.connection_timeout != d.connection_timeout)
    out << YAML::Key << "connectiontimeout" << YAML::Value << duration_text(b.connection_timeout);
  if (b.preserve_host) out << YAML::Key << "preservehost" << YAML::Value << true;
  const RouteCookie& rc = b.sticky.route_cookie;
  if (!rc.name.empty()) {
    const RouteCookie drc;
    out << YAML::Key << "routecookie" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value << rc.name;
    if (rc.path != drc.path) out << YAML::Key << "path" << YAML::Value << rc.path;
    if (rc.http_only != drc.http_only) out << YAML::Key << "httponly" << YAML::Value << rc.http_only;
    if (rc.secure != drc.secure) out << YAML::Key << "secure" << YAML::Value << rc.secure;
    if (!rc.same_site.empty()) out << YAML::Key << "samesite" << YAML::Value << rc.same_site;
    if (rc.max_age) out << YAML::Key << "maxage" << YAML::Value << *rc.max_age;
    if (!rc.domain.empty()) out << YAML::Key << "domain" << YAML::Value << YAML::DoubleQuoted << rc.domain;
    out << YAML::EndMap;
  }
  if (b.heartbeat != d.heartbeat) {
    out << YAML::Key << "heartbeat" << YAML::Value << YAML::BeginMap << YAML::Key << "path" << YAML::Value
        << b.heartbeat.path << YAML::Key << "interval" << YAML::Value << duration_text(b.heartbeat.interval)
        << YAML::Key << "maxage" << YAML::Value << duration_text(b.heartbeat.max_age) << YAML::EndMap;
  }
  emit_health_check(out, b.health_check, d.health_check);
  out << YAML::Key << "members" << YAML::Value << YAML::BeginSeq;
  for (const Member& m : b.members) emit_member(out, m, b);
  out << YAML::EndSeq << YAML::EndMap;
}

// A block sequence of one balancer at column 0: the table's `balancers:` list is written as an
// indentless sequence ("balancers:\n- name: ..."), so each balancer's text stands alone and
// TableParser can split the file at "- " lines without parsing it.
std::string balancer_text(const Balancer& b) {
  YAML::Emitter out;
  out << YAML::BeginSeq;
  emit_balancer(out, b);
  out << YAML::EndSeq;
  return std::string(out.c_str()) + "\n";
}

void emit_strings(YAML::Emitter& out, const char* key, const std::vector<std::string>& items) {
  if (items.empty()) return;
  out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const std::string& i : items) out << YAML::DoubleQuoted << i;
  out << YAML::EndSeq;
}

void emit_value_matches(YAML::Emitter& out, const char* key, const std::vector<ValueMatch>& matches) {
  if (matches.empty()) return;
  out << YAML::Key << key << YAML::Value << YAML::BeginSeq;
  for (const ValueMatch& m : matches) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << m.name << YAML::Key << "value"
        << YAML::Value << YAML::DoubleQuoted << m.value;
    if (m.type == MatchType::kRegex) out << YAML::Key << "type" << YAML::Value << "RegularExpression";
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

void emit_pairs(YAML::Emitter& out, const char* key, const std::vector<std::pair<std::string, std::string>>& pairs) {
  if (pairs.empty()) return;
  out << YAML::Key << key << YAML::Value << YAML::BeginMap;
  for (const auto& [name, value] : pairs) out << YAML::Key << name << YAML::Value << YAML::DoubleQuoted << value;
  out << YAML::EndMap;
}

void emit_header_modifier(YAML::Emitter& out, const char* key, const HeaderModifier& hm) {
  if (hm.empty()) return;
  out << YAML::Key << key << YAML::Value << YAML::BeginMap;
  emit_pairs(out, "set", hm.set);
  emit_pairs(out, "add", hm.add);
  emit_strings(out, "remove", hm.remove);
  out << YAML::EndMap;
}

void emit_string(YAML::Emitter& out, const char* key, const std::string& value) {
  if (!value.empty()) out << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << value;
}

void emit_route(YAML::Emitter& out, const Route& r) {
  out << YAML::BeginMap;
  if (!r.host.empty()) out << YAML::Key << "host" << YAML::Value << YAML::DoubleQuoted << r.host;
  out << YAML::Key << "path" << YAML::Value << YAML::DoubleQuoted << r.path;
  out << YAML::Key << "pathtype" << YAML::Value << (r.path_type == PathType::kExact ? "Exact" : "Prefix");
  emit_string(out, "balancer", r.balancer);
  emit_strings(out, "methods", r.methods);
  emit_value_matches(out, "headers", r.headers);
  emit_value_matches(out, "queryparams", r.query_params);
  emit_strings(out, "allow", r.allow);
  if (r.redirect.enabled()) {
    const Redirect& rd = r.redirect;
    out << YAML::Key << "redirect" << YAML::Value << YAML::BeginMap;
    emit_string(out, "url", rd.url);
    emit_string(out, "scheme", rd.scheme);
    emit_string(out, "hostname", rd.hostname);
    if (rd.port) out << YAML::Key << "port" << YAML::Value << *rd.port;
    emit_string(out, "replacefull", rd.replace_full);
    emit_string(out, "replaceprefix", rd.replace_prefix);
    if (rd.status != Redirect{}.status) out << YAML::Key << "status" << YAML::Value << rd.status;
    out << YAML::EndMap;
  }
  if (!r.rewrite.empty()) {
    out << YAML::Key << "rewrite" << YAML::Value << YAML::BeginMap;
    emit_string(out, "replacefull", r.rewrite.replace_full);
    emit_string(out, "replaceprefix", r.rewrite.replace_prefix);
    emit_string(out, "regex", r.rewrite.regex);
    emit_string(out, "replacement", r.rewrite.replacement);
    emit_string(out, "hostname", r.rewrite.hostname);
    out << YAML::EndMap;
  }
  emit_header_modifier(out, "requestheaders", r.request_headers);
  emit_header_modifier(out, "responseheaders", r.response_headers);
  if (r.max_body_size) out << YAML::Key << "maxbodysize" << YAML::Value << *r.max_body_size;
  if (r.connect_timeout) out << YAML::Key << "connecttimeout" << YAML::Value << duration_text(*r.connect_timeout);
  if (r.timeout) out << YAML::Key << "timeout" << YAML::Value << duration_text(*r.timeout);
  if (r.send_timeout) out << YAML::Key << "sendtimeout" << YAML::Value << duration_text(*r.send_timeout);
  if (r.maxattempts) out << YAML::Key << "maxattempts" << YAML::Value << *r.maxattempts;
  if (!r.backends.empty()) {
    out << YAML::Key << "backends" << YAML::Value << YAML::BeginSeq;
    for (const WeightedBackend& b : r.backends)
      out << YAML::Flow << YAML::BeginMap << YAML::Key << "balancer" << YAML::Value << YAML::DoubleQuoted << b.balancer
          << YAML::Key << "weight" << YAML::Value << b.weight << YAML::EndMap;
    out << YAML::EndSeq;
  }
  if (r.canary.enabled()) {
    out << YAML::Key << "canary" << YAML::Value << YAML::BeginMap;
    emit_string(out, "balancer", r.canary.balancer);
    emit_string(out, "header", r.canary.header);
    emit_string(out, "headervalue", r.canary.header_value);
    emit_string(out, "cookie", r.canary.cookie);
    out << YAML::EndMap;
  }
  if (r.ssl_redirect) out << YAML::Key << "sslredirect" << YAML::Value << *r.ssl_redirect;
  out << YAML::EndMap;
}

std::string routes_text(const std::vector<Route>& routes) {
  YAML::Emitter out;
  out << YAML::BeginSeq;
  for (const Route& r : routes) emit_route(out, r);
  out << YAML::EndSeq;
  return std::string(out.c_str()) + "\n";
}

void emit_certificate_files(YAML::Emitter& out, const CertificateFiles& files) {
  out << YAML::Key << "certificate" << YAML::Value << YAML::DoubleQuoted << files.certificate;
  out << YAML::Key << "key" << YAML::Value << YAML::DoubleQuoted << files.key;
}

// The top-level keys after the routes: defaultbackend, tls, defaultcertificate (TableParser
// decodes this tail as one text).
std::string tail_text(const Table& table) {
  if (table.default_backend.empty() && table.tls.empty() && !table.default_certificate) return {};
  YAML::Emitter out;
  out << YAML::BeginMap;
  if (!table.default_backend.empty())
    out << YAML::Key << "defaultbackend" << YAML::Value << YAML::DoubleQuoted << table.default_backend;
  if (!table.tls.empty()) {
    out << YAML::Key << "tls" << YAML::Value << YAML::BeginSeq;
    for (const TlsEntry& t : table.tls) {
      out << YAML::BeginMap << YAML::Key << "hosts" << YAML::Value << YAML::BeginSeq;
      for (const std::string& h : t.hosts) out << YAML::DoubleQuoted << h;
      out << YAML::EndSeq;
      emit_certificate_files(out, t.files);
      if (t.hsts) {
        out << YAML::Key << "hsts" << YAML::Value << YAML::BeginMap << YAML::Key << "maxage" << YAML::Value
            << t.hsts->max_age;
        if (t.hsts->include_subdomains) out << YAML::Key << "includesubdomains" << YAML::Value << true;
        if (t.hsts->preload) out << YAML::Key << "preload" << YAML::Value << true;
        out << YAML::EndMap;
      }
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  if (table.default_certificate) {
    out << YAML::Key << "defaultcertificate" << YAML::Value << YAML::BeginMap;
    emit_certificate_files(out, *table.default_certificate);
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace

std::string TableEmitter::emit(const Table& table) {
  std::string text(kRenderedHeader);
  text += '\n';
  std::unordered_map<std::string, Entry> next;
  text += table.balancers.empty() ? "balancers: []\n" : "balancers:\n";
  for (const Balancer& b : table.balancers) {
    auto old = balancers_.find(b.name);
    Entry entry;
    if (old != balancers_.end() && old->second.balancer == b) {
      entry = std::move(old->second);
      balancers_.erase(old);  // a second balancer of the same name (invalid, but) never sees a moved-from entry
    } else {
      entry = Entry{b, balancer_text(b)};
    }
    text += entry.text;
    next.insert_or_assign(b.name, std::move(entry));
  }
  balancers_ = std::move(next);
  if (!routes_text_ || routes_ != table.routes) {
    routes_ = table.routes;
    routes_text_ = table.routes.empty() ? std::string("routes: []\n") : "routes:\n" + routes_text(table.routes);
  }
  text += *routes_text_;
  text += tail_text(table);
  return text;
}

std::string emit_table(const Table& table) { return TableEmitter().emit(table); }

}  // namespace kb::proxy::config
