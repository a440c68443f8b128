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
  for (std::size_t i = 0; i < table.routes.size(); ++i) {
    const config::Route& route = table.routes[i];
    const int32_t b = balancer_index(table, route.balancer);
    if (b == kNoMatch) continue;
    const Match target{b, static_cast<int32_t>(i)};
    HostGroup& g = r.group_for(route.host);
    if (route.path_type == config::PathType::kExact) {
      g.exact.emplace(route.path.empty() ? std::string("/") : route.path, target);  // first one wins
    } else {
      g.prefixes.push_back(PrefixEntry{normalize_prefix(route.path), target});
    }
  }
  for (HostGroup& g : r.groups_) {
    // Longest first; stable so that among identical paths the first route in the table wins.
    std::stable_sort(g.prefixes.begin(), g.prefixes.end(),
                     [](const PrefixEntry& a, const PrefixEntry& b) { return a.path.size() > b.path.size(); });
  }
  return r;
}

Router::Match Router::match_group(const HostGroup& group, std::string_view path) const {
  // An Exact match has length path.size(), which no matching Prefix can exceed, and Exact wins
  // ties: so an Exact hit is final.
  if (!group.exact.empty()) {
    if (auto it = group.exact.find(path); it != group.exact.end()) return it->second;
  }
  for (const PrefixEntry& p : group.prefixes)
    if (prefix_matches(p.path, path)) return p.target;  // longest first
  return Match{};
}

Router::Match Router::match_route(std::string_view host, std::string_view path) const {
  if (auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  if (path.empty()) path = "/";

  const HostGroup* group = nullptr;
  if (!host.empty()) {
    if (auto it = exact_hosts_.find(host); it != exact_hosts_.end()) {
      group = &groups_[it->second];
    } else if (auto dot = host.find('.'); dot != std::string_view::npos && dot > 0) {
      // "*.example.com" covers exactly one label: the part after the first dot must be the suffix.
      if (auto w = wildcard_hosts_.find(host.substr(dot + 1)); w != wildcard_hosts_.end())
        group = &groups_[w->second];
    }
  }
  if (group == nullptr && any_host_ != kNoMatch) group = &groups_[static_cast<std::size_t>(any_host_)];
  if (group != nullptr) {
    if (const Match m = match_group(*group, path); m.balancer != kNoMatch) return m;
  }
  return Match{default_backend_, kNoMatch};
}

}  // namespace kb::proxy::core
