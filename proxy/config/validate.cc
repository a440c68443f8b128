#include "proxy/config/validate.h"

#include <charconv>
#include <cctype>
#include <map>
#include <set>
#include <string_view>
#include <variant>

namespace kb::proxy::config {
namespace {

// Locates the YAML node of a field for its line number; an undefined node yields line 0.
YAML::Node at(const YAML::Node& root, std::initializer_list<std::variant<const char*, std::size_t>> path) {
  YAML::Node n = root;
  for (const auto& p : path) {
    if (!n.IsDefined() || n.IsNull() || n.IsScalar()) return YAML::Node(YAML::NodeType::Undefined);
    if (std::holds_alternative<const char*>(p)) {
      if (!n.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
      n.reset(n[std::get<const char*>(p)]);
    } else {
      if (!n.IsSequence() || std::get<std::size_t>(p) >= n.size()) return YAML::Node(YAML::NodeType::Undefined);
      n.reset(n[std::get<std::size_t>(p)]);
    }
  }
  return n;
}

bool valid_host(const std::string& host, std::string& error) {
  if (host.empty()) return true;
  std::string_view h(host);
  if (h.starts_with("*.")) h.remove_prefix(2);
  if (h.empty() || h.find('*') != std::string_view::npos) {
    error = "a wildcard host must be '*.' followed by a domain, as in Ingress";
    return false;
  }
  for (char c : h)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) {
      error = "must be a DNS name (letters, digits, '-', '.'), got '" + host + "'";
      return false;
    }
  return true;
}

}  // namespace

bool parse_member_url(const std::string& url, MemberUrl& out, std::string& error) {
  constexpr std::string_view kScheme = "http://";
  if (!std::string_view(url).starts_with(kScheme)) {
    error = "must start with http:// (got '" + url + "')";
    return false;
  }
  std::string_view rest = std::string_view(url).substr(kScheme.size());
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  while (path.ends_with('/')) path.remove_suffix(1);
  std::string_view port_text;
  if (authority.starts_with('[')) {  // [::1]:8080
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "has an unterminated IPv6 address";
      return false;
    }
    out.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        error = "has garbage after the IPv6 address";
        return false;
      }
      port_text = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) {
    error = "has no host (got '" + url + "')";
    return false;
  }
  out.port = 80;
  if (!port_text.empty() || authority.ends_with(':')) {
    unsigned port = 0;
    const auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || port == 0 || port > 65535) {
      error = "has an invalid port (got '" + url + "')";
      return false;
    }
    out.port = static_cast<uint16_t>(port);
  }
  if (path.find_first_of("?#") != std::string_view::npos) {
    error = "must not carry a query or fragment";
    return false;
  }
  out.base_path = std::string(path);
  return true;
}

