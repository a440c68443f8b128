#pragma once
// Host + path -> balancer index, with Kubernetes Ingress semantics. Compiled once per snapshot on
// the control plane; match() is read-only, allocation-free and safe from any thread.
//
// Hosts (as networking.k8s.io/v1 Ingress defines them):
//   "app.example.com"  exact (case-insensitive; compiled to lower case)
//   "*.example.com"    wildcard: exactly one extra DNS label ("a.example.com" matches,
//                      "example.com" and "a.b.example.com" do not)
//   ""                 any host
// The most specific host group that matches is chosen (exact > wildcard > any) and only its paths
// are considered: like Envoy virtual hosts (Contour) and ingress-nginx server blocks, a request for
// a host that has rules does not fall through to the any-host rules. No path match there -> the
// table's default_backend -> none (-1, the caller answers 404).
//
// Paths (Kubernetes pathType, case-sensitive):
//   Exact   the request path equals the route path ("/foo" does not match "/foo/").
//   Prefix  element-wise on '/': "/foo" matches "/foo", "/foo/" and "/foo/bar", not "/foobar";
//           a trailing slash on the route is ignored ("/foo/" == "/foo"); "/" matches everything.
// Longest match wins (length of the normalized route path); at equal length Exact beats Prefix;
// identical routes: the first in table order wins.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proxy/config/table.h"

namespace kb::proxy::core {

class Router {
 public:
  static constexpr int32_t kNoMatch = -1;

  Router() = default;
  // Routes that name a balancer not in `table` are skipped (the codec's validation rejects them).
  static Router compile(const config::Table& table);

  // What a request matched: indexes into table.balancers and table.routes. A request served by
  // the default backend has a balancer and route == kNoMatch.
  struct Match {
    int32_t balancer = kNoMatch;
    int32_t route = kNoMatch;
  };

  // `host`: lower case, without port. `path`: the request path (a query string is ignored).
  // Returns the index into table.balancers, or kNoMatch.
  int32_t match(std::string_view host, std::string_view path) const { return match_route(host, path).balancer; }
  // The same, with the route (for per-route settings such as sslredirect, core/tls_policy.h).
  Match match_route(std::string_view host, std::string_view path) const;

 private:
  struct PrefixEntry {
    std::string path;  // normalized: no trailing '/', except "/" itself
    Match target;
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using ExactPaths = std::unordered_map<std::string, Match, StringHash, std::equal_to<>>;
  struct HostGroup {
    ExactPaths exact;                   // pathType Exact
    std::vector<PrefixEntry> prefixes;  // pathType Prefix, longest first
  };
  using GroupIndex = std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>>;

  HostGroup& group_for(std::string_view host);
  Match match_group(const HostGroup& group, std::string_view path) const;

  std::vector<HostGroup> groups_;
  GroupIndex exact_hosts_;     // "app.example.com" -> group
  GroupIndex wildcard_hosts_;  // "example.com" (the part after "*.") -> group
  int32_t any_host_ = kNoMatch;  // group index for host "", or kNoMatch
  int32_t default_backend_ = kNoMatch;
};

}  // namespace kb::proxy::core
