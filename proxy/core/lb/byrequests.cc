// byrequests: Apache's weighted "smooth" round robin (mod_lbmethod_byrequests.c).
//
// Every member carries a counter, lbstatus. On each pick, every usable candidate's counter grows by
// its weight (lbfactor) and the sum of those weights is remembered; the candidate with the highest
// counter wins (strict >, so ties go to the first in config order) and pays the whole sum back.
// Counters therefore always sum to zero over the usable members, and each member wins in
// proportion to its weight, interleaved rather than in bursts (nginx's smooth weighted RR is the
// same algorithm).
//
// Worked example, weights 1,2,3 (lbfactor 100,200,300, total 600), counters a/b/c from 0:
//   pick 1: 100 200 300 -> c wins, c = 300-600 = -300
//   pick 2: 200 400   0 -> b wins, b = -200
//   pick 3: 300   0 300 -> a wins (tie with c, a is first), a = -300
//   pick 4:-200 200 600 -> c, pick 5: -100 400 300 -> b, pick 6: 0 0 600 -> c; back to 0 0 0.
// The schedule c b a c b c repeats: 600 picks give exactly 100/200/300.
//
// Sticky hits are charged the same way by the balancer (every usable member +lbfactor, the hit
// member -total), so a session pinned to one member makes the others catch up.
#include <memory>

#include "proxy/core/lb/lbmethod.h"
#include "proxy/core/lb/tiers.h"

namespace kb::proxy::core::lb {
namespace {

class ByRequests final : public LbMethod {
 public:
  const Member* pick(std::span<const Member> members, std::span<const Member* const> avoid,
                     TimePoint now) override {
    int64_t total = 0;
    const Member* best = pick_in_tiers(members, avoid, now, [&](const Member& m, const Member* prev) {
      MemberState& s = *m.state;
      const int64_t factor = s.lbfactor.load(std::memory_order_relaxed);
      const int64_t status = s.lbstatus.fetch_add(factor, std::memory_order_relaxed) + factor;
      total += factor;
      return prev == nullptr || status > prev->state->lbstatus.load(std::memory_order_relaxed);
    });
    if (best != nullptr) best->state->lbstatus.fetch_sub(total, std::memory_order_relaxed);
    return best;
  }

  void reset(std::span<const Member> members) override {
    for (const Member& m : members) m.state->lbstatus.store(0, std::memory_order_relaxed);
  }
};

}  // namespace

std::unique_ptr<LbMethod> make_byrequests() { return std::make_unique<ByRequests>(); }

}  // namespace kb::proxy::core::lb
