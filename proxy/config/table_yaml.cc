// YAML -> Table. One Reader walks the document keeping the field path, so every error names
// source:line:column and the field; parsing continues after an error to report them all at once.
#include "proxy/config/table_yaml.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <tuple>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "proxy/config/validate.h"
#include "proxy/config/utf8.h"
#include "proxy/config/yaml_reader.h"

namespace kb::proxy::config {
namespace {

constexpr std::initializer_list<const char*> kHcKeys = {"hcmethod", "hcuri", "hcinterval", "hcpasses",
                                                        "hcfails", "hcexpect"};

void read_health_check(Reader& r, const YAML::Node& map, const std::string& path, HealthCheck& hc) {
  if (const auto n = map["hcmethod"]; n.IsDefined() && !n.IsNull()) {
    std::string s;
    if (r.scalar(n, Reader::join(path, "hcmethod"), s) && !parse_hcmethod(s, hc.method))
      r.error(n, Reader::join(path, "hcmethod"),
              "must be one of None, TCP, OPTIONS, HEAD, GET, OPTIONS11, HEAD11, GET11; got '" + s + "'");
  }
  r.string(map, "hcuri", path, hc.uri);
  if (!hc.uri.empty() && hc.uri.front() != '/') r.error(map["hcuri"], Reader::join(path, "hcuri"), "must start with '/'");
  Duration interval{};
  if (r.duration(map, "hcinterval", path, interval)) {
    if (interval < Duration(100)) r.error(map["hcinterval"], Reader::join(path, "hcinterval"), "must be at least 100ms");
    else hc.interval = interval;
  }
  r.integer(map, "hcpasses", path, hc.passes, 1, 1000);
  r.integer(map, "hcfails", path, hc.fails, 1, 1000);
  if (const auto e = map["hcexpect"]; e.IsDefined() && !e.IsNull()) {
    const auto epath = Reader::join(path, "hcexpect");
    if (!e.IsMap()) {
      r.error(e, epath, "must be a map with 'status' and/or 'body'");
      return;
    }
    r.check_keys(e, epath, {"status", "body"});
    if (const auto st = e["status"]; st.IsDefined()) {
      std::string s;
      if (r.scalar(st, Reader::join(epath, "status"), s)) {
        int lo = 0, hi = 0;
        const auto dash = s.find('-');
        const std::string a = s.substr(0, dash), b = dash == std::string::npos ? a : s.substr(dash + 1);
        const bool ok = std::from_chars(a.data(), a.data() + a.size(), lo).ec == std::errc() &&
                        std::from_chars(b.data(), b.data() + b.size(), hi).ec == std::errc() && lo >= 100 &&
                        hi <= 599 && lo <= hi;
        if (ok) {
          hc.expect_status_min = lo;
          hc.expect_status_max = hi;
        } else {
          r.error(st, Reader::join(epath, "status"), "must be a status or range like \"200\" or \"200-399\"");
        }
      }
    }
    r.string(e, "body", epath, hc.expect_body);
  }
}

void read_member(Reader& r, const YAML::Node& m, const std::string& path, const Balancer& b, Member& member) {
  if (!m.IsMap()) {
    r.error(m, path, "must be a map with at least 'url'");
    return;
  }
  r.check_keys(m, path, {"url", "name", "route", "redirect", "loadfactor", "lbset", "status", "retry",
                         "timeout", "connectiontimeout", "hcmethod", "hcuri", "hcinterval", "hcpasses",
                         "hcfails", "hcexpect"});
  r.string(m, "url", path, member.url);
  if (member.url.empty()) r.error(m, Reader::join(path, "url"), "is required");
  r.string(m, "name", path, member.name);
  if (member.name.empty()) member.name = member.url;
  r.string(m, "route", path, member.route);
  r.string(m, "redirect", path, member.redirect);
  if (const auto n = m["loadfactor"]; n.IsDefined() && !n.IsNull()) {
    std::string s;
    if (r.scalar(n, Reader::join(path, "loadfactor"), s)) {
      double v = 0;
      const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec != std::errc() || p != s.data() + s.size() || !(v >= 1 && v <= 100))
        r.error(n, Reader::join(path, "loadfactor"), "must be a number between 1 and 100, got '" + s + "'");
      else member.loadfactor = v;
    }
  }
  r.integer(m, "lbset", path, member.lbset, 0, 99);
  if (const auto n = m["status"]; n.IsDefined() && !n.IsNull()) {
    std::string s, err;
    if (r.scalar(n, Reader::join(path, "status"), s) && !parse_status_flags(s, member.status, err))
      r.error(n, Reader::join(path, "status"), err);
  }
  r.duration(m, "retry", path, member.retry);
  Duration d{};
  if (r.duration(m, "timeout", path, d)) member.timeout = d;
  if (r.duration(m, "connectiontimeout", path, d)) member.connection_timeout = d;
  member.health_check = b.health_check;  // ProxySet-style defaults, overridden per member below
  read_health_check(r, m, path, member.health_check);
}

void read_route_cookie(Reader& r, const YAML::Node& n, const std::string& path, RouteCookie& rc) {
  if (n.IsScalar()) {  // shorthand: routecookie: ROUTEID
    rc.name = n.Scalar();
    return;
  }
  if (!n.IsMap()) {
    r.error(n, path, "must be a cookie name or a map {name, path, httponly, secure, samesite, maxage}");
    return;
  }
  r.check_keys(n, path, {"name", "path", "httponly", "secure", "samesite", "maxage", "domain"});
  r.string(n, "name", path, rc.name);
  if (rc.name.empty()) r.error(n, Reader::join(path, "name"), "is required");
  r.string(n, "path", path, rc.path);
  r.boolean(n, "httponly", path, rc.http_only);
  r.boolean(n, "secure", path, rc.secure);
  r.string(n, "samesite", path, rc.same_site);
  if (!rc.same_site.empty() && rc.same_site != "Lax" && rc.same_site != "Strict" && rc.same_site != "None")
    r.error(n["samesite"], Reader::join(path, "samesite"), "must be Lax, Strict or None");
  int64_t max_age = 0;
  if (r.integer(n, "maxage", path, max_age, 0, 400LL * 24 * 3600)) rc.max_age = max_age;
  r.string(n, "domain", path, rc.domain);
}

void read_balancer(Reader& r, const YAML::Node& n, const std::string& path, Balancer& b) {
  if (!n.IsMap()) {
    r.error(n, path, "must be a map with 'name' and 'members'");
    return;
  }
  r.check_keys(n, path, {"name", "lbmethod", "stickysession", "stickysessionsep", "scolonpathdelim", "nofailover",
                         "maxattempts", "timeout", "failonstatus", "failontimeout", "forcerecovery",
                         "proxytimeout", "connectiontimeout", "preservehost", "routecookie", "heartbeat",
                         "members", "hcmethod", "hcuri", "hcinterval", "hcpasses", "hcfails", "hcexpect"});
  r.string(n, "name", path, b.name);
  if (b.name.empty()) r.error(n, Reader::join(path, "name"), "is required");
  if (const auto m = n["lbmethod"]; m.IsDefined() && !m.IsNull()) {
    std::string s;
    if (r.scalar(m, Reader::join(path, "lbmethod"), s) && !parse_lbmethod(s, b.lbmethod))
      r.error(m, Reader::join(path, "lbmethod"),
              "must be one of byrequests, bytraffic, bybusyness, heartbeat; got '" + s + "'");
  }
  if (const auto s = n["stickysession"]; s.IsDefined() && !s.IsNull()) {
    std::string text, err;
    if (r.scalar(s, Reader::join(path, "stickysession"), text) && !parse_sticky_session(text, b.sticky, err))
      r.error(s, Reader::join(path, "stickysession"), err);
  }
  if (const auto s = n["stickysessionsep"]; s.IsDefined() && !s.IsNull()) {
    std::string text;
    if (r.scalar(s, Reader::join(path, "stickysessionsep"), text)) {
      if (text == "Off" || text == "off") b.sticky.separator.reset();
      else if (text.size() == 1) b.sticky.separator = text[0];
      else r.error(s, Reader::join(path, "stickysessionsep"), "must be a single character or Off");
    }
  }
  r.boolean(n, "scolonpathdelim", path, b.sticky.scolon_path_delim);
  r.boolean(n, "nofailover", path, b.nofailover);
  int attempts = 0;
  if (r.integer(n, "maxattempts", path, attempts, 0, 1000)) b.maxattempts = attempts;
  Duration timeout{};
  if (r.duration(n, "timeout", path, timeout)) {
    if (timeout > Duration(7200 * 1000)) r.error(n["timeout"], Reader::join(path, "timeout"), "must be at most 7200s");
    else b.timeout = timeout;
  }
  if (const auto f = n["failonstatus"]; f.IsDefined() && !f.IsNull()) {
    // Apache: a comma- or space-separated list; YAML users may write a sequence.
    std::vector<std::pair<YAML::Node, std::string>> items;
    if (f.IsSequence()) {
      for (const auto& i : f) items.emplace_back(i, i.IsScalar() ? i.Scalar() : "");
    } else if (f.IsScalar()) {
      std::string s = f.Scalar();
      for (char& c : s) c = (c == ',') ? ' ' : c;
      std::istringstream in(s);
      for (std::string tok; in >> tok;) items.emplace_back(f, tok);
    }
    for (const auto& [node, tok] : items) {
      int code = 0;
      const auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), code);
      if (ec != std::errc() || p != tok.data() + tok.size() || code < 100 || code > 599)
        r.error(node, Reader::join(path, "failonstatus"), "must list HTTP status codes (100-599), got '" + tok + "'");
      else b.failonstatus.push_back(code);
    }
  }
  r.boolean(n, "failontimeout", path, b.failontimeout);
  r.boolean(n, "forcerecovery", path, b.forcerecovery);
  r.duration(n, "proxytimeout", path, b.member_timeout);
  r.duration(n, "connectiontimeout", path, b.connection_timeout);
  r.boolean(n, "preservehost", path, b.preserve_host);
  if (const auto rc = n["routecookie"]; rc.IsDefined() && !rc.IsNull())
    read_route_cookie(r, rc, Reader::join(path, "routecookie"), b.sticky.route_cookie);
  if (const auto hb = n["heartbeat"]; hb.IsDefined() && !hb.IsNull()) {
    const auto hpath = Reader::join(path, "heartbeat");
    if (!hb.IsMap()) {
      r.error(hb, hpath, "must be a map {path, interval, maxage}");
    } else {
      r.check_keys(hb, hpath, {"path", "interval", "maxage"});
      r.string(hb, "path", hpath, b.heartbeat.path);
      if (b.heartbeat.path.empty() || b.heartbeat.path.front() != '/')
        r.error(hb["path"], Reader::join(hpath, "path"), "must start with '/'");
      r.duration(hb, "interval", hpath, b.heartbeat.interval);
      r.duration(hb, "maxage", hpath, b.heartbeat.max_age);
    }
  }
  read_health_check(r, n, path, b.health_check);
  if (const auto ms = n["members"]; ms.IsDefined() && !ms.IsNull()) {
    if (!ms.IsSequence()) {
      r.error(ms, Reader::join(path, "members"), "must be a list");
    } else {
      for (std::size_t i = 0; i < ms.size(); ++i) {
        Member member;
        read_member(r, ms[i], Reader::join(path, "members") + "[" + std::to_string(i) + "]", b, member);
        b.members.push_back(std::move(member));
      }
    }
  }
}

