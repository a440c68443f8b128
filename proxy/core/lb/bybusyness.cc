// bybusyness: Apache's "pending request counting" (mod_lbmethod_bybusyness.c).
//
// The member with the fewest requests in flight (busy) wins. busy goes up when the balancer hands
// a member a request, sticky or not, and down when the request is done (on_done). Between members
// equally busy, the byrequests counter decides: every candidate accrues lbstatus += lbfactor, the
// higher lbstatus wins (strict >, first in config order on a full tie) and the winner pays back
// the total. So with idle members (sequential requests) bybusyness is byrequests: weights 1,1,1,1
// give b1 b2 b3 b4 b1 ...; and weights still skew the choice among equally loaded members.
//
// Worked example, members a and b, weight 1 (lbfactor 100), counters from 0:
//   pick 1: busy 0 0, counters 100 100 -> a (tie, first in order); a = 100-200 = -100, busy a=1
//   pick 2 while a is still busy: busy 1 0, counters 0 200 -> b (fewer in flight); b = 0
//   both done, pick 3: busy 0 0, counters 100 100 -> a again.
#include <memory>

#include "proxy/core/lb/lbmethod.h"
#include "proxy/core/lb/tiers.h"

namespace kb::proxy::core::lb {
namespace {

class ByBusyness final : public LbMethod {
 public:
  const Member* pick(std::span<const Member> members, std::span<const Member* const> avoid,
                     TimePoint now) override {
    int64_t total = 0;
    const Member* best = pick_in_tiers(members, avoid, now, [&](const Member& m, const Member* prev) {
      MemberState& s = *m.state;
      const int64_t factor = s.lbfactor.load(std::memory_order_relaxed);
      const int64_t status = s.lbstatus.fetch_add(factor, std::memory_order_relaxed) + factor;
      total += factor;
      if (prev == nullptr) return true;
      const int64_t busy = s.busy.load(std::memory_order_relaxed);
      const int64_t prev_busy = prev->state->busy.load(std::memory_order_relaxed);
      return busy < prev_busy ||
             (busy == prev_busy && status > prev->state->lbstatus.load(std::memory_order_relaxed));
    });
    if (best != nullptr) best->state->lbstatus.fetch_sub(total, std::memory_order_relaxed);
    return best;
  }

  void reset(std::span<const Member> members) override {
    for (const Member& m : members) {
      m.state->lbstatus.store(0, std::memory_order_relaxed);
      m.state->busy.store(0, std::memory_order_relaxed);
    }
  }
};

}  // namespace

std::unique_ptr<LbMethod> make_bybusyness() { return std::make_unique<ByBusyness>(); }

}  // namespace kb::proxy::core::lb
