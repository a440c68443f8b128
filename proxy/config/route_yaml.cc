// YAML -> Route: host + path, the extra matches (methods, headers, query parameters) and the
// actions (allow, redirect, rewrite, header modifiers, limits, weighted backends, canary). Keys and
// meaning: docs/table-format.md "Route". Regexes are compiled here once so that a bad one is an
// error with file and line, never a surprise in the proxy.
#include <regex>

#include "proxy/config/yaml_reader.h"

namespace kb::proxy::config {
namespace {

bool compiles(const std::string& pattern, std::string& error) {
  try {
    std::regex re(pattern, std::regex::ECMAScript);
    return true;
  } catch (const std::regex_error& e) {
    error = "is not a valid regular expression (" + std::string(e.what()) + "): '" + pattern + "'";
    return false;
  }
}

bool token(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c <= ' ' || c >= 127 || c == ':' || c == '"' || c == ',' || c == ';' || c == '(' || c == ')') return false;
  return true;
}

// A list of scalars, or one comma-separated scalar ("10.0.0.0/8, 192.168.0.0/16", as annotations
// write it).
std::vector<std::pair<YAML::Node, std::string>> scalar_list(Reader& r, const YAML::Node& n, const std::string& field) {
  std::vector<std::pair<YAML::Node, std::string>> out;
  if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) {
      std::string s;
      if (r.scalar(n[i], field + "[" + std::to_string(i) + "]", s)) out.emplace_back(n[i], s);
    }
  } else if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    for (std::size_t start = 0; start <= s.size();) {
      const std::size_t end = std::min(s.find(',', start), s.size());
      std::string item = s.substr(start, end - start);
      start = end + 1;
      item.erase(0, item.find_first_not_of(' '));
      item.erase(item.find_last_not_of(' ') + 1);
      if (!item.empty()) out.emplace_back(n, item);
    }
  } else {
    r.error(n, field, "must be a list");
  }
  return out;
}

void read_value_matches(Reader& r, const YAML::Node& n, const std::string& field, std::vector<ValueMatch>& out) {
  if (!n.IsSequence()) {
    r.error(n, field, "must be a list of {name, value, type}");
    return;
  }
  for (std::size_t i = 0; i < n.size(); ++i) {
    const std::string path = field + "[" + std::to_string(i) + "]";
    const YAML::Node m = n[i];
    if (!m.IsMap()) {
      r.error(m, path, "must be a map {name, value, type}");
      continue;
    }
    r.check_keys(m, path, {"name", "value", "type"});
    ValueMatch v;
    r.string(m, "name", path, v.name);
    if (v.name.empty()) r.error(m, Reader::join(path, "name"), "is required");
    r.string(m, "value", path, v.value);
    std::string type = "Exact";
    r.string(m, "type", path, type);
    if (type == "RegularExpression") v.type = MatchType::kRegex;
    else if (type != "Exact") r.error(m["type"], Reader::join(path, "type"), "must be Exact or RegularExpression; got '" + type + "'");
    std::string why;
    if (v.type == MatchType::kRegex && !compiles(v.value, why)) r.error(m["value"], Reader::join(path, "value"), why);
    out.push_back(std::move(v));
  }
}

void read_pairs(Reader& r, const YAML::Node& n, const std::string& field,
                std::vector<std::pair<std::string, std::string>>& out) {
  if (!n.IsMap()) {
    r.error(n, field, "must be a map of header name to value");
    return;
  }
  for (const auto& kv : n) {  // yaml-cpp keeps a map's document order
    const std::string name = kv.first.as<std::string>("");
    std::string value;
    if (!token(name)) r.error(kv.first, field, "'" + name + "' is not a header name");
    else if (!r.scalar(kv.second, Reader::join(field, name), value)) continue;
    else if (!wire_safe_value(value)) r.error(kv.second, Reader::join(field, name), "must not contain control characters");
    else out.emplace_back(name, value);
  }
}

