// bytraffic: Apache's "weighted traffic counting" (mod_lbmethod_bytraffic.c).
//
// Each member's traffic is the bytes sent to it plus the bytes read from it, each divided by its
// lbfactor (x100, integer division, as Apache). The member with the least weighted traffic wins;
// the comparison is strict <, so on a tie the first in config order wins. Nothing is charged at
// pick time: the counters grow when a request is done (on_done adds bytes_to / bytes_from), so
// several requests that start together may all go to the same member.
//
// Worked example, a (weight 1 = 100) and b (weight 2 = 200), each request moves 1000 bytes:
//   start  a: 0       b: 0        -> a (tie, first)         a += 1000
//   then   a: 1000/100 = 10  b: 0 -> b                       b += 1000
//   then   a: 10     b: 1000/200 = 5 -> b                    b += 1000
//   then   a: 10     b: 10       -> a (tie) ... b serves twice as many bytes as a.
#include <memory>

#include "proxy/core/lb/lbmethod.h"
#include "proxy/core/lb/tiers.h"

namespace kb::proxy::core::lb {
namespace {

uint64_t weighted_traffic(const MemberState& s) {
  const int64_t factor = s.lbfactor.load(std::memory_order_relaxed);
  const uint64_t f = factor > 0 ? static_cast<uint64_t>(factor) : 1;
  return s.transferred.load(std::memory_order_relaxed) / f + s.read.load(std::memory_order_relaxed) / f;
}

class ByTraffic final : public LbMethod {
 public:
  const Member* pick(std::span<const Member> members, std::span<const Member* const> avoid,
                     TimePoint now) override {
    uint64_t min = 0;
    return pick_in_tiers(members, avoid, now, [&](const Member& m, const Member* prev) {
      const uint64_t traffic = weighted_traffic(*m.state);
      if (prev == nullptr || traffic < min) {
        min = traffic;
        return true;
      }
      return false;
    });
  }

  void reset(std::span<const Member> members) override {
    for (const Member& m : members) {
      m.state->transferred.store(0, std::memory_order_relaxed);
      m.state->read.store(0, std::memory_order_relaxed);
    }
  }
};

}  // namespace

std::unique_ptr<LbMethod> make_bytraffic() { return std::make_unique<ByTraffic>(); }

}  // namespace kb::proxy::core::lb