// {certificate, key}: both required; the files are read where the table is applied.
void read_certificate_files(Reader& r, const YAML::Node& n, const std::string& path, CertificateFiles& files) {
  r.string(n, "certificate", path, files.certificate);
  if (files.certificate.empty()) r.error(n, Reader::join(path, "certificate"), "is required (a PEM file, full chain)");
  r.string(n, "key", path, files.key);
  if (files.key.empty()) r.error(n, Reader::join(path, "key"), "is required (a PEM private key file)");
}

void read_hsts(Reader& r, const YAML::Node& n, const std::string& path, Hsts& hsts) {
  if (!n.IsMap()) {
    r.error(n, path, "must be a map {maxage, includesubdomains, preload}");
    return;
  }
  r.check_keys(n, path, {"maxage", "includesubdomains", "preload"});
  r.integer(n, "maxage", path, hsts.max_age, 0, 2LL * 365 * 24 * 3600);
  r.boolean(n, "includesubdomains", path, hsts.include_subdomains);
  r.boolean(n, "preload", path, hsts.preload);
}

void read_tls_entry(Reader& r, const YAML::Node& n, const std::string& path, TlsEntry& entry) {
  if (!n.IsMap()) {
    r.error(n, path, "must be a map {hosts, certificate, key, hsts}");
    return;
  }
  r.check_keys(n, path, {"hosts", "certificate", "key", "hsts"});
  const auto hosts = n["hosts"];
  const auto hpath = Reader::join(path, "hosts");
  if (!hosts.IsDefined() || hosts.IsNull()) {
    r.error(n, hpath, "is required (a list of host names)");
  } else if (!hosts.IsSequence()) {
    r.error(hosts, hpath, "must be a list of host names");
  } else {
    for (std::size_t i = 0; i < hosts.size(); ++i) {
      std::string host;
      if (r.scalar(hosts[i], hpath + "[" + std::to_string(i) + "]", host)) entry.hosts.push_back(std::move(host));
    }
  }
  read_certificate_files(r, n, path, entry.files);
  if (const auto h = n["hsts"]; h.IsDefined() && !h.IsNull()) {
    entry.hsts.emplace();
    read_hsts(r, h, Reader::join(path, "hsts"), *entry.hsts);
  }
}

}  // namespace