void read_header_modifier(Reader& r, const YAML::Node& n, const std::string& path, HeaderModifier& hm) {
  if (!n.IsMap()) {
    r.error(n, path, "must be a map {set, add, remove}");
    return;
  }
  r.check_keys(n, path, {"set", "add", "remove"});
  if (const auto s = n["set"]; s.IsDefined() && !s.IsNull()) read_pairs(r, s, Reader::join(path, "set"), hm.set);
  if (const auto a = n["add"]; a.IsDefined() && !a.IsNull()) read_pairs(r, a, Reader::join(path, "add"), hm.add);
  if (const auto rm = n["remove"]; rm.IsDefined() && !rm.IsNull())
    for (auto& [node, name] : scalar_list(r, rm, Reader::join(path, "remove"))) {
      if (token(name)) hm.remove.push_back(name);
      else r.error(node, Reader::join(path, "remove"), "'" + name + "' is not a header name");
    }
}

// Keys whose text goes into the request line, Host or Location as it is.
void check_uris(Reader& r, const YAML::Node& n, const std::string& path,
                std::initializer_list<std::pair<const char*, const std::string*>> keys) {
  for (const auto& [key, text] : keys)
    if (!wire_safe_uri(*text)) r.error(n[key], Reader::join(path, key), "must not contain spaces or control characters");
}

void read_redirect(Reader& r, const YAML::Node& n, const std::string& path, Redirect& rd) {
  if (!n.IsMap()) {
    r.error(n, path, "must be a map {url | scheme, hostname, port, replacefull | replaceprefix, status}");
    return;
  }
  r.check_keys(n, path, {"url", "scheme", "hostname", "port", "replacefull", "replaceprefix", "status"});
  r.string(n, "url", path, rd.url);
  r.string(n, "scheme", path, rd.scheme);
  if (!rd.scheme.empty() && rd.scheme != "http" && rd.scheme != "https")
    r.error(n["scheme"], Reader::join(path, "scheme"), "must be http or https");
  r.string(n, "hostname", path, rd.hostname);
  uint16_t port = 0;
  if (r.integer(n, "port", path, port, 1, 65535)) rd.port = port;
  r.string(n, "replacefull", path, rd.replace_full);
  r.string(n, "replaceprefix", path, rd.replace_prefix);
  for (const std::string* p : {&rd.replace_full, &rd.replace_prefix})
    if (!p->empty() && p->front() != '/') r.error(n, path, "a redirect path must start with '/'");
  if (!rd.replace_full.empty() && !rd.replace_prefix.empty())
    r.error(n, path, "replacefull and replaceprefix exclude each other");
  if (r.integer(n, "status", path, rd.status, 301, 308) &&
      (rd.status == 304 || rd.status == 305 || rd.status == 306))
    r.error(n["status"], Reader::join(path, "status"), "must be 301, 302, 303, 307 or 308");
  if (!rd.url.empty() && (!rd.scheme.empty() || !rd.hostname.empty() || rd.port || !rd.replace_full.empty() ||
                          !rd.replace_prefix.empty()))
    r.error(n, path, "url is a whole Location: it excludes scheme, hostname, port and the path keys");
  if (!rd.enabled()) r.error(n, path, "needs at least one of url, scheme, hostname, port, replacefull, replaceprefix");
  check_uris(r, n, path, {{"url", &rd.url}, {"hostname", &rd.hostname}, {"replacefull", &rd.replace_full},
                          {"replaceprefix", &rd.replace_prefix}});
}

