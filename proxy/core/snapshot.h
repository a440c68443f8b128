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
#include "proxy/core/router.h"
#include "proxy/core/state_registry.h"
#include "proxy/core/tls_policy.h"

namespace kb::proxy::core {

struct Snapshot {
  config::Table table;
  std::vector<std::unique_ptr<Balancer>> balancers;  // same order as table.balancers
  Router router;                                     // matches host + path to a balancer index
  TlsPolicy tls;                                     // sslredirect per route, HSTS per host
  uint64_t generation = 0;

  // The balancer for a request, or nullptr (404). `host` without port, lower-case.
  Balancer* route(std::string_view host, std::string_view path) const;
};

// Builds a snapshot; state for members that exist in `registry` is reused, new members get
// defaults from their config, members no longer in the table are dropped from the registry.
std::shared_ptr<const Snapshot> build_snapshot(config::Table table, StateRegistry& registry,
                                               uint64_t generation);

}  // namespace kb::proxy::core
