#include "proxy/core/route_actions.h"

#include <iterator>

namespace kb::proxy::core {
namespace {

// "/path" and "?query" (with its '?', or "") of a request-target.
std::pair<std::string_view, std::string_view> split_target(std::string_view target) {
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return {target.empty() ? std::string_view("/") : target, {}};
  std::string_view path = target.substr(0, q);
  return {path.empty() ? std::string_view("/") : path, target.substr(q)};
}

// Gateway API ReplacePrefixMatch over the route's prefix, element-wise like the match itself;
// appended to `out`.
void replace_prefix(const config::Route& route, std::string_view path, std::string_view replacement,
                    std::string& out) {
  std::string_view prefix = route.path;
  while (prefix.size() > 1 && prefix.back() == '/') prefix.remove_suffix(1);
  if (prefix == "/") prefix = {};
  std::string_view rest = path.starts_with(prefix) ? path.substr(prefix.size()) : path;
  if (replacement.ends_with('/') && rest.starts_with('/')) replacement.remove_suffix(1);
  const std::size_t start = out.size();
  // Appends only: GCC 12 reports a false -Wrestrict on assigning a literal here.
  out.append(replacement).append(rest);
  if (out.size() == start) out.push_back('/');
}

}  // namespace

std::string redirect_location(const config::Route& route, const RedirectRequest& request) {
  const config::Redirect& rd = route.redirect;
  if (!rd.url.empty()) return rd.url;
  const std::string_view scheme = rd.scheme.empty() ? request.scheme : std::string_view(rd.scheme);
  const std::string_view host = rd.hostname.empty() ? request.host : std::string_view(rd.hostname);
  uint16_t port = request.port;
  if (rd.port) port = *rd.port;
  else if (!rd.scheme.empty()) port = scheme == "https" ? 443 : 80;
  const auto [path, query] = split_target(request.target);
  std::string out;
  out.reserve(scheme.size() + host.size() + request.target.size() + 16);
  out.append(scheme).append("://").append(host);
  if (!((scheme == "http" && port == 80) || (scheme == "https" && port == 443))) out.append(":").append(std::to_string(port));
  if (!rd.replace_full.empty()) out.append(rd.replace_full);
  else if (!rd.replace_prefix.empty()) replace_prefix(route, path, rd.replace_prefix, out);
  else out.append(path);
  out.append(query);
  return out;
}

bool rewritten_target(const config::Route& route, const std::regex* regex, std::string_view target,
                      std::string& out) {
  const config::PathRewrite& rw = route.rewrite;
  const auto [path, query] = split_target(target);
  out.clear();
  if (!rw.replace_full.empty()) {
    out.append(rw.replace_full);
  } else if (!rw.replace_prefix.empty()) {
    replace_prefix(route, path, rw.replace_prefix, out);
  } else if (regex != nullptr) {
    std::match_results<std::string_view::const_iterator> m;
    try {
      if (!std::regex_search(path.begin(), path.end(), m, *regex)) return false;
      m.format(std::back_inserter(out), rw.replacement);
    } catch (const std::exception&) {  // pathological input (regex_error, bad_alloc): leave the path alone
      out.clear();
      return false;
    }
    if (out.empty() || out.front() != '/') out.insert(out.begin(), '/');
    if (out.find('?') != std::string::npos) return true;  // nginx: a '?' in the replacement drops the query
  } else {
    return false;
  }
  out.append(query);
  return true;
}

}  // namespace kb::proxy::core
