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
// Longest match wins (length of the normalized route path); at equal length Exact beats Prefix.
// Among routes with the same path, Gateway API's HTTPRoute precedence: a route with methods beats
// one without, then more header conditions, then more query conditions, then table order. A route
// whose conditions (route_match.h) fail lets the next candidate try, a shorter prefix included.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proxy/config/table.h"
#include "proxy/core/request_view.h"
#include "proxy/core/route_match.h"

namespace kb::proxy::core {

class Router {
 public:
  static constexpr int32_t kNoMatch = -1;

  Router() = default;
  // Routes that name a balancer not in `table` are skipped (the codec's validation rejects them).
  static Router compile(const config::Table& table);

  // `host`: lower case, without port. `path`: the request path (a query string is ignored).
  // Returns the index into table.balancers, or kNoMatch. Knows only host and path: routes with
  // methods, headers or query conditions are passed over; a weighted route gives its first
  // backend; a redirect-only route has no balancer and gives the default backend.
  int32_t match(std::string_view host, std::string_view path) const;

  // The whole request: the index into table.routes of the route that serves it, or kNoMatch
  // (then default_backend() applies).
  int32_t match_route(const RequestView& request) const;
  int32_t default_backend() const { return default_backend_; }

 private:
  struct PrefixEntry {
    std::string path;  // normalized: no trailing '/', except "/" itself
    int32_t route = kNoMatch;
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using ExactPaths = std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>>;
  struct HostGroup {
    ExactPaths exact;                   // pathType Exact
    std::vector<PrefixEntry> prefixes;  // pathType Prefix, longest first
  };
  using GroupIndex = std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>>;

  HostGroup& group_for(std::string_view host);
  const HostGroup* group_of(std::string_view host) const;
  template <typename Accept>
  int32_t match_group(const HostGroup& group, std::string_view path, const Accept& accept) const;
  bool precedes(int32_t a, int32_t b) const;  // same path: Gateway API's order

  std::vector<HostGroup> groups_;
  GroupIndex exact_hosts_;     // "app.example.com" -> group
  GroupIndex wildcard_hosts_;  // "example.com" (the part after "*.") -> group
  int32_t any_host_ = kNoMatch;  // group index for host "", or kNoMatch
  int32_t default_backend_ = kNoMatch;
  std::vector<RouteMatch> matches_;      // by route index
  std::vector<int32_t> route_balancer_;  // by route index: balancer, first backend, or kNoMatch
};

}  // namespace kb::proxy::core