void validate_table(const Table& table, const YAML::Node& root, const std::string& source,
                    std::vector<ConfigError>& errors) {
  auto fail = [&](const YAML::Node& n, std::string field, std::string message) {
    ConfigError e{source, 0, 0, std::move(field), std::move(message)};
    if (n.IsDefined() && n.Mark().line >= 0) {
      e.line = n.Mark().line + 1;
      e.column = n.Mark().column + 1;
    }
    errors.push_back(std::move(e));
  };
  std::set<std::string> balancer_names;
  for (std::size_t i = 0; i < table.balancers.size(); ++i) {
    const Balancer& b = table.balancers[i];
    const std::string bpath = "balancers[" + std::to_string(i) + "]";
    if (!balancer_names.insert(b.name).second)
      fail(at(root, {"balancers", i, "name"}), bpath + ".name", "duplicate balancer name '" + b.name + "'");
    std::set<std::string> member_names, routes;
    for (std::size_t j = 0; j < b.members.size(); ++j) {
      const Member& m = b.members[j];
      const std::string mpath = bpath + ".members[" + std::to_string(j) + "]";
      MemberUrl parsed;
      std::string why;
      if (!parse_member_url(m.url, parsed, why)) fail(at(root, {"balancers", i, "members", j, "url"}), mpath + ".url", why);
      if (!member_names.insert(m.name).second)
        fail(at(root, {"balancers", i, "members", j}), mpath + ".name", "duplicate member name '" + m.name + "'");
      if (m.route.size() > 63)
        fail(at(root, {"balancers", i, "members", j, "route"}), mpath + ".route", "must be at most 63 characters");
      if (!m.route.empty() && !routes.insert(m.route).second)
        fail(at(root, {"balancers", i, "members", j, "route"}), mpath + ".route",
             "duplicate route '" + m.route + "' in the balancer (sticky sessions could not tell members apart)");
    }
    for (std::size_t j = 0; j < b.members.size(); ++j) {
      const Member& m = b.members[j];
      if (!m.redirect.empty() && !routes.contains(m.redirect))
        fail(at(root, {"balancers", i, "members", j, "redirect"}),
             bpath + ".members[" + std::to_string(j) + "].redirect", "names no route of this balancer: '" + m.redirect + "'");
    }
  }
  for (std::size_t i = 0; i < table.routes.size(); ++i) {
    const Route& r = table.routes[i];
    const std::string rpath = "routes[" + std::to_string(i) + "]";
    std::string why;
    if (!valid_host(r.host, why)) fail(at(root, {"routes", i, "host"}), rpath + ".host", why);
    if (r.path.empty() || r.path.front() != '/') fail(at(root, {"routes", i, "path"}), rpath + ".path", "must start with '/'");
    if (!r.balancer.empty() && !balancer_names.contains(r.balancer))
      fail(at(root, {"routes", i, "balancer"}), rpath + ".balancer", "names no balancer: '" + r.balancer + "'");
    for (std::size_t j = 0; j < r.backends.size(); ++j)
      if (!balancer_names.contains(r.backends[j].balancer))
        fail(at(root, {"routes", i, "backends", j, "balancer"}), rpath + ".backends[" + std::to_string(j) + "].balancer",
             "names no balancer: '" + r.backends[j].balancer + "'");
  }
  if (!table.default_backend.empty() && !balancer_names.contains(table.default_backend))
    fail(at(root, {"defaultbackend"}), "defaultbackend", "names no balancer: '" + table.default_backend + "'");
  // A host has at most one certificate: SNI could not choose between two.
  std::map<std::string, std::size_t> tls_hosts;
  for (std::size_t i = 0; i < table.tls.size(); ++i) {
    const TlsEntry& t = table.tls[i];
    const std::string tpath = "tls[" + std::to_string(i) + "]";
    if (t.hosts.empty()) fail(at(root, {"tls", i, "hosts"}), tpath + ".hosts", "must name at least one host");
    for (std::size_t j = 0; j < t.hosts.size(); ++j) {
      const std::string hpath = tpath + ".hosts[" + std::to_string(j) + "]";
      std::string why;
      if (t.hosts[j].empty()) why = "must not be empty (the default certificate is 'defaultcertificate')";
      if (!why.empty() || !valid_host(t.hosts[j], why)) {
        fail(at(root, {"tls", i, "hosts", j}), hpath, why);
        continue;
      }
      std::string key = t.hosts[j];
      for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (const auto [it, fresh] = tls_hosts.emplace(key, i); !fresh)
        fail(at(root, {"tls", i, "hosts", j}), hpath,
             "host '" + t.hosts[j] + "' already has a certificate in tls[" + std::to_string(it->second) + "]");
    }
  }
}

void locate_fields(std::string_view yaml_text, std::vector<ConfigError>& errors) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception&) {
    return;
  }
  for (ConfigError& e : errors) {
    if (e.line > 0 || e.field.empty()) continue;
    // "tls[0].hosts[1]" -> tls, 0, hosts, 1
    YAML::Node n = root;
    std::string_view rest = e.field;
    while (n.IsDefined() && !rest.empty()) {
      const std::size_t end = rest.find_first_of(".[");
      const std::string_view key = rest.substr(0, end);
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
      if (!key.empty()) n.reset(at(n, {std::string(key).c_str()}));
      if (rest.starts_with('.')) rest.remove_prefix(1);
      while (rest.starts_with('[')) {
        std::size_t index = 0;
        const auto [p, ec] = std::from_chars(rest.data() + 1, rest.data() + rest.size(), index);
        if (ec != std::errc() || p == rest.data() + rest.size() || *p != ']') return;
        n.reset(at(n, {index}));
        rest.remove_prefix(static_cast<std::size_t>(p - rest.data()) + 1);
        if (rest.starts_with('.')) rest.remove_prefix(1);
      }
    }
    if (n.IsDefined() && n.Mark().line >= 0) {
      e.line = n.Mark().line + 1;
      e.column = n.Mark().column + 1;
    }
  }
}

}  // namespace kb::proxy::config