std::string ConfigError::to_string() const {
  // Appends only: GCC 12 at -O3 reports a false -Wrestrict on `":" + std::to_string(...)`.
  std::string s = source;
  if (line > 0) {
    s.append(":").append(std::to_string(line)).append(":").append(std::to_string(column));
  }
  s.append(": ");
  if (!field.empty()) s.append(field).append(": ");
  s.append(message);
  return s;
}

namespace {

// The top-level keys of a table document; any subset may be present.
void read_root(Reader& r, const YAML::Node& root, Table& table) {
  r.check_keys(root, "", {"balancers", "routes", "defaultbackend", "tls", "defaultcertificate"});
  if (const auto bs = root["balancers"]; bs.IsDefined() && !bs.IsNull()) {
    if (!bs.IsSequence()) r.error(bs, "balancers", "must be a list");
    else
      for (std::size_t i = 0; i < bs.size(); ++i) {
        Balancer b;
        read_balancer(r, bs[i], "balancers[" + std::to_string(i) + "]", b);
        table.balancers.push_back(std::move(b));
      }
  }
  if (const auto rs = root["routes"]; rs.IsDefined() && !rs.IsNull()) {
    if (!rs.IsSequence()) r.error(rs, "routes", "must be a list");
    else
      for (std::size_t i = 0; i < rs.size(); ++i) {
        Route route;
        read_route(r, rs[i], "routes[" + std::to_string(i) + "]", route);
        table.routes.push_back(std::move(route));
      }
  }
  r.string(root, "defaultbackend", "", table.default_backend);
  if (const auto ts = root["tls"]; ts.IsDefined() && !ts.IsNull()) {
    if (!ts.IsSequence()) r.error(ts, "tls", "must be a list");
    else
      for (std::size_t i = 0; i < ts.size(); ++i) {
        TlsEntry entry;
        read_tls_entry(r, ts[i], "tls[" + std::to_string(i) + "]", entry);
        table.tls.push_back(std::move(entry));
      }
  }
  if (const auto dc = root["defaultcertificate"]; dc.IsDefined() && !dc.IsNull()) {
    if (!dc.IsMap()) {
      r.error(dc, "defaultcertificate", "must be a map {certificate, key}");
    } else {
      r.check_keys(dc, "defaultcertificate", {"certificate", "key"});
      read_certificate_files(r, dc, "defaultcertificate", table.default_certificate.emplace());
    }
  }
}

}  // namespace

