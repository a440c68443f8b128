#pragma once
// An immutable, fully resolved view of one table: routes compiled for matching and balancers
// bound to their runtime state. Built on the control plane, handed to each worker as
// std::shared_ptr<const Snapshot>; a request copies the pointer once and finishes on it.
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "proxy/config/table.h"
#include "proxy/core/balancer.h"
#include "proxy/core/request_view.h"
#include "proxy/core/route_decision.h"
#include "proxy/core/router.h"
#include "proxy/core/state_registry.h"
#include "proxy/core/tls_policy.h"

namespace kb::proxy::core {

// Where a request goes: the matched route (with its actions, route_actions.h) and the balancer.
//   route != nullptr, balancer != nullptr   forward through the route's balancer
//   route != nullptr, balancer == nullptr   a redirect-only route: answer the redirect
//   route == nullptr, balancer != nullptr   no route matched: the default backend
//   route == nullptr, balancer == nullptr   404
struct RouteDecision {
  const config::Route* route = nullptr;
  const CompiledRoute* compiled = nullptr;  // the route's regex and allowlist; set with route
  Balancer* balancer = nullptr;
  int32_t backend = -1;  // index into route->backends (-1 for a route with `balancer`)
  BackendReason reason = BackendReason::kOnly;
};

struct Snapshot {
  config::Table table;
  std::vector<std::unique_ptr<Balancer>> balancers;  // same order as table.balancers
  Router router;                                     // matches a request to a route index
  std::vector<CompiledRoute> routes;                 // same order as table.routes
  TlsPolicy tls;                                     // sslredirect per route, HSTS per host
  uint64_t generation = 0;
  // Whether decide() reads request headers: some route has header conditions or more than one
  // backend (canary header and cookie, session cookies). Computed when the snapshot is built; when
  // false the data plane leaves RequestView::headers empty and skips filling it per request.
  bool decide_reads_headers = false;

  // The balancer for a request, or nullptr (404). `host` without port, lower-case. Knows only
  // host and path (see Router::match): the call the session code makes until it passes the whole
  // request to decide().
  Balancer* route(std::string_view host, std::string_view path) const;

  // The whole decision for a request; `random` is uniform over uint64 (injected, for the weights).
  // request.headers may be empty when !decide_reads_headers (the decision is then the same).
  RouteDecision decide(const RequestView& request, uint64_t random) const;
};

// Builds a snapshot; state for members that exist in `registry` is reused, new members get
// defaults from their config, members no longer in the table are dropped from the registry.
std::shared_ptr<const Snapshot> build_snapshot(config::Table table, StateRegistry& registry,
                                               uint64_t generation);

}  // namespace kb::proxy::core
