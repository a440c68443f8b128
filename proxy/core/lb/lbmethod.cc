// Chooses the lbmethod implementation a balancer's config names.
#include "proxy/core/lb/lbmethod.h"

namespace kb::proxy::core::lb {

std::unique_ptr<LbMethod> make_lbmethod(const config::Balancer& balancer, RandomSource random) {
  switch (balancer.lbmethod) {
    case config::LbMethod::kByTraffic:
      return make_bytraffic();
    case config::LbMethod::kByBusyness:
      return make_bybusyness();
    case config::LbMethod::kHeartbeat:
      return make_heartbeat(balancer.heartbeat.max_age, std::move(random));
    case config::LbMethod::kByRequests:
      break;
  }
  return make_byrequests();
}

}  // namespace kb::proxy::core::lb
