#pragma once
// GET /api/state: a number that changes whenever what the controller shows in BalancerCluster
// status changes in this proxy: a member's flags (health check failed or recovered, error, drain,
// a manager edit) or a new table. The controller asks every few hundred milliseconds (a tiny,
// constant-size answer) and refreshes status only when the number moved, so a health flip reaches
// `kubectl get bc` without a periodic full read of every member. Computed on demand from the live
// member flags: nothing on the request path is touched.
#include <cstdint>
#include <mutex>
#include <string>

#include "proxy/core/snapshot.h"

namespace kb::proxy::admin {

class StateVersion {
 public:
  // The version for the snapshot's current member flags: unchanged while they are, +1 when not.
  uint64_t observe(const core::Snapshot& snapshot);

 private:
  std::mutex mutex_;
  uint64_t digest_ = 0;
  uint64_t version_ = 0;
};

// A digest of the snapshot's generation and every member's (balancer, name, flags).
uint64_t state_digest(const core::Snapshot& snapshot);
// {"version":N}
std::string state_json(uint64_t version);

}  // namespace kb::proxy::admin