void read_rewrite(Reader& r, const YAML::Node& n, const std::string& path, PathRewrite& rw) {
  if (!n.IsMap()) {
    r.error(n, path, "must be a map {replacefull | replaceprefix | regex + replacement, hostname}");
    return;
  }
  r.check_keys(n, path, {"replacefull", "replaceprefix", "regex", "replacement", "hostname"});
  r.string(n, "replacefull", path, rw.replace_full);
  r.string(n, "replaceprefix", path, rw.replace_prefix);
  r.string(n, "regex", path, rw.regex);
  r.string(n, "replacement", path, rw.replacement);
  r.string(n, "hostname", path, rw.hostname);
  const int forms = !rw.replace_full.empty() + !rw.replace_prefix.empty() + !rw.regex.empty();
  if (forms > 1) r.error(n, path, "replacefull, replaceprefix and regex exclude each other");
  if (!rw.regex.empty() && rw.replacement.empty()) r.error(n, Reader::join(path, "replacement"), "is required with regex");
  if (rw.regex.empty() && !rw.replacement.empty()) r.error(n, Reader::join(path, "regex"), "is required with replacement");
  std::string why;
  if (!rw.regex.empty() && !compiles(rw.regex, why)) r.error(n["regex"], Reader::join(path, "regex"), why);
  if (rw.empty()) r.error(n, path, "needs replacefull, replaceprefix, regex or hostname");
  check_uris(r, n, path, {{"replacefull", &rw.replace_full}, {"replaceprefix", &rw.replace_prefix},
                          {"replacement", &rw.replacement}, {"hostname", &rw.hostname}});
}

void read_backends(Reader& r, const YAML::Node& n, const std::string& path, std::vector<WeightedBackend>& out) {
  if (!n.IsSequence() || n.size() == 0) {
    r.error(n, path, "must be a non-empty list of {balancer, weight}");
    return;
  }
  for (std::size_t i = 0; i < n.size(); ++i) {
    const std::string bpath = path + "[" + std::to_string(i) + "]";
    const YAML::Node b = n[i];
    if (!b.IsMap()) {
      r.error(b, bpath, "must be a map {balancer, weight}");
      continue;
    }
    r.check_keys(b, bpath, {"balancer", "weight"});
    WeightedBackend wb;
    r.string(b, "balancer", bpath, wb.balancer);
    if (wb.balancer.empty()) r.error(b, Reader::join(bpath, "balancer"), "is required");
    r.integer(b, "weight", bpath, wb.weight, 0, 1000000);
    out.push_back(std::move(wb));
  }
}

void read_canary(Reader& r, const YAML::Node& n, const std::string& path, Canary& c) {
  if (!n.IsMap()) {
    r.error(n, path, "must be a map {balancer, header, headervalue, cookie}");
    return;
  }
  r.check_keys(n, path, {"balancer", "header", "headervalue", "cookie"});
  r.string(n, "balancer", path, c.balancer);
  if (c.balancer.empty()) r.error(n, Reader::join(path, "balancer"), "is required");
  r.string(n, "header", path, c.header);
  r.string(n, "headervalue", path, c.header_value);
  r.string(n, "cookie", path, c.cookie);
  if (!c.header_value.empty() && c.header.empty()) r.error(n, Reader::join(path, "header"), "is required with headervalue");
}

}  // namespace

