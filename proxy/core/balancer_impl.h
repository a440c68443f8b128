#pragma once
// The Balancer implementation: Apache mod_proxy_balancer's request flow (pre_request,
// find_session_route, find_best_worker, post_request) over one balancer's members, with the
// lbmethod chosen by config (proxy/core/lb/). See docs/balancing.md for how each rule maps to
// Apache and where we deliberately differ.
#include <memory>
#include <vector>

#include "proxy/config/table.h"
#include "proxy/core/balancer.h"
#include "proxy/core/lb/lbmethod.h"

namespace kb::proxy::core {

// Builds the balancer for `config` (which must outlive it: it points into the snapshot's table).
// `members` are in config order, each bound to its shared MemberState; a member without a state
// gets a fresh one from its config, and `index` is set to the position. `random` feeds the
// heartbeat lbmethod (empty: a seeded mt19937_64). Control plane: throws std::invalid_argument
// when a member has no config.
std::unique_ptr<Balancer> make_balancer(const config::Balancer& config, std::vector<Member> members,
                                        lb::RandomSource random = {});

}  // namespace kb::proxy::core
