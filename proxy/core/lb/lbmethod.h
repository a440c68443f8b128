#pragma once
// The lbmethod interface: one implementation per file in this folder, like Apache's
// mod_lbmethod_* modules. The balancer calls pick() under its mutex (Apache's balancer lock), so an
// implementation may keep scratch state; member state itself is atomic because health checkers,
// the admin listener and other snapshots' balancers touch it too.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "proxy/config/table.h"
#include "proxy/core/balancer.h"

namespace kb::proxy::core::lb {

// Uniform integer in [0, bound), bound > 0. Injected so tests are exact.
using RandomSource = std::function<uint64_t(uint64_t bound)>;

class LbMethod {
 public:
  virtual ~LbMethod() = default;
  // The best member for a new session, or nullptr when none is usable. Members in `avoid` (the
  // ones this request already tried) are treated as unusable. Increments nothing but the
  // method's own accounting (lbstatus); the balancer counts elected and busy.
  virtual const Member* pick(std::span<const Member> members, std::span<const Member* const> avoid,
                             TimePoint now) = 0;
  // Apache's reset hook (lbmethod changed, member re-enabled): zero the method's counters.
  virtual void reset(std::span<const Member> members) = 0;
};

std::unique_ptr<LbMethod> make_byrequests();
std::unique_ptr<LbMethod> make_bytraffic();
std::unique_ptr<LbMethod> make_bybusyness();
// Heartbeats older than `max_age` are ignored; `random` may be empty (a seeded mt19937_64).
std::unique_ptr<LbMethod> make_heartbeat(config::Duration max_age, RandomSource random);

// The method the balancer's config names.
std::unique_ptr<LbMethod> make_lbmethod(const config::Balancer& balancer, RandomSource random);

}  // namespace kb::proxy::core::lb