TableResult parse_table(std::string_view yaml_text, std::string_view source) {
  TableResult result;
  if (const auto bad = first_invalid_utf8(yaml_text)) {
    result.errors.push_back({std::string(source), bad->line, bad->column, "",
                             "the table is not valid UTF-8 text"});
    return result;
  }
  Reader r(std::string(source), result.errors);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    result.errors.push_back({std::string(source), e.mark.line + 1, e.mark.column + 1, "", e.msg});
    return result;
  }
  if (root.IsNull()) return result;  // an empty file is an empty table: every request gets 404
  if (!root.IsMap()) {
    r.error(root, "", "the table must be a map with 'balancers' and 'routes'");
    return result;
  }
  try {
    read_root(r, root, result.table);
  } catch (const YAML::Exception& e) {  // yaml-cpp throws on some malformed shapes: report, never crash
    result.errors.push_back({std::string(source), e.mark.line + 1, e.mark.column + 1, "", e.msg});
  }
  if (result.errors.empty()) validate_table(result.table, root, r.source(), result.errors);
  // In file order, as a person reads them.
  std::stable_sort(result.errors.begin(), result.errors.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  return result;
}

bool decode_table_part(std::string_view yaml_text, Table& table) {
  std::vector<ConfigError> errors;
  Reader r("<part>", errors);
  if (first_invalid_utf8(yaml_text)) return false;
  try {
    const YAML::Node root = YAML::Load(std::string(yaml_text));
    if (!root.IsMap()) return false;
    read_root(r, root, table);
  } catch (const YAML::Exception&) {
    return false;
  }
  return errors.empty();
}

bool read_text_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  out = std::move(text).str();
  return true;
}

TableResult load_table_file(const std::string& path) {
  std::string text;
  if (!read_text_file(path, text)) {
    TableResult result;
    result.errors.push_back({path, 0, 0, "", "cannot open the file"});
    return result;
  }
  return parse_table(text, path);
}

}  // namespace kb::proxy::config
