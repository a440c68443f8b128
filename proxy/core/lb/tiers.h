#pragma once
// The frame Apache's byrequests, bytraffic and bybusyness share (proxy_util.c,
// ap_proxy_balancer_get_best_worker), as a template so each method's is_best() inlines:
//
//   for each lbset, ascending, until a member is chosen:
//     N (drain) members take no new sessions; a drained plain member counts as unusable
//     an unusable member gets try_retry() first (lazy recovery after `retry`)
//     R hot spares:   the first k usable spares compete, k = unusable plain members (one for one)
//     H hot standbys: compete only when nothing else in the set was chosen
//     plain members:  usable ones compete through is_best(candidate, best_so_far)
//
// is_best may have side effects (byrequests accrues lbstatus on every candidate it sees), so the
// order of calls is part of the contract: plain members in config order, then spares, then
// standbys. Members in `avoid` (already tried by this request) count as unusable. No allocation:
// spares and standbys are found by re-walking the set instead of collecting them.
#include <algorithm>
#include <climits>
#include <span>

#include "proxy/core/availability.h"
#include "proxy/core/balancer.h"

namespace kb::proxy::core::lb {

inline bool avoided(const Member& m, std::span<const Member* const> avoid) {
  return std::find(avoid.begin(), avoid.end(), &m) != avoid.end();
}

template <typename IsBest>
const Member* pick_in_tiers(std::span<const Member> members, std::span<const Member* const> avoid,
                            TimePoint now, IsBest&& is_best) {
  const Member* best = nullptr;
  int set = INT_MIN;  // the lbset being walked; the first is the lowest present
  for (;;) {
    // The next lbset above `set` that has members.
    int next = INT_MAX;
    for (const Member& m : members) {
      const int s = m.state->lbset.load(std::memory_order_relaxed);
      if (s > set && s < next) next = s;
    }
    if (next == INT_MAX) return best;
    set = next;

    int unusable = 0;
    bool any_spare = false;
    bool any_standby = false;
    for (const Member& m : members) {
      MemberState& s = *m.state;
      if (s.lbset.load(std::memory_order_relaxed) != set) continue;
      const uint32_t bits = s.flags.load(std::memory_order_acquire);
      const bool spare = (bits & kHotSpare) != 0;
      const bool standby = (bits & kHotStandby) != 0;
      if ((bits & kDrain) != 0) {
        if (!spare && !standby) ++unusable;
        continue;
      }
      if (!usable_bits(bits)) try_retry(m, now);
      const bool ok = usable(s) && !avoided(m, avoid);
      if (spare) {
        any_spare = any_spare || ok;
      } else if (standby) {
        any_standby = any_standby || ok;
      } else if (ok) {
        if (is_best(m, best)) best = &m;
      } else {
        ++unusable;
      }
    }
    if (any_spare && unusable > 0) {
      int taken = 0;
      for (const Member& m : members) {
        if (taken >= unusable) break;
        MemberState& s = *m.state;
        if (s.lbset.load(std::memory_order_relaxed) != set) continue;
        const uint32_t bits = s.flags.load(std::memory_order_acquire);
        if ((bits & kHotSpare) == 0 || (bits & kDrain) != 0 || !usable_bits(bits) || avoided(m, avoid)) continue;
        ++taken;
        if (is_best(m, best)) best = &m;
      }
    }
    if (best == nullptr && any_standby) {
      for (const Member& m : members) {
        MemberState& s = *m.state;
        if (s.lbset.load(std::memory_order_relaxed) != set) continue;
        const uint32_t bits = s.flags.load(std::memory_order_acquire);
        // Apache checks R before H, so a member flagged both is a spare, not a standby.
        if ((bits & kHotStandby) == 0 || (bits & (kHotSpare | kDrain)) != 0 || !usable_bits(bits) ||
            avoided(m, avoid))
          continue;
        if (is_best(m, best)) best = &m;
      }
    }
    if (best != nullptr) return best;
  }
}

}  // namespace kb::proxy::core::lb