void read_route(Reader& r, const YAML::Node& n, const std::string& path, Route& route) {
  if (!n.IsMap()) {
    r.error(n, path, "must be a map {host, path, pathtype, balancer, ...}");
    return;
  }
  r.check_keys(n, path, {"host", "path", "pathtype", "balancer", "methods", "headers", "queryparams", "allow",
                         "redirect", "rewrite", "requestheaders", "responseheaders", "maxbodysize", "connecttimeout",
                         "timeout", "sendtimeout", "maxattempts", "backends", "canary", "sslredirect"});
  r.string(n, "host", path, route.host);
  r.string(n, "path", path, route.path);
  if (const auto t = n["pathtype"]; t.IsDefined() && !t.IsNull()) {
    std::string s;
    if (r.scalar(t, Reader::join(path, "pathtype"), s)) {
      // Ingress' ImplementationSpecific is ours to define: it behaves as Prefix.
      if (s == "Prefix" || s == "ImplementationSpecific") route.path_type = PathType::kPrefix;
      else if (s == "Exact") route.path_type = PathType::kExact;
      else r.error(t, Reader::join(path, "pathtype"), "must be Exact, Prefix or ImplementationSpecific; got '" + s + "'");
    }
  }
  r.string(n, "balancer", path, route.balancer);
  if (const auto m = n["methods"]; m.IsDefined() && !m.IsNull())
    for (auto& [node, method] : scalar_list(r, m, Reader::join(path, "methods"))) {
      if (token(method)) route.methods.push_back(method);
      else r.error(node, Reader::join(path, "methods"), "'" + method + "' is not an HTTP method");
    }
  if (const auto h = n["headers"]; h.IsDefined() && !h.IsNull())
    read_value_matches(r, h, Reader::join(path, "headers"), route.headers);
  if (const auto q = n["queryparams"]; q.IsDefined() && !q.IsNull())
    read_value_matches(r, q, Reader::join(path, "queryparams"), route.query_params);
  if (const auto a = n["allow"]; a.IsDefined() && !a.IsNull())
    for (auto& [node, text] : scalar_list(r, a, Reader::join(path, "allow"))) {
      Cidr cidr;
      std::string why;
      if (parse_cidr(text, cidr, why)) route.allow.push_back(text);
      else r.error(node, Reader::join(path, "allow"), why);
    }
  if (const auto rd = n["redirect"]; rd.IsDefined() && !rd.IsNull())
    read_redirect(r, rd, Reader::join(path, "redirect"), route.redirect);
  if (const auto rw = n["rewrite"]; rw.IsDefined() && !rw.IsNull())
    read_rewrite(r, rw, Reader::join(path, "rewrite"), route.rewrite);
  if (const auto h = n["requestheaders"]; h.IsDefined() && !h.IsNull())
    read_header_modifier(r, h, Reader::join(path, "requestheaders"), route.request_headers);
  if (const auto h = n["responseheaders"]; h.IsDefined() && !h.IsNull())
    read_header_modifier(r, h, Reader::join(path, "responseheaders"), route.response_headers);
  if (const auto s = n["maxbodysize"]; s.IsDefined() && !s.IsNull()) {
    std::string text, why;
    uint64_t size = 0;
    if (r.scalar(s, Reader::join(path, "maxbodysize"), text)) {
      if (parse_size(text, size, why)) route.max_body_size = size;
      else r.error(s, Reader::join(path, "maxbodysize"), why);
    }
  }
  Duration d{};
  if (r.duration(n, "connecttimeout", path, d)) route.connect_timeout = d;
  if (r.duration(n, "timeout", path, d)) route.timeout = d;
  if (r.duration(n, "sendtimeout", path, d)) route.send_timeout = d;
  int attempts = 0;
  if (r.integer(n, "maxattempts", path, attempts, 0, 1000)) route.maxattempts = attempts;
  if (const auto b = n["backends"]; b.IsDefined() && !b.IsNull())
    read_backends(r, b, Reader::join(path, "backends"), route.backends);
  if (const auto c = n["canary"]; c.IsDefined() && !c.IsNull()) read_canary(r, c, Reader::join(path, "canary"), route.canary);
  if (const auto sr = n["sslredirect"]; sr.IsDefined() && !sr.IsNull()) {
    bool on = false;
    r.boolean(n, "sslredirect", path, on);
    route.ssl_redirect = on;
  }

  if (!route.balancer.empty() && !route.backends.empty())
    r.error(n, Reader::join(path, "backends"), "excludes 'balancer': name the balancers in backends only");
  if (route.balancer.empty() && route.backends.empty() && !route.redirect.enabled())
    r.error(n, Reader::join(path, "balancer"), "is required (or backends, or a redirect)");
  if (route.canary.enabled()) {
    bool listed = false;
    for (const WeightedBackend& b : route.backends) listed = listed || b.balancer == route.canary.balancer;
    if (!listed) r.error(n["canary"], Reader::join(path, "canary.balancer"), "must be one of the route's backends");
  }
}

}  // namespace kb::proxy::config
