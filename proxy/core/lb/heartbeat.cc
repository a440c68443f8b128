// heartbeat: Apache's mod_lbmethod_heartbeat, fed by polling instead of multicast.
//
// Apache's members announce {ready, busy} (free and used worker slots) to mod_heartmonitor; the
// lbmethod picks a member at random in proportion to its free capacity. In Kubernetes, multicast
// heartbeats rarely cross the pod network, so the proxy polls each member's heartbeat path
// instead (net/heartbeat poller, see docs/heartbeat.md) and stores what it answered in
// MemberState: hb_ready (-1 = never heard), hb_busy, hb_seen_ns.
//
// The rules, as Apache's find_best_hb:
//   * a member that never reported, or whose report is older than heartbeat.maxage (Apache: 10 s),
//     takes no requests;
//   * a member that reports busy == 0 and ready > 0 probably just started: its ready is divided by
//     4 so it is not flooded at once;
//   * an unusable member gets try_retry() first; then usable members compete;
//   * pick = random in [0, open) where open = the sum of ready; walk the members in config order
//     summing ready and choose the one whose slice holds pick.
// Deliberate differences (docs/balancing.md): Apache draws from [0, open] inclusive and lets the
// later member win on a slice boundary, which slightly favours later members; we draw from
// [0, open) so the split is exactly proportional. A member with 1-3 free slots and no busy ones
// would get 0 after the division (never chosen; if every member is like that, every request 503s):
// we keep at least 1. Drained (N) members and members this request already tried take no new
// session, as in the other methods; lbset, H and R are ignored, as in Apache.
//
// Worked example: a reports ready=30 busy=10, b reports ready=40 busy=0 (-> 10), c is silent.
// open = 40; pick in [0,30) -> a, [30,40) -> b: a gets 3/4 of the new sessions, b 1/4, c none.
#include <memory>
#include <random>
#include <vector>

#include "proxy/core/availability.h"
#include "proxy/core/lb/lbmethod.h"
#include "proxy/core/lb/tiers.h"

namespace kb::proxy::core::lb {
namespace {

class Heartbeat final : public LbMethod {
 public:
  Heartbeat(config::Duration max_age, RandomSource random)
      : max_age_ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(max_age).count()),
        random_(std::move(random)) {
    if (!random_) {
      random_ = [engine = std::mt19937_64(std::random_device{}())](uint64_t bound) mutable {
        return std::uniform_int_distribution<uint64_t>(0, bound - 1)(engine);
      };
    }
  }

  // Called under the balancer's mutex, so the scratch vector needs no lock of its own.
  const Member* pick(std::span<const Member> members, std::span<const Member* const> avoid,
                     TimePoint now) override {
    const int64_t now_ns = to_ns(now);
    up_.clear();
    uint64_t open = 0;
    for (const Member& m : members) {
      MemberState& s = *m.state;
      const int32_t ready = s.hb_ready.load(std::memory_order_acquire);
      if (ready < 0) continue;  // never heard from
      if (now_ns - s.hb_seen_ns.load(std::memory_order_acquire) >= max_age_ns_) continue;
      if (s.has(kDrain) || avoided(m, avoid)) continue;
      if (!usable(s)) try_retry(m, now);
      if (!usable(s)) continue;
      uint64_t slots = static_cast<uint64_t>(ready);
      if (s.hb_busy.load(std::memory_order_relaxed) == 0 && slots > 0) slots = std::max<uint64_t>(1, slots / 4);
      if (slots == 0) continue;
      up_.push_back({&m, slots});
      open += slots;
    }
    if (open == 0) return nullptr;
    uint64_t pick = random_(open);
    if (pick >= open) pick = open - 1;  // a bad random source must not walk off the end
    uint64_t c = 0;
    for (const auto& [member, slots] : up_) {
      if (pick < c + slots) return member;
      c += slots;
    }
    return up_.back().member;
  }

  void reset(std::span<const Member>) override {}  // nothing of its own to forget

 private:
  struct Up {
    const Member* member;
    uint64_t slots;
  };
  int64_t max_age_ns_;
  RandomSource random_;
  std::vector<Up> up_;
};

}  // namespace

std::unique_ptr<LbMethod> make_heartbeat(config::Duration max_age, RandomSource random) {
  return std::make_unique<Heartbeat>(max_age, std::move(random));
}

}  // namespace kb::proxy::core::lb
