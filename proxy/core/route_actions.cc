#include "proxy/core/route_actions.h"

namespace kb::proxy::core {
namespace {

// "/path" and "?query" (with its '?', or "") of a request-target.
std::pair<std::string_view, std::string_view> split_target(std::string_view target) {
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return {target.empty() ? std::string_view("/") : target, {}};
  std::string_view path = target.substr(0, q);
  return {path.empty() ? std::string_view("/") : path, target.substr(q)};
}

// Gateway API ReplacePrefixMatch over the route's prefix, element-wise like the match itself.
std::string replace_prefix(const config::Route& route, std::string_view path, std::string_view replacement) {
  std::string_view prefix = route.path;
  while (prefix.size() > 1 && prefix.back() == '/') prefix.remove_suffix(1);
  if (prefix == "/") prefix = {};
  std::string_view rest = path.starts_with(prefix) ? path.substr(prefix.size()) : path;
  // Appends only: GCC 12 reports a false -Wrestrict on assigning a literal here.
  if (replacement.ends_with('/') && rest.starts_with('/')) replacement.remove_suffix(1);
  std::string out;
  out.reserve(replacement.size() + rest.size() + 1);
  out.append(replacement).append(rest);
  if (out.empty()) out.push_back('/');
  return out;
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
  else if (!rd.replace_prefix.empty()) out.append(replace_prefix(route, path, rd.replace_prefix));
  else out.append(path);
  out.append(query);
  return out;
}

std::optional<std::string> rewritten_target(const config::Route& route, const std::regex* regex,
                                            std::string_view target) {
  const config::PathRewrite& rw = route.rewrite;
  const auto [path, query] = split_target(target);
  std::string out;
  if (!rw.replace_full.empty()) {
    out = rw.replace_full;
  } else if (!rw.replace_prefix.empty()) {
    out = replace_prefix(route, path, rw.replace_prefix);
  } else if (regex != nullptr) {
    std::match_results<std::string_view::const_iterator> m;
    try {
      if (!std::regex_search(path.begin(), path.end(), m, *regex)) return std::nullopt;
      out = m.format(rw.replacement);
    } catch (const std::regex_error&) {  // pathological input: leave the path alone
      return std::nullopt;
    }
    if (out.empty() || out.front() != '/') out.insert(out.begin(), '/');
    if (out.find('?') != std::string::npos) return out;  // nginx: a '?' in the replacement drops the query
  } else {
    return std::nullopt;
  }
  out.append(query);
  return out;
}

}  // namespace kb::proxy::core
