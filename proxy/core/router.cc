#include "proxy/core/router.h"

#include <algorithm>
#include <cctype>

namespace kb::proxy::core {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Kubernetes ignores a trailing slash on a Prefix path: "/foo/" behaves as "/foo".
std::string normalize_prefix(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) return "/";
  return std::string(path);
}

bool prefix_matches(std::string_view prefix, std::string_view path) {
  if (prefix == "/") return true;
  if (!path.starts_with(prefix)) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

int32_t balancer_index(const config::Table& table, std::string_view name) {
  for (std::size_t i = 0; i < table.balancers.size(); ++i)
    if (table.balancers[i].name == name) return static_cast<int32_t>(i);
  return Router::kNoMatch;
}

}  // namespace

Router::HostGroup& Router::group_for(std::string_view host) {
  auto add = [this](GroupIndex& index, std::string key) -> HostGroup& {
    auto it = index.find(key);
    if (it == index.end()) {
      it = index.emplace(std::move(key), static_cast<uint32_t>(groups_.size())).first;
      groups_.emplace_back();
    }
    return groups_[it->second];
  };
  if (host.empty()) {
    if (any_host_ == kNoMatch) {
      any_host_ = static_cast<int32_t>(groups_.size());
      groups_.emplace_back();
    }
    return groups_[static_cast<std::size_t>(any_host_)];
  }
  if (host.starts_with("*.")) return add(wildcard_hosts_, lower(host.substr(2)));
  return add(exact_hosts_, lower(host));
}

Router Router::compile(const config::Table& table) {
  Router r;
  r.default_backend_ =
      table.default_backend.empty() ? kNoMatch : balancer_index(table, table.default_backend);
  r.matches_.reserve(table.routes.size());
  r.route_balancer_.reserve(table.routes.size());
  for (std::size_t i = 0; i < table.routes.size(); ++i) {
    const config::Route& route = table.routes[i];
    const auto index = static_cast<int32_t>(i);
    r.matches_.push_back(RouteMatch::compile(route));
    int32_t b = route.backends.empty() ? balancer_index(table, route.balancer)
                                       : balancer_index(table, route.backends.front().balancer);
    r.route_balancer_.push_back(b);
    if (b == kNoMatch && !route.redirect.enabled()) continue;  // the codec's validation rejects these
    HostGroup& g = r.group_for(route.host);
    if (route.path_type == config::PathType::kExact) {
      g.exact[route.path.empty() ? std::string("/") : route.path].push_back(index);
    } else {
      g.prefixes.push_back(PrefixEntry{normalize_prefix(route.path), index});
    }
  }
  auto before = [&r](int32_t a, int32_t b) { return r.precedes(a, b); };
  for (HostGroup& g : r.groups_) {
    for (auto& [path, routes] : g.exact) std::stable_sort(routes.begin(), routes.end(), before);
    // Longest first, then Gateway API's order among equal paths; stable, so table order breaks ties.
    std::stable_sort(g.prefixes.begin(), g.prefixes.end(), [&](const PrefixEntry& a, const PrefixEntry& b) {
      if (a.path.size() != b.path.size()) return a.path.size() > b.path.size();
      return before(a.route, b.route);
    });
  }
  return r;
}

bool Router::precedes(int32_t a, int32_t b) const {
  const RouteMatch& x = matches_[static_cast<std::size_t>(a)];
  const RouteMatch& y = matches_[static_cast<std::size_t>(b)];
  if (x.has_method() != y.has_method()) return x.has_method();
  if (x.header_count() != y.header_count()) return x.header_count() > y.header_count();
  return x.query_count() > y.query_count();
}

template <typename Accept>
int32_t Router::match_group(const HostGroup& group, std::string_view path, const Accept& accept) const {
  // An Exact match has length path.size(), which no matching Prefix can exceed, and Exact wins
  // ties: so Exact candidates come first.
  if (!group.exact.empty()) {
    if (auto it = group.exact.find(path); it != group.exact.end())
      for (int32_t route : it->second)
        if (accept(route)) return route;
  }
  for (const PrefixEntry& p : group.prefixes)  // longest first
    if (prefix_matches(p.path, path) && accept(p.route)) return p.route;
  return kNoMatch;
}

const Router::HostGroup* Router::group_of(std::string_view host) const {
  if (!host.empty()) {
    if (auto it = exact_hosts_.find(host); it != exact_hosts_.end()) return &groups_[it->second];
    if (auto dot = host.find('.'); dot != std::string_view::npos && dot > 0) {
      // "*.example.com" covers exactly one label: the part after the first dot must be the suffix.
      if (auto w = wildcard_hosts_.find(host.substr(dot + 1)); w != wildcard_hosts_.end()) return &groups_[w->second];
    }
  }
  return any_host_ == kNoMatch ? nullptr : &groups_[static_cast<std::size_t>(any_host_)];
}

namespace {
std::string_view request_path(std::string_view target) {
  if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
  return target.empty() ? std::string_view("/") : target;
}
}  // namespace

int32_t Router::match(std::string_view host, std::string_view path) const {
  if (const HostGroup* group = group_of(host)) {
    const int32_t route = match_group(*group, request_path(path), [this](int32_t r) {
      return matches_[static_cast<std::size_t>(r)].empty() && route_balancer_[static_cast<std::size_t>(r)] != kNoMatch;
    });
    if (route != kNoMatch) return route_balancer_[static_cast<std::size_t>(route)];
  }
  return default_backend_;
}

int32_t Router::match_route(const RequestView& request) const {
  const HostGroup* group = group_of(request.host);
  if (group == nullptr) return kNoMatch;
  return match_group(*group, request_path(request.target),
                     [&](int32_t r) { return matches_[static_cast<std::size_t>(r)].matches(request); });
}

}  // namespace kb::proxy::core
