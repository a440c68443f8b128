#pragma once
// Which balancer serves a matched route: its one `balancer`, or one of its weighted `backends`.
//
// For a route with backends (Gateway API weighted backendRefs, ingress-nginx canary), in order:
//   1. canary header, then canary cookie (ingress-nginx): with `headervalue`, the header equal to it
//      picks the canary; without, "always" picks it and "never" picks among the other backends;
//      the cookie likewise with "always"/"never"; anything else falls through.
//   2. the session: when a backend's balancer finds a session route (its stickysession cookie or
//      URL parameter, core/sticky.h) that names one of its members, that backend serves, whatever
//      the weights, weight 0 included (GEP-1619: an existing session beats the split). Members of
//      any status count: a draining version keeps its sessions; the balancer's pick() then does
//      the usual failover if the member is unusable. Backends are asked in table order.
//   3. the weights: `random` (injected, uniform over uint64) picks backend i with probability
//      weight_i / total. All weights 0 and no session: the first backend (Gateway API would answer
//      500; an explicit choice keeps the route serving, documented).
// Cost: one find_session_route per backend plus a scan of its members' routes; no allocation.
#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <span>
#include <vector>

#include "proxy/config/table.h"
#include "proxy/core/balancer.h"
#include "proxy/core/request_view.h"
#include "proxy/core/source_allowlist.h"

namespace kb::proxy::core {

// A route compiled once per snapshot: balancer indices, weights, regexes, allowlist.
struct CompiledRoute {
  const config::Route* config = nullptr;
  std::vector<int32_t> balancers;    // per backend (one for `balancer`): index into the snapshot's; -1 none
  std::vector<uint64_t> cumulative;  // running sums of the backends' weights
  int32_t canary = -1;               // index into `balancers` of the canary backend
  std::optional<std::regex> rewrite_regex;  // rewrite.regex, compiled icase
  SourceAllowlist allow;

  static CompiledRoute compile(const config::Route& route, const config::Table& table);
};

enum class BackendReason { kOnly, kCanaryHeader, kCanaryCookie, kSession, kWeight };

struct BackendChoice {
  int32_t backend = -1;  // index into CompiledRoute::balancers; -1: the route has no balancer (redirect)
  BackendReason reason = BackendReason::kOnly;
};

BackendChoice choose_backend(const CompiledRoute& route, std::span<const std::unique_ptr<Balancer>> balancers,
                             const RequestView& request, uint64_t random);

}  // namespace kb::proxy::core
